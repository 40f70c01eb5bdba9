"""Writes for people, organizations (their MCP access) and personal access tokens."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.template.defaultfilters import pluralize
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts import epoch, tokens
from accounts.domain_proof import DnsUnanswered, shown, txt_records
from accounts.gates import sentence
from accounts.models import (
    AccessStatus,
    EmailDomain,
    Membership,
    Organization,
    PersonalAccessToken,
    RetiredTokenPrefix,
    Role,
    User,
    VerifiedBy,
    clean_domain,
    no_control_characters,
)
from accounts.policies import token_issue_problem
from accounts.scopes import DATASET_SCOPE_PREFIX, MANAGEMENT_SCOPES, dataset_codes, token_scopes
from accounts.selectors import token_lifetime_days
from audit.actions import Action
from audit.actors import Actor, as_actor
from audit.services import Origin, audit_record

logger = logging.getLogger(__name__)


def access_epoch_bump() -> None:
    """Tell every worker's bearer cache that access may have been taken away."""
    epoch.bump()


@dataclass(frozen=True)
class IssuedToken:
    """A freshly issued token: the row and the secret, which exists only in this object."""

    token: PersonalAccessToken
    secret: str


def _by(actor: User | None) -> str:
    """Who did it, for an audit summary: a person, or an operator (management command, Django admin)."""
    return as_actor(actor).label


def _check_token_request(*, user: User, organization: Organization, name: str, days: int, scopes: list[str]) -> str:
    """The cleaned name of a token that may be issued, or ValidationError saying why not."""
    if days not in settings.PAT_EXPIRY_CHOICES_DAYS:
        raise ValidationError(f"Expiry must be one of {settings.PAT_EXPIRY_CHOICES_DAYS} days.")
    membership = Membership.objects.filter(user=user, organization=organization).first()
    if membership is None:
        raise ValidationError(f"{user.email} is not a member of {organization.name}.")
    if problem := token_issue_problem(organization, days):
        raise ValidationError(problem)
    if not scopes:
        raise ValidationError("Choose at least one scope.")
    admin = membership.role == Role.ADMIN
    if admin_only := sorted(set(scopes) & set(MANAGEMENT_SCOPES) - set(token_scopes(organization, admin=admin))):
        raise ValidationError(f"Only {organization.name}'s admins can hold: {', '.join(admin_only)}.")
    if unknown := sorted(set(scopes) - set(token_scopes(organization, admin=True))):
        raise ValidationError(f"{organization.name} cannot grant: {', '.join(unknown)}.")
    name = name.strip()
    if not name:
        raise ValidationError("Give the token a name.")
    no_control_characters(name)
    return name


