"""Respondent-level survey data a research team already has, turned into a Spark dataset.

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
here. Every problem raises ImportProblem naming the variable and, for a value, the row (1-based,
as in the file).
"""

from __future__ import annotations

import csv
import math
import re
import tomllib
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyreadstat

from survey.catalog import LOCATIONS, MAX_DATAPOINTS, CatalogError, DatasetSpec, Location, dataset_from_definition
from survey.data import SurveyData, from_columns

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
    population_m: float | None = None  # what the weights sum to per market and wave (millions)


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
    """A file's columns (float arrays, NaN = missing), labels and the questions found in it."""

    columns: dict[str, np.ndarray]
    value_labels: dict[str, dict[float, str]]
    questions: list[Question]
    skipped: list[str] = field(default_factory=list)


@dataclass(frozen=True)
class Imported:
    spec: DatasetSpec
    data: SurveyData
    definition: dict[str, Any]  # the dataset definition, as stored with the data version
    skipped: list[str]


# -- reading -----------------------------------------------------------------------------------------
def read_sav(path: Path, structure: Structure) -> Source:
    try:
        columns, meta = pyreadstat.read_sav(str(path), output_format="dict")
    except Exception as exc:  # pyreadstat raises its own ReadstatError and plain OSErrors
        raise ImportProblem(f"not a readable SPSS file ({exc})") from None
    floats = {name: _numeric(name, values) for name, values in columns.items()}
    labels = {v: {float(k): str(t) for k, t in m.items()} for v, m in meta.variable_value_labels.items()}
    titles = dict(zip(meta.column_names, meta.column_labels or [None] * len(meta.column_names), strict=True))
    sets: dict[str, Question] = {}  # each multiple-response set, by its first variable
    in_sets: set[str] = set()
    for set_name, mr in (meta.mr_sets or {}).items():
        if not mr.get("is_dichotomy"):
            raise ImportProblem(f"multiple-response set {set_name}: only dichotomy sets are supported")
        variables = list(mr["variable_list"])
        counted = float(mr["counted_value"] if mr["counted_value"] is not None else 1)
        names = [titles.get(v) or v for v in variables]
        sets[variables[0]] = Question(
            _code(set_name), mr.get("label") or set_name, "multi", variables, [], names, counted
        )
        in_sets.update(variables)
    structural = _structural(structure)
    questions, skipped = [], []
    for name in meta.column_names:  # in the file's order; a set where its first variable is
        if name in sets:
            questions.append(sets[name])
        elif name in structural or name in in_sets:
            continue
        elif name not in labels:
            skipped.append(f"{name} (no value labels)")
        else:
            questions.append(
                Question(_code(name), titles.get(name) or name, "single", [name], sorted(labels[name].items()))
            )
    return Source(floats, labels, questions, skipped)


def read_csv(path: Path, codebook_path: Path) -> tuple[Structure, Source]:
    """A CSV file (a header row, then one respondent per row) and its codebook (docs/import.md)."""
    try:
        with codebook_path.open("rb") as handle:
            book = tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ImportProblem(f"codebook {codebook_path.name}: not readable ({exc})") from None
    structure = _codebook_structure(f"codebook {codebook_path.name}", book)
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            rows = list(csv.reader(handle))
    except (OSError, UnicodeDecodeError) as exc:
        raise ImportProblem(f"not a readable CSV file ({exc})") from None
    if not rows:
        raise ImportProblem("the file is empty")
    header, body = rows[0], rows[1:]
    for number, row in enumerate(body, start=2):
        if len(row) != len(header):
            raise ImportProblem(f"row {number} has {len(row)} fields, the header {len(header)}")
    questions, labels = _codebook_questions(f"codebook {codebook_path.name}", book)
    columns = {}
    for i, name in enumerate(header):
        cells = [row[i] for row in body]
        if name == structure.location_variable:  # markets by name or code: numbered, the text as labels
            names = list(dict.fromkeys(cell.strip() for cell in cells))
            labels[name] = {float(n): text for n, text in enumerate(names)}
            columns[name] = np.array([float(names.index(cell.strip())) for cell in cells])
        else:
            columns[name] = _csv_numbers(name, cells)
    return structure, Source(columns, labels, questions)


