"""`{{ value|when }}`: one date format, with the time zone, across the product."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from django.template import Context, Template
from django.utils import timezone

from accounts.templatetags.spark_dates import when

UTC = dt.UTC
MOMENT = dt.datetime(2026, 11, 28, 12, 13, 45, tzinfo=UTC)


def test_utc() -> None:
    assert when(MOMENT) == '<time datetime="2026-11-28T12:13:45+00:00">2026-11-28 12:13 UTC</time>'


def test_active_time_zone_and_its_abbreviation() -> None:
    with timezone.override(ZoneInfo("Europe/London")):
        assert when(MOMENT) == '<time datetime="2026-11-28T12:13:45+00:00">2026-11-28 12:13 GMT</time>'
        summer = dt.datetime(2026, 7, 1, 12, 0, tzinfo=UTC)
        assert when(summer) == '<time datetime="2026-07-01T13:00:00+01:00">2026-07-01 13:00 BST</time>'
    with timezone.override(ZoneInfo("America/New_York")):
        assert when(MOMENT) == '<time datetime="2026-11-28T07:13:45-05:00">2026-11-28 07:13 EST</time>'


def test_the_day_only_is_the_day_in_the_active_time_zone() -> None:
    assert when(MOMENT, "date") == '<time datetime="2026-11-28T12:13:45+00:00">2026-11-28</time>'
    with timezone.override(ZoneInfo("Pacific/Auckland")):
        assert when(MOMENT, "date") == '<time datetime="2026-11-29T01:13:45+13:00">2026-11-29</time>'


def test_naive_datetimes_are_taken_in_the_default_time_zone() -> None:
    assert when(dt.datetime(2026, 11, 28, 12, 13)) == when(dt.datetime(2026, 11, 28, 12, 13, tzinfo=UTC))


def test_dates_and_nothing() -> None:
    assert when(dt.date(2026, 11, 28)) == '<time datetime="2026-11-28">2026-11-28</time>'
    assert when(None) == "" and when("") == ""


def test_in_a_template_it_is_markup_not_text() -> None:
    page = Template("{% load spark_dates %}<p>{{ moment|when }}</p><p>{{ missing|when }}</p>")
    assert page.render(Context({"moment": MOMENT})) == (
        '<p><time datetime="2026-11-28T12:13:45+00:00">2026-11-28 12:13 UTC</time></p><p></p>'
    )


def test_now_when_is_the_current_minute() -> None:
    shown = Template("{% load spark_dates %}{% now_when %}").render(Context())
    now = timezone.now()
    assert f">{now:%Y-%m-%d %H:}" in shown or f">{now - dt.timedelta(minutes=1):%Y-%m-%d %H:}" in shown
    assert shown.startswith('<time datetime="') and shown.endswith(" UTC</time>")
