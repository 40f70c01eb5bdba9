"""Comparisons and breakdowns composed: sides computed one by one and the answers that differ most
between them (pure: no Django, no storage)."""

from __future__ import annotations

from dataclasses import replace
from typing import NamedTuple

from survey.answers import Answer, Unanswerable, finished, period, sources, universe
from survey.catalog import Question
from survey.compare import Side, difference, side_by_side
from survey.data import SurveyData
from survey.engine import Crosstab, Metrics
from survey.expressions import Expression
from survey.framing import Frame, Stated, label_of, restate, state
from survey.kinds import Dimension
from survey.phrasing import object_, wave_phrase
from survey.ranking import Candidate, defining
from survey.understanding import Comparison, Understanding

COMPARED_PAIRS = 3
MAX_SIDES = 12


class Differing(NamedTuple):
    """An answer that differs between the sides: its question, datapoint, and each side's metrics."""

    question: Question
    datapoint_index: int
    rows: list[Metrics]


def compare(data: SurveyData, base: Frame, c: Comparison, kept: Expression | None) -> Answer:
    """Two sides, each computed on its own and stated (so each number can be explored), then the
    differences in points and the index of one side against the other. In a follow-up, each side's
    audience restates the chat's (`kept`): "Gen Z vs millennials?" after women keeps women."""
    if base.profile:
        raise Unanswerable("Name a topic to compare on, e.g. “TikTok among Gen Z vs millennials in Germany”.")
    sides = [_side(base, side, c.dimension, kept) for side in c.sides]
    names = [_side_name(f, c.dimension) for f in sides]
    named = [name.split(" ", 1)[1] for name in names]
    sides_said = f"{named[0]} with {named[1]}" if len(named) == 2 else f"{', '.join(named[:-1])} and {named[-1]}"
    header = f"Comparing {sides_said} {_shared(base, c.dimension)}"
    return _side_by_side(data, base, sides, c.dimension, header)


def _side_by_side(
    data: SurveyData, base: Frame, sides: list[Frame], dimension: Dimension, header: str,
    notes: list[str] | None = None,
) -> Answer:  # fmt: skip
    """Sides computed one by one; the answers that differ most between them, each side's number
    stated as an insight; two sides get the difference in points and the index of one against the
    other, more sides the spread between the highest and the lowest."""
    bases = [Side(f.audience, *(tuple(i) for i in f.indexes())) for f in sides]
    tables = side_by_side(data, [q.code for q in base.questions], bases)
    names = [_side_name(f, dimension) for f in sides]
    stated: list[Stated] = []
    lines = [f"{header}, {'; '.join(q.name[0].lower() + q.name[1:] for q in base.questions)}:"]
    for d in _differences(base, sides, tables):
        stated += [
            state(f, Candidate(d.question, d.datapoint_index, m, "percentage", 0.0))
            for f, m in zip(sides, d.rows, strict=True)
        ]
        lines.append(_difference_line(d.question.datapoints[d.datapoint_index].name, names, d.rows))
    if len(lines) == 1:
        lines[0] += " no answer has samples large enough on every side to compare."
    found = sources(sides[0])
    for other in (sources(f) for f in sides[1:]):
        found.audiences += [a for a in other.audiences if a not in found.audiences]
        found.locations += [loc for loc in other.locations if loc not in found.locations]
        found.waves += [w for w in other.waves if w not in found.waves]
    note = (
        f"Compared by {dimension}: each side is computed on its own, and every number above is an insight to explore."
    )
    return finished(sides[0], stated, "\n".join(lines), found, [note, *(notes or [])])


def breakdown(data: SurveyData, base: Frame) -> Answer:
    """One side per generation, gender, market or region of the question's base."""
    if base.profile:
        raise Unanswerable("Name a topic to break down, e.g. “TikTok use in Germany by age group”.")
    kind, spec = base.understood.breakdown, base.spec
    notes: list[str] = []
    dimension: Dimension
    if kind in ("generation", "gender"):
        wanted = "age" if kind == "generation" else "gender"
        groups = [a for a in spec.audiences if set(a.expression) == {wanted}]
        if len(groups) < 2:
            raise Unanswerable(f"{spec.name} has no {kind} groups to break down by.")
        sides = [_with_part(base, {"audience": a.id}) for a in groups]
        dimension = "audience"
    else:
        markets = base.locations if len(base.locations) > 1 else list(spec.locations)
        if kind == "region":
            regions = list(dict.fromkeys(loc.region for loc in markets))
            sides = [replace(base, locations=[loc for loc in markets if loc.region == r]) for r in regions]
        else:
            sides = [replace(base, locations=[loc]) for loc in markets[:MAX_SIDES]]
            if len(markets) > MAX_SIDES:
                left_out = ", ".join(loc.name for loc in markets[MAX_SIDES:])
                notes.append(
                    f"The first {MAX_SIDES} of {len(markets)} markets, in the dataset's order; not shown: {left_out}."
                )
        dimension = "location"
    if len(sides) < 2:
        raise Unanswerable(f"There is only one {kind} in {base.place} to break down by.")
    return _side_by_side(data, base, sides, dimension, f"By {kind} {_shared(base, dimension)}", notes)


