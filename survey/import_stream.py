"""Importing a file of any size: read in chunks of respondents, the same dataset as reading it whole.

`import_survey` imports through here. A chunk's columns are read, its answers computed (the same
`answer_values` as a whole file's) and each row's hash taken, then the chunk is dropped: memory holds
the answers (one or four bytes a respondent and question), the structural columns (weight, age,
gender, market, ID) and the row hashes, never the file's numbers as a whole. A `.sav` file is read
with `pyreadstat.read_file_in_chunks`; a CSV file with the same `csv` reader as before, chunk by chunk.

Every check of a whole-file import keeps its order and its words: a problem found in a chunk is held
and raised where reading the file whole would have raised it (`survey.importer.assemble`). Repeated
rows are found by a 64-bit hash of each row's cells as the importer compares them (numbers as
numbers, text stripped, missing alike); rows whose hashes repeat are read again and compared cell by
cell, so a hash collision never refuses a file. tests/insights/test_import_stream.py checks that a
file read in chunks of a few rows stores every array byte for byte as reading it whole does.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pyreadstat

from survey.import_cells import plain_digits
from survey.import_files import (
    _column,
    codebook_questions,
    codebook_structure,
    csv_chunks,
    read_codebook,
    sav_questions,
)
from survey.importer import (
    Imported,
    ImportProblem,
    Question,
    Source,
    Structure,
    answer_values,
    assemble,
    structural_variables,
)

CHUNK_ROWS = 10_000
# A chunk's columns, for a CSV file its lines, and its columns of plain digits as numbers (`plain_digits`).
Chunk = tuple[dict[str, np.ndarray], list[int] | None, dict[str, tuple[np.ndarray, np.ndarray]]]
_MISSING_KEY = np.float64(math.nan).view(np.uint64)  # a missing value's key, numbers and text alike


def import_sav(path: Path, structure: Structure, chunk_rows: int = CHUNK_ROWS) -> Imported:
    try:
        _, meta = pyreadstat.read_sav(str(path), metadataonly=True)
    except Exception as exc:  # pyreadstat raises its own ReadstatError and plain OSErrors
        raise ImportProblem(f"not a readable SPSS file ({exc})") from None
    types = meta.readstat_variable_types or {}
    numeric = {name: types.get(name) != "string" for name in meta.column_names}
    candidates, labels, _ = sav_questions(meta, structure, {n for n, number in numeric.items() if not number})

    def chunks() -> Iterator[Chunk]:
        try:
            for columns, _ in pyreadstat.read_file_in_chunks(
                pyreadstat.read_sav, str(path), chunksize=chunk_rows, output_format="dict"
            ):
                yield {name: _column(values, numeric[name]) for name, values in columns.items()}, None, {}
        except Exception as exc:
            raise ImportProblem(f"not a readable SPSS file ({exc})") from None

    stream = _Stream(structure, candidates, labels, list(meta.column_names), chunks, meta.number_rows or 0)
    # A date variable is text once any of its values is a date, as when the file is read whole.
    questions, labels, skipped = sav_questions(meta, structure, stream.text)
    return assemble(stream.source(questions, skipped, None), structure)


def import_csv(
    path: Path,
    codebook_path: Path,
    adjust: Callable[[Structure], Structure] = lambda s: s,
    chunk_rows: int = CHUNK_ROWS,
) -> tuple[Structure, Imported]:
    """A CSV file and its codebook (docs/import.md); `adjust` changes the codebook's structure (the
    command's --id, --population and the like) as it did after reading the file whole."""
    book = read_codebook(codebook_path)
    said = codebook_structure(codebook_path, book)
    structure = adjust(said)
    rows = csv_chunks(path, chunk_rows)
    header = next(rows)[0]
    try:
        questions, labels = codebook_questions(codebook_path, book)
    except ImportProblem:
        for _ in rows:  # a file that cannot be read is named first, as when it was read whole
            pass
        raise
    if said.age and said.age_bands:
        labels[said.age] = said.age_bands
    used = structural_variables(said) | {v for q in questions for v in q.variables}
    market = said.location_variable
    index = {name: i for i, name in enumerate(header)}  # a repeated name: its last column
    skipped = [f"{name} (not in the codebook)" for name in header if name != market and name not in used]
    markets: dict[str, float] = {}  # markets by their text, numbered in the order they first appear

    def chunks() -> Iterator[Chunk]:
        for _, body, lines in csv_chunks(path, chunk_rows):
            if not body:  # the header
                continue
            cells = list(zip(*body, strict=True))
            columns, plain = {}, {}
            for name, i in index.items():
                if name == market:
                    named = [cell.strip() for cell in cells[i]]
                    columns[name] = np.array([markets.setdefault(cell, float(len(markets))) for cell in named])
                else:
                    columns[name] = np.array(cells[i], dtype=object)
                    if (digits := plain_digits(columns[name])) is not None:
                        plain[name] = digits
            yield columns, lines, plain

    stream = _Stream(structure, questions, labels, list(index), chunks)
    if market in index:
        labels[market] = {n: text for text, n in markets.items()}
    return structure, assemble(stream.source(questions, skipped, stream.lines), structure)


