"""Insights engine benchmark: chat_gwi and explore_insight_gwi latency, and one crosstab computed
by the engine, by DuckDB over the same data and by a pandas groupby, side by side in one run.

    .venv/bin/python bench/insights.py [--sizes 100000,1000000,3000000] [--repeat 40]

For each size it generates ds-core deterministically, stores it like `build_insights` does (and
memory-maps it back, as the server does), then in this process:
- runs chat_gwi end to end (understanding, engine, ranking, database writes) over a set of
  prompts and reports p50/p95; the same for explore_insight_gwi on the returned insight IDs;
- computes the same crosstab (all nine metrics for the 13 social platforms, audience = Gen Z
  women, base = 7 European markets x 4 waves) with the engine, with DuckDB (one SQL query with
  FILTER aggregates over the same columns) and with pandas (boolean masks + groupby), checks the
  three agree, and prints the time ratios.
Uses a throwaway SQLite database and data folder; nothing else is touched.
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
TMP = Path(tempfile.mkdtemp(prefix="spark-insights-bench-"))
os.environ.update(
    DJANGO_SETTINGS_MODULE="spark_portal.settings",
    DATABASE_URL=f"sqlite:///{TMP / 'bench.sqlite3'}",
    SPARK_INSIGHTS_DIR=str(TMP / "data"),
    LOG_LEVEL="ERROR",
)

import django  # noqa: E402

django.setup()  # imports spark_portal first: one BLAS thread per process, as the server runs

import numpy as np  # noqa: E402
from django.core.management import call_command  # noqa: E402

from insights import store  # noqa: E402
from insights.chat import Caller, chat, explore  # noqa: E402
from survey.catalog import DATASETS_BY_CODE  # noqa: E402
from survey.data import datapoint_matrix  # noqa: E402
from survey.engine import crosstab  # noqa: E402

PROMPTS = [
    "What share of Gen Z in Germany use TikTok weekly?",
    "social media use while watching TV among people aged 25-34 in Germany",
    "Which streaming services do Americans use?",
    "How do eco-conscious consumers in Europe shop?",
    "devices owned by women in the US in Q3 2024",
    "What do millennials in France think about brands?",
    "news sources for people over 55 in the UK last year",
    "payment methods in India in 2024",
    "Instagram use in Latin America",
    "gamers in Japan",
    "Spotify use globally",
    "interest in fashion among women aged 18-24 in Italy",
]
QUESTION = "social_weekly"
EUROPE = ["s2_44", "s2_49", "s2_33", "s2_34", "s2_39", "s2_46", "s2_31"]
WAVES = ["q1_2025", "q2_2025", "q3_2025", "q4_2025"]


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p / 100 * (len(ordered) - 1)))]


def timed(fn: Callable[[], object], repeat: int) -> tuple[float, object]:
    fn()  # warm
    runs = []
    result = None
    for _ in range(repeat):
        start = time.perf_counter()
        result = fn()
        runs.append(time.perf_counter() - start)
    return statistics.median(runs), result


def engine_crosstab(data, loc_idx, wave_idx):  # type: ignore[no-untyped-def]
    table = crosstab(data, QUESTION, {"and": [{"age": [16, 27]}, {"gender": "female"}]}, loc_idx, wave_idx)
    return np.array([[m.positive_size, m.audience_size, m.datapoint_size, m.positive_sample] for m in table.rows])


def duckdb_setup(data):  # type: ignore[no-untyped-def]
    import duckdb
    import pandas as pd

    frame = pd.DataFrame(
        {
            "weight": np.asarray(data.weight),
            "location": np.asarray(data.location),
            "wave": np.asarray(data.wave),
            "age": np.asarray(data.age),
            "gender": np.asarray(data.gender),
            "bits": np.asarray(data.answers[QUESTION]).astype(np.int64),
        }
    )
    con = duckdb.connect()
    con.register("frame", frame)
    con.execute("CREATE TABLE respondents AS SELECT * FROM frame")
    return con, frame


def duckdb_crosstab(con, k, loc_idx, wave_idx):  # type: ignore[no-untyped-def]
    aud = "(age BETWEEN 16 AND 27 AND gender = 1)"
    parts = []
    for j in range(k):
        hit = f"((bits >> {j}) & 1) = 1"
        parts += [
            f"sum(weight) FILTER (WHERE {aud} AND {hit})",
            f"sum(weight) FILTER (WHERE {hit})",
            f"count(*) FILTER (WHERE {aud} AND {hit})",
        ]
    sql = (
        f"SELECT count(DISTINCT wave), sum(weight) FILTER (WHERE {aud}), {', '.join(parts)} FROM respondents "
        f"WHERE location IN ({', '.join(map(str, loc_idx))}) AND wave IN ({', '.join(map(str, wave_idx))})"
    )
    waves, *row = con.execute(sql).fetchone()
    waves = waves or 1  # sizes are averaged over the base's waves
    audience = (row[0] or 0.0) / waves
    return np.array(
        [[(row[1 + 3 * j] or 0.0) / waves, audience, (row[2 + 3 * j] or 0.0) / waves, row[3 + 3 * j]] for j in range(k)]
    )


def pandas_crosstab(frame, question, loc_idx, wave_idx):  # type: ignore[no-untyped-def]
    import pandas as pd

    base = frame[frame["location"].isin(loc_idx) & frame["wave"].isin(wave_idx)]
    hits = pd.DataFrame(datapoint_matrix(question, base["bits"].to_numpy().astype(np.uint32)), index=base.index)
    audience = (base["age"].between(16, 27) & (base["gender"] == 1)).rename("aud")
    weighted = hits.mul(base["weight"], axis=0)
    sizes = weighted.groupby(audience).sum()
    counts = hits.groupby(audience).sum()
    aud_size = base["weight"].groupby(audience).sum().get(True, 0.0)
    positive = sizes.loc[True] if True in sizes.index else 0.0 * sizes.sum()
    waves = base["wave"].nunique() or 1  # sizes are averaged over the base's waves
    sizes_by_dp = [positive / waves, np.full(len(positive), aud_size / waves), sizes.sum() / waves]
    return np.column_stack([*sizes_by_dp, counts.loc[True]])


def run(size: int, repeat: int, caller: Caller, compare: bool) -> dict[str, float]:
    spec = DATASETS_BY_CODE["ds-core"]
    started = time.perf_counter()
    store.build("ds-core", size)
    store.forget()
    data = store.get("ds-core")
    built = time.perf_counter() - started
    loc_idx = [spec.locations.index(spec.location(c)) for c in EUROPE]
    wave_idx = [spec.waves.index(spec.wave(c)) for c in WAVES]

    chat_times, explore_times, insight_ids = [], [], []
    for _ in range(max(1, repeat // len(PROMPTS))):
        for prompt in PROMPTS:
            start = time.perf_counter()
            answer = chat(caller=caller, prompt=prompt)
            chat_times.append(time.perf_counter() - start)
            insight_ids += [i.id for i in answer.insights[:1]]
    for insight_id in insight_ids:
        start = time.perf_counter()
        explore(caller=caller, insight_id=insight_id)
        explore_times.append(time.perf_counter() - start)

    engine_s, engine_result = timed(lambda: engine_crosstab(data, loc_idx, wave_idx), repeat)
    out = {
        "size": size,
        "build_s": built,
        "chat_p50": percentile(chat_times, 50) * 1000,
        "chat_p95": percentile(chat_times, 95) * 1000,
        "explore_p50": percentile(explore_times, 50) * 1000,
        "explore_p95": percentile(explore_times, 95) * 1000,
        "engine_ms": engine_s * 1000,
    }
    if compare:
        con, frame = duckdb_setup(data)
        k = len(spec.question(QUESTION).datapoints)
        duck_s, duck_result = timed(lambda: duckdb_crosstab(con, k, loc_idx, wave_idx), repeat)
        question = spec.question(QUESTION)
        pandas_s, pandas_result = timed(
            lambda: pandas_crosstab(frame, question, loc_idx, wave_idx), max(5, repeat // 4)
        )
        assert np.allclose(engine_result, duck_result, rtol=1e-9), "DuckDB disagrees with the engine"
        assert np.allclose(engine_result, pandas_result, rtol=1e-9), "pandas disagrees with the engine"
        out.update(duckdb_ms=duck_s * 1000, pandas_ms=pandas_s * 1000)
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", default="100000,1000000,3000000")
    parser.add_argument("--repeat", type=int, default=48)
    args = parser.parse_args()
    call_command("migrate", verbosity=0)
    from accounts.models import Organization
    from catalog.services import catalog_load

    catalog_load()
    org = Organization.objects.create(name="Bench", slug="bench")
    caller = Caller(org.pk, None, frozenset({"ds-core"}))
    try:
        rows = [run(int(size), args.repeat, caller, compare=True) for size in args.sizes.split(",")]
    finally:  # the data folder holds gigabytes at 10M respondents
        store.forget()
        shutil.rmtree(TMP, ignore_errors=True)

    print("\nchat_gwi and explore_insight_gwi end to end in-process (ms), engine crosstab vs DuckDB vs pandas")
    headers = ["respondents", "build s", "chat p50", "chat p95", "explore p50", "explore p95"]
    headers += ["engine ms", "duckdb ms", "pandas ms", "duckdb/engine", "pandas/engine"]
    print(" ".join(f"{h:>13}" for h in headers))
    for r in rows:
        cells = [f"{r['size']:,}", f"{r['build_s']:.1f}", f"{r['chat_p50']:.1f}", f"{r['chat_p95']:.1f}"]
        cells += [f"{r['explore_p50']:.2f}", f"{r['explore_p95']:.2f}", f"{r['engine_ms']:.2f}"]
        cells += [f"{r['duckdb_ms']:.2f}", f"{r['pandas_ms']:.2f}"]
        cells += [f"{r['duckdb_ms'] / r['engine_ms']:.1f}x", f"{r['pandas_ms'] / r['engine_ms']:.1f}x"]
        print(" ".join(f"{c:>13}" for c in cells))
    print("\ntargets: chat_gwi p50 <= 50 ms, explore_insight_gwi p50 <= 10 ms, engine >= DuckDB and >= 10x pandas")
    print("crosstab: 13 social platforms, audience Gen Z women (age 16-27), 7 European markets x 4 waves of 2025")


if __name__ == "__main__":
    main()
