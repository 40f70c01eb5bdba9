"""An organization's people: invitations by email, roles, removal.

An invitation is a link with a random key sent by email; only the key's SHA-256 is stored, so the
link works once, for the address it was sent to, until it expires (`SPARK_INVITATION_DAYS`).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import secrets
import smtplib
from collections.abc import Iterable
from dataclasses import dataclass

from allauth.mfa.models import Authenticator
from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Count, Exists, Max, OuterRef, Q, QuerySet
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.utils import timezone

from accounts.adapters import sso_required_message, sso_required_organization
from accounts.mfa import PRIMARY_TYPES
from accounts.models import Invitation, Membership, Organization, PersonalAccessToken, Role, User, normalize_email
from accounts.selectors import domain_gaps
from accounts.services import access_epoch_bump
from audit.actions import Action
from audit.actors import Actor, as_actor
from audit.services import Origin, audit_record

logger = logging.getLogger(__name__)


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@dataclass(frozen=True)
class SentInvitation:
    invitation: Invitation
    emailed: bool
    """False when the mail server refused it: the invitation stands and can be sent again."""
    domain_enabled: bool = True
    """False when the address's domain is not enabled for the organization: once they join, they
    cannot use Spark Portal until it is (`accounts.selectors.domain_gaps` says what fixes it)."""


def _send(invitation: Invitation, key: str, base_url: str) -> bool:
    context = {"invitation": invitation, "link": f"{base_url}/invitations/{key}/"}
    try:
        send_mail(
            subject=f"Join {invitation.organization.name} on Spark Portal",
            message=render_to_string("accounts/email/invitation.txt", context),
            from_email=None,
            recipient_list=[invitation.email],
        )
    except (OSError, smtplib.SMTPException) as exc:
        logger.error("could not send invitation mail: %s", exc.__class__.__name__)  # never the link: it is a key
        return False
    return True


@transaction.atomic
def member_invite(
    *, organization: Organization, email: str, role: str, actor: User, origin: Origin | None, base_url: str
) -> SentInvitation:
    """Invite someone by email; a pending invitation to the same address is replaced (its link stops working)."""
    address = normalize_email(email)
    validate_email(address)
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}.")
    if Membership.objects.filter(organization=organization, user__email__iexact=address).exists():
        raise ValidationError(f"{address} is already a member of {organization.name}.")
    now = timezone.now()
    pending_invitations(organization).filter(email=address).update(revoked_at=now)
    key = secrets.token_urlsafe(32)
    invitation = Invitation.objects.create(
        organization=organization,
        email=address,
        role=role,
        digest=_digest(key),
        invited_by=actor,
        created_at=now,
        expires_at=now + dt.timedelta(days=settings.SPARK_INVITATION_DAYS),
    )
    audit_record(
        action=Action.MEMBER_INVITED,
        summary=f"{actor.email} invited {address} as {Role(role).label.lower()}",
        organization=organization,
        actor=actor,
        origin=origin,
        detail={"email": address, "role": role, "invitation": invitation.pk},
    )
    emailed = _send(invitation, key, base_url)
    return SentInvitation(
        invitation=invitation, emailed=emailed, domain_enabled=not domain_gaps(organization, [address])
    )


@transaction.atomic
def invitation_revoke(*, invitation: Invitation, actor: User, origin: Origin | None) -> None:
    if invitation.state() != "pending":
        return
    invitation.revoked_at = timezone.now()
    invitation.save(update_fields=["revoked_at"])
    audit_record(
        action=Action.MEMBER_INVITATION_REVOKED,
        summary=f"{actor.email} withdrew the invitation to {invitation.email}",
        organization=invitation.organization,
        actor=actor,
        origin=origin,
        detail={"email": invitation.email, "invitation": invitation.pk},
    )


def pending_invitations(organization: Organization, now: dt.datetime | None = None) -> QuerySet[Invitation]:
    return Invitation.objects.filter(
        organization=organization,
        accepted_at__isnull=True,
        revoked_at__isnull=True,
        expires_at__gt=now or timezone.now(),
    ).select_related("invited_by")


def invitation_by_key(key: str) -> Invitation | None:
    """The invitation a link's key opens (any state), or None."""
    if not key or len(key) > 100:
        return None
    return Invitation.objects.select_related("organization").filter(digest=_digest(key)).first()