@transaction.atomic
def token_create(
    *,
    user: User,
    organization: Organization,
    name: str,
    days: int,
    scopes: list[str],
    all_datasets: bool | None = None,
    actor: User | None = None,
    origin: Origin | None = None,
    now: dt.datetime | None = None,
) -> IssuedToken:
    """Issue a personal access token; the secret is returned once and never stored.

    `all_datasets`: the token follows the organization (every dataset it has, now and later) rather
    than the dataset scopes in `scopes`; None decides by the scopes (`_follows`).
    `actor` is whoever asked (the owner in the portal; None for an operator's command)."""
    name = _check_token_request(user=user, organization=organization, name=name, days=days, scopes=scopes)
    follows = _follows(organization, scopes, all_datasets)
    # A token that follows the organization holds no dataset scope: which datasets it uses is read
    # from the organization on every request.
    kept = sorted({s for s in scopes if not (follows and s.startswith(DATASET_SCOPE_PREFIX))})
    if not kept:
        raise ValidationError("Choose at least one scope besides the datasets (insights:read to ask Spark Portal).")
    now = now or timezone.now()
    secret, prefix = tokens.generate()
    token = PersonalAccessToken.objects.create(
        user=user,
        organization=organization,
        name=name,
        prefix=prefix,
        digest=tokens.digest(secret),
        scopes=kept,
        all_datasets=follows,
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    audit_record(
        action=Action.TOKEN_CREATED,
        summary=f"{_by(actor)} created the access token “{name}” ({token.display_prefix}…) for {user.email}",
        organization=organization,
        actor=actor,
        origin=origin,
        detail=_token_detail(token),
    )
    logger.info("access token %s created for user %s", token.display_prefix, user.pk)
    return IssuedToken(token=token, secret=secret)


def _follows(organization: Organization, scopes: list[str], all_datasets: bool | None) -> bool:
    """Whether a new token follows its organization's datasets. When the caller does not say (an API
    client or a command written before the choice existed), a token that names no dataset in
    particular (no dataset scope, or every dataset the organization has now) follows it, as an
    assistant that asks for none in particular does (`oauth_server.oauth.consent_scopes`)."""
    if all_datasets is not None:
        return all_datasets
    asked = dataset_codes(scopes)
    return not asked or asked == set(organization.datasets.offered().values_list("code", flat=True))


def _token_detail(token: PersonalAccessToken) -> dict[str, object]:
    """What the audit trail keeps about a token: never its secret or digest."""
    return {
        "token": token.pk,
        "prefix": token.display_prefix,
        "name": token.name,
        "owner": token.user.email,
        "scopes": list(token.scopes),
        "all_datasets": token.all_datasets,
        "expires_at": token.expires_at.isoformat(),
    }


@transaction.atomic
def token_revoke(
    *,
    token: PersonalAccessToken,
    actor: Actor | User | None = None,
    origin: Origin | None = None,
    now: dt.datetime | None = None,
) -> PersonalAccessToken:
    """Revoke a token; the very next request with it is refused on every worker."""
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
        access_epoch_bump()
        actor = as_actor(actor)
        audit_record(
            action=Action.TOKEN_REVOKED,
            summary=f"{actor.label} revoked the access token “{token.name}” ({token.display_prefix}…) "
            f"of {token.user.email}",
            organization=token.organization,
            actor=actor,
            origin=origin,
            detail=_token_detail(token),
        )
        logger.info("access token %s revoked", token.display_prefix)
    return token


@transaction.atomic
def token_rotate(
    *,
    token: PersonalAccessToken,
    actor: User | None = None,
    origin: Origin | None = None,
    now: dt.datetime | None = None,
) -> IssuedToken:
    """Give the same token a new secret and a renewed lifetime (at most its organization's maximum); the
    old secret dies at once.

    One row per token: its prefix and digest change, the old prefix is kept as retired (so the
    old secret is refused as "rotated"), and the expiry warning may be sent again."""
    row = PersonalAccessToken.objects.select_for_update().select_related("user", "organization").get(pk=token.pk)
    if row.revoked_at is not None:
        raise ValidationError("A revoked token cannot be rotated; create a new one.")
    if not Membership.objects.filter(user_id=row.user_id, organization_id=row.organization_id).exists():
        raise ValidationError(f"{row.user.email} is no longer a member of {row.organization.name}.")
    if not row.organization.personal_tokens_allowed:
        raise ValidationError(token_issue_problem(row.organization, 1) or "")
    now = now or timezone.now()
    days = token_lifetime_days(row)
    old_prefix = row.display_prefix
    RetiredTokenPrefix.objects.create(token=row, prefix=row.prefix, retired_at=now)
    secret, row.prefix = tokens.generate()
    row.digest = tokens.digest(secret)
    row.expires_at = now + dt.timedelta(days=days)
    row.rotated_at = now
    row.expiry_warned_at = None
    row.save(update_fields=["prefix", "digest", "expires_at", "rotated_at", "expiry_warned_at"])
    access_epoch_bump()
    audit_record(
        action=Action.TOKEN_ROTATED,
        summary=f"{_by(actor)} rotated the access token “{row.name}” ({old_prefix}… → {row.display_prefix}…) "
        f"of {row.user.email}",
        organization=row.organization,
        actor=actor,
        origin=origin,
        detail={**_token_detail(row), "retired_prefix": old_prefix},
    )
    logger.info("access token %s rotated to %s", old_prefix, row.display_prefix)
    return IssuedToken(token=row, secret=secret)


def token_touch(*, token_id: int, now: dt.datetime, address: str | None = None, agent: str = "") -> None:
    """Record use: when, from which address, with which client. A plain UPDATE of columns that grant
    nothing: it must not bump the access epoch (that would empty caches)."""
    PersonalAccessToken.objects.filter(pk=token_id).update(
        last_used_at=now, last_used_address=address, last_used_agent=agent[:200]
    )


def token_expiry_warn(*, token: PersonalAccessToken, now: dt.datetime | None = None) -> bool:
    """Email the owner that the token expires soon, once (until a rotation renews it).

    Claims the token first (sets `expiry_warned_at` only where it is still empty), so two runs
    never send two emails; a failed send gives the claim back for the next run. No secret is sent."""
    now = now or timezone.now()
    if not PersonalAccessToken.objects.filter(pk=token.pk, expiry_warned_at__isnull=True).update(expiry_warned_at=now):
        return False
    context = {
        "token": token,
        "user": token.user,
        "expires_on": timezone.localtime(token.expires_at).date(),
        "days_left": max(0, (timezone.localtime(token.expires_at).date() - timezone.localdate(now)).days),
        "tokens_url": settings.SPARK_PUBLIC_URL + reverse("accounts:tokens"),
    }
    subject = " ".join(
        f"Your Spark Portal access token “{token.name}” expires on {context['expires_on']:%Y-%m-%d}".split()
    )
    try:
        send_mail(
            subject=subject,
            message=render_to_string("accounts/token_expiry_email.txt", context),
            from_email=None,
            recipient_list=[token.user.email],
        )
    except Exception:
        PersonalAccessToken.objects.filter(pk=token.pk).update(expiry_warned_at=None)
        raise
    token.expiry_warned_at = now
    logger.info("expiry warning for access token %s sent to user %s", token.display_prefix, token.user_id)
    return True


def _window(starts_on: dt.date, ends_on: dt.date | None) -> str:
    return f"from {starts_on} to {ends_on}" if ends_on else f"from {starts_on}, open-ended"


def _restorable(organization: Organization) -> str:
    """The status an organization admin may restore: the one staff had set when access was ended
    here. Access that staff ended themselves (nothing remembered) only staff restore."""
    remembered = organization.status_before_end
    if remembered not in (AccessStatus.TRIAL, AccessStatus.CONTRACT):
        raise ValidationError(
            f"Spark Portal's staff ended {organization.name}'s MCP access; only they can restore it — ask them."
        )
    return remembered


@transaction.atomic
def organization_access_set(
    *, organization: Organization, status: str | None = None, actor: User, origin: Origin | None
) -> Organization:
    """What an organization admin may do to their organization's MCP access (the console and
    the API both call this): end it (status `ended`), or restore it (`status=None`) to exactly what
    Spark Portal's staff set, the remembered trial or contract with the staff-set dates untouched (a past
    end date keeps access expired). Whether it is a trial or a contract, and its dates, are
    staff's (`organization_access_grant`): `trial` or `contract` here is refused with
    ValidationError, whoever the actor is, so no admin surface can upgrade a plan or lift a date.
    """
    if status in (AccessStatus.TRIAL, AccessStatus.CONTRACT):
        raise ValidationError(
            f"Only Spark Portal's staff change whether {organization.name} is on a trial or a contract, and when "
            f"its access ends; you can end access and restore it to what they set."
        )
    if status not in (None, AccessStatus.ENDED):
        raise ValueError(f"unknown access status {status!r}")
    before = organization.access_status
    if status is None and before != AccessStatus.ENDED:
        return organization  # restoring access that runs changes nothing
    if status == AccessStatus.ENDED and before == AccessStatus.ENDED:
        return organization  # ending twice keeps the first remembered status
    status = status or _restorable(organization)
    organization.access_status = status
    organization.status_before_end = before if status == AccessStatus.ENDED else ""
    organization.save(update_fields=["access_status", "status_before_end"])
    audit_record(
        action=Action.ORGANIZATION_ACCESS_ENDED
        if status == AccessStatus.ENDED
        else Action.ORGANIZATION_ACCESS_RESTORED,
        summary=f"{actor.email} changed MCP access from {before} to {status}",
        organization=organization,
        actor=actor,
        origin=origin,
        detail={"from": before, "to": status, **({"restored_previous": True} if status != AccessStatus.ENDED else {})},
    )
    return organization


@transaction.atomic
def organization_access_grant(
    *,
    organization: Organization,
    status: str,
    starts_on: dt.date,
    ends_on: dt.date | None,
    actor: User | None,
    origin: Origin | None,
) -> Organization:
    """What only Spark Portal's staff may do (the Django admin; `actor=None` for an operator's command): set
    the access status (trial, contract or ended) and its window. What staff set is what stands, so
    the status an organization admin's end had remembered is forgotten: access staff end, only staff
    restore. PermissionDenied for anyone who is not staff."""
    if actor is not None and not actor.is_staff:
        raise PermissionDenied("Only Spark Portal's staff set an organization's access status and dates.")
    if status not in AccessStatus.values:
        raise ValueError(f"unknown access status {status!r}")
    before = f"{organization.access_status} {_window(organization.access_starts_on, organization.access_ends_on)}"
    organization.access_status, organization.access_starts_on, organization.access_ends_on = status, starts_on, ends_on
    organization.status_before_end = ""
    organization.save(update_fields=["access_status", "access_starts_on", "access_ends_on", "status_before_end"])
    after = f"{status} {_window(starts_on, ends_on)}"
    audit_record(
        action=Action.ORGANIZATION_ACCESS_GRANTED,
        summary=f"{_by(actor)} (Spark Portal staff) set MCP access to {after} (was {before})",
        organization=organization,
        actor=actor,
        origin=origin,
        detail={"from": before, "to": after},
    )
    return organization


_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _domain_clash(domain: str, organization: Organization) -> str | None:
    """Why `domain` cannot be enabled for `organization`: one organization holds an enabled domain."""
    if EmailDomain.objects.filter(domain=domain, enabled=True).exclude(organization=organization).exists():
        return (
            f"{domain} is already enabled for another organization; if it is yours, ask Spark Portal's staff to move it"
        )
    return None


@transaction.atomic
def domain_add(*, organization: Organization, domain: str, actor: User, origin: Origin | None) -> EmailDomain:
    """Enable an email domain for the organization: its people may then use Spark Portal for it."""
    name = clean_domain(domain)
    if not _DOMAIN.match(name):
        raise ValidationError(f"{domain.strip() or 'That'} is not an email domain (e.g. example.com).")
    if EmailDomain.objects.filter(organization=organization, domain=name).exists():
        raise ValidationError(f"{name} is already one of {organization.name}'s domains.")
    if clash := _domain_clash(name, organization):
        raise ValidationError(sentence(clash))
    added = EmailDomain.objects.create(organization=organization, domain=name, enabled=True)
    audit_record(
        action=Action.DOMAIN_ADDED,
        summary=f"{actor.email} added the email domain {name} (not verified yet)",
        organization=organization,
        actor=actor,
        origin=origin,
        detail={"domain": name, "txt_name": added.txt_name},
    )
    return added


def domain_verify(*, domain: EmailDomain, actor: User, origin: Origin | None) -> EmailDomain:
    """Verify the organization owns the domain: its TXT record at `txt_name` holds `txt_value`.

    The DNS lookup happens outside any transaction; ValidationError says what DNS answered."""
    if domain.verified:
        return domain
    try:
        found = txt_records(domain.txt_name)
    except DnsUnanswered as exc:
        raise ValidationError(
            f"DNS gave no answer for {domain.txt_name} ({exc}); nothing was changed. Try again in a few minutes.",
            code="dns_unanswered",
        ) from None
    if domain.txt_value not in (value.strip() for value in found.values):
        raise ValidationError(_verification_missing(domain, found.values), code="txt_record_missing")
    return _domain_verified(domain=domain, by=VerifiedBy.DNS, actor=actor, origin=origin)


def _verification_missing(domain: EmailDomain, values: list[str]) -> str:
    if not values:
        return (
            f"There is no TXT record at {domain.txt_name} yet. Publish one with the value {domain.txt_value} "
            "at your DNS host, then press Verify again (new records can take a while to appear)."
        )
    return (
        f"The TXT record at {domain.txt_name} holds {shown(values)}, not {domain.txt_value}. Set it to that "
        "value exactly, then press Verify again."
    )


def domain_verify_by_staff(*, domain: EmailDomain, actor: User, origin: Origin | None) -> EmailDomain:
    """Spark Portal's staff vouch that the organization owns the domain (they checked another way): audited."""
    if domain.verified:
        return domain
    return _domain_verified(domain=domain, by=VerifiedBy.STAFF, actor=actor, origin=origin)


@transaction.atomic
def _domain_verified(*, domain: EmailDomain, by: VerifiedBy, actor: User, origin: Origin | None) -> EmailDomain:
    now = timezone.now()
    if not EmailDomain.objects.filter(pk=domain.pk, verified_at__isnull=True).update(verified_at=now, verified_by=by):
        domain.refresh_from_db()
        return domain  # verified meanwhile: recorded once
    domain.refresh_from_db()
    how = "its DNS TXT record" if by == VerifiedBy.DNS else "Spark Portal's staff (override)"
    audit_record(
        action=Action.DOMAIN_VERIFIED,
        summary=f"{actor.email} verified the email domain {domain.domain} through {how}",
        organization=domain.organization,
        actor=actor,
        origin=origin,
        detail={"domain": domain.domain, "verified_by": by.value},
    )
    return domain


@transaction.atomic
def domain_set_enabled(*, domain: EmailDomain, enabled: bool, actor: User, origin: Origin | None) -> EmailDomain:
    """Enable or disable a domain; disabling stops its members' tokens and assistants on their next request."""
    if enabled and (clash := _domain_clash(domain.domain, domain.organization)):
        raise ValidationError(sentence(clash))
    if domain.enabled != enabled:
        domain.enabled = enabled
        domain.save(update_fields=["enabled"])
        verb = "enabled" if enabled else "disabled"
        audit_record(
            action=Action.DOMAIN_ENABLED if enabled else Action.DOMAIN_DISABLED,
            summary=f"{actor.email} {verb} the email domain {domain.domain}",
            organization=domain.organization,
            actor=actor,
            origin=origin,
            detail={"domain": domain.domain, "members": domain_member_count(domain)},
        )
    return domain


@transaction.atomic
def domain_remove(*, domain: EmailDomain, actor: User, origin: Origin | None) -> int:
    """Remove a domain from the organization; returns how many members it affected."""
    affected = domain_member_count(domain)
    audit_record(
        action=Action.DOMAIN_REMOVED,
        summary=(
            f"{actor.email} removed the email domain {domain.domain} ({affected} member{pluralize(affected)} affected)"
        ),
        organization=domain.organization,
        actor=actor,
        origin=origin,
        detail={"domain": domain.domain, "members": affected},
    )
    domain.delete()
    return affected


def domain_member_count(domain: EmailDomain) -> int:
    """Members of the domain's organization whose email address is at that domain."""
    return Membership.objects.filter(
        organization_id=domain.organization_id, user__email__iendswith=f"@{domain.domain}"
    ).count()
