"""Changing one's sign-in address (`User.email`), the address single sign-on, SCIM and the email
domain rules match people on. So no address becomes it unproven:

- People in an organization whose identity provider manages its people (a single sign-on connection,
  "Require SSO", or SCIM provisioning) cannot change it here at all: their IdP owns it, and brings a
  new one at the next sign-in or sync.
- Anyone else asks for a new address, and a link is mailed to it. Only that link, opened while
  signed in to the same account (so a stranger who is sent the link cannot attach their address to
  someone else's account), changes it; nothing is stored until then, so no unproven address is ever
  on an account. The link is signed and names the old address too: it works once, for 24 hours.
- An address at a domain of an organization whose identity provider manages its people is never
  moved onto an account here (that organization's IdP or SCIM would then find the account).

The old address is told of the change; both steps are audited in the person's organizations.
"""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass

from django.core import signing
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import Q
from django.template.loader import render_to_string
from django.urls import reverse

from accounts.models import EmailDomain, Organization, User, normalize_email
from audit.actions import Action
from audit.services import Origin, audit_record

logger = logging.getLogger(__name__)

LINK_LIFETIME = dt.timedelta(hours=24)
_SALT = "spark.accounts.email_change"

# Organizations whose identity provider manages their people. `identity_connections` and
# `scim_tokens` are the identity and scim apps' rows, reached by their relation names (accounts
# imports neither: they sit above it).
_MANAGES_IDENTITY = (
    Q(require_sso=True)
    | Q(identity_connections__isnull=False)
    | Q(scim_tokens__isnull=False, scim_tokens__revoked_at__isnull=True)
)


def identity_managed_by(user: User) -> list[Organization]:
    """The user's organizations whose identity provider owns their people's addresses ([] if none)."""
    found = Organization.objects.filter(memberships__user=user).filter(_MANAGES_IDENTITY)
    return list(found.distinct().order_by("name"))


def address_managed_elsewhere(email: str) -> bool:
    """Whether the address is at an enabled domain of an organization whose IdP manages its people."""
    domain = email.rpartition("@")[2]
    organizations = Organization.objects.filter(_MANAGES_IDENTITY)
    return EmailDomain.objects.filter(domain=domain, enabled=True, organization__in=organizations).exists()


def managed_message(organizations: list[Organization]) -> str:
    names = ", ".join(organization.name for organization in organizations)
    return (
        f"Your sign-in address is managed by {names}'s identity provider, so it cannot be changed here. "
        f"Ask {names}'s admins to change it there: Spark Portal takes the new address at your next sign-in "
        "through single sign-on (or the next provisioning sync)."
    )


def email_change_refusal(user: User, new_email: str) -> str | None:
    """Why `user` may not make `new_email` their sign-in address, in words for them; None if they may
    (once the address is proven)."""
    if managed := identity_managed_by(user):
        return managed_message(managed)
    try:
        validate_email(new_email)
    except ValidationError:
        return "Enter a valid email address."
    if new_email == user.email:
        return f"{new_email} is your sign-in address already."
    if address_managed_elsewhere(new_email):
        return (
            f"Addresses at {new_email.rpartition('@')[2]} belong to an organization that signs its people in "
            "through its identity provider: they cannot be moved onto an account here. Sign in with single "
            "sign-on using that address instead."
        )
    return None


@dataclass(frozen=True)
class EmailChange:
    """What a link asks: make `to` the sign-in address of the account whose address is `previous`."""

    user_id: int
    previous: str
    to: str


def email_change_read(token: str) -> EmailChange:
    """The change a link's token asks for, or ValidationError saying why it cannot be used."""
    try:
        data = signing.loads(token, salt=_SALT, max_age=LINK_LIFETIME)
        return EmailChange(user_id=int(data["user"]), previous=str(data["from"]), to=str(data["to"]))
    except signing.SignatureExpired:
        raise ValidationError("This link has expired (it works for 24 hours). Ask for a new one.") from None
    except (signing.BadSignature, KeyError, TypeError, ValueError):
        raise ValidationError(
            "This link is not valid. Check you copied the whole link, or ask for a new one."
        ) from None


def email_change_check(user: User, change: EmailChange) -> str | None:
    """Why the signed-in `user` cannot make the change now (None if they can)."""
    if change.user_id != user.pk:
        return (
            "This link was sent for another Spark Portal account. Sign out, sign in with the account that "
            "asked for the change, then open the link again."
        )
    if user.email != change.previous:
        return "This link was used already, or your sign-in address changed since it was sent."
    if refusal := email_change_refusal(user, change.to):
        return refusal
    if User.objects.filter(email__iexact=change.to).exclude(pk=user.pk).exists():
        return f"Another account signs in with {change.to} already, so it cannot be yours too."
    return None


def _record(user: User, action: Action, summary: str, origin: Origin | None, detail: dict[str, str]) -> None:
    """One event in each of the person's organizations (their admins see it), or one without any."""
    organizations: list[Organization | None] = [*Organization.objects.filter(memberships__user=user)] or [None]
    for organization in organizations:
        audit_record(
            action=action, summary=summary, organization=organization, actor=user, origin=origin, detail=detail
        )


def _mail(subject: str, template: str, context: dict[str, object], to: str) -> bool:
    try:
        send_mail(subject, render_to_string(template, context), None, [to])
    except (OSError, smtplib.SMTPException) as exc:
        logger.error("could not send %s mail: %s", template.rsplit("/", 1)[-1], exc.__class__.__name__)
        return False
    return True


@transaction.atomic
def email_change_request(*, user: User, new_email: str, base_url: str, origin: Origin | None) -> EmailChange:
    """Mail a link to `new_email` that makes it the user's sign-in address; nothing changes before.
    ValidationError (in words for the person) when the address may not be theirs."""
    to = normalize_email(new_email)
    if refusal := email_change_refusal(user, to):
        raise ValidationError(refusal)
    change = EmailChange(user_id=user.pk, previous=user.email, to=to)
    token = signing.dumps({"user": user.pk, "from": user.email, "to": to}, salt=_SALT)
    link = base_url + reverse("accounts:email-confirm", args=[token])
    context = {"user": user, "change": change, "link": link, "hours": int(LINK_LIFETIME.total_seconds() // 3600)}
    sent = _mail("Confirm your new Spark Portal sign-in address", "accounts/email/email_change.txt", context, to)
    if not sent:
        raise ValidationError(f"The mail to {to} could not be sent just now; try again in a few minutes.")
    summary = f"{user.email} asked to make {to} their sign-in address (a link was mailed to it)"
    _record(user, Action.ACCOUNT_EMAIL_CHANGE_REQUESTED, summary, origin, {"from": user.email, "to": to})
    return change


@transaction.atomic
def email_change_confirm(*, user: User, token: str, origin: Origin | None) -> EmailChange:
    """Make the address a link names the user's sign-in address (the link proves the mailbox, the
    session the account). ValidationError when it cannot be used; the old address is told."""
    change = email_change_read(token)
    locked = User.objects.select_for_update().get(pk=user.pk)
    if problem := email_change_check(locked, change):
        raise ValidationError(problem)
    locked.email = change.to
    locked.save(update_fields=["email"])
    user.email = locked.email
    summary = f"{change.previous} changed their sign-in address to {change.to} (the new address was proven by a link)"
    _record(locked, Action.ACCOUNT_EMAIL_CHANGED, summary, origin, {"from": change.previous, "to": change.to})
    _mail(
        "Your Spark Portal sign-in address changed",
        "accounts/email/email_changed.txt",
        {"change": change},
        change.previous,
    )
    return change
