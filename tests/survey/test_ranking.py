"""Which numbers become sentences: small samples only when named, never an audience's own definition."""

from __future__ import annotations

from survey.catalog import DATASETS_BY_CODE
from survey.engine import LOW_CONFIDENCE_SAMPLE, Crosstab, metrics
from survey.ranking import MAX_INSIGHTS, defining, rank

CORE = DATASETS_BY_CODE["ds-core"]
SOCIAL = CORE.question("social_weekly")


def _table(samples: list[int]) -> Crosstab:
    """social_weekly with the given positive samples; each datapoint's share grows with its sample."""
    rows = [metrics(n, n * 1000.0, 1000, 1_000_000.0, 2 * n + 10, (2 * n + 10) * 1000.0, 4_000_000.0) for n in samples]
    rows += [metrics(0, 0.0, 1000, 1_000_000.0, 10, 10_000.0, 4_000_000.0)] * (len(SOCIAL.datapoints) - len(rows))
    return Crosstab(question="social_weekly", base_sample=4000, base_size=4_000_000.0, rows=tuple(rows))


def test_small_samples_are_left_out_unless_named() -> None:
    small = LOW_CONFIDENCE_SAMPLE - 1
    table = _table([small, 400, 300])
    unnamed = rank([table], CORE, {"audience": "gen_z"}, focus=set())
    assert unnamed and all(not c.metrics.low_confidence for c in unnamed)
    named = rank([table], CORE, {"audience": "gen_z"}, focus={"social_weekly.facebook"})
    assert named[0].datapoint_index == 0 and named[0].metrics.low_confidence  # named first, flagged
    assert len(named) <= MAX_INSIGHTS


def test_an_audience_is_not_told_its_own_definition() -> None:
    assert defining({"audience": "heavy_social"}, CORE) == {"social_time.social_3h"}
    assert defining({"and": [{"audience": "gen_z"}, {"datapoint": "interests.gaming"}]}, CORE) == {"interests.gaming"}
    table = _table([400, 300, 200])
    ranked = rank([table], CORE, {"datapoint": "social_weekly.facebook"}, focus=set())
    assert ranked and all(c.datapoint_index != 0 for c in ranked)


def test_without_an_audience_only_percentages_are_stated() -> None:
    ranked = rank([_table([400, 300, 200, 100])], CORE, None, focus=set())
    assert ranked and {c.kind for c in ranked} == {"percentage"}
