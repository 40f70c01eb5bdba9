"""Reads scoped to the caller."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.conf import settings
from django.db.models import F, QuerySet
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.timesince import timesince

from accounts.gates import MemberFacts, credential_verdict, member_facts, token_context
from accounts.models import EmailDomain, Membership, Organization, PersonalAccessToken, Role, User
from accounts.policies import token_issue_problem
from accounts.refusals import State
from accounts.scopes import DatasetAccess, dataset_access

EXPIRY_WARNING = dt.timedelta(days=7)
"""Tokens expiring within this are flagged on the tokens page and their owners emailed (a short-lived
token in the second half of its life: `expiry_warning_due`)."""


def expiry_warning_due(token: PersonalAccessToken, now: dt.datetime) -> bool:
    """Whether the token is close enough to its end to warn its owner: within EXPIRY_WARNING, and within
    the second half of the life it was given (at creation or its last rotation), so a token made for 7
    days does not greet its owner with a warning."""
    life = token.expires_at - (token.rotated_at or token.created_at)
    return token.expires_at - now <= min(EXPIRY_WARNING, life / 2)


def user_organizations(user: User) -> QuerySet[Organization]:
    return Organization.objects.filter(memberships__user=user).order_by("name")


def user_memberships(user: User) -> QuerySet[Membership]:
    return Membership.objects.filter(user=user).select_related("organization").order_by("organization__name")


def tokens_for_user(user: User) -> QuerySet[PersonalAccessToken]:
    return PersonalAccessToken.objects.filter(user=user).select_related("organization")


def token_for_user(user: User, token_id: int) -> PersonalAccessToken:
    """The user's own token, or 404 (another user's token is indistinguishable from none)."""
    return get_object_or_404(tokens_for_user(user), pk=token_id)


@dataclass(frozen=True)
class TokenRow:
    """A token as its owner sees it: its state today and how long it has left."""

    token: PersonalAccessToken
    state: str
    """active | expired | revoked | paused (otherwise active, but a gate refuses it right now)."""
    days_left: int
    """Calendar days until it expires; negative once it has expired."""
    expired: bool
    expiring_soon: bool
    """Still usable, and expires within EXPIRY_WARNING."""
    refusal: str | None = None
    """Why a paused token is refused, as a sentence naming who can fix it."""
    last_used_ago: str = ""
    """e.g. "3 hours ago", "just now"; empty if never used."""
    datasets: DatasetAccess | None = None
    """Which of its organization's datasets it uses right now, and why."""

    @property
    def datasets_words(self) -> str:
        return self.datasets.describe(self.token.organization.name) if self.datasets else ""

    @property
    def expiry_words(self) -> str:
        days = abs(self.days_left)
        unit = "day" if days == 1 else "days"
        if self.expired:
            return "expired today" if self.days_left >= 0 else f"expired {days} {unit} ago"
        return "expires today" if self.days_left <= 0 else f"expires in {days} {unit}"


def token_rows(user: User, now: dt.datetime | None = None) -> list[TokenRow]:
    """The user's tokens with their state (`accounts.gates.credential_verdict`); paused ones say which
    gate refuses them now."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    members: dict[int, MemberFacts] = {}
    organization_codes: dict[int, list[str]] = {}
    rows = []
    for token in tokens_for_user(user):
        days_left = (timezone.localdate(token.expires_at) - today).days
        if token.organization_id not in members:
            members[token.organization_id] = member_facts(user, token.organization)
        verdict = credential_verdict(token_context(token, members[token.organization_id], now))
        state = verdict.state
        refusal = verdict.sentence if state == State.PAUSED else None
        soon = state in {State.ACTIVE, State.PAUSED} and expiry_warning_due(token, now)
        ago = _ago(token.last_used_at, now)
        datasets = token_datasets(token, organization_codes)
        rows.append(TokenRow(token, state, days_left, token.is_expired(now), soon, refusal, ago, datasets))
    return rows


def organization_dataset_codes(organization: Organization) -> list[str]:
    return list(organization.datasets.offered().order_by("code").values_list("code", flat=True))


def token_datasets(token: PersonalAccessToken, known: dict[int, list[str]] | None = None) -> DatasetAccess:
    """The datasets a token uses right now: its organization's, all of them or the ones it was
    narrowed to. `known` keeps each organization's codes for a page that shows many tokens."""
    known = {} if known is None else known
    if token.organization_id not in known:
        known[token.organization_id] = organization_dataset_codes(token.organization)
    codes = known[token.organization_id]
    return dataset_access(follows=token.all_datasets, scopes=token.scopes, organization_codes=codes)


