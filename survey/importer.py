"""Respondent-level survey data a research team already has, turned into a Spark Portal dataset.

Two sources, one result:
- an SPSS `.sav` file (read with pyreadstat): every variable with value labels becomes a
  single-choice question whose datapoints are its labelled values; every multiple-response set
  of dichotomies becomes a multiple-choice question whose datapoints are its variables (a
  respondent matches one when the variable holds the set's counted value); variables without
  labels are left out and listed;
- a CSV file with a codebook (TOML) that says the same in words (docs/import.md).

Structure is named by the caller: the weight, age and gender variables, and the market and wave
(fixed, or a variable whose labels name markets). The result is a dataset definition in the
shipped catalog's own format (checked by the same loader) plus column arrays; nothing is written
here. Every problem raises ImportProblem naming the variable and, for a value, where it is in the
file: the CSV file's own line number, or the `.sav` file's case number. Only the variables the
dataset uses are read as numbers, so a text column nothing uses never blocks an import; every
variable left out is listed with the reason.

Bad data is caught before anything is built: duplicated respondent IDs (with an ID variable) and
whole duplicated rows, ages that are not years (decimal ages are floored; ages recorded in bands,
such as "18-24" and "65+", are kept as bands), weights that are not positive numbers.
"""

from __future__ import annotations

import itertools
import math
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from survey.catalog import LOCATIONS, MAX_DATAPOINTS, CatalogError, DatasetSpec, Location, dataset_from_definition
from survey.data import SurveyData, from_columns
from survey.import_cells import labelled, plain_digits

CODE = re.compile(r"^[a-z][a-z0-9-]{1,38}$")


class ImportProblem(ValueError):
    """A file that cannot be imported as it is; the message names the variable (and row)."""


@dataclass(frozen=True)
class Structure:
    """What the file's variables mean, as the person importing it says."""

    code: str
    name: str
    description: str
    wave_name: str  # "1996", "Q4 2025"
    location: str = ""  # a market's code or name (every respondent), or empty with location_variable
    location_variable: str = ""  # a variable whose value labels (or values) name markets
    weight: str = ""  # empty: every respondent weighs the same
    age: str = ""
    gender: str = ""
    female: float | None = None  # the gender variable's value for women (others: men, unless `male`)
    male: float | None = None
    population_m: float | None = None  # the people the weights stand for (millions); None: no sizes
    universe: str = ""  # who the survey represents, in its own words ("renters in Ohio aged 18+, 2019")
    id: str = ""  # the respondent ID variable: every value present and unique
    allow_duplicate_rows: bool = False  # a short questionnaire may give two people identical rows
    age_bands: dict[float, str] = field(default_factory=dict)  # CSV: the age variable's codes as "18-24", "65+"


@dataclass
class Question:
    code: str
    name: str
    kind: str  # "single" | "multi"
    variables: list[str]  # single: one; multi: one per datapoint
    labels: list[tuple[float, str]] = field(default_factory=list)  # single: (value, label)
    names: list[str] = field(default_factory=list)  # multi: one datapoint name per variable
    counted: float = 1.0  # multi: the value that means "yes"


@dataclass
class Source:
    """A file's columns as read (numbers as floats with NaN for missing; text as objects), labels
    and the questions found in it. `lines` holds each respondent's line in a CSV file; a `.sav`
    file's respondents are its cases, numbered from 1.

    A file read in chunks (`survey.import_stream`) gives a chunk's columns with `first`, the index
    of its first respondent; the whole file's Source then holds only the structural columns, with
    `rows`, `variables`, each question's answers (or the problem found in them) and `repeat`, the
    first repeated row, found as the chunks went by."""

    columns: dict[str, np.ndarray]
    value_labels: dict[str, dict[float, str]]
    questions: list[Question]
    skipped: list[str] = field(default_factory=list)
    lines: Any = None  # a sequence of line numbers, one per respondent (CSV)
    first: int = 0
    rows: int | None = None
    variables: set[str] | None = None
    answered: list[np.ndarray | ImportProblem] | None = None
    repeat: Callable[[], tuple[int, int] | None] | None = None
    plain: dict[str, tuple[np.ndarray, np.ndarray]] = field(default_factory=dict)  # `plain_digits`, read once

    def at(self, variable: str, row: int) -> str:
        """Where the respondent at index `row` is, as the person would find them in the file."""
        if self.lines is not None:
            return f"column {variable}, line {self.lines[row]}"
        return f"variable {variable}, case {self.first + row + 1}"

    def place(self, row: int) -> str:
        return f"line {self.lines[row]}" if self.lines is not None else f"case {self.first + row + 1}"

    def numbers(self, variable: str) -> np.ndarray:
        """The variable as floats (NaN: no answer); ImportProblem at the first value that is not a number."""
        values = self.columns[variable]
        if values.dtype.kind in "iufb":
            return values.astype(np.float64)
        plain = self.plain[variable] if variable in self.plain else plain_digits(values)
        if plain is not None:
            return plain[0]
        out = np.empty(len(values))
        for row, value in enumerate(values):
            text = "" if value is None else str(value).strip()
            try:
                out[row] = float(text) if text else math.nan
            except ValueError:
                raise ImportProblem(f"{self.at(variable, row)}: “{text}” is not a number") from None
        return out