def _codebook_structure(where: str, book: dict[str, Any]) -> Structure:
    known = {"code", "name", "description", "wave", "location", "location_variable", "weight", "age", "gender",
             "female", "male", "population_m", "questions"}  # fmt: skip
    if unknown := sorted(set(book) - known):
        raise ImportProblem(f"{where}: unknown key {unknown[0]!r} (expected {', '.join(sorted(known))})")
    for key in ("code", "name", "wave"):
        if not isinstance(book.get(key), str):
            raise ImportProblem(f"{where}: {key!r} is required (a string)")
    return Structure(
        code=book["code"],
        name=book["name"],
        description=str(book.get("description", "")),
        wave_name=book["wave"],
        location=str(book.get("location", "")),
        location_variable=str(book.get("location_variable", "")),
        weight=str(book.get("weight", "")),
        age=str(book.get("age", "")),
        gender=str(book.get("gender", "")),
        female=book.get("female"),
        male=book.get("male"),
        population_m=book.get("population_m"),
    )


def _codebook_questions(where: str, book: dict[str, Any]) -> tuple[list[Question], dict[str, dict[float, str]]]:
    questions, labels = [], {}
    for number, entry in enumerate(book.get("questions", []), start=1):
        name = entry.get("name")
        if not isinstance(name, str) or not name:
            raise ImportProblem(f"{where}: question {number} needs a name")
        if "column" in entry:
            values = entry.get("values")
            if not isinstance(values, dict) or not values:
                raise ImportProblem(f'{where}: question {number} ({name}) needs its values, e.g. 1 = "Yes"')
            try:
                pairs = sorted((float(k), str(v)) for k, v in values.items())
            except ValueError:
                raise ImportProblem(f"{where}: question {number} ({name}): values must be numbers") from None
            column = str(entry["column"])
            labels[column] = dict(pairs)
            questions.append(Question(_code(entry.get("code") or column), name, "single", [column], pairs))
        elif isinstance(entry.get("columns"), dict) and entry["columns"]:
            variables = [str(c) for c in entry["columns"]]
            names = [str(v) for v in entry["columns"].values()]
            counted = float(entry.get("counted", 1))
            code = _code(entry.get("code") or name)
            questions.append(Question(code, name, "multi", variables, [], names, counted))
        else:
            raise ImportProblem(
                f"{where}: question {number} ({name}) needs 'column' (one answer) or 'columns' (several)"
            )
    return questions, labels


def _numeric(name: str, values: Any) -> np.ndarray:
    array = np.asarray(values)
    if array.dtype.kind in "iufb":
        return array.astype(np.float64)
    for row, value in enumerate(array, start=1):
        if value is not None and not isinstance(value, int | float):
            raise ImportProblem(f"variable {name}, row {row}: {value!r} is not a number (only numeric variables)")
    return np.array([math.nan if v is None else float(v) for v in array])


def _csv_numbers(name: str, cells: list[str]) -> np.ndarray:
    out = np.empty(len(cells))
    for row, cell in enumerate(cells, start=2):
        text = cell.strip()
        if not text:
            out[row - 2] = math.nan
            continue
        try:
            out[row - 2] = float(text)
        except ValueError:
            raise ImportProblem(f"column {name}, row {row}: {cell!r} is not a number") from None
    return out


def _structural(s: Structure) -> set[str]:
    return {v for v in (s.weight, s.age, s.gender, s.location_variable) if v}


def _code(name: str) -> str:
    code = re.sub(r"[^a-z0-9]+", "_", name.lower()).strip("_")
    return code if code and code[0].isalpha() else f"v_{code}"


# -- assembling ---------------------------------------------------------------------------------------
def assemble(source: Source, structure: Structure) -> Imported:
    """The dataset definition and its columns; ImportProblem naming the variable and row if any
    value does not fit."""
    if not CODE.match(structure.code):
        raise ImportProblem(f"dataset code {structure.code!r}: use 2-39 lower-case letters, digits and dashes")
    n = len(next(iter(source.columns.values()), []))
    if n == 0:
        raise ImportProblem("the file has no respondents")
    for variable in sorted(_structural(structure) | {v for q in source.questions for v in q.variables}):
        if variable not in source.columns:
            raise ImportProblem(f"variable {variable}: not in the file")
    markets, location = _locations(source, structure, n)
    weight = _weights(source, structure, n)
    age = _ages(source, structure, n)
    gender = _genders(source, structure, n)
    questions = _unique_codes(source.questions)
    answers = {q.code: _answers(source, q) for q in questions}
    definition = _definition(structure, markets, questions, age)
    try:
        spec = dataset_from_definition(definition)
    except CatalogError as exc:
        raise ImportProblem(str(exc).split(": ", 1)[-1]) from None
    wave = np.zeros(n, dtype=np.int16)
    weight = _scaled(weight, location, markets, structure.population_m)
    data = from_columns(spec, location, wave, age, gender, weight, answers)
    return Imported(spec, data, definition, source.skipped)