def invitation_refusal(invitation: Invitation | None, user: User | None = None) -> str | None:
    """Why this link cannot be accepted (by `user`, when signed in), or None."""
    if invitation is None:
        return "This invitation link is not valid. Check you copied the whole link, or ask for a new invitation."
    state = invitation.state()
    if state != "pending":
        org = invitation.organization.name
        happened = "been withdrawn" if state == "revoked" else "been used" if state == "accepted" else "expired"
        return f"This invitation to {org} has {happened}; ask an admin of {org} for a new one."
    if user is not None and user.is_authenticated and user.email != invitation.email:
        return (
            f"This invitation is for {invitation.email}, and you are signed in as {user.email}. "
            "Sign out, then open the link again."
        )
    return None


@transaction.atomic
def invitation_accept(*, invitation: Invitation, user: User, origin: Origin | None) -> Membership:
    """Make the invited person a member with the invited role (the link then stops working)."""
    locked = Invitation.objects.select_for_update().get(pk=invitation.pk)
    if problem := invitation_refusal(locked, user):
        raise ValidationError(problem)
    membership, created = Membership.objects.get_or_create(
        user=user, organization=locked.organization, defaults={"role": locked.role}
    )
    if not created and locked.role == Role.ADMIN and membership.role != Role.ADMIN:
        # Made a member just in time by the organization's SSO on the way here: the invitation's role.
        membership.role = Role.ADMIN
        membership.save(update_fields=["role"])
    locked.accepted_at = timezone.now()
    locked.accepted_by = user
    locked.save(update_fields=["accepted_at", "accepted_by"])
    audit_record(
        action=Action.MEMBER_JOINED,
        summary=f"{user.email} accepted the invitation and joined as {membership.get_role_display().lower()}",
        organization=locked.organization,
        actor=user,
        origin=origin,
        detail={"email": user.email, "invitation": locked.pk},
    )
    return membership


@transaction.atomic
def invited_account_create(*, invitation: Invitation, full_name: str, password: str, origin: Origin | None) -> User:
    """Create the account an invitation was sent to (nobody signs themselves up otherwise), and accept."""
    if User.objects.filter(email__iexact=invitation.email).exists():
        raise ValidationError(f"An account for {invitation.email} exists already: sign in to accept.")
    if organization := sso_required_organization(invitation.email):
        # Its people sign in through its identity provider: a password here would be one it never checks.
        raise ValidationError(sso_required_message(organization, invitation.email))
    user = User.objects.create_user(email=invitation.email, password=password, full_name=full_name.strip())
    invitation_accept(invitation=invitation, user=user, origin=origin)
    return user


def _admins_left(organization: Organization, without: Membership) -> bool:
    return Membership.objects.filter(organization=organization, role=Role.ADMIN).exclude(pk=without.pk).exists()


def _last_admin(membership: Membership) -> str:
    return (
        f"{membership.user.email} is the last admin of {membership.organization.name}: make someone else an admin "
        "first (their Role, then Save), then try again."
    )


@transaction.atomic
def member_role_set(*, membership: Membership, role: str, actor: User, origin: Origin | None) -> Membership:
    if role not in Role.values:
        raise ValidationError(f"Unknown role {role!r}.")
    if membership.role == role:
        return membership
    if role != Role.ADMIN and not _admins_left(membership.organization, membership):
        raise ValidationError(_last_admin(membership))
    before = membership.role
    membership.role = role
    membership.save(update_fields=["role"])
    audit_record(
        action=Action.MEMBER_ROLE_CHANGED,
        summary=f"{actor.email} made {membership.user.email} {Role(role).label.lower()} (was {before})",
        organization=membership.organization,
        actor=actor,
        origin=origin,
        detail={"email": membership.user.email, "from": before, "to": role},
    )
    return membership


def working_tokens(organization_id: int) -> QuerySet[PersonalAccessToken]:
    """The organization's personal access tokens that still work (or would, but for a gate)."""
    return PersonalAccessToken.objects.filter(
        organization_id=organization_id, revoked_at__isnull=True, expires_at__gt=timezone.now()
    )


