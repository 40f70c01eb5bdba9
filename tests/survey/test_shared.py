"""The shared data store, on a local folder and on an S3-compatible server (moto, in server mode):
a version goes up whole with its manifest, comes down checked, the pointer names the active one,
and pruning keeps what a host may still pull."""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path

import obstore
import pytest

from survey import versions
from survey.shared import MANIFEST, SharedStore, StoreProblem
from tests.s3_server import CREDENTIALS, REGION, s3_bucket

T0 = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


@pytest.fixture(scope="module")
def endpoint() -> Iterator[str]:
    with s3_bucket() as url:
        yield url


@pytest.fixture(params=["folder", "s3"])
def hub(request: pytest.FixtureRequest, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> SharedStore:
    if request.param == "folder":
        return SharedStore((tmp_path / "store").as_uri())
    for name, value in CREDENTIALS.items():
        monkeypatch.setenv(name, value)
    endpoint = request.getfixturevalue("endpoint")
    return SharedStore(f"s3://spark-data/{tmp_path.name}", endpoint=endpoint, region=REGION)


def _version(folder: Path, seed: int) -> Path:
    folder.mkdir(parents=True)
    (folder / "weight.npy").write_bytes(bytes(range(256)) * (seed + 1))
    (folder / "meta.json").write_text(json.dumps({"seed": seed}))
    return folder


def test_a_version_goes_up_whole_and_comes_down_the_same(hub: SharedStore, tmp_path: Path) -> None:
    made = _version(tmp_path / "made", 3)
    version = versions.new_id(T0)
    hub.upload("ds-x", version, made)
    assert hub.current("ds-x") is None  # uploaded, not yet active
    hub.set_current("ds-x", version, now=T0)
    assert {code: a.version for code, a in hub.currents().items()} == {"ds-x": version}
    pulled = tmp_path / "pulled"
    pulled.mkdir()
    hub.download("ds-x", version, pulled)
    assert sorted(p.name for p in pulled.iterdir()) == ["meta.json", "weight.npy"]
    assert (pulled / "weight.npy").read_bytes() == (made / "weight.npy").read_bytes()
    assert hub.codes() == ["ds-x"] and hub.version_ids("ds-x") == [version]


def test_a_version_without_its_manifest_is_not_pulled(hub: SharedStore, tmp_path: Path) -> None:
    version = versions.new_id(T0)
    hub.upload("ds-x", version, _version(tmp_path / "made", 1))
    obstore.delete(hub.store, f"datasets/ds-x/{version}/{MANIFEST}")  # as if the upload had stopped before it
    with pytest.raises(StoreProblem, match="not complete"):
        hub.download("ds-x", version, tmp_path)


def test_a_file_that_does_not_match_its_manifest_is_refused(hub: SharedStore, tmp_path: Path) -> None:
    version = versions.new_id(T0)
    hub.upload("ds-x", version, _version(tmp_path / "made", 1))
    obstore.put(hub.store, f"datasets/ds-x/{version}/weight.npy", b"truncated")
    pulled = tmp_path / "pulled"
    pulled.mkdir()
    with pytest.raises(StoreProblem, match=r"weight\.npy .* does not match its manifest"):
        hub.download("ds-x", version, pulled)


def test_retired_versions_go_once_the_active_one_has_been_active_for_the_grace_period(
    hub: SharedStore, tmp_path: Path
) -> None:
    old, new = versions.new_id(T0), versions.new_id(T0 + HOUR)
    hub.upload("ds-x", old, _version(tmp_path / "old", 1))
    hub.set_current("ds-x", old, now=T0)
    hub.upload("ds-x", new, _version(tmp_path / "new", 2))
    hub.set_current("ds-x", new, now=T0 + HOUR)
    [kept] = hub.pending("ds-x", HOUR, now=T0 + 1.5 * HOUR)
    assert (kept.id, kept.why_kept) == (old, "the active version was published less than the grace period ago")
    assert hub.prune("ds-x", HOUR, now=T0 + 1.5 * HOUR) == []
    assert hub.prune("ds-x", HOUR, now=T0 + 2 * HOUR) == [old]
    assert hub.version_ids("ds-x") == [new]
    assert hub.current("ds-x") is not None and hub.current("ds-x").version == new  # type: ignore[union-attr]


def test_an_upload_that_may_still_be_under_way_is_kept(hub: SharedStore, tmp_path: Path) -> None:
    live, uploading = versions.new_id(T0), versions.new_id(T0 + 3 * HOUR)
    hub.upload("ds-x", live, _version(tmp_path / "live", 1))
    hub.set_current("ds-x", live, now=T0)
    hub.upload("ds-x", uploading, _version(tmp_path / "uploading", 2))  # not (yet) published
    assert hub.prune("ds-x", HOUR, now=T0 + 3.5 * HOUR) == []
    assert hub.prune("ds-x", HOUR, now=T0 + 4 * HOUR) == [uploading]  # abandoned
    assert hub.version_ids("ds-x") == [live]


def test_a_manifest_cannot_write_outside_the_folder_it_is_pulled_into(hub: SharedStore, tmp_path: Path) -> None:
    version = versions.new_id(T0)
    hub.upload("ds-x", version, _version(tmp_path / "made", 1))
    manifest = {"files": {"../../escaped.npy": {"size": 1, "sha256": "0" * 64}}}
    obstore.put(hub.store, f"datasets/ds-x/{version}/{MANIFEST}", json.dumps(manifest).encode())
    pulled = tmp_path / "deep" / "pulled"
    pulled.mkdir(parents=True)
    with pytest.raises(Exception):  # noqa: B017 (the store refuses the path, or the digest differs)
        hub.download("ds-x", version, pulled)
    assert [p for p in tmp_path.rglob("escaped.npy") if p.parent != pulled] == []


def test_a_folder_store_on_the_same_disk_links_the_files_instead_of_copying_them(tmp_path: Path) -> None:
    hub = SharedStore((tmp_path / "store").as_uri())
    made = _version(tmp_path / "made", 2)
    version = versions.new_id(T0)
    hub.upload("ds-x", version, made)
    stored = tmp_path / "store" / "datasets" / "ds-x" / version / "weight.npy"
    assert stored.stat().st_ino == (made / "weight.npy").stat().st_ino  # one copy on disk
    assert sorted(p.name for p in stored.parent.iterdir()) == [MANIFEST, "meta.json", "weight.npy"]


def test_the_newest_previous_versions_are_kept_when_told_to_keep_some(hub: SharedStore, tmp_path: Path) -> None:
    ids = [versions.new_id(T0 + i * HOUR) for i in range(4)]
    for i, version in enumerate(ids):
        hub.upload("ds-x", version, _version(tmp_path / str(i), i))
        hub.set_current("ds-x", version, now=T0 + i * HOUR)
    later = T0 + 10 * HOUR
    assert [(s.id, s.why_kept) for s in hub.pending("ds-x", HOUR, now=later, keep=1)] == [
        (ids[0], ""),
        (ids[1], ""),
        (ids[2], "one of the 1 previous versions kept"),
    ]
    assert hub.prune("ds-x", HOUR, now=later, keep=1) == ids[:2]
    assert hub.version_ids("ds-x") == ids[2:]
    assert hub.prune("ds-x", HOUR, now=later) == [ids[2]]


def test_a_removed_dataset_leaves_nothing_in_the_store(hub: SharedStore, tmp_path: Path) -> None:
    ids = [versions.new_id(T0 + i * HOUR) for i in range(2)]
    for i, version in enumerate(ids):
        hub.upload("ds-x", version, _version(tmp_path / str(i), i))
        hub.set_current("ds-x", version, now=T0 + i * HOUR)
    hub.upload("ds-y", ids[0], _version(tmp_path / "y", 5))
    hub.set_current("ds-y", ids[0], now=T0)
    assert hub.remove_dataset("ds-x") == ids
    assert hub.current("ds-x") is None and hub.version_ids("ds-x") == [] and hub.codes() == ["ds-y"]
    assert list(hub.currents()) == ["ds-y"]
