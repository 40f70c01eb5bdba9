"""`manage.py enforce_retention`: what is older than each window goes, what is newer stays, a dry run
deletes nothing, 0 keeps forever, deletion goes in batches, and every real run is audited."""

from __future__ import annotations

import datetime as dt
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from audit.actions import Action
from audit.models import AuditEvent
from audit.services import audit_record
from insights import store
from insights.models import ChatRecord, InsightRecord
from survey import versions
from tests.factories import World
from tests.insights.test_visibility import PRIVATE, import_cordial
from usage.models import Credential, UsageDay

DAYS = {"audit": 365, "chats": 90, "usage": 400}


@pytest.fixture(autouse=True)
def _windows(settings, tmp_path: Path) -> None:
    settings.SPARK_RETAIN_AUDIT_DAYS = DAYS["audit"]
    settings.SPARK_RETAIN_CHATS_DAYS = DAYS["chats"]
    settings.SPARK_RETAIN_USAGE_DAYS = DAYS["usage"]
    settings.SPARK_INSIGHTS_DIR = str(tmp_path / "insights")  # no survey data unless a test builds some


def _ago(days: float) -> dt.datetime:
    return timezone.now() - dt.timedelta(days=days)


def _event(name: str, days_ago: float) -> AuditEvent:
    event = audit_record(action=Action.ORGANIZATION_CONTACT_CHANGED, summary=name)
    AuditEvent.objects.filter(pk=event.pk).update(created_at=_ago(days_ago))
    return event


def _chat(world: World, *, started: float, active: float, insights: int = 2) -> ChatRecord:
    chat = ChatRecord.objects.create(organization=world.acme, user=world.member, context={})
    for n in range(insights):
        InsightRecord.objects.create(organization=world.acme, chat=chat, text=f"insight {n}", spec={}, metrics={})
    InsightRecord.objects.filter(chat=chat).update(created_at=_ago(started))
    ChatRecord.objects.filter(pk=chat.pk).update(created_at=_ago(started), updated_at=_ago(active))
    return chat


def _loose_insight(world: World, days_ago: float) -> InsightRecord:
    insight = InsightRecord.objects.create(organization=world.acme, chat=None, text="loose", spec={}, metrics={})
    InsightRecord.objects.filter(pk=insight.pk).update(created_at=_ago(days_ago))
    return insight


def _usage(world: World, days_ago: int, tool: str = "chat_gwi") -> UsageDay:
    day = timezone.now().date() - dt.timedelta(days=days_ago)
    return UsageDay.objects.create(
        organization=world.acme,
        user=world.member,
        credential=Credential.TOKEN,
        credential_id=1,
        tool=tool,
        day=day,
        calls=3,
    )


def _run(*args: str) -> str:
    out = StringIO()
    call_command("enforce_retention", *args, stdout=out)
    return out.getvalue()


def _records(world: World) -> dict[str, object]:
    """One record of each kind on either side of its window."""
    return {
        "old_event": _event("old", DAYS["audit"] + 1),
        "new_event": _event("new", DAYS["audit"] - 1),
        "old_chat": _chat(world, started=DAYS["chats"] + 30, active=DAYS["chats"] + 1),
        "live_chat": _chat(world, started=DAYS["chats"] + 30, active=DAYS["chats"] - 1),
        "new_chat": _chat(world, started=1, active=1),
        "old_insight": _loose_insight(world, DAYS["chats"] + 1),
        "new_insight": _loose_insight(world, DAYS["chats"] - 1),
        "old_usage": _usage(world, DAYS["usage"] + 1),
        "edge_usage": _usage(world, DAYS["usage"]),
        "new_usage": _usage(world, 0),
    }


def test_records_older_than_their_window_go_and_newer_ones_stay(world: World) -> None:
    r = _records(world)
    out = _run()

    assert not AuditEvent.objects.filter(pk=r["old_event"].pk).exists()  # type: ignore[attr-defined]
    assert AuditEvent.objects.filter(pk=r["new_event"].pk).exists()  # type: ignore[attr-defined]
    assert set(ChatRecord.objects.values_list("pk", flat=True)) == {r["live_chat"].pk, r["new_chat"].pk}  # type: ignore[attr-defined]
    # A chat still in use keeps its insights, however old they are; an old chat's insights go with it.
    assert InsightRecord.objects.filter(chat=r["live_chat"]).count() == 2
    assert not InsightRecord.objects.filter(chat_id=r["old_chat"].pk).exists()  # type: ignore[attr-defined]
    assert not InsightRecord.objects.filter(pk=r["old_insight"].pk).exists()  # type: ignore[attr-defined]
    assert InsightRecord.objects.filter(pk=r["new_insight"].pk).exists()  # type: ignore[attr-defined]
    assert sorted(UsageDay.objects.values_list("pk", flat=True)) == sorted(
        [r["edge_usage"].pk, r["new_usage"].pk]  # type: ignore[attr-defined]
    )
    assert "audit events: deleted 1 (older than 365 days)" in out
    assert "chats: deleted 1 (older than 90 days)" in out
    assert "insights: deleted 3 (older than 90 days)" in out
    assert "usage days: deleted 1 (older than 400 days)" in out


