"""Respondent-level survey data: column arrays, sorted by (location, wave), stored as .npy files.

Layout (one folder per dataset, memory-mapped read-only so every worker shares the page cache):
    weight.npy float64, location.npy int16, wave.npy int16, age.npy int8, gender.npy int8 (1 = female),
    q__<question>.npy: single choice → int8 datapoint index (-1 = none); multiple choice → uint32 bitmask,
    cell_offsets.npy int64 [cells + 1]: respondents of cell (l, w) are rows offsets[c]:offsets[c+1],
        with c = l * n_waves + w,
    cells__weight.npy, cells__count.npy: each cell's weight total and respondent count,
    cells_w__<question>.npy, cells_n__<question>.npy: each cell's weighted and unweighted count of
        every datapoint (cells x datapoints),
    meta.json: dataset code, seed, respondent count, format version.
The per-cell aggregates are computed once when the data is built (`prepare`) and stored with it, so
base and datapoint sizes never scan respondents and a new process maps them instead of computing
them (no cold start). A folder is one immutable data version (`survey.versions`).
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from survey.catalog import DATASETS_BY_CODE, DatasetSpec, Question, dataset_from_definition
from survey.versions import is_version_id

FORMAT_VERSION = 2


@dataclass
class SurveyData:
    spec: DatasetSpec
    weight: np.ndarray
    location: np.ndarray
    wave: np.ndarray
    age: np.ndarray
    gender: np.ndarray
    answers: dict[str, np.ndarray]
    cell_offsets: np.ndarray
    seed: int = 0
    version: str = ""
    """The data version these columns belong to (`survey.versions`; empty when never stored)."""
    # filled by `prepare()`
    cell_weight: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cell_count: np.ndarray = field(default_factory=lambda: np.zeros(0))
    cell_dp_weight: dict[str, np.ndarray] = field(default_factory=dict)
    cell_dp_count: dict[str, np.ndarray] = field(default_factory=dict)

    @property
    def n(self) -> int:
        return int(self.weight.shape[0])

    @property
    def n_waves(self) -> int:
        return len(self.spec.waves)

    def cell(self, location_index: int, wave_index: int) -> int:
        return location_index * self.n_waves + wave_index

    def prepare(self) -> SurveyData:
        """Per-cell totals: respondents, weights, and each datapoint's weighted/unweighted count."""
        self.cell_weight, self.cell_count = cell_sizes(self.weight, self.cell_offsets)
        for question in self.spec.questions:
            totals = cell_totals(question, self.answers[question.code], self.weight, self.cell_offsets)
            self.cell_dp_weight[question.code], self.cell_dp_count[question.code] = totals
        return self

    def save(self, folder: Path) -> None:
        folder.mkdir(parents=True, exist_ok=True)
        for name in ("weight", "location", "wave", "age", "gender", "cell_offsets"):
            np.save(folder / f"{name}.npy", getattr(self, name))
        for code, column in self.answers.items():
            np.save(folder / f"q__{code}.npy", column)
        self.save_aggregates(folder)

    def save_aggregates(self, folder: Path) -> None:
        """The per-cell totals and meta.json (`save` writes the columns before them)."""
        np.save(folder / "cells__weight.npy", self.cell_weight)
        np.save(folder / "cells__count.npy", self.cell_count)
        for code in self.answers:
            np.save(folder / f"cells_w__{code}.npy", self.cell_dp_weight[code])
            np.save(folder / f"cells_n__{code}.npy", self.cell_dp_count[code])
        meta = {"dataset": self.spec.code, "seed": self.seed, "respondents": self.n, "format": FORMAT_VERSION}
        (folder / "meta.json").write_text(json.dumps(meta))


def from_rows(spec: DatasetSpec, rows: list[dict[str, object]], seed: int = 0) -> SurveyData:
    """Build (and sort) data from respondent dicts: location, wave (indexes), age, gender ('female' or
    'male'), weight, and per question either a datapoint index (single, -1 = none) or a bitmask."""
    return from_columns(
        spec,
        location=np.array([r["location"] for r in rows], dtype=np.int16),
        wave=np.array([r["wave"] for r in rows], dtype=np.int16),
        age=np.array([r["age"] for r in rows], dtype=np.int8),
        gender=np.array([1 if r["gender"] == "female" else 0 for r in rows], dtype=np.int8),
        weight=np.array([r["weight"] for r in rows], dtype=np.float64),
        answers={
            q.code: np.array([r[q.code] for r in rows], dtype=np.int8 if q.kind == "single" else np.uint32)
            for q in spec.questions
        },
        seed=seed,
    )


