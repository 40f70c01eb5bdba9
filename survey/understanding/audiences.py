"""Reading audiences: predefined audiences, generations, ages and age ranges, and their labels."""

from __future__ import annotations

import re

from survey.catalog import (
    Audience,
    DatasetSpec,
)
from survey.expressions import Expression
from survey.lexicon import Generation

# The words questions are built of ("what share of … in …"): no topic is named by them.
from survey.understanding.known import Known
from survey.understanding.reading import Reading, Understanding

Bounds = tuple[int | None, int | None]

AGE_PATTERNS = [
    (r"\b(?:aged?|ages)\s+(\d\d)\s*(?:-|to)\s*(\d\d)\b", "range"),
    (r"\b(\d\d)\s*(?:-|to)\s*(\d\d)[- ]?(?:year[- ]olds?|yo|yr olds?)\b", "range"),
    (r"\bbetween (?:the ages of )?(\d\d) and (\d\d)\b", "range"),
    (r"\b(\d\d)\s*-\s*(\d\d)s?\b", "range"),
    (r"\b(?:over|older than|above|aged (\d\d)\+?|(\d\d)\+)\s*(\d\d)?s?\b", "over"),
    (r"\b(?:under|younger than|below)\s+(\d\d)s?\b", "under"),
]
# Groups named by age, as (youngest, oldest): the survey's own range decides what is covered.
AGE_GROUPS = [
    (r"\b(?:children|kids|under-?16s)\b", (0, 15)),
    (r"\b(?:teenagers|teens|teenage(?:rs)?|adolescents)\b", (13, 19)),
    (r"\b(?:pensioners|seniors|over-?65s|elderly)\b", (65, 99)),
]

HAVING_CHILDREN = r"\b(?:of|with|have|has|having|raising)\s+(?:(?:young|small|little|school-age|their)\s+)?$"


def _exclusive(a: Expression, b: Expression) -> bool:
    """Whether no respondent can be in both: two genders, or two age ranges that do not overlap."""
    if set(a) == set(b) == {"gender"}:
        return bool(a["gender"] != b["gender"])
    if set(a) == set(b) == {"age"}:
        return bool(a["age"][1] < b["age"][0] or b["age"][1] < a["age"][0])
    return False


def _names_audience(r: Reading) -> bool:
    return bool(r.audiences or r.negated or r.age or r.generation or r.answers)


