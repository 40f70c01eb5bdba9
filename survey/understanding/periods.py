"""Reading time: quarters, years and relative periods, and the waves of a dataset they mean."""

from __future__ import annotations

import datetime as dt
import re

from survey.catalog import (
    Wave,
)

# The words questions are built of ("what share of … in …"): no topic is named by them.
from survey.understanding.known import Known
from survey.understanding.reading import Reading, Time, Understanding
from survey.understanding.words import ORDINALS


def _names_time(r: Reading) -> bool:
    return bool(r.time.quarters or r.time.year or r.time.years_ago is not None)


def _waves(time: Time, waves: list[Wave], today: dt.date, result: Understanding) -> None:
    """The dataset's waves for the time named; a year it has no waves for falls back to its latest."""
    if time.quarters:
        chosen = [w for w in waves if (w.quarter, w.year) in time.quarters]
        missing = [f"Q{q} {y}" for q, y in time.quarters if not any(w.quarter == q and w.year == y for w in waves)]
        result.waves = chosen
        result.understood += [f"time: {w.name}" for w in chosen]
        if missing and chosen:
            result.instead.append(
                f"there is no survey wave for {', '.join(missing)} (available: {waves[0].name} to {waves[-1].name})"
            )
        elif missing:
            result.outside.append(
                f"The survey has no data for {', '.join(missing)}: its waves run from {waves[0].name} to "
                f"{waves[-1].name}."
            )
        return
    year = today.year - time.years_ago if time.years_ago is not None else time.year
    if year is not None:
        chosen = [w for w in waves if w.year == year]
        if not chosen:
            years = sorted({w.year for w in waves})
            span = str(years[0]) if len(years) == 1 else f"{years[0]} to {years[-1]}"
            result.outside.append(f"The survey has no data for {year}: its waves cover {span}.")
            return
        result.waves = chosen
        result.understood.append(f"time: {year} ({len(chosen)} waves)")
    elif time.latest:
        result.waves = [waves[-1]]
        result.understood.append(f"time: {waves[-1].name} (latest)")


class Periods(Known):
    """The interpreter's time reading: mixed into `Interpreter`."""

    # -- reading: what the prompt says, whichever dataset answers ---------------------------------
    def _take(self, text: str, pattern: str) -> tuple[str, list[re.Match[str]]]:
        found = list(re.finditer(pattern, text))
        return re.sub(pattern, " ", text), found

    def _time(self, text: str) -> tuple[str, Time]:
        text, found = self._take(text, r"\bq([1-4])\s*(?:of\s+)?(20\d\d)\b")
        text, found2 = self._take(text, r"\b(first|second|third|fourth|1st|2nd|3rd|4th) quarter (?:of )?(20\d\d)\b")
        picked = [(int(m.group(1)), int(m.group(2))) for m in found]
        picked += [(ORDINALS[m.group(1)], int(m.group(2))) for m in found2]
        if picked:
            return text, Time(quarters=tuple(picked))
        text, last_year = self._take(text, r"\b(last|previous|past) year\b")
        text, this_year = self._take(text, r"\bthis year\b")
        text, years = self._take(text, r"\b(?:in |during |for )?(20\d\d)\b")
        text, latest = self._take(text, r"\b(latest|most recent|recent|currently|right now|today|last quarter)\b")
        if last_year:
            return text, Time(years_ago=1)
        if this_year:
            return text, Time(years_ago=0)
        if years:
            named = tuple(dict.fromkeys(int(m.group(1)) for m in years))
            return text, Time(year=named[-1], years=named if len(named) > 1 else ())
        return text, Time(latest=bool(latest))
