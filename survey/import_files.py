"""Reading an import's source files: an SPSS `.sav` file (pyreadstat) or a CSV file with its TOML
codebook, into the variables and questions `survey.importer.assemble` turns into a dataset.

Only the variables the dataset uses are read as numbers, so a text column nothing uses never blocks
an import; every variable left out is listed with the reason (docs/import.md).
"""

from __future__ import annotations

import csv
import math
import tomllib
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyreadstat

from survey.importer import ImportProblem, Question, Source, Structure, code_of, structural_variables


def read_sav(path: Path, structure: Structure) -> Source:
    """The whole file at once (survey.import_stream reads it in chunks to the same result)."""
    try:
        columns, meta = pyreadstat.read_sav(str(path), output_format="dict")
    except Exception as exc:  # pyreadstat raises its own ReadstatError and plain OSErrors
        raise ImportProblem(f"not a readable SPSS file ({exc})") from None
    types = meta.readstat_variable_types or {}
    raw = {name: _column(values, types.get(name) != "string") for name, values in columns.items()}
    questions, labels, skipped = sav_questions(
        meta, structure, {n for n, v in raw.items() if v.dtype.kind not in "iufb"}
    )
    return Source(raw, labels, questions, skipped)


def sav_questions(
    meta: Any, structure: Structure, text: set[str]
) -> tuple[list[Question], dict[str, dict[float, str]], list[str]]:
    """The questions a `.sav` file's metadata gives (`text`: the variables holding text), its value
    labels, and the variables left out with the reason."""
    labels = {v: {float(k): str(t) for k, t in m.items()} for v, m in meta.variable_value_labels.items()}
    titles = dict(zip(meta.column_names, meta.column_labels or [None] * len(meta.column_names), strict=True))
    sets: dict[str, Question] = {}  # each multiple-response set, by its first variable
    in_sets: set[str] = set()
    skipped: list[str] = []
    for set_name, mr in (meta.mr_sets or {}).items():
        if not mr.get("is_dichotomy"):
            raise ImportProblem(f"multiple-response set {set_name}: only dichotomy sets are supported")
        variables = list(mr["variable_list"])
        in_sets.update(variables)
        if unnamed := [v for v in variables if not _worded(titles.get(v))] or (
            [] if _worded(mr.get("label")) else [set_name]
        ):
            skipped.append(f"{set_name} ({_UNNAMED}: {', '.join(unnamed)})")
            continue
        counted = float(mr["counted_value"] if mr["counted_value"] is not None else 1)
        names = [str(titles[v]) for v in variables]
        sets[variables[0]] = Question(code_of(set_name), mr["label"], "multi", variables, [], names, counted)
    structural = structural_variables(structure)
    questions = []
    for name in meta.column_names:  # in the file's order; a set where its first variable is
        if name in sets:
            questions.append(sets[name])
        elif name in structural or name in in_sets:
            continue
        elif name in text:
            skipped.append(f"{name} (text)")
        elif name not in labels:
            skipped.append(f"{name} (no value labels)")
        elif not _worded(titles.get(name)):
            skipped.append(f"{name} ({_UNNAMED})")
        else:
            questions.append(Question(code_of(name), str(titles[name]), "single", [name], sorted(labels[name].items())))
    return questions, labels, skipped


# A question is stated in sentences by its label; a variable's name ("Q12_3") is a code, never a question's words.
_UNNAMED = "no variable label to word it by"


def _worded(label: Any) -> bool:
    return isinstance(label, str) and bool(label.strip())


def _column(values: Any, numeric: bool = False) -> np.ndarray:
    """A numeric variable as floats (None, pyreadstat's missing value, as NaN); text as it is.
    `numeric`: the file says the variable holds numbers (or dates, which stay objects)."""
    if numeric:
        try:  # numbers and None only: None is NaN, as below (a date raises and is read below)
            return np.array(values, dtype=np.float64)
        except (TypeError, ValueError):
            pass
    array = np.asarray(values)
    if array.dtype.kind in "iufb":
        return array.astype(np.float64)
    if all(v is None or isinstance(v, int | float) for v in array):
        return np.array([math.nan if v is None else float(v) for v in array])
    return np.array(array, dtype=object)


def read_csv(path: Path, codebook_path: Path) -> tuple[Structure, Source]:
    """A CSV file (a header row, then one respondent per row) and its codebook (docs/import.md)."""
    book = read_codebook(codebook_path)
    structure = _codebook_structure(f"codebook {codebook_path.name}", book)
    header, body, lines = _csv_rows(path)
    questions, labels = _codebook_questions(f"codebook {codebook_path.name}", book)
    if structure.age and structure.age_bands:
        labels[structure.age] = structure.age_bands
    used = structural_variables(structure) | {v for q in questions for v in q.variables}
    columns, skipped = {}, []
    for i, name in enumerate(header):
        cells = np.array([row[i].strip() for row in body], dtype=object)
        if name == structure.location_variable:  # markets by name or code: numbered, the text as labels
            names = list(dict.fromkeys(cells))
            labels[name] = {float(n): text for n, text in enumerate(names)}
            columns[name] = np.array([float(names.index(cell)) for cell in cells])
        else:
            columns[name] = cells
            if name not in used:
                skipped.append(f"{name} (not in the codebook)")
    return structure, Source(columns, labels, questions, skipped, lines)


