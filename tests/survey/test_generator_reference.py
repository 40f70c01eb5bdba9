"""The fast build gives the very bytes the plain formulas give (issue 28: builds may get faster, the
data may not change).

`plain_generate` below is the generator written as plainly as numpy allows (whole-column
expressions, every term added even when its coefficient is 0, `np.add.at`, one masked `bincount`
per datapoint): the oracle. The build computes the same floats in cache-sized blocks, in two threads,
skipping zero terms and summing cells run by run; each array it makes must equal the oracle's
exactly, for every dataset, with blocks and runs small enough that their edges fall everywhere.
"""

from __future__ import annotations

import zlib

import numpy as np
import pytest

from survey import building, generator
from survey import data as survey_data
from survey.catalog import DATASETS, DatasetSpec, Question
from survey.data import SurveyData, datapoint_matrix
from survey.generator import MODEL, Model


def _plain_logit(spec: DatasetSpec, question: Question, code: str, model: Model, r: dict[str, object]) -> np.ndarray:
    c = model.coefficients[spec.code][question.code][code]
    z_age, female, wave, location = r["z_age"], r["female"], r["wave"], r["location"]
    logit = c.base + c.age * z_age + c.female * female + model.trends.get(code, 0.0) * wave  # type: ignore[operator]
    for trait, coefficient in c.traits:
        logit = logit + coefficient * r["traits"][trait]  # type: ignore[index]
    boosts = np.array([model.boost(loc.code, code) for loc in spec.locations])
    return logit + boosts[location]  # type: ignore[index]


def _plain_answers(rng: np.random.Generator, spec: DatasetSpec, question: Question, r: dict[str, object]) -> np.ndarray:
    if question.kind == "single":
        logits = np.stack([_plain_logit(spec, question, dp.code, MODEL, r) for dp in question.datapoints])
        choice = np.argmax(logits + rng.gumbel(size=logits.shape), axis=0).astype(np.int8)
        choice[rng.random(logits.shape[1]) < 0.05] = -1
        return choice
    chances = np.stack([_plain_logit(spec, question, dp.code, MODEL, r) for dp in question.datapoints])
    hits = rng.random(chances.shape) < 1.0 / (1.0 + np.exp(-chances))
    return np.bitwise_or.reduce(hits.astype(np.uint32) << np.arange(len(hits), dtype=np.uint32)[:, None], axis=0)


