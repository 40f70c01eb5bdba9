"""Writes for people, organizations (their Spark MCP access) and personal access tokens."""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import dataclass

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import transaction
from django.utils import timezone

from accounts import epoch, tokens
from accounts.gates import sentence
from accounts.models import AccessStatus, EmailDomain, Membership, Organization, PersonalAccessToken, User
from accounts.scopes import organization_scopes
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


def token_create(
    *,
    user: User,
    organization: Organization,
    name: str,
    days: int,
    scopes: list[str],
    now: dt.datetime | None = None,
) -> IssuedToken:
    """Issue a personal access token; the secret is returned once and never stored."""
    if days not in settings.PAT_EXPIRY_CHOICES_DAYS:
        raise ValidationError(f"Expiry must be one of {settings.PAT_EXPIRY_CHOICES_DAYS} days.")
    if not Membership.objects.filter(user=user, organization=organization).exists():
        raise ValidationError(f"{user.email} is not a member of {organization.name}.")
    allowed = organization_scopes(organization)
    if not scopes:
        raise ValidationError("Choose at least one scope.")
    if unknown := sorted(set(scopes) - set(allowed)):
        raise ValidationError(f"{organization.name} cannot grant: {', '.join(unknown)}.")
    name = name.strip()
    if not name:
        raise ValidationError("Give the token a name.")
    now = now or timezone.now()
    secret, prefix = tokens.generate()
    token = PersonalAccessToken.objects.create(
        user=user,
        organization=organization,
        name=name,
        prefix=prefix,
        digest=tokens.digest(secret),
        scopes=sorted(set(scopes)),
        created_at=now,
        expires_at=now + dt.timedelta(days=days),
    )
    logger.info("access token %s created for user %s", token.display_prefix, user.pk)
    return IssuedToken(token=token, secret=secret)


@transaction.atomic
def token_revoke(*, token: PersonalAccessToken, now: dt.datetime | None = None) -> PersonalAccessToken:
    """Revoke a token; the very next request with it is refused on every worker."""
    if token.revoked_at is None:
        token.revoked_at = now or timezone.now()
        token.save(update_fields=["revoked_at"])
        access_epoch_bump()
        logger.info("access token %s revoked", token.display_prefix)
    return token


@transaction.atomic
def token_rotate(*, token: PersonalAccessToken, now: dt.datetime | None = None) -> IssuedToken:
    """Replace a token with a new secret of the same name, scopes and lifetime; the old one dies at once."""
    if token.revoked_at is not None:
        raise ValidationError("A revoked token cannot be rotated; create a new one.")
    now = now or timezone.now()
    lifetime_days = max(1, round((token.expires_at - token.created_at) / dt.timedelta(days=1)))
    if lifetime_days not in settings.PAT_EXPIRY_CHOICES_DAYS:
        lifetime_days = min(settings.PAT_EXPIRY_CHOICES_DAYS, key=lambda d: abs(d - lifetime_days))
    token_revoke(token=token, now=now)
    issued = token_create(
        user=token.user,
        organization=token.organization,
        name=token.name,
        days=lifetime_days,
        scopes=list(token.scopes),
        now=now,
    )
    logger.info(
        "access token %s rotated to %s",
        token.display_prefix,
        issued.token.display_prefix,
    )
    return issued


def token_touch(*, token_id: int, now: dt.datetime) -> None:
    """Record use. A plain UPDATE: it must not bump the access epoch (that would empty caches)."""
    PersonalAccessToken.objects.filter(pk=token_id).update(last_used_at=now)


@transaction.atomic
def organization_access_set(
    *, organization: Organization, status: str, actor: User, origin: Origin | None
) -> Organization:
    """End (status `ended`) or restore (trial/contract) an organization's Spark MCP access."""
    if status not in AccessStatus.values:
        raise ValueError(f"unknown access status {status!r}")
    before = organization.access_status
    if before != status:
        organization.access_status = status
        if (
            status != AccessStatus.ENDED
            and organization.access_ends_on
            and organization.access_ends_on < timezone.localdate()
        ):
            organization.access_ends_on = None  # restoring must not leave a past end date in force
        organization.save()
        audit_record(
            action="organization.access_ended" if status == AccessStatus.ENDED else "organization.access_restored",
            summary=f"{actor.email} changed Spark MCP access from {before} to {status}",
            organization=organization,
            actor=actor,
            origin=origin,
            detail={"from": before, "to": status},
        )
    return organization


_DOMAIN = re.compile(r"^(?=.{4,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$")


def _domain_clash(domain: str, organization: Organization) -> str | None:
    """Why `domain` cannot be enabled for `organization`: one organization holds an enabled domain."""
    if EmailDomain.objects.filter(domain=domain, enabled=True).exclude(organization=organization).exists():
        return f"{domain} is already enabled for another organization; if it is yours, ask Spark's staff to move it"
    return None


@transaction.atomic
def domain_add(*, organization: Organization, domain: str, actor: User, origin: Origin | None) -> EmailDomain:
    """Enable an email domain for the organization: its people may then use Spark MCP for it."""
    name = domain.strip().lower().lstrip("@")
    if not _DOMAIN.match(name):
        raise ValidationError(f"{domain.strip() or 'That'} is not an email domain (e.g. example.com).")
    if EmailDomain.objects.filter(organization=organization, domain=name).exists():
        raise ValidationError(f"{name} is already one of {organization.name}'s domains.")
    if clash := _domain_clash(name, organization):
        raise ValidationError(sentence(clash))
    added = EmailDomain.objects.create(organization=organization, domain=name, enabled=True)
    audit_record(
        action="domain.added",
        summary=f"{actor.email} added the email domain {name}",
        organization=organization,
        actor=actor,
        origin=origin,
        detail={"domain": name},
    )
    return added


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
            action=f"domain.{verb}",
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
        action="domain.removed",
        summary=f"{actor.email} removed the email domain {domain.domain} ({affected} member(s) affected)",
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