def _and(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


def _age_range(
    bounds: Bounds | None, phrase: str, born: str, spec: DatasetSpec, result: Understanding
) -> tuple[Expression | None, str]:
    """The age range named, clipped to the ages the dataset surveys (an open bound is its limit).
    A range wholly outside them is not answered: the prompt asked about people the survey did not."""
    if bounds is None:
        return None, ""
    lo_limit, hi_limit = spec.age_range
    lo, hi = (lo_limit if bounds[0] is None else bounds[0]), (hi_limit if bounds[1] is None else bounds[1])
    clipped = (max(lo, lo_limit), min(hi, hi_limit))
    if clipped[0] > clipped[1]:
        worded = phrase and not re.match(r"(\d|over|under|older|younger|above|below|aged|ages|between)", phrase)
        asked = phrase if worded else f"people {phrase or f'aged {lo}-{hi}'}"
        result.outside.append(
            f"{spec.name} surveys people aged {lo_limit}-{hi_limit}; {asked} are outside it{born}, so it has no "
            "answer for them."
        )
        return None, ""
    if spec.age_bands and (refusal := _across_bands(clipped, spec)):
        result.outside.append(refusal)
        return None, ""
    if clipped != (lo, hi):
        asked = f"{phrase or 'the ages asked'}{born}"
        result.instead.append(
            f"the survey covers ages {lo_limit}-{hi_limit}, so {asked} means {clipped[0]}-{clipped[1]}"
        )
    result.understood.append(f"audience: aged {clipped[0]}-{clipped[1]}")
    return {"age": list(clipped)}, f"people aged {clipped[0]}-{clipped[1]}"


def _across_bands(ages: tuple[int, int], spec: DatasetSpec) -> str:
    """Why a range that cuts across the survey's age bands is not answered ("" when it follows
    them): a respondent's exact age is unknown inside a band, so any other answer would be for
    different people than were asked about."""
    bands = spec.age_bands
    if any(lo == ages[0] for lo, _ in bands) and any(hi == ages[1] for _, hi in bands):
        return ""
    covering = [band for band in bands if band[0] <= ages[1] and band[1] >= ages[0]] or list(bands)
    shown = ", ".join(f"{lo}+" if hi >= 99 else f"{lo}-{hi}" for lo, hi in bands)
    nearest = f"{covering[0][0]}+" if covering[-1][1] >= 99 else f"{covering[0][0]}-{covering[-1][1]}"
    return (
        f"{spec.name} records age in bands ({shown}), so it cannot answer for people aged {ages[0]}-{ages[1]} "
        f"exactly; ask for whole bands, e.g. aged {nearest}."
    )


def negated_name(name: str) -> str:
    """ "non-gamers"; a name of several words reads wrongly with "non-" ("non-frequent online shoppers"
    sounds like infrequent ones), so it becomes "people who are not frequent online shoppers"."""
    return f"non-{name.lower()}" if " " not in name.strip() else f"people who are not {name.lower()}"


def audience_label(names: list[str], age_label: str = "") -> str:
    """'people aged 25-34', 'Gen Z', 'Women aged 25-34', 'Gen Z (Women, Gamers)'."""
    if not names:
        return age_label
    label = names[0] + (f" ({', '.join(names[1:])})" if names[1:] else "")
    return label + (" " + age_label.removeprefix("people ") if age_label else "")


class Audiences(Known):
    """The interpreter's audience reading: mixed into `Interpreter`."""

    def _age(self, text: str) -> tuple[str, tuple[int | None, int | None] | None, str]:
        for pattern, group in AGE_GROUPS:
            match = re.search(pattern, text)
            if match and group[1] < 16 and re.search(HAVING_CHILDREN, text[: match.start()]):
                continue  # "parents of young children", "families with kids": who they live with, not who they are
            if match:
                return text[: match.start()] + " " + text[match.end() :], group, match.group(0)
        for pattern, kind in AGE_PATTERNS:
            match = re.search(pattern, text)
            if not match:
                continue
            numbers = [int(g) for g in match.groups() if g]
            if not numbers:
                continue
            bounds: tuple[int | None, int | None]
            if kind == "range" and len(numbers) >= 2:
                bounds = (min(numbers[:2]), max(numbers[:2]))
            elif kind == "over":
                bounds = (numbers[0] + (0 if "+" in match.group(0) or "aged" in match.group(0) else 1), None)
            elif kind == "under":
                bounds = (None, numbers[0] - 1)
            else:
                continue
            return text[: match.start()] + " " + text[match.end() :], bounds, match.group(0).strip()
        return text, None, ""

    def _audiences(self, text: str, reading: Reading) -> str:
        """Audience phrases, each with the ids it names; "non-gamers", "not gamers" and "people who
        aren't gamers" name the audience negated."""
        for phrase, ids in self.audience_phrases.items():
            if phrase.removeprefix("who ") not in text:  # every pattern needs it: skip the regexes (most phrases)
                continue
            negated = r"\b(?:non-|non |not |aren't |are not |isn't |is not )" + re.escape(phrase) + r"\b"
            if phrase.startswith("who "):  # "who shop online" → "who don't shop online", "who never game"
                negated += r"|\bwho (?:don't|do not|doesn't|does not|never) " + re.escape(phrase[4:]) + r"\b"
            if re.search(negated, text):
                text = re.sub(negated, " ", text)
                if ids not in reading.negated:
                    reading.negated.append(ids)
            pattern = r"\b" + re.escape(phrase) + r"\b"
            if re.search(pattern, text):
                text = re.sub(pattern, " ", text)
                if ids not in reading.audiences:
                    reading.audiences.append(ids)
        return text

    def _generation(self, text: str) -> tuple[str, Generation | None, str]:
        """A generation no dataset here has as an audience ("Gen Alpha", "the Silent Generation"):
        its ages follow from its birth years once the dataset's year is known."""
        for phrase, generation in self.generations:
            if phrase in text and (match := re.search(r"\b" + re.escape(phrase) + r"\b", text)):
                return text[: match.start()] + " " + text[match.end() :], generation, match.group(0)
        return text, None, ""

    def _ages(self, reading: Reading, spec: DatasetSpec, result: Understanding) -> tuple[Bounds | None, str, str]:
        """The ages named, and the phrase that named them; a generation's ages in the year of the data
        asked about (its latest year when no period is named), with its birth years."""
        g = reading.generation
        if g is None or reading.age is not None:
            return reading.age, reading.age_phrase, ""
        year = result.waves[-1].year if result.waves else spec.waves[-1].year
        lo, hi = g.ages(year)
        if hi < 0:  # nobody of it was born yet ("Gen Alpha" in a 1996 survey)
            return (lo, hi), reading.age_phrase, f" (born {g.born[0]}-{g.born[1]}, after {year})"
        return (lo, hi), reading.age_phrase, f" (born {g.born[0]}-{g.born[1]}, so aged {lo}-{hi} in {year})"

    def _predefined(
        self, named: list[tuple[str, ...]], spec: DatasetSpec, result: Understanding, negated: bool = False
    ) -> list[Audience]:
        found: list[Audience] = []
        for ids in named:
            # The dataset's own order decides a phrase two of its audiences share, as it always has.
            audience = next((a for a in spec.audiences if a.id in ids), None)
            if audience is None:
                # Named, but this dataset has no such audience: the answer's first sentence says so.
                result.instead.append(f"{spec.name} has no {self.audience_names[ids[0]]} audience, so it is left out")
            elif audience not in found:
                found.append(audience)
                result.understood.append(f"audience: {'not ' if negated else ''}{audience.name}")
        return found