def plain_generate(spec: DatasetSpec, respondents: int, seed: int) -> dict[str, np.ndarray]:
    rng = np.random.default_rng([seed, zlib.crc32(spec.code.encode())])
    n_loc, n_wave = len(spec.locations), len(spec.waves)
    share = np.sqrt(np.array([loc.population_m for loc in spec.locations]))
    counts = rng.multinomial(respondents, np.repeat(share / share.sum() / n_wave, n_wave))
    cell = np.repeat(np.arange(n_loc * n_wave), counts)
    lo, hi = spec.age_range
    age = rng.integers(lo, hi + 1, size=respondents).astype(np.int8)
    gender = rng.integers(0, 2, size=respondents).astype(np.int8)
    z_age = (age - (lo + hi) / 2) / ((hi - lo) / 3.5)
    female = gender.astype(np.float64)
    normal = rng.standard_normal((len(MODEL.traits), respondents))
    traits = {t.name: normal[i] + (t.age * z_age + t.female * female) for i, t in enumerate(MODEL.traits)}
    r = {"z_age": z_age, "female": female, "wave": cell % n_wave, "location": cell // n_wave, "traits": traits}
    out = {f"q__{q.code}": _plain_answers(rng, spec, q, r) for q in spec.questions}
    weight = np.exp(rng.normal(0.0, 0.35, size=respondents)) * (1.0 + 0.15 * (z_age < 0))
    sums = np.zeros(n_loc * n_wave)
    np.add.at(sums, cell, weight)
    population = np.repeat(np.array([loc.population_m * 1e6 for loc in spec.locations]), n_wave)
    out["weight"] = weight * np.divide(population, sums, out=np.zeros_like(sums), where=sums > 0)[cell]
    for q in spec.questions:
        hits = datapoint_matrix(q, out[f"q__{q.code}"])
        columns = [hits[:, j].astype(bool) for j in range(hits.shape[1])]
        cells = n_loc * n_wave
        out[f"w__{q.code}"] = np.stack(
            [np.bincount(cell[m], weights=out["weight"][m], minlength=cells) for m in columns], axis=1
        )
        out[f"n__{q.code}"] = np.stack([np.bincount(cell[m], minlength=cells) for m in columns], axis=1)
    return out


def _built(data: SurveyData) -> dict[str, np.ndarray]:
    out = {f"q__{code}": column for code, column in data.answers.items()}
    out["weight"] = data.weight
    out |= {f"w__{code}": totals for code, totals in data.cell_dp_weight.items()}
    return out | {f"n__{code}": totals for code, totals in data.cell_dp_count.items()}


@pytest.mark.parametrize("spec", DATASETS, ids=lambda s: s.code)
def test_the_fast_build_equals_the_plain_formulas_to_the_bit(
    spec: DatasetSpec, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(building, "BLOCK_ROWS", 613)  # blocks, parts and market edges fall everywhere
    monkeypatch.setattr(building, "PARTS", 7)
    monkeypatch.setattr(survey_data, "CHUNK_ROWS", 1_500)  # runs of a few cells, and single big cells
    _same_as_plain(spec, 12_345)


def _same_as_plain(spec: DatasetSpec, respondents: int) -> None:
    built, plain = _built(generator.generate(spec, respondents, seed=11)), plain_generate(spec, respondents, seed=11)
    assert sorted(built) == sorted(plain)
    differing = [name for name in plain if built[name].tobytes() != plain[name].astype(built[name].dtype).tobytes()]
    assert differing == []
    assert all(built[name].dtype == plain[name].dtype for name in plain if name.startswith(("w__", "weight")))


def test_close_single_choices_decided_with_the_c_librarys_log_are_the_same(monkeypatch: pytest.MonkeyPatch) -> None:
    """Every single-choice row decided again with math.log (as when its best two are within CLOSE)."""
    monkeypatch.setattr(building, "CLOSE", np.inf)
    monkeypatch.setattr(building, "BLOCK_ROWS", 997)
    _same_as_plain(DATASETS[1], 3_000)


def test_a_question_drawn_again_by_numpy_and_weights_drawn_again_are_the_same(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The paths a Gumbel draw of u = 0 takes (about once in 10^16 draws, so forced here): the question
    by numpy's own draws, and the weights drawn again from where the answers really ended."""
    single = building._single_block
    monkeypatch.setattr(building, "_single_block", lambda q, *rest: single(q, *rest) and q.question.code != "income")
    draws = building.draws
    monkeypatch.setattr(building, "draws", lambda question, n: draws(question, n) + (question.code == "income"))
    _same_as_plain(DATASETS[0], 4_000)


def test_every_logit_equals_the_plain_expression_to_the_bit() -> None:
    """Sharper than the answers (a logit one bit off flips an answer about once in 10^16 draws): each
    datapoint's logits, block by block, are the plain expression's floats, and negated, its negation
    (a zero of either sign: exp(-0.0) is exp(0.0))."""
    spec, n = DATASETS[0], 5_000
    rng = np.random.default_rng(3)
    location = np.sort(rng.integers(0, len(spec.locations), n))
    wave = rng.integers(0, len(spec.waves), n).astype(np.int16)
    lo, hi = spec.age_range
    age = rng.integers(lo, hi + 1, n).astype(np.int8)
    gender = rng.integers(0, 2, n).astype(np.int8)
    z_age = (age - (lo + hi) / 2) / ((hi - lo) / 3.5)
    traits = {t.name: rng.standard_normal(n) for t in MODEL.traits}
    cells = location.astype(np.int64) * len(spec.waves) + wave
    order = np.argsort(cells, kind="stable")
    location, wave, age, gender, z_age = location[order], wave[order], age[order], gender[order], z_age[order]
    offsets = np.searchsorted(cells[order], np.arange(len(spec.locations) * len(spec.waves) + 1))
    r = building.respondents(spec.age_range, age, gender, wave, traits, np.ones(n), offsets, len(spec.waves))
    plain_r = {
        "z_age": z_age,
        "female": gender.astype(np.float64),
        "wave": wave,
        "location": location,
        "traits": traits,
    }
    out, scratch = np.empty(n), np.empty(n)
    blocks = [(a, min(a + 777, n)) for a in range(0, n, 777)]
    for question in spec.questions:
        for sign in (1.0, -1.0):
            for dp, terms in zip(question.datapoints, generator._terms(spec, MODEL, r, question, sign), strict=True):
                fast = np.concatenate([terms.logit(a, b, out[: b - a], scratch[: b - a]).copy() for a, b in blocks])
                plain = sign * _plain_logit(spec, question, dp.code, MODEL, plain_r)
                # + 0.0 makes a zero +0.0: -(x + y) is +0.0 when x = -y, -x + -y is -0.0 (same chance)
                assert (fast + 0.0).tobytes() == (plain + 0.0).tobytes(), dp.code