def _locations(source: Source, s: Structure, n: int) -> tuple[list[Location], np.ndarray]:
    if bool(s.location) == bool(s.location_variable):
        raise ImportProblem("name the market: either one for everyone (--location) or a variable (--location-variable)")
    if s.location:
        return [_market(s.location, "--location")], np.zeros(n, dtype=np.int16)
    values = source.columns[s.location_variable]
    labels = source.value_labels.get(s.location_variable, {})
    markets: list[Location] = []
    index = np.empty(n, dtype=np.int16)
    for row, value in enumerate(values, start=1):
        if math.isnan(value):
            raise ImportProblem(f"variable {s.location_variable}, row {row}: no market")
        market = _market(labels.get(float(value), f"{value:g}"), f"variable {s.location_variable}, row {row}")
        if market not in markets:
            markets.append(market)
        index[row - 1] = markets.index(market)
    return markets, index


def _market(name: str, where: str) -> Location:
    wanted = name.strip().lower()
    for location in LOCATIONS:
        if wanted in {location.code.lower(), location.name.lower(), *location.aliases}:
            return location
    raise ImportProblem(f"{where}: {name!r} is not a market Spark knows (a code or name from locations.toml)")


def _weights(source: Source, s: Structure, n: int) -> np.ndarray:
    if not s.weight:
        return np.ones(n)
    weight = source.columns[s.weight]
    bad = np.flatnonzero(~(weight > 0))  # NaN, zero and negative weights alike
    if bad.size:
        raise ImportProblem(f"variable {s.weight}, row {bad[0] + 1}: weight {weight[bad[0]]:g} (must be above 0)")
    return weight.astype(np.float64)


def _ages(source: Source, s: Structure, n: int) -> np.ndarray:
    if not s.age:
        return np.full(n, -1, dtype=np.int8)
    ages = source.columns[s.age]
    for row, value in enumerate(ages, start=1):
        if not math.isnan(value) and not (0 <= value <= 120 and value == int(value)):
            raise ImportProblem(f"variable {s.age}, row {row}: age {value:g} (a whole number of years, 0-120)")
    return np.where(np.isnan(ages), -1, ages).astype(np.int8)


def _genders(source: Source, s: Structure, n: int) -> np.ndarray:
    gender = np.full(n, -1, dtype=np.int8)  # neither women nor men (not asked, or not answered)
    if not s.gender:
        return gender
    if s.female is None:
        raise ImportProblem(f"variable {s.gender}: say which value means women (--female)")
    values = source.columns[s.gender]
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


def _answers(source: Source, q: Question) -> np.ndarray:
    if len(q.labels if q.kind == "single" else q.variables) > MAX_DATAPOINTS[q.kind]:
        raise ImportProblem(f"{q.variables[0]}: a question holds at most {MAX_DATAPOINTS[q.kind]} answers")
    if q.kind == "single":
        (variable,) = q.variables
        values = source.columns[variable]
        index = {value: i for i, (value, _) in enumerate(q.labels)}
        out = np.full(len(values), -1, dtype=np.int8)
        for row, value in enumerate(values, start=1):
            if math.isnan(value):
                continue
            if value not in index:
                raise ImportProblem(f"variable {variable}, row {row}: value {value:g} has no label")
            out[row - 1] = index[value]
        return out
    bits = np.zeros(len(source.columns[q.variables[0]]), dtype=np.uint32)
    for j, variable in enumerate(q.variables):
        bits |= (source.columns[variable] == q.counted).astype(np.uint32) << np.uint32(j)
    return bits


def _definition(s: Structure, markets: list[Location], questions: list[Question], age: np.ndarray) -> dict[str, Any]:
    known = age[age >= 0]
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
        "age_range": [int(known.min()), int(known.max())] if known.size else [16, 64],
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
        named = [(f"{q.code}_{_code(f'{value:g}')}", label) for value, label in q.labels]
    else:
        named = [(_code(variable), name) for variable, name in zip(q.variables, q.names, strict=True)]
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


def _scaled(
    weight: np.ndarray, location: np.ndarray, markets: list[Location], population_m: float | None
) -> np.ndarray:
    """Weights summing in each market to its population (the catalog's convention, so sizes are
    people): `population_m` if given (one market), otherwise the market's internet population."""
    out = weight.copy()
    for i, market in enumerate(markets):
        rows = location == i
        target = (population_m if population_m is not None and len(markets) == 1 else market.population_m) * 1e6
        out[rows] *= target / weight[rows].sum()
    return out
