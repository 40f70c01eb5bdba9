"""The rate limits' counts: one atomic upsert per request, a window that starts at the first request
after the last one ended, old windows pruned; and the rate syntax the settings use."""

from __future__ import annotations

import pytest

from usage.models import RequestCount
from usage.services import Rate, rate_limited, request_count_add, request_count_undo

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("text", "rate"),
    [("600/min", Rate(600, 60)), ("30/hour", Rate(30, 3600)), ("5/10min", Rate(5, 600)), ("2/days", Rate(2, 86400))],
)
def test_rates_read_as_settings_write_them(text: str, rate: Rate) -> None:
    assert Rate.parse(text) == rate


@pytest.mark.parametrize("text", ["600", "x/min", "5/week", "-1/min", "5/"])
def test_a_rate_that_is_not_one_is_refused(text: str) -> None:
    with pytest.raises(ValueError, match="is not a rate"):
        Rate.parse(text)


def test_counts_grow_within_a_window_and_start_again_after_it() -> None:
    start = 1_800_000_000_000
    counts = [request_count_add(key="k", seconds=60, now_ms=start + i * 1000).count for i in range(3)]
    assert counts == [1, 2, 3]
    assert request_count_add(key="k", seconds=60, now_ms=start + 59_500).retry_after == 1
    again = request_count_add(key="k", seconds=60, now_ms=start + 60_000)
    assert (again.count, again.retry_after) == (1, 60)
    assert request_count_add(key="other", seconds=60, now_ms=start).count == 1


def test_an_undone_request_gives_its_count_back() -> None:
    request_count_add(key="k", seconds=60)
    request_count_add(key="k", seconds=60)
    request_count_undo(key="k")
    assert RequestCount.objects.get(key="k").count == 1


def test_a_limit_lets_exactly_its_number_through() -> None:
    answers = [rate_limited(key="api:token-1", rate=Rate(3, 60)) for _ in range(5)]
    assert answers[:3] == [None, None, None]
    assert all(wait is not None and 0 < wait <= 60 for wait in answers[3:])


def test_windows_that_ended_are_pruned(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr("usage.services._pruned_at_ms", 0)
    request_count_add(key="old", seconds=60, now_ms=1_000)
    request_count_add(key="new", seconds=60, now_ms=1_800_000_000_000)
    assert list(RequestCount.objects.values_list("key", flat=True)) == ["new"]