def from_columns(
    spec: DatasetSpec,
    location: np.ndarray,
    wave: np.ndarray,
    age: np.ndarray,
    gender: np.ndarray,
    weight: np.ndarray,
    answers: dict[str, np.ndarray],
    seed: int = 0,
) -> SurveyData:
    """Data from one array per column (respondents in any order): sorted by (location, wave), with
    the cell offsets and the per-cell aggregates. Gender: 1 women, 0 men, -1 neither; age -1 unknown."""
    n_waves = len(spec.waves)
    cell = location.astype(np.int64) * n_waves + wave.astype(np.int64)
    order = np.argsort(cell, kind="stable")
    counts = np.bincount(cell, minlength=len(spec.locations) * n_waves)
    data = SurveyData(
        spec=spec,
        weight=weight[order].astype(np.float64),
        location=location[order].astype(np.int16),
        wave=wave[order].astype(np.int16),
        age=age[order].astype(np.int8),
        gender=gender[order].astype(np.int8),
        answers={code: column[order] for code, column in answers.items()},
        cell_offsets=np.concatenate([[0], np.cumsum(counts)]).astype(np.int64),
        seed=seed,
    )
    return data.prepare()


def cell_sizes(weight: np.ndarray, offsets: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's weight total and respondent count."""
    starts = offsets[:-1]
    nonempty = offsets[1:] > starts
    cell_weight = np.zeros(len(offsets) - 1)
    cell_weight[nonempty] = np.add.reduceat(weight, starts[nonempty])
    return cell_weight, np.diff(offsets).astype(np.int64)


CHUNK_ROWS = 1 << 16


def _cell_chunks(offsets: np.ndarray) -> list[tuple[int, int]]:
    """Runs of whole cells, [first, last), of about CHUNK_ROWS rows each (a big cell is a run alone)."""
    chunks, first = [], 0
    for cell in range(1, len(offsets)):
        if offsets[cell] - offsets[first] >= CHUNK_ROWS or cell == len(offsets) - 1:
            chunks.append((first, cell))
            first = cell
    return chunks


def cell_totals(
    question: Question, column: np.ndarray, weight: np.ndarray, offsets: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Each cell's weighted and unweighted count of every datapoint of `question` (cells x datapoints).

    Run by run of whole cells (so a run's rows stay in the CPU's cache), with a weighted `np.bincount`:
    a bin adds its rows' weights one after another in row order, exactly as summing each datapoint's
    rows over all the data does, so the totals are the same to the bit."""
    k, cells = len(question.datapoints), len(offsets) - 1
    weighted, counted = np.zeros((cells, k)), np.zeros((cells, k), dtype=np.int64)
    for first, last in _cell_chunks(offsets):
        start, stop = int(offsets[first]), int(offsets[last])
        cell = np.repeat(np.arange(last - first, dtype=np.int64), np.diff(offsets[first : last + 1]))
        answers, weights, size = column[start:stop], weight[start:stop], last - first
        if question.kind == "single":  # one bincount keyed by (cell, datapoint)
            row = np.flatnonzero((answers >= 0) & (answers < k))
            key = cell[row] * k + answers[row]
            weighted[first:last] = np.bincount(key, weights=weights[row], minlength=size * k).reshape(size, k)
            counted[first:last] = np.bincount(key, minlength=size * k).reshape(size, k)
            continue
        for j in range(k):
            row = np.flatnonzero(answers & np.uint32(1 << j))
            weighted[first:last, j] = np.bincount(cell[row], weights=weights[row], minlength=size)
            counted[first:last, j] = np.bincount(cell[row], minlength=size)
    return weighted, counted


def datapoint_matrix(question: Question, column: np.ndarray) -> np.ndarray:
    """One 0/1 column per datapoint for these rows (rows x datapoints, uint8)."""
    k = len(question.datapoints)
    if question.kind == "single":
        return (column[:, None] == np.arange(k, dtype=column.dtype)[None, :]).astype(np.uint8)
    # The bitmask's four bytes (little-endian), each unpacked into 8 bits lowest first: bit j of the
    # mask is column j. One pass, far fewer temporaries than shifting the mask k times.
    octets = np.ascontiguousarray(column, dtype="<u4").view(np.uint8).reshape(-1, 4)
    return np.unpackbits(octets, axis=1, bitorder="little")[:, :k]


# A multiple choice question of at most TABLE_BITS datapoints reads its rows' 0/1 floats from a table of
# every bitmask its datapoints can make (2**k rows of k floats, one row copied per respondent: far fewer
# passes than unpacking bits and converting them); the largest (k = 12) is 384 kB, all of them < 1 MB.
TABLE_BITS = 12
_tables: dict[int, np.ndarray] = {}


def _bit_table(k: int) -> np.ndarray:
    table = _tables.get(k)
    if table is None:
        patterns = np.arange(1 << k, dtype="<u4").view(np.uint8).reshape(-1, 4)
        table = _tables.setdefault(k, np.unpackbits(patterns, axis=1, bitorder="little", count=k).astype(np.float64))
    return table


def datapoint_floats(question: Question, column: np.ndarray) -> np.ndarray:
    """`datapoint_matrix(question, column).astype(np.float64)`, made faster: the same 0.0/1.0 values in
    the same C-contiguous (rows x datapoints) float64 array, so a product with it is the same BLAS call."""
    k = len(question.datapoints)
    if question.kind == "single":
        return datapoint_matrix(question, column).astype(np.float64)
    if k <= TABLE_BITS:
        return np.take(_bit_table(k), column & np.uint32((1 << k) - 1), axis=0)
    octets = np.ascontiguousarray(column, dtype="<u4").view(np.uint8).reshape(-1, 4)
    return np.unpackbits(octets, axis=1, bitorder="little", count=k).astype(np.float64)


_BYTE_BITS = np.unpackbits(np.arange(256, dtype=np.uint8)[:, None], axis=1, bitorder="little").astype(np.int64)


def datapoint_counts(question: Question, column: np.ndarray) -> np.ndarray:
    """How many rows match each datapoint of a multiple choice question (int64; the column sums of
    `datapoint_matrix`): each byte of the bitmasks counted by value, then the values' bits summed."""
    k = len(question.datapoints)
    octets = np.ascontiguousarray(column, dtype="<u4").view(np.uint8).reshape(-1, 4)
    counts = np.zeros(4 * 8, dtype=np.int64)
    for byte in range((k + 7) // 8):
        counts[8 * byte : 8 * byte + 8] = np.bincount(octets[:, byte], minlength=256) @ _BYTE_BITS
    return counts[:k]


def datapoint_hits(question: Question, column: np.ndarray, index: int) -> np.ndarray:
    """Whether each row matches datapoint `index` of `question` (bool)."""
    if question.kind == "single":
        return column == index
    return (column & np.uint32(1 << index)) != 0


DEFINITION = "dataset.json"
"""An imported dataset's definition, stored with each of its data versions (shipped datasets have
theirs in survey/definitions/)."""


def stored_spec(folder: Path) -> DatasetSpec | None:
    path = folder / DEFINITION
    if not path.is_file():
        return None
    return dataset_from_definition(json.loads(path.read_text()), str(path))


class DataFormatError(ValueError):
    """A folder holds survey data this version of Spark Portal cannot read (rebuild or re-import it)."""


def load(folder: Path) -> SurveyData:
    """Map a stored data version: every column and aggregate read-only from the page cache."""
    meta = json.loads((folder / "meta.json").read_text())
    if meta.get("format") != FORMAT_VERSION:
        raise DataFormatError(f"{folder} holds survey data format {meta.get('format')}; rebuild it")
    spec = stored_spec(folder) or DATASETS_BY_CODE[meta["dataset"]]

    def arr(name: str) -> np.ndarray:
        return np.load(folder / f"{name}.npy", mmap_mode="r")

    data = SurveyData(
        spec=spec,
        weight=arr("weight"),
        location=arr("location"),
        wave=arr("wave"),
        age=arr("age"),
        gender=arr("gender"),
        answers={q.code: arr(f"q__{q.code}") for q in spec.questions},
        cell_offsets=np.load(folder / "cell_offsets.npy"),
        seed=int(meta["seed"]),
        version=folder.name if is_version_id(folder.name) else "",
        cell_weight=arr("cells__weight"),
        cell_count=arr("cells__count"),
        cell_dp_weight={q.code: arr(f"cells_w__{q.code}") for q in spec.questions},
        cell_dp_count={q.code: arr(f"cells_n__{q.code}") for q in spec.questions},
    )
    if data.n != int(meta["respondents"]) or len(data.cell_offsets) != len(data.cell_count) + 1:
        raise DataFormatError(f"{folder} is incomplete: its files disagree with meta.json; rebuild it")
    return data
