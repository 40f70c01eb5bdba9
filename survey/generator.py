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
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np

from survey import building
from survey.catalog import DEFINITIONS, Catalog, DatasetSpec, Question, Table, load_catalog
from survey.data import SurveyData, cell_sizes


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


def generate(
    spec: DatasetSpec, respondents: int, seed: int = 2024, model: Model = MODEL, folder: Path | None = None
) -> SurveyData:
    """The dataset's respondents at this size and seed. With `folder`, its files are written there
    as they are computed (a stored data version's layout), so a build of millions holds only a few
    columns in memory."""
    columns = building.Columns(folder)
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
    del cell

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

    # The weights are drawn after every answer: from where the answers' draws will end.
    start = rng.bit_generator.state
    after = building.position(start, sum(building.draws(q, respondents) for q in spec.questions))
    predicted = after.bit_generator.state["state"]
    weight = _weights(spec, after, z_age, counts)
    small: dict[str, np.ndarray] = {"location": location, "wave": wave, "age": age, "gender": gender}
    for name, column in small.items():
        columns.save(name, column)
    r = building.respondents(spec.age_range, age, gender, wave, traits, weight, offsets, n_wave)
    del z_age, traits
    answers = building.answers(spec.questions, partial(_terms, spec, model, r), r, start, columns)
    if answers.end["state"] != predicted:  # a Gumbel draw was made again
        weight = _weights(spec, building.position(answers.end, 0), r.z_ages[age - lo], counts)
    data = SurveyData(spec, weight, location, wave, age, gender, answers.columns, offsets, seed)
    data.cell_weight, data.cell_count = cell_sizes(weight, offsets)
    data.cell_dp_weight, data.cell_dp_count = answers.weighted, answers.counted
    if weight is not r.weight:
        data.prepare()
    for name in ("weight", "cell_offsets"):
        columns.save(name, getattr(data, name))
    if folder is not None:
        data.save_aggregates(folder)
    return data


def _weights(spec: DatasetSpec, rng: np.random.Generator, z_age: np.ndarray, counts: np.ndarray) -> np.ndarray:
    """Design weights: respondent-level variation, then each cell sums to its market's population."""
    n_wave = len(spec.waves)
    weight = np.exp(rng.normal(0.0, 0.35, size=z_age.shape[0])) * (1.0 + 0.15 * (z_age < 0))
    population = np.repeat(np.array([loc.population_m * 1e6 for loc in spec.locations]), n_wave)
    cell = np.repeat(np.arange(len(population)), counts)
    sums = np.bincount(cell, weights=weight, minlength=len(population))  # in row order, as np.add.at adds
    scale = np.divide(population, sums, out=np.zeros_like(sums), where=sums > 0)
    return weight * scale[cell]


def _terms(
    spec: DatasetSpec, model: Model, r: building.Respondents, question: Question, sign: float
) -> list[building.Terms]:
    """Each datapoint's logit terms (negated when `sign` is -1.0)."""
    terms = []
    for dp in question.datapoints:
        c = model.coefficients[spec.code][question.code][dp.code]
        first = (c.base, c.age, c.female, model.trends.get(dp.code, 0.0))
        boosts = [model.boost(loc.code, dp.code) for loc in spec.locations]
        terms.append(building.Terms.of(r, first, c.traits, boosts, sign))
    return terms
