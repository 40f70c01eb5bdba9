"""The staff System status page: versions, each dataset's data version and size, versions waiting
for cleanup, the database and its migrations, the last backup. Staff only."""

from __future__ import annotations

import datetime as dt
import os
import platform
from pathlib import Path

import django
import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.test import Client

from accounts.models import User
from insights import store
from survey import versions
from survey.shared import SharedStore
from tests.factories import PASSWORD, World


@pytest.fixture
def staff(world: World) -> Client:
    user = User.objects.create_user(email="ops@spark.example", password=PASSWORD, is_staff=True)
    client = Client()
    client.force_login(user)
    return client


def test_signed_out_people_are_sent_to_sign_in(client: Client, world: World) -> None:
    response = client.get("/status/")
    assert response.status_code == 302 and response["Location"].startswith("/auth/login/")


def test_people_who_are_not_staff_get_404(member_client: Client, world: World) -> None:
    assert member_client.get("/status/").status_code == 404


def test_the_page_shows_versions_datasets_and_the_database(staff: Client, survey_data: str, settings) -> None:
    settings.SPARK_LAST_BACKUP_FILE = ""
    response = staff.get("/status/")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    body = response.content.decode()
    assert "<h1>System status</h1>" in body
    assert f'<dt>Python</dt><dd class="mono">{platform.python_version()}</dd>' in body
    assert f'<dt>Django</dt><dd class="mono">{django.get_version()}</dd>' in body
    assert "<dt>prometheus-client</dt>" in body and "0.1.0" in body
    for code in ("ds-core", "ds-usa-deep", "ds-gaming"):
        assert f'data-dataset="{code}"' in body
        assert f'<span class="mono">{versions.current(store.folder(code))}</span>' in body
    assert f'<td data-label="Respondents">{store.get("ds-core").n:,}</td>' in body
    assert "all applied" in body and f"<dd>{connection.display_name} <span" in body
    assert "not configured" in body


def test_pending_cleanup_and_size_on_disk(staff: Client, world: World, settings, tmp_path: Path) -> None:
    settings.SPARK_INSIGHTS_DIR = str(tmp_path)
    first = store.build("ds-gaming", 2_000).version
    second = store.build("ds-gaming", 2_000).version
    store.forget()
    body = staff.get("/status/").content.decode()
    row = body.split('data-dataset="ds-gaming"')[1].split("</tr>")[0]
    assert second in row and '<td data-label="Respondents">2,000</td>' in row
    assert (
        f'<span class="mono">{first}</span> <span class="help">(retired less than the grace period ago)</span>' in row
    )
    size = sum(f.stat().st_size for f in versions.path(store.folder("ds-gaming"), second).rglob("*") if f.is_file())
    assert size > 0 and (f"{size / 1024:.1f}\xa0KB" in row or f"{size / 1024 / 1024:.1f}\xa0MB" in row)
    assert "no data on this server" in body.split('data-dataset="ds-core"')[1].split("</tr>")[0]


def test_the_version_served_here_and_the_one_active_in_the_shared_store(
    staff: Client, world: World, settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    settings.SPARK_DATA_STORE = (tmp_path / "shared").as_uri()
    settings.SPARK_DATA_CHECK_SECONDS = 0  # this test pulls when it says so
    settings.SPARK_INSIGHTS_DIR = str(tmp_path / "a")
    first = store.build("ds-gaming", 1_000, seed=1).version
    settings.SPARK_INSIGHTS_DIR = str(tmp_path / "b")
    store.sync()
    settings.SPARK_INSIGHTS_DIR = str(tmp_path / "a")
    second = store.build("ds-gaming", 1_000, seed=2).version
    settings.SPARK_INSIGHTS_DIR = str(tmp_path / "b")

    def interrupted(*args: object) -> None:
        raise ConnectionError("connection reset by the store")

    with monkeypatch.context() as patch:
        patch.setattr(SharedStore, "download", interrupted)
        store.sync()
    body = staff.get("/status/").content.decode()
    row = body.split('data-dataset="ds-gaming"')[1].split("</tr>")[0]
    assert f'<td data-label="Served here"><span class="mono">{first}</span>' in row
    assert f'<td data-label="Active in the shared store"><span class="mono">{second}</span>' in row
    assert '<span class="badge paused">being pulled</span>' in row
    assert f'<dd class="mono">{settings.SPARK_DATA_STORE}</dd>' in body
    assert "ds-gaming: connection reset by the store" in body
    store.sync()
    row = staff.get("/status/").content.decode().split('data-dataset="ds-gaming"')[1].split("</tr>")[0]
    assert f'<td data-label="Served here"><span class="mono">{second}</span>' in row
    assert "being pulled" not in row
    store.forget()


def test_last_backup(staff: Client, settings, tmp_path: Path) -> None:
    stamp = tmp_path / "last-backup"
    settings.SPARK_LAST_BACKUP_FILE = str(stamp)
    assert "no backup recorded" in staff.get("/status/").content.decode()
    stamp.touch()
    when = dt.datetime(2026, 3, 4, 5, 6, 7, tzinfo=dt.UTC)
    os.utime(stamp, (when.timestamp(), when.timestamp()))
    body = staff.get("/status/").content.decode()
    assert "no backup recorded" not in body
    assert '<time datetime="2026-03-04T05:06:07+00:00">' in body


def test_pending_migrations_are_named(staff: Client) -> None:
    recorder = MigrationRecorder(connection)
    app, name = max(key for key in recorder.applied_migrations() if key[0] == "catalog")
    recorder.record_unapplied(app, name)
    body = staff.get("/status/").content.decode()
    assert "1 pending" in body and f"<code>{app}.{name}</code>" in body
