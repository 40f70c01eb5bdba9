"""Deterministic respondent-level data: the same dataset, seed and size always give the same data.

Each respondent gets a market and a wave (respondents are generated cell by cell, already sorted
by (location, wave)), an age and a gender, and five latent traits (tech, social, eco, sport,
thrift) that depend on age and gender. Every datapoint's probability is a logistic function of
age, gender, traits, the market (catalog `boosts`) and a small trend across waves, so the
structure is believable: younger people over-index on newer platforms, eco-conscious people
buy second-hand, and so on. Weights vary per respondent and sum, in each market and wave, to
that market's internet population.
"""

from __future__ import annotations

import zlib

import numpy as np

from insights.catalog import DatasetSpec
from insights.data import SurveyData

# Newer platforms grow wave on wave (logit per wave).
TRENDS = {"tiktok": 0.06, "social_commerce": 0.05, "mobile_wallet": 0.04, "bnpl": 0.04, "facebook": -0.03}


def _sigmoid(x: np.ndarray) -> np.ndarray:
    return 1.0 / (1.0 + np.exp(-x))


def generate(spec: DatasetSpec, respondents: int, seed: int = 2024) -> SurveyData:
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

    lo, hi = spec.age_range
    age = rng.integers(lo, hi + 1, size=respondents).astype(np.int8)
    gender = rng.integers(0, 2, size=respondents).astype(np.int8)
    z_age = (age - (lo + hi) / 2) / ((hi - lo) / 3.5)
    female = gender.astype(np.float64)
    normal = rng.standard_normal((len(spec.traits), respondents))
    trait_shift = {
        "tech": -0.45 * z_age - 0.15 * female,
        "social": -0.5 * z_age + 0.2 * female,
        "eco": 0.25 * female,
        "sport": -0.2 * z_age - 0.3 * female,
        "thrift": 0.1 * z_age,
    }
    traits = {name: normal[i] + trait_shift.get(name, 0.0) for i, name in enumerate(spec.traits)}

    answers: dict[str, np.ndarray] = {}
    for question in spec.questions:
        logits = np.empty((len(question.datapoints), respondents))
        for j, dp in enumerate(question.datapoints):
            logit = dp.base + dp.age * z_age + dp.female * female + TRENDS.get(dp.code, 0.0) * wave
            for trait, coef in dp.traits:
                logit = logit + coef * traits[trait]
            boosts = np.array([dict(loc.boosts).get(dp.code, 0.0) for loc in spec.locations])
            logits[j] = logit + boosts[location]
        if question.kind == "single":
            # One answer each, chosen with these logits (Gumbel-max), about 5% skip the question.
            choice = np.argmax(logits + rng.gumbel(size=logits.shape), axis=0).astype(np.int8)
            choice[rng.random(respondents) < 0.05] = -1
            answers[question.code] = choice
        else:
            hits = rng.random(logits.shape) < _sigmoid(logits)
            bits = np.zeros(respondents, dtype=np.uint32)
            for j in range(len(question.datapoints)):
                bits |= hits[j].astype(np.uint32) << np.uint32(j)
            answers[question.code] = bits

    # Design weights: respondent-level variation, then each cell sums to its market's population.
    weight = np.exp(rng.normal(0.0, 0.35, size=respondents)) * (1.0 + 0.15 * (z_age < 0))
    population = np.repeat(np.array([loc.population_m * 1e6 for loc in spec.locations]), n_wave)
    sums = np.zeros(n_loc * n_wave)
    np.add.at(sums, cell, weight)
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
