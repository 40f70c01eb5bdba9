"""At upgrade, the standings the doctor and the single sign-on page used to read from the audit trail
are filled from it once (identity/0003, scim/0004): what they said before, they say after."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.db.migrations.executor import MigrationExecutor
from django.utils import timezone

from identity.models import IdJagUse, SsoRefusal
from scim.models import ScimUser

# accounts too: its later columns (NOT NULL, no database default) would be missing from the models of
# the state the rows are made in.
BEFORE = [
    ("identity", "0002_standings"),
    ("scim", "0003_deprovisioned_by"),
    ("accounts", "0014_organization_policy_epoch_triggers"),
]


def _seed(apps) -> None:  # type: ignore[no-untyped-def]
    org = apps.get_model("accounts", "Organization").objects.create(
        name="Acme", slug="acme", access_status="contract", access_starts_on=dt.date(2026, 1, 1)
    )
    user = apps.get_model("accounts", "User").objects.create(email="member@acme.example", password="!")
    event = apps.get_model("audit", "AuditEvent").objects
    now = timezone.now()

    def at(minutes: int) -> dt.datetime:
        return now - dt.timedelta(minutes=minutes)

    sso = {"connection": "acme-oidc", "kind": "oidc"}
    event.create(organization=org, action="sso.refused", summary="-", created_at=at(9), detail={**sso, "reason": "a"})
    event.create(
        organization=org, action="sso.refused", summary="-", created_at=at(8),
        detail={**sso, "reason": "email_unverified", "email": "Member@Acme.example"},
    )  # fmt: skip
    for minutes, client in ((7, "one"), (6, "one"), (5, "two")):
        event.create(
            organization=org, action="grant.id_jag", summary="-", created_at=at(minutes),
            detail={"client_id": client, "connection": "Acme IdP"},
        )  # fmt: skip
    event.create(
        organization=org, action="grant.id_jag_refused", summary="-", created_at=at(4),
        detail={"client_id": "two", "connection": "Acme IdP", "reason": "expired"},
    )  # fmt: skip
    event.create(
        organization=org, action="scim.user_deactivated", summary="-", created_at=at(3),
        detail={"user": user.pk, "scim_token_name": "Okta"},
    )  # fmt: skip
    apps.get_model("scim", "ScimUser").objects.create(organization=org, user=user, deprovisioned_at=at(3))


@pytest.mark.django_db(transaction=True)
def test_the_standings_are_filled_from_the_trail_at_upgrade() -> None:
    executor = MigrationExecutor(connection)
    executor.migrate(BEFORE)
    _seed(executor.loader.project_state(BEFORE).apps)
    executor = MigrationExecutor(connection)
    executor.migrate(executor.loader.graph.leaf_nodes())

    refusal = SsoRefusal.objects.get()
    assert (refusal.email, refusal.connection, refusal.reason) == (
        "member@acme.example",
        "acme-oidc",
        "email_unverified",
    )
    uses = {u.client_id: (u.grants, u.refused_reason) for u in IdJagUse.objects.all()}
    assert uses == {"one": (2, ""), "two": (1, "expired")}
    assert ScimUser.objects.get().deprovisioned_by == "Okta"