@dataclass(frozen=True)
class Imported:
    spec: DatasetSpec
    data: SurveyData
    definition: dict[str, Any]  # the dataset definition, as stored with the data version
    skipped: list[str]


def structural_variables(s: Structure) -> set[str]:
    return {v for v in (s.weight, s.age, s.gender, s.location_variable, s.id) if v}


def code_of(name: str) -> str:
    code = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return code if code and code[0].isalpha() else f"v_{code}"


# -- assembling ---------------------------------------------------------------------------------------
def assemble(source: Source, structure: Structure) -> Imported:
    """The dataset definition and its columns; ImportProblem naming the variable and where in the
    file if any value does not fit."""
    if not CODE.match(structure.code):
        raise ImportProblem(f"dataset code {structure.code!r}: use 2-39 lower-case letters, digits and dashes")
    n = source.rows if source.rows is not None else len(next(iter(source.columns.values()), []))
    if n == 0:
        raise ImportProblem("the file has no respondents")
    present = source.columns if source.variables is None else source.variables
    for variable in sorted(structural_variables(structure) | {v for q in source.questions for v in q.variables}):
        if variable not in present:
            raise ImportProblem(f"variable {variable}: not in the file")
    _refuse_duplicates(source, structure)
    markets, location = _locations(source, structure, n)
    weight = _weights(source, structure, n)
    age, bands = _ages(source, structure, n)
    gender = _genders(source, structure, n)
    questions = _unique_codes(source.questions)
    answers = {q.code: _answers(source, q, i) for i, q in enumerate(questions)}
    definition = _definition(structure, markets, questions, age, bands)
    try:
        spec = dataset_from_definition(definition)
    except CatalogError as exc:
        raise ImportProblem(str(exc).split(": ", 1)[-1]) from None
    wave = np.zeros(n, dtype=np.int16)
    if structure.population_m is not None:
        weight = _scaled(weight, location, markets, structure.population_m)
    data = from_columns(spec, location, wave, age, gender, weight, answers)
    return Imported(spec, data, definition, source.skipped)


def _codes(values: np.ndarray) -> np.ndarray:
    """Each value's position among the column's distinct values (missing values are one value)."""
    if values.dtype.kind in "iufb":
        return np.unique(values.astype(np.float64), return_inverse=True, equal_nan=True)[1].reshape(-1)
    text = np.array(["" if v is None else str(v).strip() for v in values], dtype=object)
    return np.unique(text.astype(str), return_inverse=True)[1].reshape(-1)


