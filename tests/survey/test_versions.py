"""Data versions: written whole, published atomically, removed only when nothing needs them."""

from __future__ import annotations

import datetime as dt
import mmap
import os
from pathlib import Path

import pytest

from survey import versions

T0 = dt.datetime(2026, 11, 28, 12, 0, tzinfo=dt.UTC)
HOUR = dt.timedelta(hours=1)


def _save(text: str):
    def save(folder: Path) -> None:
        (folder / "numbers.txt").write_text(text)

    return save


def test_a_version_is_published_only_when_complete(tmp_path: Path) -> None:
    assert versions.current(tmp_path) is None
    seen_during_save: list[str | None] = []

    def save(folder: Path) -> None:
        (folder / "numbers.txt").write_text("new")
        seen_during_save.append(versions.current(tmp_path))

    first = versions.write(tmp_path, _save("old"), now=T0)
    second = versions.write(tmp_path, save, now=T0 + HOUR)
    assert seen_during_save == [first]  # readers kept the old version while the new one was written
    assert versions.current(tmp_path) == second
    assert (tmp_path / "current" / "numbers.txt").read_text() == "new"
    assert (versions.path(tmp_path, first) / "numbers.txt").read_text() == "old"  # never written again
    assert os.readlink(tmp_path / "current") == f"versions/{second}"  # relative: the folder can move


def test_a_failing_build_leaves_nothing_and_the_current_version_untouched(tmp_path: Path) -> None:
    first = versions.write(tmp_path, _save("old"), now=T0)

    def broken(folder: Path) -> None:
        (folder / "numbers.txt").write_text("half")
        raise ValueError("row 7: no such column")

    with pytest.raises(ValueError, match="row 7"):
        versions.write(tmp_path, broken, now=T0 + HOUR)
    assert versions.current(tmp_path) == first
    assert [v.id for v in versions.listing(tmp_path)] == [first]
    assert not list(tmp_path.glob(".staging-*"))


def test_ids_sort_by_time_and_listing_knows_when_each_was_retired(tmp_path: Path) -> None:
    ids = [versions.write(tmp_path, _save(str(i)), now=T0 + i * HOUR) for i in range(3)]
    assert ids == sorted(ids)
    listed = versions.listing(tmp_path)
    assert [(v.id, v.current) for v in listed] == [(ids[0], False), (ids[1], False), (ids[2], True)]
    assert [v.retired_at for v in listed] == [T0 + HOUR, T0 + 2 * HOUR, None]


def test_prune_keeps_the_current_version_and_those_inside_the_grace_period(tmp_path: Path) -> None:
    ids = [versions.write(tmp_path, _save(str(i)), now=T0 + i * HOUR) for i in range(3)]
    # ids[0] was retired at T0+1h and ids[1] at T0+2h; at T0+2h30 a 1 h grace lets only ids[0] go.
    removed = versions.prune(tmp_path, HOUR, now=T0 + 2.5 * HOUR)
    assert removed == [ids[0]]
    assert [v.id for v in versions.listing(tmp_path)] == ids[1:]
    assert versions.prune(tmp_path, HOUR, now=T0 + 10 * HOUR) == [ids[1]]
    assert versions.current(tmp_path) == ids[2]


def test_prune_keeps_a_version_a_process_still_maps(tmp_path: Path) -> None:
    old = versions.write(tmp_path, _save("old numbers"), now=T0)
    versions.write(tmp_path, _save("new"), now=T0 + HOUR)
    with (versions.path(tmp_path, old) / "numbers.txt").open("rb") as handle:
        mapped = mmap.mmap(handle.fileno(), 0, access=mmap.ACCESS_READ)
        try:
            [(version, why)] = versions.pending(tmp_path, HOUR, now=T0 + 5 * HOUR)
            assert (version.id, why) == (old, "still mapped by a running process")
            assert versions.prune(tmp_path, HOUR, now=T0 + 5 * HOUR) == []
        finally:
            mapped.close()
    assert versions.prune(tmp_path, HOUR, now=T0 + 5 * HOUR) == [old]


def test_an_abandoned_build_is_cleaned_up_after_the_grace_period(tmp_path: Path) -> None:
    versions.write(tmp_path, _save("live"), now=T0)
    crashed = tmp_path / f".staging-{versions.new_id(T0 + HOUR)}"
    crashed.mkdir()
    stamp = (T0 + HOUR).timestamp()
    os.utime(crashed, (stamp, stamp))  # last written to then
    versions.prune(tmp_path, HOUR, now=T0 + 1.5 * HOUR)
    assert crashed.exists()  # it may still be writing
    versions.prune(tmp_path, HOUR, now=T0 + 3 * HOUR)
    assert not crashed.exists()


def test_a_pull_of_an_old_version_is_not_taken_for_an_abandoned_build(tmp_path: Path) -> None:
    """A pull stages a version made long ago: its staging folder goes by its own time, not its ID's."""
    versions.write(tmp_path, _save("live"), now=T0)
    pulling = tmp_path / f".staging-{versions.new_id(T0)}"
    pulling.mkdir()  # being written now
    versions.prune(tmp_path, HOUR, now=dt.datetime.now(dt.UTC) + HOUR / 2)
    assert pulling.exists()


def test_publishing_a_version_that_does_not_exist_is_refused(tmp_path: Path) -> None:
    live = versions.write(tmp_path, _save("live"), now=T0)
    with pytest.raises(versions.VersionMissing):
        versions.publish(tmp_path, versions.new_id(T0 + HOUR))
    assert versions.current(tmp_path) == live


def test_prune_keeps_the_newest_previous_versions_it_is_told_to_keep(tmp_path: Path) -> None:
    ids = [versions.write(tmp_path, _save(str(i)), now=T0 + i * HOUR) for i in range(4)]
    later = T0 + 10 * HOUR  # every retired version is past the grace period
    waiting = dict((v.id, reason) for v, reason in versions.pending(tmp_path, HOUR, now=later, keep=2))
    assert waiting == {
        ids[0]: "",
        ids[1]: "one of the 2 previous versions kept",
        ids[2]: "one of the 2 previous versions kept",
    }
    assert versions.prune(tmp_path, HOUR, now=later, keep=2) == [ids[0]]
    assert versions.prune(tmp_path, HOUR, now=later, keep=1) == [ids[1]]
    assert [v.id for v in versions.listing(tmp_path)] == ids[2:]
    assert versions.current(tmp_path) == ids[3]


def test_a_dataset_folder_is_removed_whole(tmp_path: Path) -> None:
    root = tmp_path / "ds-x"
    ids = [versions.write(root, _save(str(i)), now=T0 + i * HOUR) for i in range(2)]
    assert versions.newest_made_at(root) == T0 + HOUR
    assert versions.bytes_on_disk(root) == 2
    assert versions.remove_all(root) == ids
    assert not root.exists() and versions.current(root) is None and versions.newest_made_at(root) is None