def test_a_run_is_audited_with_its_counts_and_a_second_run_deletes_nothing(world: World) -> None:
    _records(world)
    _run()
    event = AuditEvent.objects.get(action="retention.enforced")
    assert event.detail["deleted"] == {"audit_events": 1, "chats": 1, "insights": 3, "usage_days": 1}
    assert event.detail["retention_days"] == DAYS and event.organization_id is None
    assert "1 audit events, 1 chats, 3 insights, 1 usage days" in event.summary

    remaining = (AuditEvent.objects.count(), ChatRecord.objects.count(), InsightRecord.objects.count())
    out = _run()
    assert "audit events: deleted 0" in out and "insights: deleted 0" in out and "usage days: deleted 0" in out
    assert (AuditEvent.objects.count() - 1, ChatRecord.objects.count(), InsightRecord.objects.count()) == remaining
    second = AuditEvent.objects.filter(action="retention.enforced").latest("pk")
    assert set(second.detail["deleted"].values()) == {0}


def test_a_dry_run_counts_and_deletes_nothing(world: World) -> None:
    _records(world)
    before = (AuditEvent.objects.count(), ChatRecord.objects.count(), InsightRecord.objects.count())
    usage = UsageDay.objects.count()
    out = _run("--dry-run")
    assert "audit events: would delete 1" in out
    assert "chats: would delete 1" in out and "insights: would delete 3" in out
    assert "usage days: would delete 1" in out
    assert (AuditEvent.objects.count(), ChatRecord.objects.count(), InsightRecord.objects.count()) == before
    assert UsageDay.objects.count() == usage
    assert not AuditEvent.objects.filter(action="retention.enforced").exists()


def test_zero_keeps_forever(world: World, settings) -> None:
    settings.SPARK_RETAIN_AUDIT_DAYS = settings.SPARK_RETAIN_CHATS_DAYS = settings.SPARK_RETAIN_USAGE_DAYS = 0
    _event("ancient", 5000)
    _chat(world, started=5000, active=5000)
    _loose_insight(world, 5000)
    _usage(world, 5000)
    out = _run()
    assert AuditEvent.objects.filter(summary="ancient").exists()
    assert (ChatRecord.objects.count(), InsightRecord.objects.count(), UsageDay.objects.count()) == (1, 3, 1)
    assert "audit events: kept forever (retention 0)" in out and "usage days: kept forever (retention 0)" in out
    assert AuditEvent.objects.get(action="retention.enforced").detail["deleted"] == {}


def test_each_window_is_its_own(world: World, settings) -> None:
    settings.SPARK_RETAIN_AUDIT_DAYS = 0
    settings.SPARK_RETAIN_USAGE_DAYS = 10
    _event("ancient", 5000)
    _usage(world, 11)
    kept = _usage(world, 9, tool="list_datasets")
    _run()
    assert AuditEvent.objects.filter(summary="ancient").exists()
    assert list(UsageDay.objects.values_list("pk", flat=True)) == [kept.pk]


def test_deletion_goes_in_batches(world: World) -> None:
    for n in range(5):
        _event(f"old {n}", DAYS["audit"] + 1 + n)
        _usage(world, DAYS["usage"] + 1 + n)
        _chat(world, started=DAYS["chats"] + 1 + n, active=DAYS["chats"] + 1 + n, insights=1)
    with CaptureQueriesContext(connection) as queries:
        out = _run("--batch-size", "2")
    deletes = [q["sql"] for q in queries.captured_queries if q["sql"].startswith("DELETE")]
    assert sum('"connectors_auditevent"' in sql for sql in deletes) == 3  # 2 + 2 + 1
    assert sum('"usage_usageday"' in sql for sql in deletes) == 3
    assert sum('"insights_chatrecord"' in sql.split("WHERE")[0] for sql in deletes) == 3
    assert "audit events: deleted 5" in out and "chats: deleted 5" in out and "usage days: deleted 5" in out
    assert not UsageDay.objects.exists() and not ChatRecord.objects.exists()


