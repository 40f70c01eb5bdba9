"""The generated survey data: deterministic, weighted to populations, believably structured."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from survey.catalog import DATASETS_BY_CODE
from survey.data import load
from survey.engine import crosstab
from survey.generator import generate

CORE = DATASETS_BY_CODE["ds-core"]


def test_same_seed_same_data_other_seed_other_data() -> None:
    a, b, c = generate(CORE, 5000, seed=7), generate(CORE, 5000, seed=7), generate(CORE, 5000, seed=8)
    assert np.array_equal(a.weight, b.weight) and np.array_equal(a.answers["streaming"], b.answers["streaming"])
    assert not np.array_equal(a.answers["streaming"], c.answers["streaming"])


def test_each_market_and_wave_sums_to_its_population() -> None:
    data = generate(CORE, 20_000)
    for li, location in enumerate(CORE.locations):
        for wi in range(len(CORE.waves)):
            assert np.isclose(data.cell_weight[data.cell(li, wi)], location.population_m * 1e6)


def test_rows_are_sorted_by_market_and_wave_and_saved_data_loads_identically(tmp_path: Path) -> None:
    data = generate(CORE, 8000)
    keys = data.location.astype(np.int64) * len(CORE.waves) + data.wave
    assert np.all(np.diff(keys) >= 0)
    data.save(tmp_path / "core")
    loaded = load(tmp_path / "core")
    assert np.array_equal(loaded.weight, data.weight) and np.array_equal(
        loaded.cell_dp_weight["devices"], data.cell_dp_weight["devices"]
    )


def test_younger_people_over_index_on_newer_platforms() -> None:
    data = generate(CORE, 60_000)
    everywhere, year = list(range(len(CORE.locations))), [4, 5, 6, 7]
    codes = [d.code for d in CORE.question("social_weekly").datapoints]
    young = crosstab(data, "social_weekly", {"audience": "gen_z"}, everywhere, year).rows
    older = crosstab(data, "social_weekly", {"audience": "gen_x"}, everywhere, year).rows
    assert young[codes.index("tiktok")].audience_index > 130 > older[codes.index("tiktok")].audience_index
    assert older[codes.index("facebook")].audience_index > young[codes.index("facebook")].audience_index


def test_market_specific_platforms() -> None:
    data = generate(CORE, 60_000)
    china = [i for i, loc in enumerate(CORE.locations) if loc.code == "s2_86"]
    rows = crosstab(data, "social_weekly", None, china, [7]).rows
    codes = [d.code for d in CORE.question("social_weekly").datapoints]
    assert rows[codes.index("wechat")].audience_percentage > 50 > rows[codes.index("facebook")].audience_percentage