def _shown(value: Any) -> str:
    """A cell as the person wrote it ("" when empty): 102, not 102.0 or np.str_('102')."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return f"{value:g}" if isinstance(value, float) else str(value).strip()


def _first_repeat(keys: np.ndarray) -> tuple[int, int] | None:
    """(earlier, later) indexes of the first row whose key an earlier row already has."""
    _, first, inverse = np.unique(keys, axis=0, return_index=True, return_inverse=True)
    earlier = first[inverse.reshape(-1)]
    repeats = np.flatnonzero(earlier != np.arange(len(earlier)))
    return (int(earlier[repeats[0]]), int(repeats[0])) if repeats.size else None


def _refuse_duplicates(source: Source, s: Structure) -> None:
    """A respondent ID given twice, or a whole row given twice, is a file assembled wrongly (rows
    appended twice, a merge gone wrong): counting those people twice would skew every number."""
    if s.id:
        ids = source.columns[s.id]
        if ids.dtype.kind in "iufb":
            none = np.flatnonzero(np.isnan(ids.astype(np.float64)))
        else:
            none = np.flatnonzero([not _shown(v) for v in ids])
        if none.size:
            raise ImportProblem(f"{source.at(s.id, int(none[0]))}: no respondent ID")
        if pair := _first_repeat(_codes(ids)):
            raise ImportProblem(
                f"{source.at(s.id, pair[1])}: respondent ID {_shown(ids[pair[1]])} is also at {source.place(pair[0])}"
            )
    if s.allow_duplicate_rows:
        return
    if source.repeat is not None:
        pair = source.repeat()
    else:
        pair = _first_repeat(np.stack([_codes(values) for values in source.columns.values()], axis=1))
    if pair:
        raise ImportProblem(
            f"{source.place(pair[1])} repeats {source.place(pair[0])} exactly (every column); remove the copy, "
            "or, if two respondents really answered alike, say so (--allow-duplicate-rows)"
        )


def _locations(source: Source, s: Structure, n: int) -> tuple[list[Location], np.ndarray]:
    if bool(s.location) == bool(s.location_variable):
        raise ImportProblem("name the market: either one for everyone (--location) or a variable (--location-variable)")
    if s.location:
        return [_market(s.location, "--location")], np.zeros(n, dtype=np.int16)
    values = source.columns[s.location_variable]
    labels = source.value_labels.get(s.location_variable, {})
    markets: list[Location] = []
    _, first, inverse = _distinct(values)
    of_value = np.empty(len(first), dtype=np.int16)
    for value in np.argsort(first, kind="stable"):  # each distinct value once, in the file's order
        row = int(first[value])
        name = _location_name(values[row], labels)
        if not name:
            raise ImportProblem(f"{source.at(s.location_variable, row)}: no market")
        market = _market(name, source.at(s.location_variable, row))
        if market not in markets:
            markets.append(market)
        of_value[value] = markets.index(market)
    return markets, of_value[inverse]


def _distinct(values: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The column's distinct values (numbers: NaN one value; anything else as itself), each one's
    first row, and each row's distinct value."""
    if values.dtype.kind in "iufb":
        return np.unique(values.astype(np.float64), return_index=True, return_inverse=True, equal_nan=True)
    seen: dict[Any, int] = {}
    inverse = np.array([seen.setdefault(v, len(seen)) for v in values], dtype=np.int64)
    first = np.full(len(seen), len(values), dtype=np.int64)
    np.minimum.at(first, inverse, np.arange(len(values)))
    return np.array(list(seen), dtype=object), first, inverse


def _location_name(value: Any, labels: dict[float, str]) -> str:
    """A market named by a labelled number or by its own text ("" when there is none)."""
    if isinstance(value, str):
        return value.strip()
    if value is None or math.isnan(value):
        return ""
    return labels.get(float(value), f"{value:g}")


def _market(name: str, where: str) -> Location:
    wanted = name.strip().lower()
    for location in LOCATIONS:
        if wanted in {location.code.lower(), location.name.lower(), *location.aliases}:
            return location
    raise ImportProblem(f"{where}: “{name}” is not a market Spark Portal knows (a code or name from locations.toml)")


def _weights(source: Source, s: Structure, n: int) -> np.ndarray:
    if not s.weight:
        return np.ones(n)
    weight = source.numbers(s.weight)
    bad = np.flatnonzero(~(weight > 0))  # NaN, zero and negative weights alike
    if bad.size:
        shown = "missing" if math.isnan(weight[bad[0]]) else f"{weight[bad[0]]:g}"
        raise ImportProblem(f"{source.at(s.weight, int(bad[0]))}: weight {shown} (must be above 0)")
    return weight.astype(np.float64)


OPEN_AGE = 99  # the upper end of an open band such as "65+"
_BAND = re.compile(r"^(\d{1,3})\s*(?:-|–|—|to)\s*(\d{1,3})(?:\s*years?(?: old)?)?$")
_OPEN_BAND = re.compile(r"^(\d{1,3})\s*(?:\+|plus|and (?:over|older|above)|or (?:over|older|more))$")
_UNDER_BAND = re.compile(r"^(?:under|younger than|below|less than)\s*(\d{1,3})$")


