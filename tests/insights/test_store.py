"""The data store: stored aggregates, switching to a new data version, answers from one version only."""

from __future__ import annotations

import datetime as dt
import threading
import time
from pathlib import Path

import numpy as np
import pytest
from django.core.management import call_command

from insights import store
from insights.chat import Caller, InsightError, chat, explore
from survey import versions
from survey.catalog import DATASETS_BY_CODE
from survey.data import SurveyData, load
from survey.generator import generate
from survey.importer import Question, Source, Structure, assemble
from survey.shared import SharedStore
from tests.factories import World

PROMPT = "What share of Gen Z in Germany use TikTok weekly?"


@pytest.fixture
def own_data(settings, tmp_path: Path):
    """A data folder of this test's own, so its rebuilds touch no other test's data."""
    settings.SPARK_INSIGHTS_DIR = str(tmp_path)
    store.forget()
    yield tmp_path
    store.forget()


@pytest.fixture
def acme(world: World) -> Caller:
    return Caller(world.acme.pk, world.member.pk, frozenset({"ds-core"}))


def _same(a: SurveyData, b: SurveyData) -> None:
    assert np.array_equal(a.cell_weight, b.cell_weight) and np.array_equal(a.cell_count, b.cell_count)
    for code in a.answers:
        assert np.array_equal(a.cell_dp_weight[code], b.cell_dp_weight[code])
        assert np.array_equal(a.cell_dp_count[code], b.cell_dp_count[code])


