"""An organization's policies (docs/policies.md): what they are, what a change to them stops, and the
one service that changes them.

Each policy is enforced by a gate of `accounts.gates` (the MCP endpoint, the management API, pages
and the connection doctor all ask it), so this module holds only the settings, their effect and the
rules for issuing a token under them. The fields live on `Organization` (watched: a change moves the
access epoch, so every worker's bearer cache drops its facts on the next request).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mass_mail
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from accounts import gates, refusals
from accounts.gates import sentence
from accounts.models import Organization, PersonalAccessToken, User
from audit.actions import Action
from audit.services import Origin, audit_record

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Policies:
    """An organization's policies, as the console and the management API show and change them."""

    personal_tokens_allowed: bool = True
    token_max_days: int | None = None
    """None: Spark Portal's own limit (`longest_token_days`)."""
    daily_calls_per_person: int | None = None
    """None: no quota."""
    daily_calls_per_organization: int | None = None

    @classmethod
    def of(cls, organization: Organization) -> Policies:
        return cls(
            organization.personal_tokens_allowed,
            organization.token_max_days,
            organization.daily_calls_per_person,
            organization.daily_calls_per_organization,
        )


def longest_token_days() -> int:
    """Spark Portal's own limit: no token is ever issued for longer, whatever an organization allows."""
    return max(settings.PAT_EXPIRY_CHOICES_DAYS)


POLICY_GATES = (gates.personal_tokens, gates.token_lifetime)
"""The gates of the token policies: what a change would stop is what they would refuse."""


def _refused_by(policies: Policies, token: PersonalAccessToken, now: dt.datetime) -> bool:
    """Whether the token policies' gates refuse the token under `policies` (only they are asked, so
    only the organization's name matters of the person's standing)."""
    standing = gates.MemberFacts(
        user_active=True,
        member=True,
        email_domain="",
        domain_enabled=True,
        organization_name=token.organization.name,
        access_status="",
        access_starts_on=now.date(),
        access_ends_on=None,
        tokens_allowed=policies.personal_tokens_allowed,
        token_max_days=policies.token_max_days,
    )
    context = gates.token_context(token, standing, now)
    return any(gate(context) is not None for gate in POLICY_GATES)


def _policy_end(policies: Policies, token: PersonalAccessToken) -> dt.datetime:
    """When the policy stops the token: its own expiry, or earlier when the maximum lifetime is shorter."""
    limit = policies.token_max_days
    capped = gates.token_issued_at(token) + dt.timedelta(days=limit) if limit is not None else token.expires_at
    return min(token.expires_at, capped)


@dataclass(frozen=True)
class PolicyImpact:
    """What a change of policies does to the organization's usable tokens."""

    stopped: list[PersonalAccessToken]
    """Usable now, refused once the change is made (paused: changing it back restores them)."""
    shortened: list[PersonalAccessToken]
    """Still usable, but stopped earlier than their own expiry by a lower maximum lifetime."""

    @property
    def tokens(self) -> int:
        return len(self.stopped)

    @property
    def people(self) -> int:
        return len({t.user_id for t in self.stopped})


def policy_impact(organization: Organization, wanted: Policies, now: dt.datetime | None = None) -> PolicyImpact:
    """The tokens a change to `wanted` stops now, and those it stops earlier than their own expiry."""
    now = now or timezone.now()
    current = Policies.of(organization)
    live = PersonalAccessToken.objects.filter(
        organization=organization, revoked_at__isnull=True, expires_at__gt=now
    ).select_related("user", "organization")
    stopped, shortened = [], []
    for token in live:
        if _refused_by(current, token, now):
            continue
        if _refused_by(wanted, token, now):
            stopped.append(token)
        elif _policy_end(wanted, token) < _policy_end(current, token):
            shortened.append(token)
    return PolicyImpact(stopped, shortened)


FIELDS = ("personal_tokens_allowed", "token_max_days", "daily_calls_per_person", "daily_calls_per_organization")
QUOTA_LIMIT = 10_000_000
"""The largest daily quota one can set (a larger number is no quota: leave it empty)."""


def policy_changes(current: object, wanted: object, fields: Iterable[str]) -> dict[str, list[Any]]:
    """Each of `fields` that differs, as [before, after] (an audit event's `changes`)."""
    return {
        name: [getattr(current, name), getattr(wanted, name)]
        for name in fields
        if getattr(current, name) != getattr(wanted, name)
    }