def age_band(label: str) -> tuple[int, int] | None:
    """The ages an age band's label covers ("18-24", "25 to 34", "65+", "under 18"), or None."""
    text = " ".join(label.lower().split())
    if m := _BAND.match(text):
        lo, hi = int(m.group(1)), int(m.group(2))
        return (lo, hi) if lo <= hi else None
    if m := _OPEN_BAND.match(text):
        return int(m.group(1)), max(int(m.group(1)), OPEN_AGE)
    if (m := _UNDER_BAND.match(text)) and int(m.group(1)) > 1:
        return 1, int(m.group(1)) - 1  # nobody surveyed is aged 0
    return None


def _bands(source: Source, s: Structure) -> dict[float, tuple[int, int]]:
    """The age variable's bands when its codes stand for ranges (every label one; CSV: the
    codebook's age_bands); {} when it holds years."""
    labels = source.value_labels.get(s.age, {})
    ranges = {code: age_band(label) for code, label in labels.items()}
    if not labels or (not s.age_bands and (len(labels) < 2 or None in ranges.values())):
        return {}
    if unreadable := [labels[code] for code, r in ranges.items() if r is None]:
        raise ImportProblem(f"age bands: “{unreadable[0]}” is not an age range (e.g. “18-24”, “65+”)")
    spans = sorted(r for r in ranges.values() if r)
    for (_, hi), (lo, _) in itertools.pairwise(spans):
        if lo <= hi:
            raise ImportProblem(f"age bands overlap: {', '.join(f'{a}-{b}' for a, b in spans)}")
    return {code: r for code, r in ranges.items() if r}


def _ages(source: Source, s: Structure, n: int) -> tuple[np.ndarray, list[tuple[int, int]]]:
    """Each respondent's age (-1: unknown), floored to whole years; a banded age is stored as its
    band's youngest age, and the bands are returned so answers keep to them."""
    if not s.age:
        return np.full(n, -1, dtype=np.int8), []
    ages = source.numbers(s.age)
    if bands := _bands(source, s):
        codes = np.array(list(bands), dtype=np.float64)
        youngest = np.array([band[0] for band in bands.values()], dtype=np.int8)
        at = np.searchsorted(codes, ages, sorter=np.argsort(codes))
        at = np.argsort(codes)[np.minimum(at, len(codes) - 1)]
        banded = codes[at] == ages
        if (bad := np.flatnonzero(~banded & ~np.isnan(ages))).size:
            row = int(bad[0])
            raise ImportProblem(f"{source.at(s.age, row)}: age code {ages[row]:g} is not one of the age bands")
        return np.where(banded, youngest[at], -1).astype(np.int8), sorted(bands.values())
    if (bad := np.flatnonzero(~np.isnan(ages) & ~((ages >= 0) & (ages < 121)))).size:
        row = int(bad[0])
        raise ImportProblem(f"{source.at(s.age, row)}: age {ages[row]:g} (years, 0-120)")
    return np.where(np.isnan(ages), -1, np.floor(ages)).astype(np.int8), []


def _genders(source: Source, s: Structure, n: int) -> np.ndarray:
    gender = np.full(n, -1, dtype=np.int8)  # neither women nor men (not asked, or not answered)
    if not s.gender:
        return gender
    if s.female is None:
        raise ImportProblem(f"variable {s.gender}: say which value means women (--female)")
    values = source.numbers(s.gender)
    gender[values == s.female] = 1
    male = (values != s.female) & ~np.isnan(values) if s.male is None else values == s.male
    gender[male] = 0
    return gender


def _unique_codes(questions: list[Question]) -> list[Question]:
    seen: set[str] = set()
    for question in questions:
        code, i = question.code, 2
        while code in seen:
            code, i = f"{question.code}_{i}", i + 1
        question.code = code
        seen.add(code)
    return questions