class _Stream:
    """One pass over the chunks: each candidate question's answers (or the first problem in them),
    the structural columns whole, each row's hash, and which variables hold text."""

    def __init__(
        self,
        structure: Structure,
        questions: list[Question],
        labels: dict[str, dict[float, str]],
        names: list[str],
        chunks: Callable[[], Iterator[Chunk]],
        expected: int = 0,
    ) -> None:
        self.names, self.chunks, self.labels = names, chunks, labels
        self.rows, self.text = 0, set[str]()
        kept = {v for v in structural_variables(structure) if v in names}
        found: dict[tuple[str, tuple[str, ...]], ImportProblem | None] = {
            _key(q): None for q in questions if all(v in names for v in q.variables)
        }
        # Every chunk goes into arrays made for the whole file (grown by doubling when the file does
        # not say its size): no object is kept per chunk, so no chunk's memory stays pinned.
        columns_of, lines_of = _Filled(expected), _Filled(expected)
        for columns, lines, plain in chunks():
            chunk = Source(columns, labels, [], lines=lines, first=self.rows, plain=plain)
            for q in questions:
                if _key(q) in found and found[_key(q)] is None:
                    try:
                        columns_of.put(_key(q), self.rows, answer_values(chunk, q))
                    except ImportProblem as problem:
                        found[_key(q)] = problem
            for name in kept:
                columns_of.put(name, self.rows, columns[name])
            self.text.update(name for name, values in columns.items() if values.dtype.kind not in "iufb")
            if not structure.allow_duplicate_rows:
                columns_of.put("", self.rows, _row_hashes(columns, plain))
            if lines is not None:
                lines_of.put("", self.rows, np.array(lines, dtype=np.int64))
            self.rows += len(next(iter(columns.values()), ()))
        self.kept = {name: columns_of.take(name, self.rows) for name in kept}
        self.found = {key: problem or columns_of.take(key, self.rows) for key, problem in found.items()}
        self.hashes = columns_of.take("", self.rows, np.uint64)
        self.lines = lines_of.take("", self.rows, np.int64)

    def source(self, questions: list[Question], skipped: list[str], lines: Any) -> Source:
        answered = [self.found.get(_key(q), ImportProblem("unread")) for q in questions]
        return Source(
            self.kept, self.labels, questions, skipped, lines,
            rows=self.rows, variables=set(self.names), answered=answered, repeat=self.repeat,
        )  # fmt: skip

    def repeat(self) -> tuple[int, int] | None:
        """(earlier, later): the first row whose cells an earlier row has, and that earlier row."""
        _, inverse, counts = np.unique(self.hashes, return_inverse=True, return_counts=True)
        candidates = np.flatnonzero(counts[inverse] > 1)
        if not candidates.size:
            return None
        rows: dict[int, tuple[Any, ...]] = {}
        first = 0
        for columns, _, _ in self.chunks():  # read again: compare the candidates cell by cell
            size = len(next(iter(columns.values()), ()))
            for row in candidates[(candidates >= first) & (candidates < first + size)]:
                rows[int(row)] = tuple(_cell(columns[name][row - first]) for name in columns)
            first += size
        seen: dict[tuple[Any, ...], int] = {}
        for row in sorted(rows):
            if (earlier := seen.setdefault(rows[row], row)) != row:
                return earlier, row
        return None


