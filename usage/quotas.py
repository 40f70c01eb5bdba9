"""Daily quotas of MCP tool calls (docs/policies.md): per person and per organization, per UTC day.

Where an organization has a quota, every `tools/call` is counted, one row per (organization, day) and
per (organization, day, person), with the single atomic statement the rate limits use
(`usage.services.request_count_add`), so every worker and host adds to one shared count:

- **near a quota** (its last `SLACK_SHARE` part, and never fewer than `SLACK_MIN` calls), each call is
  written at once and judged on the shared count it returns: a quota of N lets exactly N through;
- **far from it**, a worker adds its calls to the shared count at most every `SYNC_SECONDS` (and on
  exit, with the usage counts), judging them on the last shared count plus its own: the MCP path
  pays no write per call. Only an organization making more than the slack's worth of calls within
  one second, just before the slack begins, could pass its quota by the calls of that second.

A refused call is given back, so the count is the calls served. An organization without a quota costs
nothing here. The rows end at midnight UTC, when the quotas open again.
"""

from __future__ import annotations

import datetime as dt
import threading
import time
from dataclasses import dataclass

from accounts.gates import MemberFacts, UsageFacts
from accounts.models import Organization, User
from usage.models import RequestCount
from usage.services import request_count_add, request_count_undo

_PREFIX = "quota"
SYNC_SECONDS = 1.0
SLACK_SHARE = 20
"""Within the last 1/20 of a quota every call is counted at once."""
SLACK_MIN = 50


def _day_prefix(organization_id: int, day: dt.date) -> str:
    return f"{_PREFIX}:{organization_id}:{day.isoformat()}:"


def _utc(now: dt.datetime) -> dt.datetime:
    return now.astimezone(dt.UTC)


def seconds_to_midnight(now: dt.datetime) -> int:
    """Whole seconds until the next midnight UTC (at least 1): the quota's `Retry-After`."""
    utc = _utc(now)
    midnight = dt.datetime.combine(utc.date() + dt.timedelta(days=1), dt.time(), tzinfo=dt.UTC)
    return max(1, -(-int((midnight - utc).total_seconds() * 1000) // 1000))


def _near(limit: int | None, used: int) -> bool:
    return limit is not None and limit - used <= max(SLACK_MIN, limit // SLACK_SHARE)


@dataclass
class _Tally:
    total: int = 0
    """The shared count when this worker last wrote to it."""
    pending: int = 0
    """This worker's calls not written yet."""
    synced: float = 0.0
    """When it last wrote (monotonic seconds)."""
    ends_ms: int = 0


class QuotaCounter:
    """One worker's view of the shared counts (one per key: organization and day, person and day)."""

    def __init__(self) -> None:
        self._tallies: dict[str, _Tally] = {}
        self._lock = threading.Lock()

    def take(self, key: str, limit: int | None, seconds: int, now_ms: int) -> tuple[int, bool]:
        """Count one call of `key`: the calls before it, and whether the shared count was written now."""
        with self._lock:
            tally = self._tallies.setdefault(key, _Tally(ends_ms=now_ms + seconds * 1000))
            used = tally.total + tally.pending
            if not _near(limit, used) and time.monotonic() - tally.synced < SYNC_SECONDS:
                tally.pending += 1
                return used, False
            add, tally.pending = tally.pending + 1, 0
        total = request_count_add(key=key, seconds=seconds, now_ms=now_ms, requests=add).count
        with self._lock:
            tally.total, tally.synced = total, time.monotonic()
        return total - 1, True

    def give_back(self, key: str, written: bool) -> None:
        with self._lock:
            tally = self._tallies.get(key)
            if tally is not None and not written:
                tally.pending = max(0, tally.pending - 1)
                return
            if tally is not None:
                tally.total -= 1
        if written:
            request_count_undo(key=key)

    def flush(self, now_ms: int | None = None) -> int:
        """Write every pending count (worker exit, the usage page); forget the days that ended."""
        now_ms = int(time.time() * 1000) if now_ms is None else now_ms
        with self._lock:
            self._tallies = {key: t for key, t in self._tallies.items() if t.ends_ms > now_ms}
            due = [(key, t.pending, t.ends_ms) for key, t in self._tallies.items() if t.pending]
            for key, calls, _ in due:
                self._tallies[key].pending = 0
                self._tallies[key].total += calls
        for key, calls, ends_ms in due:
            request_count_add(key=key, seconds=max(1, (ends_ms - now_ms) // 1000), now_ms=now_ms, requests=calls)
        return sum(calls for _, calls, _ in due)

    def discard(self) -> None:
        """Forget everything (tests: counts must not outlive the test that made them)."""
        with self._lock:
            self._tallies.clear()


counter = QuotaCounter()


@dataclass(frozen=True)
class Taken:
    """One tool call counted against the quotas: the calls made before it, and how to give it back."""

    usage: UsageFacts
    keys: tuple[tuple[str, bool], ...]
    """Each key counted, and whether the shared count was written for this call."""
    retry_after: int


def quota_take(*, organization_id: int, user_id: int, member: MemberFacts, now: dt.datetime) -> Taken | None:
    """Count one tool call for the person and the organization, where it has a quota (None: it has none)."""
    if not member.has_quota:
        return None
    seconds, prefix = seconds_to_midnight(now), _day_prefix(organization_id, _utc(now).date())
    now_ms = int(now.timestamp() * 1000)
    person_key, organization_key = f"{prefix}person:{user_id}", f"{prefix}organization"
    person, person_written = counter.take(person_key, member.person_quota, seconds, now_ms)
    everyone, everyone_written = counter.take(organization_key, member.organization_quota, seconds, now_ms)
    keys = ((person_key, person_written), (organization_key, everyone_written))
    return Taken(UsageFacts(person, everyone), keys, seconds)


def quota_give_back(taken: Taken) -> None:
    """Take back a counted call that was refused (the counts are the calls served)."""
    for key, written in taken.keys:
        counter.give_back(key, written)


def quota_flush() -> int:
    """Write this worker's pending quota counts now (worker exit, the usage page, tests)."""
    return counter.flush()


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
    """The quotas and today's calls against them (this worker's pending calls written first)."""
    quota_flush()
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