def _with_part(base: Frame, part: Expression) -> Frame:
    """The base's audience with one part restated (a generation or a gender), the rest kept."""
    audience, _ = restate(base.spec, base.base_audience, part)
    label, ids = label_of(base.spec, audience)
    return replace(base, base_audience=audience, base_label=label, audience_ids=ids)


def _shared(base: Frame, dimension: Dimension) -> str:
    """What the sides have in common, for the header."""
    return {
        "audience": f"in {base.place} ({period(base.spec, base.waves)})",
        "location": f"for {object_(base.label)} ({period(base.spec, base.waves)})",
        "time": f"for {object_(base.label)} in {base.place}" + (f" ({own})" if (own := universe(base.spec)) else ""),
    }[dimension]


def _side(base: Frame, side: Understanding, dimension: Dimension, kept: Expression | None) -> Frame:
    if dimension == "audience" and kept is not None and side.audience is not None:
        return _with_part(replace(base, base_audience=kept), side.audience)
    if dimension == "audience":
        return replace(base, base_audience=side.audience, base_label=side.audience_label,
                       audience_ids=[a.id for a in side.audiences])  # fmt: skip
    if dimension == "location":
        return replace(base, locations=side.locations or base.locations)
    return replace(base, waves=side.waves or base.waves)


def _differences(base: Frame, sides: list[Frame], tables: list[list[Crosstab]]) -> list[Differing]:
    """The answers that differ most between the sides (weighted by the thinnest side's support).
    `tables`: per question, its crosstab side by side."""
    excluded = set().union(*(defining(f.audience, base.spec) for f in sides))
    found: list[tuple[float, Differing]] = []
    for i, question in enumerate(base.questions):
        for j, dp in enumerate(question.datapoints):
            key = f"{question.code}.{dp.code}"
            rows = [table.rows[j] for table in tables[i]]
            differ = difference(rows)
            if key in excluded or differ is None:
                continue
            if any(m.low_confidence for m in rows) and key not in base.focus:
                continue
            support = min(1.0, *(m.positive_sample / 200 for m in rows)) if key not in base.focus else 1000.0
            found.append((abs(differ.points) * support, Differing(question, j, rows)))
    found.sort(key=lambda f: -f[0])
    return [d for _, d in found[:COMPARED_PAIRS]]


def _side_name(f: Frame, dimension: Dimension) -> str:
    """How a side is named after a percentage: "of Gen Z", "in the United Kingdom", "in Q1 2024"."""
    if dimension == "audience":
        return f"of {object_(f.label)}"
    return f"in {f.place}" if dimension == "location" else f"in {wave_phrase(f.waves)}"


def _difference_line(answer: str, names: list[str], rows: list[Metrics]) -> str:
    """ "TikTok: 87% of Gen Z vs 59% of millennials (+27.6 points; index 147)": the difference from the
    exact percentages and the index of the first side against the second (100 = the same); with more
    sides, each side's share and the spread between the highest and the lowest."""
    shares = [m.audience_percentage or 0.0 for m in rows]
    differ = difference(rows)
    assert differ is not None  # _differences keeps only answers every side has a share for
    if len(rows) == 2:
        index = "" if differ.index is None else f"; index {differ.index:.0f}"
        pair = f"{shares[0]:.0f}% {names[0]} vs {shares[1]:.0f}% {names[1]}"
        return f"- {answer}: {pair} ({differ.points:+.1f} points{index})"
    each = ", ".join(f"{p:.0f}% {name}" for p, name in zip(shares, names, strict=True))
    return f"- {answer}: {each} (spread {differ.points:.1f} points)"