def _csv_rows(path: Path) -> tuple[list[str], list[list[str]], list[int]]:
    """The header, the rows and each row's line in the file (a quoted cell may span lines)."""
    chunks = csv_chunks(path, 1 << 16)
    header = next(chunks)[0]
    body: list[list[str]] = []
    lines: list[int] = []
    for _, rows, starts in chunks:
        body += rows
        lines += starts
    return header, body, lines


def csv_chunks(path: Path, size: int) -> Iterator[tuple[list[str], list[list[str]], list[int]]]:
    """The header (first, with no rows), then the rows `size` at a time with each row's line in the
    file (a quoted cell may span lines; a blank line is no respondent)."""
    try:
        with path.open(newline="", encoding="utf-8-sig") as handle:
            reader = csv.reader(handle)
            header = next(reader, None)
            if header is None:
                raise ImportProblem("the file is empty")
            yield header, [], []
            body, lines, start = [], [], reader.line_num + 1
            for row in reader:
                if not (row and row[0].strip()) and not any(cell.strip() for cell in row):  # a blank line: no one
                    start = reader.line_num + 1
                    continue
                if len(row) != len(header):
                    raise ImportProblem(f"line {start} has {len(row)} fields, the header {len(header)}")
                body.append(row)
                lines.append(start)
                start = reader.line_num + 1
                if len(body) == size:
                    yield header, body, lines
                    body, lines = [], []
            if body:
                yield header, body, lines
    except (OSError, UnicodeDecodeError, csv.Error) as exc:
        raise ImportProblem(f"not a readable CSV file ({exc})") from None


def read_codebook(codebook_path: Path) -> dict[str, Any]:
    try:
        with codebook_path.open("rb") as handle:
            return tomllib.load(handle)
    except (OSError, tomllib.TOMLDecodeError) as exc:
        raise ImportProblem(f"codebook {codebook_path.name}: not readable ({exc})") from None


def codebook_structure(codebook_path: Path, book: dict[str, Any]) -> Structure:
    return _codebook_structure(f"codebook {codebook_path.name}", book)


def codebook_questions(codebook_path: Path, book: dict[str, Any]) -> tuple[list[Question], dict[str, dict[float, str]]]:
    return _codebook_questions(f"codebook {codebook_path.name}", book)


def _codebook_structure(where: str, book: dict[str, Any]) -> Structure:
    known = {"code", "name", "description", "wave", "location", "location_variable", "weight", "age", "gender",
             "female", "male", "population_m", "universe", "questions", "id", "allow_duplicate_rows",
             "age_bands"}  # fmt: skip
    if unknown := sorted(set(book) - known):
        raise ImportProblem(f"{where}: unknown key {unknown[0]!r} (expected {', '.join(sorted(known))})")
    for key in ("code", "name", "wave"):
        if not isinstance(book.get(key), str):
            raise ImportProblem(f"{where}: {key!r} is required (a string)")
    population = book.get("population_m")
    if population is not None and (isinstance(population, bool) or not isinstance(population, int | float)):
        raise ImportProblem(f"{where}: 'population_m' is a number (millions of people)")
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
        population_m=None if population is None else float(population),
        universe=str(book.get("universe", "")),
        id=str(book.get("id", "")),
        allow_duplicate_rows=bool(book.get("allow_duplicate_rows", False)),
        age_bands=_codebook_bands(where, book.get("age_bands", {})),
    )


def _codebook_bands(where: str, bands: Any) -> dict[float, str]:
    if not isinstance(bands, dict):
        raise ImportProblem(f'{where}: age_bands maps the age column\'s codes to ranges, e.g. {{ 1 = "18-24" }}')
    try:
        return {float(code): str(label) for code, label in bands.items()}
    except ValueError:
        raise ImportProblem(f"{where}: age_bands: the codes must be numbers") from None


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
            questions.append(Question(code_of(entry.get("code") or column), name, "single", [column], pairs))
        elif isinstance(entry.get("columns"), dict) and entry["columns"]:
            variables = [str(c) for c in entry["columns"]]
            names = [str(v) for v in entry["columns"].values()]
            counted = float(entry.get("counted", 1))
            code = code_of(entry.get("code") or name)
            questions.append(Question(code, name, "multi", variables, [], names, counted))
        else:
            raise ImportProblem(
                f"{where}: question {number} ({name}) needs 'column' (one answer) or 'columns' (several)"
            )
    return questions, labels
