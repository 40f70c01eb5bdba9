"""A file read in chunks (survey/import_stream.py, what import_survey does) is the same dataset as
the file read whole (survey/import_files.py + assemble, the importer before): every stored array byte
for byte, the definition and what was left out, and the same words for every refusal. Chunks of
one row, of a few rows and of the whole file put the chunk edges everywhere, and a forced hash
collision shows that repeated rows are decided cell by cell."""

from __future__ import annotations

import math
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pyreadstat
import pytest

from survey import import_stream
from survey.data import SurveyData
from survey.import_files import read_csv, read_sav
from survey.import_stream import import_csv, import_sav
from survey.importer import Imported, ImportProblem, Structure, assemble
from tests.insights.sav import add_dichotomy_sets

ROWS = 61
CHUNKS = [1, 4, 7, 60, 10_000]
STRUCTURE = Structure(
    code="ds-chunked", name="Chunked", description="", wave_name="Q3 2025", location_variable="country",
    weight="wt", age="age", gender="sex", female=2, id="rid",
)  # fmt: skip


def _frame(rows: int = ROWS) -> pd.DataFrame:
    rng = np.random.default_rng(5)
    frame = pd.DataFrame(
        {
            "rid": np.arange(101, 101 + rows, dtype=float),
            "wt": rng.integers(1, 4000, rows) / 997,
            "age": rng.integers(16, 90, rows).astype(float),
            "sex": rng.integers(1, 4, rows).astype(float),
            "country": rng.integers(1, 4, rows).astype(float),
            "brand": rng.integers(0, 4, rows).astype(float),
            "often": rng.integers(1, 6, rows).astype(float),
            "s1": rng.integers(0, 2, rows).astype(float),
            "s2": rng.integers(0, 2, rows).astype(float),
            "note": [" ", "a", "b ", ""] * (rows // 4) + ["z"] * (rows % 4),
            "score": rng.normal(size=rows),
        }
    )
    for column, every in (("age", 9), ("sex", 11), ("brand", 5), ("often", 3), ("s2", 8)):
        frame.loc[::every, column] = math.nan
    return frame


def _sav(folder: Path, frame: pd.DataFrame) -> Path:
    path = folder / "survey.sav"
    labels: dict[str, dict[int | float, str]] = {
        "country": {1: "United States", 2: "United Kingdom", 3: "Germany"},
        "brand": {0: "None", 1: "Acme", 2: "Bolt", 3: "Crest"},
        "often": {1: "Never", 2: "Rarely", 3: "Sometimes", 4: "Often", 5: "Always"},
        "sex": {1: "Man", 2: "Woman", 3: "Other"},
    }
    titles = {"brand": "Favourite brand", "often": "How often", "s1": "Uses a phone", "s2": "Uses a tablet"}
    pyreadstat.write_sav(
        frame, str(path), column_labels=[titles.get(c, c) for c in frame.columns], variable_value_labels=labels
    )
    add_dichotomy_sets(path, {"devices": ("Devices used", 1, ["s1", "s2"])})
    return path


CODEBOOK = """
code = "ds-chunked"
name = "Chunked"
wave = "Q3 2025"
id = "rid"
gender = "sex"
female = 2
age = "age"
weight = "wt"
location_variable = "country"

[[questions]]
column = "brand"
name = "Favourite brand"
values = { 0 = "None", 1 = "Acme", 2 = "Bolt", 3 = "Crest" }

[[questions]]
code = "devices"
name = "Devices used"
columns = { s1 = "Uses a phone", s2 = "Uses a tablet" }
"""
MARKETS = ["United States", " united kingdom", "s2_49", "Germany ", "S2_44"]


def _csv_text(frame: pd.DataFrame) -> str:
    """The frame as a person's CSV: padded cells, leading zeros, blank lines, a quoted cell over two
    lines, markets by name and code."""
    lines = ["rid,wt,age,sex,country,brand,s1,s2,note"]
    for i, row in frame.iterrows():
        cells = [f"{row.rid:g}", f"{row.wt!r}"]
        cells += ["" if math.isnan(row[c]) else f" {row[c]:g}" if i % 6 == 1 else f"{row[c]:g}" for c in ("age", "sex")]
        cells += [MARKETS[int(row.country) - 1 + (i % 3 == 0)]]
        cells += ["" if math.isnan(row.brand) else f"0{row.brand:g}" if i % 4 == 2 else f"{row.brand:g}"]
        cells += [f"{row.s1:g}", "" if math.isnan(row.s2) else f"{row.s2:g}", '"two\nlines"' if i % 10 == 3 else "x"]
        lines.append(",".join(cells))
        if i % 13 == 5:
            lines.append(" , ,")
    return "\n".join(lines) + "\n"


def _same(chunked: Imported, whole: Imported) -> None:
    assert chunked.definition == whole.definition and chunked.skipped == whole.skipped
    for name in SurveyData.__dataclass_fields__:
        a, b = getattr(chunked.data, name), getattr(whole.data, name)
        if isinstance(a, np.ndarray):
            assert a.dtype == b.dtype and a.shape == b.shape and a.tobytes() == b.tobytes(), name
        elif isinstance(a, dict) and name != "spec":
            assert list(a) == list(b), name
            for code in a:
                assert a[code].dtype == b[code].dtype and a[code].tobytes() == b[code].tobytes(), (name, code)


def _whole_sav(path: Path, structure: Structure) -> Imported:
    return assemble(read_sav(path, structure), structure)


def _whole_csv(path: Path, codebook: Path) -> Imported:
    structure, source = read_csv(path, codebook)
    return assemble(source, structure)


@pytest.mark.parametrize("chunk_rows", CHUNKS)
def test_a_sav_file_read_in_chunks_is_the_file_read_whole(tmp_path: Path, chunk_rows: int) -> None:
    path = _sav(tmp_path, _frame())
    whole = _whole_sav(path, STRUCTURE)
    assert [q.code for q in whole.spec.questions] == ["brand", "often", "devices"]
    assert "note (text)" in whole.skipped and "score (no value labels)" in whole.skipped
    _same(import_sav(path, STRUCTURE, chunk_rows), whole)


@pytest.mark.parametrize("chunk_rows", CHUNKS)
def test_a_csv_file_read_in_chunks_is_the_file_read_whole(tmp_path: Path, chunk_rows: int) -> None:
    (tmp_path / "survey.csv").write_text(_csv_text(_frame()))
    (tmp_path / "survey.toml").write_text(CODEBOOK)
    whole = _whole_csv(tmp_path / "survey.csv", tmp_path / "survey.toml")
    assert whole.data.n == ROWS and len(whole.spec.locations) == 3
    _same(import_csv(tmp_path / "survey.csv", tmp_path / "survey.toml", chunk_rows=chunk_rows)[1], whole)


def _problem(read: object) -> str:
    with pytest.raises(ImportProblem) as raised:
        read()  # type: ignore[operator]
    return str(raised.value)


def test_every_refusal_has_the_same_words_whatever_the_chunks(tmp_path: Path) -> None:
    frame = _frame()
    broken = {
        "unlabelled value late, bad weight later": lambda f: f.assign(
            brand=f.brand.where(f.index != 50, 7), wt=f.wt.where(f.index != 58, -1.0)
        ),
        "unlabelled values in two questions": lambda f: f.assign(
            often=f.often.where(f.index != 40, 9), brand=f.brand.where(f.index != 44, 8)
        ),
        "a repeated ID": lambda f: f.assign(rid=f.rid.where(f.index != 57, 104.0)),
        "a missing ID": lambda f: f.assign(rid=f.rid.where(f.index != 33, math.nan)),
        "an age out of range": lambda f: f.assign(age=f.age.where(f.index != 29, 130.0)),
        "an unknown market": lambda f: f.assign(country=f.country.where(f.index != 45, 9.0)),
    }
    seen = set()
    for name, change in broken.items():
        folder = tmp_path / name.replace(" ", "-")
        folder.mkdir()
        path = _sav(folder, change(frame.copy()))
        expected = _problem(lambda p=path: _whole_sav(p, STRUCTURE))
        seen.add(expected)
        for chunk_rows in CHUNKS:
            assert _problem(lambda p=path, c=chunk_rows: import_sav(p, STRUCTURE, c)) == expected, (name, chunk_rows)
    assert len(seen) == len(broken)  # each names its own problem

    repeated = pd.concat([frame, frame.iloc[[20, 3]]], ignore_index=True)  # rows 62, 63 repeat 21, 4
    path = _sav(tmp_path, repeated)
    no_ids = replace(STRUCTURE, id="")
    expected = _problem(lambda: _whole_sav(path, no_ids))
    assert expected.startswith("case 62 repeats case 21 exactly")
    for chunk_rows in CHUNKS:
        assert _problem(lambda c=chunk_rows: import_sav(path, no_ids, c)) == expected


def test_csv_refusals_name_the_same_lines(tmp_path: Path) -> None:
    (tmp_path / "survey.toml").write_text(CODEBOOK)
    text = _csv_text(_frame())
    lines = text.splitlines()
    variants = {  # lines added after the header and at the end, away from the quoted cells
        "a late unlabelled value": [*lines, "999,1.0,30,1,s2_1,9,0,1,x"],
        "a late text weight after an unlabelled value": [
            lines[0],
            "998,1.0,30,1,s2_1,9,0,1,x",
            *lines[1:],
            "999,heavy,30,1,s2_1,1,0,1,x",
        ],
        "a short line": [*lines, "1000,1"],
        "a repeated row": [*lines, lines[1]],
    }
    for name, body in variants.items():
        path = tmp_path / f"{name.replace(' ', '-')}.csv"
        path.write_text("\n".join(body) + "\n")
        expected = _problem(lambda p=path: _whole_csv(p, tmp_path / "survey.toml"))
        for chunk_rows in CHUNKS:
            got = _problem(lambda p=path, c=chunk_rows: import_csv(p, tmp_path / "survey.toml", chunk_rows=c))
            assert got == expected, (name, chunk_rows)


def test_rows_whose_hashes_collide_are_compared_cell_by_cell(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(import_stream, "_row_hashes", lambda columns, plain: np.zeros(len(columns["rid"]), np.uint64))
    path = _sav(tmp_path, _frame())
    no_ids = replace(STRUCTURE, id="")
    _same(import_sav(path, no_ids, 7), _whole_sav(path, no_ids))  # every row "collides"; none repeats
    repeated = _sav(tmp_path, pd.concat([_frame(), _frame().iloc[[30]]], ignore_index=True))
    assert _problem(lambda: import_sav(repeated, no_ids, 7)).startswith("case 62 repeats case 31 exactly")
