"""One way to show a moment across the product: `{{ value|when }}` gives
<time datetime="2026-11-28T12:13:00+00:00">2026-11-28 12:13 UTC</time>, in the active time zone
with its abbreviation. `{{ value|when:"date" }}` shows the day only; a date (no time) gives
<time datetime="2026-11-28">2026-11-28</time>. Not for attributes, plain-text emails or SVG text:
it returns markup."""

from __future__ import annotations

import datetime as dt

from django import template
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import SafeString

register = template.Library()


@register.filter(is_safe=True)
def when(value: object, part: str = "") -> SafeString | str:
    """A datetime as "YYYY-MM-DD HH:MM TZ" in the active time zone, inside <time>; "" for None.
    `|when:"date"` shows the day only (still the day in the active time zone)."""
    if value is None or value == "":
        return ""
    if isinstance(value, dt.datetime):
        if timezone.is_naive(value):
            value = timezone.make_aware(value, timezone.get_default_timezone())
        local = timezone.localtime(value)
        if part == "date":
            return format_html(
                '<time datetime="{}">{}</time>', local.isoformat(timespec="seconds"), f"{local:%Y-%m-%d}"
            )
        shown = f"{local:%Y-%m-%d %H:%M} {local.tzname() or local.strftime('%z')}"
        return format_html('<time datetime="{}">{}</time>', local.isoformat(timespec="seconds"), shown)
    if isinstance(value, dt.date):
        return format_html('<time datetime="{}">{}</time>', value.isoformat(), value.isoformat())
    return str(value)


@register.simple_tag
def now_when() -> SafeString | str:
    """The current moment, shown as `when` shows it (needs no request and no database)."""
    return when(timezone.now())
