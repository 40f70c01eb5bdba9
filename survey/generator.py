"""Deterministic respondent-level data: the same dataset, seed and size always give the same data.

Each respondent gets a market and a wave (respondents are generated cell by cell, already sorted
by (location, wave)), an age and a gender, and latent traits (tech, social, eco, sport, thrift)
that depend on age and gender. Every datapoint's probability is a logistic function of age,
gender, traits, the market and a small trend across waves, so the structure is believable:
younger people over-index on newer platforms, eco-conscious people buy second-hand, and so on.
Weights vary per respondent and sum, in each market and wave, to that market's internet population.

The model's numbers are data, in survey/definitions/generator.toml, read and checked against the
catalog once at import (`load_model`). Its order is part of the data: traits are drawn in the order
listed, and a datapoint's trait terms are added in the order written, so reordering changes the
generated respondents.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from survey.catalog import DEFINITIONS, Catalog, DatasetSpec, Question, Table, load_catalog
from survey.data import SurveyData


@dataclass(frozen=True)
class Trait:
    """A latent trait: standard normal per respondent, shifted by age * z_age + female * is_female."""

    name: str
    age: float = 0.0
    female: float = 0.0


@dataclass(frozen=True)
class Coefficients:
    """logit = base + age * z_age + female * is_female + sum(coefficient * trait) (+ trend, boost)."""

    base: float
    age: float = 0.0
    female: float = 0.0
    traits: tuple[tuple[str, float], ...] = ()


@dataclass(frozen=True)
class Model:
    traits: tuple[Trait, ...]
    trends: dict[str, float]  # datapoint code (in any question) -> logit change per wave
    boosts: dict[str, dict[str, float]]  # location code -> datapoint code (in any question) -> logit shift
    coefficients: dict[str, dict[str, dict[str, Coefficients]]]  # dataset -> question -> datapoint

    def boost(self, location_code: str, datapoint_code: str) -> float:
        return self.boosts.get(location_code, {}).get(datapoint_code, 0.0)


def load_model(folder: Path = DEFINITIONS, catalog: Catalog | None = None) -> Model:
    """Read generator.toml from `folder` and check it against the catalog defined there."""
    catalog = catalog or load_catalog(folder)
    file = Table.read(Path(folder) / "generator.toml")
    file.keys(["traits", "coefficients"], ["trends", "boosts"])
    traits = _traits(file)
    datapoint_codes = {dp.code for d in catalog.datasets for q in d.questions for dp in q.datapoints}
    trends = _datapoint_numbers(file.table("trends"), datapoint_codes)
    location_codes = {loc.code for loc in catalog.locations}
    boosts: dict[str, dict[str, float]] = {}
    for location_code, table in file.table("boosts").items():
        if location_code not in location_codes:
            table.fail(f"no location {location_code!r} in locations.toml")
        boosts[location_code] = _datapoint_numbers(table, datapoint_codes)
    coefficients = _coefficients(file, catalog, {t.name for t in traits})
    return Model(tuple(traits), trends, boosts, coefficients)


def _traits(file: Table) -> list[Trait]:
    traits = []
    for t in file.tables("traits", "trait"):
        name = t.name("name", "trait")
        t.keys(["name"], ["age", "female"])
        traits.append(Trait(name, t.number("age", 0.0), t.number("female", 0.0)))
    file.unique((t.name for t in traits), "trait")
    return traits


def _datapoint_numbers(table: Table, datapoint_codes: set[str]) -> dict[str, float]:
    """A table of numbers keyed by datapoint code (trends, a location's boosts)."""
    numbers = {code: table.number(code) for code in table.data}
    for code in numbers:
        if code not in datapoint_codes:
            table.fail(f"no question has a datapoint {code!r}")
    return numbers


def _coefficients(
    file: Table, catalog: Catalog, trait_names: set[str]
) -> dict[str, dict[str, dict[str, Coefficients]]]:
    """Every datapoint's coefficients, by dataset, question and datapoint; each one must have them."""
    coefficients: dict[str, dict[str, dict[str, Coefficients]]] = {}
    for dataset_code, questions in file.table("coefficients").items():
        spec = catalog.by_code.get(dataset_code)
        if spec is None:
            questions.fail(f"no dataset {dataset_code!r}")
        coefficients[dataset_code] = {}
        for question_code, datapoints in questions.items():
            try:
                question = spec.question(question_code)
            except KeyError:
                questions.fail(f"{dataset_code} has no question {question_code!r}")
            coefficients[dataset_code][question_code] = {
                dp_code: _datapoint_coefficients(t, question, dp_code, datapoints, trait_names)
                for dp_code, t in datapoints.items()
            }
    for spec in catalog.datasets:
        for question in spec.questions:
            for dp in question.datapoints:
                if dp.code not in coefficients.get(spec.code, {}).get(question.code, {}):
                    file.fail(f"no coefficients for {spec.code} {question.code}.{dp.code}")
    return coefficients


def _datapoint_coefficients(
    t: Table, question: Question, dp_code: str, datapoints: Table, trait_names: set[str]
) -> Coefficients:
    if not any(dp.code == dp_code for dp in question.datapoints):
        datapoints.fail(f"question {question.code!r} has no datapoint {dp_code!r}")
    t.keys(["base"], ["age", "female", "traits"])
    weights = t.table("traits")
    for name in weights.data:
        if name not in trait_names:
            weights.fail(f"trait {name!r} is not declared in 'traits'")
    return Coefficients(
        t.number("base"),
        t.number("age", 0.0),
        t.number("female", 0.0),
        tuple((name, weights.number(name)) for name in weights.data),
    )


MODEL = load_model()


BLOCK_ROWS = 1 << 15
"""Rows computed together: a datapoint's terms for them stay in the CPU's cache instead of each term
going through memory for every respondent (the build is limited by memory traffic, not arithmetic)."""
_POOL = ThreadPoolExecutor(max_workers=2, thread_name_prefix="generate")


@dataclass(frozen=True)
class _Respondents:
    """What answers depend on, one array entry per respondent (rows sorted by market, then wave)."""

    z_age: np.ndarray
    female: np.ndarray  # bool
    wave: np.ndarray  # int16; a trend term multiplies it as float64, as the plain expression does
    location_rows: tuple[tuple[int, int], ...]  # each market's rows, [start, stop)
    traits: dict[str, np.ndarray]

    @property
    def n(self) -> int:
        return int(self.z_age.shape[0])


@dataclass(frozen=True)
class _Terms:
    """One datapoint's logit: base + age * z_age + female * is_female + trend * wave + each trait term
    in the order written + the market's boost, to be added in that order.

    A term whose coefficient is 0 is left out: it would add ±0.0, which changes at most the sign of a
    zero logit, and a zero of either sign gives the same probability and choice."""

    base: float
    steps: tuple[tuple[float, np.ndarray, bool], ...]  # (coefficient, column, column is a 0/1 mask)
    boosts: tuple[tuple[int, int, float], ...]  # (start, stop, logit shift) of each boosted market's rows

    @classmethod
    def of(cls, spec: DatasetSpec, c: Coefficients, dp_code: str, model: Model, r: _Respondents) -> _Terms:
        trend = model.trends.get(dp_code, 0.0)
        steps = [(c.age, r.z_age, False), (c.female, r.female, True), (trend, r.wave, False)]
        steps += [(coefficient, r.traits[trait], False) for trait, coefficient in c.traits]
        boosts = [
            (*rows, model.boost(loc.code, dp_code)) for loc, rows in zip(spec.locations, r.location_rows, strict=True)
        ]
        return cls(c.base, tuple(t for t in steps if t[0] != 0.0), tuple(b for b in boosts if b[2] != 0.0))

    def logit(self, a: int, b: int, out: np.ndarray, scratch: np.ndarray) -> np.ndarray:
        """Rows a:b's logits, into `out`, each added term by term: the same floats as the plain
        expression over all rows gives."""
        out.fill(self.base)
        for coefficient, column, mask in self.steps:
            if mask:  # coefficient * 1.0 is the coefficient; * 0.0 would add ±0.0
                np.add(out, coefficient, out=out, where=column[a:b])
            else:
                np.add(out, np.multiply(column[a:b], coefficient, out=scratch), out=out)
        for start, stop, boost in self.boosts:
            lo, hi = max(start, a), min(stop, b)
            if lo < hi:
                out[lo - a : hi - a] += boost
        return out


def _sigmoid(x: np.ndarray) -> np.ndarray:
    """1 / (1 + exp(-x)), in place."""
    np.negative(x, out=x)
    np.exp(x, out=x)
    np.add(x, 1.0, out=x)
    return np.divide(1.0, x, out=x)


Work = Callable[[int, int, np.ndarray, np.ndarray], None]


def _over_rows(n: int, work: Work) -> list[Future[None]]:
    """Run `work(a, b, out, scratch)` over every block of rows, the two halves of them at once."""

    def half(lo: int, hi: int) -> None:
        out, scratch = np.empty(BLOCK_ROWS), np.empty(BLOCK_ROWS)
        for a in range(lo, hi, BLOCK_ROWS):
            b = min(a + BLOCK_ROWS, hi)
            work(a, b, out[: b - a], scratch[: b - a])

    return [_POOL.submit(half, 0, n // 2), _POOL.submit(half, n // 2, n)]


def _answers(
    rng: np.random.Generator, spec: DatasetSpec, question: Question, model: Model, r: _Respondents
) -> np.ndarray:
    """One question's answers: a datapoint index (single choice) or a bitmask (multiple choice).

    One datapoint at a time: the draws from `rng` come in the same order as one (datapoints x
    respondents) block would fill them (row after row), so the answers are the same as drawing the
    block, in a fraction of the memory. The next datapoint's draws are made while this one's rows are
    computed."""
    n, coefficients = r.n, model.coefficients[spec.code][question.code]
    terms = [_Terms.of(spec, coefficients[dp.code], dp.code, model, r) for dp in question.datapoints]
    if question.kind == "single":
        return _single(rng, terms, n)
    bits = np.zeros(n, dtype=np.uint32)

    def datapoint(j: int, draws: np.ndarray) -> Work:
        def work(a: int, b: int, out: np.ndarray, scratch: np.ndarray) -> None:
            hit = np.less(draws[a:b], _sigmoid(terms[j].logit(a, b, out, scratch)))
            np.bitwise_or(bits[a:b], hit.astype(np.uint32) << np.uint32(j), out=bits[a:b])

        return work

    _datapoint_by_datapoint(len(terms), lambda draws: rng.random(out=draws), datapoint, n)
    return bits


def _single(rng: np.random.Generator, terms: list[_Terms], n: int) -> np.ndarray:
    """One answer each, the datapoint whose logit plus a Gumbel draw is largest (Gumbel-max; the first
    one on a tie, as argmax), then about 5% skip the question."""
    best, choice = np.empty(n), np.zeros(n, dtype=np.int8)

    def datapoint(j: int, draws: np.ndarray) -> Work:
        def work(a: int, b: int, out: np.ndarray, scratch: np.ndarray) -> None:
            row = np.add(terms[j].logit(a, b, out, scratch), draws[a:b], out=out)
            if j == 0:
                best[a:b] = row
                return
            choice[a:b][row > best[a:b]] = j
            np.maximum(best[a:b], row, out=best[a:b])

        return work

    def gumbel(draws: np.ndarray) -> None:
        draws[:] = rng.gumbel(size=n)

    _datapoint_by_datapoint(len(terms), gumbel, datapoint, n)
    choice[rng.random(n) < 0.05] = -1
    return choice


def _datapoint_by_datapoint(
    k: int, draw: Callable[[np.ndarray], object], datapoint: Callable[[int, np.ndarray], Work], n: int
) -> None:
    """For each of k datapoints in order: `draw` its n draws, then run its work over the rows, while
    the next datapoint's draws are made (into the other of two buffers)."""
    buffers = [np.empty(n), np.empty(n)]
    draw(buffers[0])
    for j in range(k):
        running = _over_rows(n, datapoint(j, buffers[j % 2]))
        if j + 1 < k:
            draw(buffers[(j + 1) % 2])
        for future in running:
            future.result()


def generate(spec: DatasetSpec, respondents: int, seed: int = 2024, model: Model = MODEL) -> SurveyData:
    rng = np.random.default_rng([seed, zlib.crc32(spec.code.encode())])
    n_loc, n_wave = len(spec.locations), len(spec.waves)
    # Samples grow with the square root of the market: big markets get more interviews, not all.
    share = np.sqrt(np.array([loc.population_m for loc in spec.locations]))
    share = np.repeat(share / share.sum() / n_wave, n_wave)
    counts = rng.multinomial(respondents, share)
    offsets = np.concatenate([[0], np.cumsum(counts)]).astype(np.int64)
    cell = np.repeat(np.arange(n_loc * n_wave), counts)
    location = (cell // n_wave).astype(np.int16)
    wave = (cell % n_wave).astype(np.int16)
    del cell  # made again for the weights: memory is what limits a build of millions

    lo, hi = spec.age_range
    age = rng.integers(lo, hi + 1, size=respondents).astype(np.int8)
    gender = rng.integers(0, 2, size=respondents).astype(np.int8)
    z_age = (age - (lo + hi) / 2) / ((hi - lo) / 3.5)
    # Each trait: its own row of normal draws (rows drawn one after another are the rows of one
    # (traits x respondents) draw), shifted in place: one array a trait, no copies. A gender of 0/1
    # times a coefficient is the float a 0.0/1.0 column gives.
    traits = {}
    for t in model.traits:
        traits[t.name] = rng.standard_normal(respondents)
        traits[t.name] += t.age * z_age + t.female * gender

    location_rows = tuple((int(offsets[li * n_wave]), int(offsets[(li + 1) * n_wave])) for li in range(n_loc))
    respondent = _Respondents(z_age, gender == 1, wave, location_rows, traits)
    # One question after another: the order of draws from `rng` is part of the data's identity.
    answers = {q.code: _answers(rng, spec, q, model, respondent) for q in spec.questions}
    del respondent, traits

    # Design weights: respondent-level variation, then each cell sums to its market's population.
    weight = np.exp(rng.normal(0.0, 0.35, size=respondents)) * (1.0 + 0.15 * (z_age < 0))
    population = np.repeat(np.array([loc.population_m * 1e6 for loc in spec.locations]), n_wave)
    cell = np.repeat(np.arange(n_loc * n_wave), counts)
    sums = np.bincount(cell, weights=weight, minlength=n_loc * n_wave)  # in row order, as np.add.at adds
    scale = np.divide(population, sums, out=np.zeros_like(sums), where=sums > 0)
    weight = weight * scale[cell]

    data = SurveyData(
        spec=spec,
        weight=weight,
        location=location,
        wave=wave,
        age=age,
        gender=gender,
        answers=answers,
        cell_offsets=offsets,
        seed=seed,
    )
    return data.prepare()