class _Filled:
    """Columns filled chunk by chunk, each in one array (doubled when full)."""

    def __init__(self, expected: int) -> None:
        self.expected, self.arrays = expected, dict[Any, np.ndarray]()

    def put(self, name: Any, at: int, values: np.ndarray) -> None:
        array, end = self.arrays.get(name), at + len(values)
        if array is None:
            array = np.empty(max(end, self.expected), dtype=values.dtype)
        elif array.dtype != values.dtype:  # a date variable: a chunk with no date at all is all missing,
            if array.dtype.kind != "O":  # and missing is None in text, as when read whole
                array = np.full(len(array), None, dtype=object)
            if values.dtype.kind != "O":
                values = np.full(len(values), None, dtype=object)
        if end > len(array):
            array = np.concatenate([array[:at], np.empty(max(end, 2 * len(array)) - at, dtype=array.dtype)])
        array[at:end] = values
        self.arrays[name] = array

    def take(self, name: Any, rows: int, dtype: Any = np.float64) -> np.ndarray:
        array = self.arrays.pop(name, None)
        if array is None:
            return np.zeros(0, dtype=dtype)
        return array if len(array) == rows else array[:rows].copy()


def _key(q: Question) -> tuple[str, tuple[str, ...]]:
    return q.kind, tuple(q.variables)


def _cell(value: Any) -> Any:
    """A cell as the importer compares cells: numbers as numbers, text stripped, missing alike."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return None
    if isinstance(value, float):
        return value
    return str(value).strip() or None


def _row_hashes(columns: dict[str, np.ndarray], plain: dict[str, tuple[np.ndarray, np.ndarray]]) -> np.ndarray:
    """Each row's 64-bit hash of its cells' keys, column by column (splitmix64's mixer)."""
    rows = len(next(iter(columns.values()), ()))
    hashed = np.zeros(rows, dtype=np.uint64)
    for name, values in columns.items():
        hashed = _mix(hashed ^ (_digit_keys(*plain[name]) if name in plain else _keys(values)))
    return hashed


def _mix(x: np.ndarray) -> np.ndarray:
    x = (x ^ (x >> np.uint64(30))) * np.uint64(0xBF58476D1CE4E5B9)
    x = (x ^ (x >> np.uint64(27))) * np.uint64(0x94D049BB133111EB)
    return x ^ (x >> np.uint64(31))


def _keys(values: np.ndarray) -> np.ndarray:
    """Each cell's 64-bit key: equal cells (as `_cell` sees them) have equal keys in every chunk."""
    if values.dtype.kind == "f":
        return np.where(np.isnan(values), math.nan, values + 0.0).view(np.uint64)  # -0.0 is 0.0
    if (plain := plain_digits(values)) is not None:
        return _digit_keys(*plain)
    stripped = ["" if v is None else str(v).strip() for v in values]
    keys = np.array([hash(s) for s in stripped], dtype=np.int64).view(np.uint64)
    digits = np.flatnonzero([s == "" or (s.isascii() and s.isdigit() and len(s) <= 15) for s in stripped])
    if digits.size:
        shown = [stripped[i] for i in digits]
        numbers = np.array([float(s) if s else math.nan for s in shown])
        keys[digits] = _digit_keys(numbers, np.array([len(s) for s in shown]))
    return keys


def _digit_keys(numbers: np.ndarray, lengths: np.ndarray) -> np.ndarray:
    """Plain digits' keys: the number and how many digits ("07" is not "7"); empty is missing."""
    keys = numbers.view(np.uint64) ^ (lengths.astype(np.uint64) * np.uint64(0x9E3779B97F4A7C15))
    keys[np.isnan(numbers)] = _MISSING_KEY
    return keys