def _ago(when: dt.datetime | None, now: dt.datetime) -> str:
    if when is None:
        return ""
    return "just now" if now - when < dt.timedelta(minutes=1) else f"{timesince(when, now)} ago"


def token_lifetime_days(token: PersonalAccessToken) -> int:
    """The offered lifetime closest to the one the token was given (at creation or its last rotation),
    at most its organization's maximum: what a rotation renews it for."""
    start = token.rotated_at or token.created_at
    days = max(1, round((token.expires_at - start) / dt.timedelta(days=1)))
    offered = min(settings.PAT_EXPIRY_CHOICES_DAYS, key=lambda d: abs(d - days))
    limit = token.organization.token_max_days
    return offered if limit is None else min(offered, limit)


def token_policy_notes(user: User) -> list[str]:
    """What the user's organizations' policies say about new tokens, as sentences for the token page."""
    notes = []
    for organization in user_organizations(user):
        if not organization.personal_tokens_allowed:
            notes.append(token_issue_problem(organization, 1) or "")
        elif organization.token_max_days is not None:
            notes.append(f"{organization.name} allows tokens of at most {organization.token_max_days} days.")
    return notes


def tokens_to_warn(now: dt.datetime | None = None) -> list[PersonalAccessToken]:
    """Usable tokens expiring within EXPIRY_WARNING whose owners have not been told yet.

    Owners who are deactivated or no longer members are not written to: they could not rotate it."""
    now = now or timezone.now()
    near = (
        PersonalAccessToken.objects.filter(
            revoked_at__isnull=True,
            expires_at__gt=now,
            expires_at__lte=now + EXPIRY_WARNING,
            expiry_warned_at__isnull=True,
            user__is_active=True,
            user__memberships__organization=F("organization"),
        )
        .select_related("user", "organization")
        .order_by("expires_at", "pk")
    )
    return [token for token in near if expiry_warning_due(token, now)]


def admin_organizations(user: User) -> QuerySet[Organization]:
    """Organizations the user administers."""
    return Organization.objects.filter(memberships__user=user, memberships__role=Role.ADMIN).order_by("name")


def organization_domains(organization: Organization) -> list[tuple[EmailDomain, int]]:
    """The organization's email domains, each with how many of its members have an address there."""
    emails = list(Membership.objects.filter(organization=organization).values_list("user__email", flat=True))
    domains = EmailDomain.objects.filter(organization=organization).order_by("domain")
    return [(d, sum(e.lower().endswith(f"@{d.domain}") for e in emails)) for d in domains]


def organization_contacts(organization: Organization) -> list[str]:
    """Who a refused member should write to: the organization's contact address if it set one, else
    the email addresses of its active admins."""
    if organization.contact_email:
        return [organization.contact_email]
    return list(
        Membership.objects.filter(organization=organization, role=Role.ADMIN, user__is_active=True)
        .order_by("user__email")
        .values_list("user__email", flat=True)
    )


@dataclass(frozen=True)
class DomainGap:
    """An email domain people of the organization have (or are invited at) that is not enabled for it:
    they cannot use Spark Portal for it until it is."""

    domain: str
    known: EmailDomain | None
    """The organization's own disabled record of it (the fix: enable it); None: add it."""
    elsewhere: bool
    """Enabled for another organization: only Spark Portal's staff can move it."""


def domain_gaps(organization: Organization, emails: Iterable[str]) -> dict[str, DomainGap]:
    """The domains of these addresses that are not enabled for the organization, by domain."""
    wanted = {email.rsplit("@", 1)[-1].lower() for email in emails}
    enabled = EmailDomain.objects.filter(organization=organization, enabled=True, domain__in=wanted)
    missing = wanted - set(enabled.values_list("domain", flat=True))
    if not missing:
        return {}
    own = {d.domain: d for d in EmailDomain.objects.filter(organization=organization, domain__in=missing)}
    taken = set(
        EmailDomain.objects.filter(enabled=True, domain__in=missing)
        .exclude(organization=organization)
        .values_list("domain", flat=True)
    )
    return {d: DomainGap(domain=d, known=own.get(d), elsewhere=d in taken) for d in sorted(missing)}
