"""Daily quotas of Spark MCP tool calls (docs/policies.md): per person and per organization, per UTC day.

Where an organization has a quota, every `tools/call` is counted at once in the database, one row per
(organization, day) and per (organization, day, person), each with the single atomic statement the
rate limits use (`usage.services.request_count_add`): every worker and host shares one count, and a
quota of N lets exactly N calls through. A refused call is given back, so the count is the calls
served. An organization without a quota costs nothing: nothing is counted for it here (its usage is
still recorded in batches, `usage.services`). The rows end at midnight UTC, when the quota opens again.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from accounts.gates import MemberFacts, UsageFacts
from accounts.models import Organization, User
from usage.models import RequestCount
from usage.services import request_count_add, request_count_undo

_PREFIX = "quota"


def _day_prefix(organization_id: int, day: dt.date) -> str:
    return f"{_PREFIX}:{organization_id}:{day.isoformat()}:"


def _utc(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC)


def seconds_to_midnight(now: dt.datetime) -> int:
    """Whole seconds until the next midnight UTC (at least 1): the quota's `Retry-After`."""
    utc = _utc(now)
    midnight = dt.datetime.combine(utc.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return max(1, -(-int((midnight - utc).total_seconds() * 1000) // 1000))


@dataclass(frozen=True)
class Taken:
    """One tool call counted against the quotas: the calls made before it, and how to give it back."""

    usage: UsageFacts
    keys: tuple[str, ...]
    retry_after: int


def quota_take(*, organization_id: int, user_id: int, member: MemberFacts, now: dt.datetime) -> Taken | None:
    """Count one tool call for the person and the organization, where it has a quota (None: it has none)."""
    if not member.has_quota:
        return None
    seconds, day = seconds_to_midnight(now), _utc(now).date()
    now_ms = int(now.timestamp() * 1000)
    prefix = _day_prefix(organization_id, day)
    person_key, organization_key = f"{prefix}person:{user_id}", f"{prefix}organization"
    person = request_count_add(key=person_key, seconds=seconds, now_ms=now_ms).count - 1
    everyone = request_count_add(key=organization_key, seconds=seconds, now_ms=now_ms).count - 1
    return Taken(UsageFacts(person, everyone), (person_key, organization_key), seconds)


def quota_give_back(taken: Taken) -> None:
    """Take back a counted call that was refused (the counts are the calls served)."""
    for key in taken.keys:
        request_count_undo(key=key)


@dataclass(frozen=True)
class QuotaUse:
    """Today's tool calls as the quotas count them (only while the organization has one)."""

    organization_calls: int
    people: dict[int, int]
    """Calls per person (user ID)."""


def quota_use(organization: Organization, now: dt.datetime) -> QuotaUse:
    prefix = _day_prefix(organization.pk, _utc(now).date())
    rows = RequestCount.objects.filter(key__startswith=prefix).values_list("key", "count")
    everyone, people = 0, {}
    for key, count in rows:
        rest = key[len(prefix) :]
        if rest == "organization":
            everyone = count
        elif rest.startswith("person:"):
            people[int(rest[len("person:") :])] = count
    return QuotaUse(everyone, people)


@dataclass(frozen=True)
class QuotaReport:
    """The organization's quotas and today's calls against them, for the usage page and the API."""

    per_person: int | None
    per_organization: int | None
    organization_calls: int
    people: list[tuple[str, int]]
    """(email, calls today), most calls first."""
    resets_in: int
    """Seconds until midnight UTC."""

    @property
    def on(self) -> bool:
        return self.per_person is not None or self.per_organization is not None

    @property
    def resets_in_words(self) -> str:
        hours, minutes = divmod(self.resets_in // 60, 60)
        return f"{hours} h {minutes} min" if hours else f"{minutes} min"


def quota_report(organization: Organization, now: dt.datetime) -> QuotaReport:
    use = quota_use(organization, now)
    emails = dict(User.objects.filter(pk__in=use.people).values_list("pk", "email"))
    served = [(emails.get(pk, "(removed)"), calls) for pk, calls in use.people.items() if calls]
    people = sorted(served, key=lambda p: -p[1])
    return QuotaReport(
        organization.daily_calls_per_person,
        organization.daily_calls_per_organization,
        use.organization_calls,
        people,
        seconds_to_midnight(now),
    )
