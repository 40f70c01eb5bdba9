"""Writes: admitting a person who signed in through an organization's identity provider (just-in-time
provisioning), and recording the sign-ins it refuses. Each write is audited."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from django.db import transaction
from django.template.defaultfilters import pluralize
from django.utils import timezone

from accounts.claims import Claim, claim_refusal, may_give_address
from accounts.models import EmailDomain, Membership, Role, User
from audit.actions import Action
from audit.services import Origin, audit_tally
from identity.models import IdentityConnection
from identity.refusals import MESSAGES, Facts, SsoRefused, refusal
from identity.selectors import domain_enabled, is_member
from identity.services import connection_audit_record
from identity.standings import sso_refusal_keep


@dataclass(frozen=True)
class Identity:
    """Who the identity provider says signed in."""

    email: str
    full_name: str = ""


def _facts(connection: IdentityConnection, email: str = "") -> Facts:
    org = connection.organization
    domains = EmailDomain.objects.filter(organization=org, enabled=True).values_list("domain", flat=True)
    return Facts(org.name, connection.name, email, ", ".join(domains) or "none enabled")


def _check_person(connection: IdentityConnection, user: User, email: str) -> None:
    """The identity provider signs in only its organization's members, never staff (accounts.claims)."""
    refused = claim_refusal(connection.organization, user)
    if refused == Claim.STAFF:
        raise SsoRefused(refusal("staff_account", _facts(connection, email)))
    if not user.is_active:
        raise SsoRefused(refusal("user_inactive", _facts(connection, email)))
    if refused is not None or not is_member(user, connection.organization):
        raise SsoRefused(refusal("not_member", _facts(connection, email)))


def _provision(connection: IdentityConnection, who: Identity, origin: Origin | None) -> User:
    """Just in time: the first sign-in of someone at one of the organization's verified domains makes
    their account and membership (as a member)."""
    if not may_give_address(connection.organization, who.email):
        raise SsoRefused(refusal("domain_unverified", _facts(connection, who.email)))
    user = User.objects.create_user(
        email=who.email, password=None, full_name=who.full_name[:150], provisioned_by=connection.organization
    )
    Membership.objects.create(user=user, organization=connection.organization, role=Role.MEMBER)
    connection_audit_record(
        Action.SSO_USER_CREATED,
        f"{user.email} joined {connection.organization.name} through {connection.name}",
        connection,
        user,
        origin,
        email=user.email,
    )
    return user


def _update(connection: IdentityConnection, user: User, who: Identity, origin: Origin | None) -> None:
    """Each sign-in brings the IdP's name (and a changed address at the organization's domains)."""
    changed = []
    if who.full_name and user.full_name != who.full_name[:150]:
        user.full_name = who.full_name[:150]
        changed.append("full_name")
    if user.email != who.email:
        _check_move(connection, user, who.email)
        connection_audit_record(
            Action.SSO_EMAIL_CHANGED,
            f"{connection.name} changed {user.email}'s address to {who.email}",
            connection,
            user,
            origin,
            previous=user.email,
            email=who.email,
        )
        user.email = who.email
        changed.append("email")
    if changed:
        user.save(update_fields=changed)


def _check_move(connection: IdentityConnection, user: User, email: str) -> None:
    """A changed address is followed only to a verified domain, for an account no one else has at it
    and no other organization holds (accounts.claims)."""
    if User.objects.filter(email__iexact=email).exclude(pk=user.pk).exists():
        raise SsoRefused(refusal("email_in_use", _facts(connection, email)))
    if not may_give_address(connection.organization, email):
        raise SsoRefused(refusal("domain_unverified", _facts(connection, email)))
    if claim_refusal(connection.organization, user, moving=True) is not None:
        raise SsoRefused(refusal("held_elsewhere", _facts(connection, email)))


@transaction.atomic
def sso_admit(
    *, connection: IdentityConnection, linked_user: User | None, who: Identity, origin: Origin | None
) -> tuple[User, bool]:
    """The person to sign in for an identity the IdP vouched for, or SsoRefused saying why not.

    `linked_user` is the account this IdP identity signed in before (None the first time). Returns
    (user, whether the sign-in must be linked to that user now)."""
    email = who.email.strip().lower()
    who = Identity(email, who.full_name.strip())
    if not connection.enabled:
        raise SsoRefused(refusal("connection_disabled", _facts(connection, email)))
    if not email:
        raise SsoRefused(refusal("no_email", _facts(connection)))
    if not domain_enabled(connection.organization, email):
        raise SsoRefused(refusal("domain_outside", _facts(connection, email)))
    user = linked_user or User.objects.filter(email__iexact=email).first()
    if user is None:
        user = _provision(connection, who, origin)
    else:
        _check_person(connection, user, email)
        _update(connection, user, who, origin)
        if linked_user is None:
            connection_audit_record(
                Action.SSO_ACCOUNT_LINKED,
                f"{user.email} now signs in through {connection.name}",
                connection,
                user,
                origin,
                email=user.email,
            )
    connection.last_sign_in_at = timezone.now()
    connection.save(update_fields=["last_sign_in_at"])
    connection_audit_record(
        Action.SSO_SIGNED_IN,
        f"{user.email} signed in through {connection.name}",
        connection,
        user,
        origin,
        email=user.email,
    )
    return user, linked_user is None


def sso_refusal_record(
    *, connection: IdentityConnection | None, reason: str, email: str, origin: Origin | None, detail: str = ""
) -> None:
    """Audit an SSO sign-in the identity provider completed and Spark Portal refused (the rules of
    `sso_admit` and the adapter): a person the IdP vouched for, with their address, for the
    organization's admins; the connection doctor's finding is kept apart (`identity.standings`). A
    callback without a completed sign-in is counted instead (`sso_refusal_count`)."""
    if connection is None:
        return
    sso_refusal_keep(
        organization=connection.organization,
        email=email,
        connection=connection.provider_id,
        reason=reason,
        at=timezone.now(),
    )
    connection_audit_record(
        Action.SSO_REFUSED,
        f"Single sign-on through {connection.name} refused {email or 'someone'}: {reason}",
        connection,
        None,
        origin,
        reason=reason,
        email=email,
        **({"why": detail[:200]} if detail else {}),
    )


def _counted_summary(connection: IdentityConnection, reason: str) -> Callable[[int, dt.datetime], str]:
    def summary(count: int, window: dt.datetime) -> str:
        return (
            f"{count} single sign-on callback{pluralize(count)} through {connection.name} refused ({reason}) in "
            f"the hour from "
            f"{window:%Y-%m-%d %H}:00 UTC without a sign-in the identity provider completed: counted, not listed"
        )

    return summary


def sso_refusal_count(*, connection: IdentityConnection | None, reason: str) -> None:
    """Count an SSO callback or start refused before any identity provider vouched for anyone (an
    `error=` callback, a bad state or code, an invalid SAML response, an unreachable IdP): anyone can
    send those, so they are one event per connection, reason and hour, holding no address, email or
    text from the request (`audit.services.audit_tally`)."""
    if connection is None:
        return
    code = reason if reason in MESSAGES else "idp_error"
    audit_tally(
        action=Action.SSO_REFUSED,
        organization=connection.organization,
        key={"connection": connection.provider_id, "kind": connection.kind, "reason": code},
        summary=_counted_summary(connection, code),
    )