def test_the_stored_aggregates_are_the_computed_ones_and_loading_computes_nothing(
    own_data: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    built = store.build("ds-gaming", 3_000, seed=5)
    monkeypatch.setattr(SurveyData, "prepare", lambda self: pytest.fail("a load recomputed the aggregates"))
    loaded = load(versions.path(store.folder("ds-gaming"), built.version))
    assert loaded.version == built.version and loaded.n == 3_000
    monkeypatch.undo()
    _same(loaded, generate(DATASETS_BY_CODE["ds-gaming"], 3_000, 5))
    assert isinstance(loaded.cell_dp_weight["g_platforms"], np.memmap)  # shared pages, not copies


def test_a_process_switches_to_a_new_version_whole_and_old_holders_keep_the_old_numbers(own_data: Path) -> None:
    first = store.build("ds-gaming", 3_000, seed=1)
    held = store.get("ds-gaming")
    assert held.version == first.version and store.get("ds-gaming") is held  # cached per version
    second = store.build("ds-gaming", 2_000, seed=2)  # fewer rows: the old mapping must still be whole
    now = store.get("ds-gaming")
    assert now.version == second.version and now.n == 2_000
    assert held.n == 3_000 and float(held.weight[-1]) == float(first.weight[-1])  # still readable
    _same(held, first)
    _same(now, second)


def test_an_insight_records_its_data_version_and_explore_answers_from_it(own_data: Path, acme: Caller) -> None:
    store.build("ds-core", 20_000, seed=1)
    answer = chat(caller=acme, prompt=PROMPT)
    insight = answer.insights[0]
    store.build("ds-core", 20_000, seed=2)
    explored = explore(caller=acme, insight_id=insight.id)
    metrics = {dp.key: dp.metrics for calculation in explored.calculations for dp in calculation.datapoints}[
        insight.attribute.key
    ]
    assert metrics == insight.metrics  # the old version's numbers, not the new one's
    assert chat(caller=acme, prompt=PROMPT).insights[0].metrics != insight.metrics  # the new data differs


def test_explore_says_the_data_was_updated_once_the_old_version_is_gone(own_data: Path, acme: Caller, settings) -> None:
    store.build("ds-core", 20_000, seed=1)
    insight = chat(caller=acme, prompt=PROMPT).insights[0]
    settings.SPARK_DATA_GRACE_SECONDS = 0
    store.forget()  # this process no longer maps it either
    store.build("ds-core", 20_000, seed=2)  # so publishing the next prunes it at once
    assert len(versions.listing(store.folder("ds-core"))) == 1
    with pytest.raises(InsightError, match=r"has since been updated .* Ask chat_gwi again"):
        explore(caller=acme, insight_id=insight.id)


def test_the_commands_name_the_versions(own_data: Path, capsys: pytest.CaptureFixture[str], settings) -> None:
    call_command("build_insights", dataset=["ds-gaming"], respondents=1_000)
    call_command("build_insights", dataset=["ds-gaming"], respondents=1_000, seed=3)
    built = capsys.readouterr().out
    old, new = (v.id for v in versions.listing(store.folder("ds-gaming")))
    assert f"data version {old}" in built and f"data version {new}" in built
    call_command("data_versions", dataset=["ds-gaming"])
    listed = capsys.readouterr().out
    assert f"ds-gaming: {new} (current)" in listed
    assert f"ds-gaming: {old} (retired, retired less than the grace period ago)" in listed
    settings.SPARK_DATA_GRACE_SECONDS = 0
    call_command("data_versions", dataset=["ds-gaming"], prune=True)
    assert f"ds-gaming: removed {old}" in capsys.readouterr().out


def test_the_layout_before_data_versions_is_rebuilt_not_read(own_data: Path) -> None:
    legacy = own_data / "ds-gaming"
    legacy.mkdir()
    (legacy / "meta.json").write_text('{"format": 1}')
    (legacy / "weight.npy").write_bytes(b"old")
    assert not store.is_built("ds-gaming")
    with pytest.raises(store.DataNotBuilt):
        store.get("ds-gaming")
    store.build("ds-gaming", 1_000)
    assert sorted(p.name for p in legacy.iterdir()) == ["current", "versions"]
    assert store.get("ds-gaming").n == 1_000


def test_a_retired_version_stays_while_this_process_maps_it(own_data: Path, settings) -> None:
    store.build("ds-gaming", 1_000, seed=1)
    held = store.get("ds-gaming")
    settings.SPARK_DATA_GRACE_SECONDS = 0
    store.build("ds-gaming", 1_000, seed=2)
    assert next(v.id for v in versions.listing(store.folder("ds-gaming"))) == held.version  # mapped here
    store.get("ds-gaming")  # this process moves to the new version ...
    del held
    later = dt.datetime.now(dt.UTC) + dt.timedelta(seconds=1)
    assert versions.prune(store.folder("ds-gaming"), dt.timedelta(0), now=later)  # ... and the old one can go


def test_a_re_import_with_the_same_definition_is_the_same_dataset(own_data: Path) -> None:
    """Each data version of an imported dataset loads its own definition; an unchanged definition is
    equal (so an answer that read the prompt against one version may use the next)."""

    def imported(seed: int) -> SurveyData:
        rows = np.random.default_rng(seed).integers(0, 2, size=50).astype(float)
        source = Source(
            {"q": rows},
            {"q": {0.0: "No", 1.0: "Yes"}},
            [Question("q", "Owns a bike", "single", ["q"], [(0.0, "No"), (1.0, "Yes")])],
        )
        return store.publish_import(
            assemble(source, Structure("ds-bikes", "Bikes", "", "2025", location="s2_31", allow_duplicate_rows=True))
        )

    first, second = imported(1), imported(2)
    loaded = [load(versions.path(store.folder("ds-bikes"), d.version)) for d in (first, second)]
    assert loaded[0].spec is not loaded[1].spec and loaded[0].spec == loaded[1].spec
    assert not np.array_equal(loaded[0].cell_dp_count["q"], loaded[1].cell_dp_count["q"])


# --- several servers, one shared store -----------------------------------------------------------


@pytest.fixture
def two_hosts(settings, tmp_path: Path):
    """Two servers' data folders (this process plays A, then B) and one shared store both reach.
    Background looks are off: each test pulls when it says so."""
    settings.SPARK_DATA_STORE = (tmp_path / "shared").as_uri()
    settings.SPARK_DATA_CHECK_SECONDS = 0
    a, b = tmp_path / "a", tmp_path / "b"
    settings.SPARK_INSIGHTS_DIR = str(a)
    store.forget()
    yield a, b
    store.forget()


def test_a_build_on_one_server_is_pulled_by_another(two_hosts: tuple[Path, Path], settings) -> None:
    _, b = two_hosts
    built = store.build("ds-gaming", 2_000, seed=4)
    settings.SPARK_INSIGHTS_DIR = str(b)
    assert not store.is_built("ds-gaming")
    assert store.sync() == {"ds-gaming": built.version}
    pulled = store.get("ds-gaming")
    assert pulled.version == built.version and pulled.n == 2_000
    _same(pulled, built)
    assert store.sync() == {}  # nothing new


def test_a_failed_upload_publishes_nothing(two_hosts: tuple[Path, Path], monkeypatch: pytest.MonkeyPatch) -> None:
    first = store.build("ds-gaming", 1_000, seed=1)

    def unreachable(*args: object) -> None:
        raise OSError("the shared store is unreachable")

    monkeypatch.setattr(SharedStore, "upload", unreachable)
    with pytest.raises(OSError, match="unreachable"):
        store.build("ds-gaming", 1_000, seed=2)
    assert [v.id for v in versions.listing(store.folder("ds-gaming"))] == [first.version]
    assert store.current_version("ds-gaming") == first.version
    assert store.shared().current("ds-gaming").version == first.version  # type: ignore[union-attr]
    assert not list(store.folder("ds-gaming").glob(".staging-*"))


def test_a_pull_that_does_not_match_the_manifest_is_never_served(two_hosts: tuple[Path, Path], settings) -> None:
    a, b = two_hosts
    first = store.build("ds-gaming", 1_000, seed=1)
    settings.SPARK_INSIGHTS_DIR = str(b)
    store.sync()
    settings.SPARK_INSIGHTS_DIR = str(a)
    second = store.build("ds-gaming", 1_000, seed=2)
    stored = Path(settings.SPARK_DATA_STORE.removeprefix("file://")) / "datasets" / "ds-gaming" / second.version
    (stored / "weight.npy").write_bytes(b"damaged")
    settings.SPARK_INSIGHTS_DIR = str(b)
    assert store.sync() == {}
    assert store.get("ds-gaming").version == first.version  # B keeps serving what it had
    assert store.sync_state().problem == "ds-gaming: pull failed (StoreProblem)"
    assert [v.id for v in versions.listing(store.folder("ds-gaming"))] == [first.version]
    assert not list(store.folder("ds-gaming").glob(".staging-*"))


def test_a_request_never_waits_for_a_pull_and_serves_the_new_version_once_complete(
    two_hosts: tuple[Path, Path], settings, monkeypatch: pytest.MonkeyPatch
) -> None:
    a, b = two_hosts
    first = store.build("ds-gaming", 1_000, seed=1)
    settings.SPARK_INSIGHTS_DIR = str(b)
    store.sync()
    settings.SPARK_INSIGHTS_DIR = str(a)
    second = store.build("ds-gaming", 1_000, seed=2)
    settings.SPARK_INSIGHTS_DIR = str(b)
    release, downloading = threading.Event(), threading.Event()
    download = SharedStore.download

    def slow(self: SharedStore, code: str, version: str, into: Path) -> None:
        downloading.set()
        assert release.wait(30)
        download(self, code, version, into)

    monkeypatch.setattr(SharedStore, "download", slow)
    monkeypatch.setattr(store, "_poll", store._Poll())  # this process has not looked yet
    settings.SPARK_DATA_CHECK_SECONDS = 0.01
    started = time.monotonic()
    assert store.get("ds-gaming").version == first.version  # starts the look, does not wait for it
    assert time.monotonic() - started < 1
    assert downloading.wait(10)
    assert store.get("ds-gaming").version == first.version  # still the old one, whole
    assert [v.id for v in versions.listing(store.folder("ds-gaming"))] == [first.version]
    release.set()
    store._poll.thread.join(30)  # type: ignore[union-attr]
    assert store.get("ds-gaming").version == second.version


def test_a_worker_preloads_every_built_dataset_and_prompt_understanding(survey_data: str) -> None:
    """What gunicorn workers do as they start (spark_portal.wsgi): the first answer then maps no data
    and builds no interpreter of its own."""
    from insights import chat as chat_module

    store.forget()
    chat_module._interpreters.clear()
    chat_module._catalog_indexes.clear()
    assert chat_module.preload(dt.date(2026, 1, 15)) == ["ds-core", "ds-usa-deep", "ds-gaming"]
    assert set(store._loaded) == {"ds-core", "ds-usa-deep", "ds-gaming"}
    specs = [store.spec(code) for code in ("ds-core", "ds-usa-deep", "ds-gaming")]
    assert chat_module.interpreter_for([s for s in specs if s is not None]) is next(
        iter(chat_module._interpreters.values())
    )
    (index,) = chat_module._catalog_indexes.values()  # search_survey's, built at start
    assert chat_module.catalog_index([s for s in specs if s is not None]) is index