def member_tokens(membership: Membership) -> QuerySet[PersonalAccessToken]:
    """The member's working tokens for this organization."""
    return working_tokens(membership.organization_id).filter(user_id=membership.user_id)


@transaction.atomic
def member_remove(
    *, membership: Membership, actor: Actor | User, origin: Origin | None, last_admin: bool = False
) -> int:
    """Remove a member and revoke their personal access tokens for this organization (returns how many).

    The last admin stays unless `last_admin` (an identity provider's word is final: SCIM). Their
    connected assistants are refused from the next request (they are no longer a member);
    `administration.services.person_access_end` also revokes those grants, which live in the OAuth app.
    """
    organization, actor = membership.organization, as_actor(actor)
    if not last_admin and membership.role == Role.ADMIN and not _admins_left(organization, membership):
        raise ValidationError(_last_admin(membership))
    revoked = member_tokens(membership).update(revoked_at=timezone.now())
    email = membership.user.email
    membership.delete()
    access_epoch_bump()
    audit_record(
        action=Action.MEMBER_REMOVED,
        summary=f"{actor.label} removed {email} ({revoked} token{pluralize(revoked)} revoked)",
        organization=organization,
        actor=actor,
        origin=origin,
        detail={"email": email, "tokens_revoked": revoked},
    )
    return revoked


def members(organization: Organization, *, query: str = "", role: str = "") -> QuerySet[Membership]:
    """The organization's memberships, searched by email or name and filtered by role; each says
    whether its person has a second factor (`two_factor`)."""
    factors = Authenticator.objects.filter(user_id=OuterRef("user_id"), type__in=PRIMARY_TYPES)
    found = (
        Membership.objects.filter(organization=organization)
        .select_related("user")
        .annotate(two_factor=Exists(factors))
        .order_by("user__email")
    )
    if query:
        found = found.filter(Q(user__email__icontains=query) | Q(user__full_name__icontains=query))
    if role in Role.values:
        found = found.filter(role=role)
    return found


@transaction.atomic
def organization_contact_set(
    *, organization: Organization, contact_email: str, actor: User, origin: Origin | None
) -> Organization:
    """Where refusal pages send members for help (empty: the organization's admins)."""
    address = normalize_email(contact_email) if contact_email.strip() else ""
    if address:
        validate_email(address)
    if organization.contact_email != address:
        organization.contact_email = address
        organization.save(update_fields=["contact_email"])
        audit_record(
            action=Action.ORGANIZATION_CONTACT_CHANGED,
            summary=f"{actor.email} set the help contact to {address or 'the organization admins'}",
            organization=organization,
            actor=actor,
            origin=origin,
            detail={"contact_email": address},
        )
    return organization


@dataclass(frozen=True)
class MemberRow:
    membership: Membership
    sign_in: str
    last_active: dt.datetime | None
    tokens: int
    two_factor: bool
    """An authenticator app or a security key (`members` reads it with the rows)."""


def member_rows(memberships: Iterable[Membership]) -> list[MemberRow]:
    """Each member with how they sign in, when they were last active and their working tokens
    (one query for the tokens of the whole page)."""
    memberships = list(memberships)
    if not memberships:
        return []
    usage: dict[int, tuple[int, dt.datetime | None]] = {
        row["user_id"]: (row["count"], row["used"])
        for row in working_tokens(memberships[0].organization_id)
        .filter(user_id__in=[m.user_id for m in memberships])
        .values("user_id")
        .annotate(count=Count("pk"), used=Max("last_used_at"))
    }
    rows = []
    for membership in memberships:
        user = membership.user
        count, used = usage.get(membership.user_id, (0, None))
        seen = [d for d in (user.last_login, used) if d]
        rows.append(
            MemberRow(
                membership=membership,
                sign_in="Password" if user.has_usable_password() else "No password yet",
                last_active=max(seen) if seen else None,
                tokens=count,
                two_factor=bool(getattr(membership, "two_factor", False)),
            )
        )
    return rows