def test_a_batch_size_below_one_is_refused(db) -> None:
    with pytest.raises(CommandError, match="batch-size"):
        _run("--batch-size", "0")


def test_unused_data_versions_are_removed_as_data_versions_prune_does(db, settings) -> None:
    settings.SPARK_DATA_GRACE_SECONDS = 3600  # publishing the second version keeps the first
    store.forget()
    store.build("ds-gaming", 1_000, seed=1)
    store.build("ds-gaming", 1_000, seed=2)
    store.forget()  # this process maps neither any more
    old, new = (v.id for v in versions.listing(store.folder("ds-gaming")))
    assert "data versions: would delete 0" in _run("--dry-run")  # inside the grace period
    settings.SPARK_DATA_GRACE_SECONDS = 0
    both = f"ds-gaming/{old}, ds-gaming/{old} (shared store)"  # this server's copy and the shared store's
    assert f"data versions: would delete 2: {both}" in _run("--dry-run")
    assert [v.id for v in versions.listing(store.folder("ds-gaming"))] == [old, new]
    assert store.shared().version_ids("ds-gaming") == [old, new]
    assert f"data versions: deleted 2: {both}" in _run()
    assert [v.id for v in versions.listing(store.folder("ds-gaming"))] == [new]
    assert store.shared().version_ids("ds-gaming") == [new]
    removed = AuditEvent.objects.get(action="retention.enforced").detail["data_versions"]
    assert removed == [f"ds-gaming/{old}", f"ds-gaming/{old} (shared store)"]
    store.forget()


def test_the_newest_previous_versions_are_kept_as_spark_data_keep_versions_says(db, settings) -> None:
    settings.SPARK_DATA_GRACE_SECONDS = 0
    settings.SPARK_DATA_KEEP_VERSIONS = 1
    store.forget()
    for seed in (1, 2, 3):
        store.build("ds-gaming", 1_000, seed=seed)  # each publication prunes what is not kept
    store.forget()
    kept = [v.id for v in versions.listing(store.folder("ds-gaming"))]
    assert len(kept) == 2 and store.shared().version_ids("ds-gaming") == kept  # the active one and one previous
    assert "data versions: deleted 0" in _run()
    settings.SPARK_DATA_KEEP_VERSIONS = 0
    previous = kept[0]
    assert f"data versions: deleted 2: ds-gaming/{previous}, ds-gaming/{previous} (shared store)" in _run()
    assert [v.id for v in versions.listing(store.folder("ds-gaming"))] == kept[1:]
    assert store.shared().version_ids("ds-gaming") == kept[1:]


def test_a_removed_datasets_data_goes_from_every_other_host_at_its_retention_run(db, settings, tmp_path: Path) -> None:
    settings.SPARK_DATA_STORE = (tmp_path / "shared").as_uri()
    settings.SPARK_DATA_CHECK_SECONDS = 0
    host_a, host_b = str(tmp_path / "a"), str(tmp_path / "b")
    settings.SPARK_INSIGHTS_DIR = host_a
    import_cordial(tmp_path, PRIVATE)
    settings.SPARK_INSIGHTS_DIR = host_b
    store.sync()
    [version] = [v.id for v in versions.listing(store.folder(PRIVATE))]
    settings.SPARK_INSIGHTS_DIR = host_a
    call_command("dataset", "remove", PRIVATE, stdout=StringIO())
    # An import on its way: published, its row not written yet; and an upload that never got its pointer.
    hub = store.shared()
    hub.upload("ds-publishing", version, Path(host_b) / PRIVATE / "versions" / version)
    hub.set_current("ds-publishing", version)
    hub.upload("ds-left", version, Path(host_b) / PRIVATE / "versions" / version)

    settings.SPARK_INSIGHTS_DIR = host_b
    settings.SPARK_DATA_GRACE_SECONDS = 3600  # made just now: it may still be on its way
    assert "data versions: deleted 0" in _run()
    assert store.is_built(PRIVATE)
    settings.SPARK_DATA_GRACE_SECONDS = 0
    out = _run()
    assert (
        f"{PRIVATE}/{version} (dataset removed)" in out and f"ds-left/{version} (shared store, dataset removed)" in out
    )
    assert not (Path(host_b) / PRIVATE).exists() and hub.version_ids("ds-left") == []
    assert hub.version_ids("ds-publishing") == [version]  # its pointer says it is active: never taken for left behind
    assert "data versions: deleted 0" in _run()
    store.forget()