def policy_changes_apply(
    *,
    organization: Organization,
    changes: dict[str, list[Any]],
    action: Action,
    summary: str,
    actor: User | None,
    origin: Origin | None,
    detail: dict[str, Any] | None = None,
) -> None:
    """Set the changed policy columns (`changes`' after values) on the organization, save only them, and
    record `action`: "<who> changed <summary>", with the changes (and `detail`)."""
    for name, (_, after) in changes.items():
        setattr(organization, name, after)
    organization.save(update_fields=list(changes))
    who = actor.email if actor is not None else "an operator"
    audit_record(
        action=action,
        summary=f"{who} changed {summary}",
        organization=organization,
        actor=actor,
        origin=origin,
        detail={"changes": changes, **(detail or {})},
    )


def _check(wanted: Policies) -> None:
    limit, longest = wanted.token_max_days, longest_token_days()
    if limit is not None and not 1 <= limit <= longest:
        raise ValidationError(f"The maximum token lifetime is 1 to {longest} days (or Spark Portal's own limit).")
    for quota in (wanted.daily_calls_per_person, wanted.daily_calls_per_organization):
        if quota is not None and not 0 <= quota <= QUOTA_LIMIT:
            raise ValidationError(f"A daily quota is 0 to {QUOTA_LIMIT:,} tool calls (or none).")


@transaction.atomic
def organization_policies_set(
    *,
    organization: Organization,
    wanted: Policies,
    actor: User | None,
    origin: Origin | None,
    now: dt.datetime | None = None,
) -> PolicyImpact:
    """Change the organization's policies; returns what the change stopped or shortened.

    Nothing is revoked or rewritten: a token past a new maximum lifetime is paused by the gates, and
    works again if the limit is raised. The owners of tokens the change stops or shortens are emailed."""
    _check(wanted)
    current = Policies.of(organization)
    if wanted == current:
        return PolicyImpact([], [])
    now = now or timezone.now()
    impact = policy_impact(organization, wanted, now)
    changes = policy_changes(current, wanted, FIELDS)
    policy_changes_apply(
        organization=organization,
        changes=changes,
        action=Action.ORGANIZATION_POLICIES_CHANGED,
        summary=f"the policies: {_describe(changes)}",
        actor=actor,
        origin=origin,
        detail={"tokens_stopped": impact.tokens, "tokens_shortened": len(impact.shortened)},
    )
    transaction.on_commit(lambda: _warn_owners(organization, wanted, impact))
    return impact


def _describe(changes: dict[str, list[object]]) -> str:
    words = []
    if "personal_tokens_allowed" in changes:
        allowed = changes["personal_tokens_allowed"][1]
        words.append("personal access tokens " + ("allowed" if allowed else "not allowed"))
    if "token_max_days" in changes:
        limit = changes["token_max_days"][1]
        words.append(f"tokens live at most {limit} days" if limit else "tokens live as long as Spark Portal allows")
    for name, whose in (("daily_calls_per_person", "per person"), ("daily_calls_per_organization", "in all")):
        if name in changes:
            quota = changes[name][1]
            words.append(f"no daily quota {whose}" if quota is None else f"at most {quota} tool calls a day {whose}")
    return "; ".join(words)


def _warn_owners(organization: Organization, wanted: Policies, impact: PolicyImpact) -> None:
    """Tell each owner which of their tokens the new policies stop, and when (one email per token, all sent
    over one connection to the mail server)."""
    tokens_url = settings.SPARK_PUBLIC_URL + reverse("accounts:tokens")
    messages = []
    for token, stopped in [(t, True) for t in impact.stopped] + [(t, False) for t in impact.shortened]:
        context = {
            "token": token,
            "organization": organization,
            "stopped": stopped,
            "allowed": wanted.personal_tokens_allowed,
            "days": wanted.token_max_days,
            "ends_on": timezone.localtime(_policy_end(wanted, token)).date(),
            "tokens_url": tokens_url,
        }
        subject = " ".join(
            f"{organization.name} changed the rules for your Spark Portal access token “{token.name}”".split()
        )
        body = render_to_string("accounts/token_policy_email.txt", context)
        messages.append((subject, body, None, [token.user.email]))
    try:
        send_mass_mail(messages)
    except Exception:  # the policy holds whether or not the mail server took the warnings
        logger.warning("could not warn the owners of %d tokens of organization %s", len(messages), organization.pk)


def token_issue_problem(organization: Organization, days: int) -> str | None:
    """Why the organization's policies refuse a token of `days` days, as a sentence; None when they allow it."""
    if not organization.personal_tokens_allowed:
        return sentence(refusals.TOKENS_NOT_ALLOWED.said(org=organization.name))
    limit = organization.token_max_days
    if limit is not None and days > limit:
        return f"{organization.name} allows tokens of at most {limit} days: choose a shorter expiry."
    return None
