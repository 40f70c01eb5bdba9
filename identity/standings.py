"""What stands after a sign-in or an identity assertion grant was refused, kept by identity itself:
the connection doctor and the single sign-on page read these rows, never the audit trail, so
pruning old audit events (`enforce_retention`) changes nothing they say.

- `SsoRefusal`: per organization and address, the newest refused SSO sign-in the identity provider
  completed (the doctor shows it until the person signs in again);
- `IdJagUse`: per organization and client, the identity assertion grants issued (how many, the last
  when) and the refusal standing since the last one (a grant clears it)."""

from __future__ import annotations

import datetime as dt

from django.db import transaction
from django.db.models import F

from accounts.models import Organization
from identity.models import IdJagUse, SsoRefusal


def sso_refusal_keep(*, organization: Organization, email: str, connection: str, reason: str, at: dt.datetime) -> None:
    """Remember the newest refused SSO sign-in of `email` (nothing for a refusal without an address)."""
    if not email.strip():
        return
    SsoRefusal.objects.update_or_create(
        organization=organization,
        email=email.strip().lower(),
        defaults={"connection": connection, "reason": reason[:64], "refused_at": at},
    )


@transaction.atomic
def id_jag_granted(*, organization: Organization, client_id: str, at: dt.datetime) -> None:
    """Count an identity assertion grant issued to the client; it clears a standing refusal."""
    use, _ = IdJagUse.objects.select_for_update().get_or_create(organization=organization, client_id=client_id)
    IdJagUse.objects.filter(pk=use.pk).update(
        grants=F("grants") + 1, last_granted_at=at, refused_at=None, refused_through="", refused_reason=""
    )


def id_jag_refused(*, organization: Organization, client_id: str, through: str, reason: str, at: dt.datetime) -> None:
    """Remember the client's newest refused identity assertion grant (`through`: the connection's name)."""
    IdJagUse.objects.update_or_create(
        organization=organization,
        client_id=client_id,
        defaults={"refused_at": at, "refused_through": through[:40], "refused_reason": reason[:300]},
    )