def _answers(source: Source, q: Question, index: int) -> np.ndarray:
    if len(q.labels if q.kind == "single" else q.variables) > MAX_DATAPOINTS[q.kind]:
        raise ImportProblem(f"{q.variables[0]}: a question holds at most {MAX_DATAPOINTS[q.kind]} answers")
    if source.answered is None:
        return answer_values(source, q)
    answered = source.answered[index]
    if isinstance(answered, ImportProblem):
        raise answered
    return answered


def answer_values(source: Source, q: Question) -> np.ndarray:
    """Each respondent's answer to `q`: a datapoint index (single, -1 none) or a bitmask (multi)."""
    if q.kind == "single":
        (variable,) = q.variables
        values = source.numbers(variable)
        index, found = labelled(values, [value for value, _ in q.labels])
        if (bad := np.flatnonzero(~found & ~np.isnan(values))).size:
            row = int(bad[0])
            raise ImportProblem(f"{source.at(variable, row)}: value {values[row]:g} has no label")
        return np.where(found, index, -1).astype(np.int8)
    bits = np.zeros(len(source.columns[q.variables[0]]), dtype=np.uint32)
    for j, variable in enumerate(q.variables):
        bits |= (source.numbers(variable) == q.counted).astype(np.uint32) << np.uint32(j)
    return bits


def _definition(
    s: Structure, markets: list[Location], questions: list[Question], age: np.ndarray, bands: list[tuple[int, int]]
) -> dict[str, Any]:
    known = age[age >= 0]
    youngest, oldest = (
        (bands[0][0], bands[-1][1]) if bands else (int(known.min()), int(known.max())) if known.size else (16, 64)
    )
    year_match = re.search(r"(\d{4})", s.wave_name)
    quarter_match = re.search(r"\bQ([1-4])\b", s.wave_name, re.IGNORECASE)
    if not year_match:
        raise ImportProblem(f'wave {s.wave_name!r}: name it with its year, e.g. "1996" or "Q4 2025"')
    year = int(year_match.group(1))
    quarter = int(quarter_match.group(1)) if quarter_match else 4
    return {
        "code": s.code,
        "name": s.name,
        "description": s.description or f"Imported survey: {s.name}",
        "universe": " ".join(s.universe.split()) or f"respondents of the {s.name} survey",
        "sized": s.population_m is not None,
        "age_range": [max(1, youngest), max(1, oldest)],
        **({"age_bands": [list(band) for band in bands]} if bands else {}),
        "default_respondents": len(age),
        "locations": [m.code for m in markets],
        "waves": [{"code": f"w{year}_q{quarter}", "name": s.wave_name, "year": year, "quarter": quarter}],
        "questions": [_question_definition(q) for q in questions],
        "audiences": _gender_audiences(s),
    }


def _gender_audiences(s: Structure) -> list[dict[str, Any]]:
    """ "Women" and "men" in prompts, when the import named the gender variable (never otherwise: a
    survey that does not record gender has no answer for them)."""
    if not s.gender:
        return []
    return [
        {
            "id": g,
            "name": g.title(),
            "description": f"Respondents the survey records as {g}",
            "expression": {"gender": v},
        }
        for g, v in (("women", "female"), ("men", "male"))
    ]


def _question_definition(q: Question) -> dict[str, Any]:
    if q.kind == "single":
        named = [(f"{q.code}_{code_of(f'{value:g}')}", label) for value, label in q.labels]
    else:
        named = [(code_of(variable), name) for variable, name in zip(q.variables, q.names, strict=True)]
    return {
        "code": q.code,
        "namespace": "q",
        "kind": q.kind,
        "name": q.name,
        "description": q.name,
        "datapoints": [
            {"code": code, "name": label, "phrase": f"answer “{label}” to “{q.name}”"} for code, label in named
        ],
    }


def _scaled(weight: np.ndarray, location: np.ndarray, markets: list[Location], population_m: float) -> np.ndarray:
    """Weights summing to the population the import gave (one market), so sizes are people. Without
    one the file's own weights are kept and no size is ever stated: another market's internet
    population is not this survey's universe."""
    if not (population_m > 0 and math.isfinite(population_m)):
        raise ImportProblem(f"--population {population_m:g}: the millions of people the survey represents (above 0)")
    if len(markets) != 1:
        names = ", ".join(m.name for m in markets)
        raise ImportProblem(f"--population is one market's, and the file has {len(markets)} ({names})")
    return weight * (population_m * 1e6 / weight.sum())
