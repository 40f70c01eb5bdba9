"""/healthz and /readyz: alive, and ready only when the database answers, every migration is
applied and every dataset an organization was given has its data here."""

from __future__ import annotations

import socket
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.db import connection
from django.db.migrations.recorder import MigrationRecorder
from django.db.utils import ConnectionHandler
from django.test import Client

from catalog.models import Dataset
from insights import store
from ops import health
from survey.shared import SharedStore
from tests.factories import World


@pytest.fixture(autouse=True)
def _fresh_verdict() -> Iterator[None]:
    health.forget_migrations()
    yield
    health.forget_migrations()


def closed_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])  # nothing listens there once the socket is closed


def unreachable_postgres() -> ConnectionHandler:
    """A real PostgreSQL connection to a port nobody listens on."""
    return ConnectionHandler(
        {
            "default": {
                "ENGINE": "django.db.backends.postgresql",
                "NAME": "spark",
                "USER": "spark",
                "PASSWORD": "not-used",
                "HOST": "127.0.0.1",
                "PORT": str(closed_port()),
                "OPTIONS": {"connect_timeout": 2},
            }
        }
    )


def test_healthz_answers_without_the_database(client: Client) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}
    assert len(response.content) < 40
    assert response["Cache-Control"] == "no-store"


def test_ready_when_everything_is_there(client: Client, world: World, survey_data: str) -> None:
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    served = {code: store.current_version(code) for code in ("ds-core", "ds-gaming", "ds-usa-deep")}
    assert response.json() == {"status": "ready", "data_versions": served}
    assert all(served.values())


def test_not_ready_when_an_assigned_dataset_has_no_data(
    client: Client, world: World, settings, tmp_path: Path, survey_data: str
) -> None:
    empty = tmp_path / "insights"
    empty.mkdir()
    # ds-core and ds-usa-deep (Acme's) and ds-gaming (Globex's) are assigned; only ds-core is built here.
    (empty / "ds-core").symlink_to(Path(survey_data) / "ds-core")
    settings.SPARK_INSIGHTS_DIR = str(empty)
    response = client.get("/readyz")
    assert response.status_code == 503
    reasons = response.json()["reasons"]
    assert any("ds-usa-deep" in r and "no data" in r for r in reasons), reasons
    assert any("ds-gaming" in r for r in reasons)
    assert not any("ds-core" in r for r in reasons)
    assert response.json()["request_id"] == response["X-Request-ID"]


def test_a_dataset_nobody_was_given_does_not_matter(client: Client, world: World, settings, tmp_path: Path) -> None:
    world.acme.datasets.clear()
    world.globex.datasets.clear()
    settings.SPARK_INSIGHTS_DIR = str(tmp_path)
    assert client.get("/readyz").status_code == 200


def test_not_ready_when_a_dataset_cannot_be_loaded(
    client: Client, world: World, settings, tmp_path: Path, survey_data: str
) -> None:
    world.acme.datasets.clear()
    world.globex.datasets.set([world.datasets["ds-gaming"]])
    broken = tmp_path / "ds-gaming"
    (broken / "versions" / "20250101T000000000000Z-abcdef").mkdir(parents=True)  # a version with no files
    (broken / "current").symlink_to("versions/20250101T000000000000Z-abcdef")
    settings.SPARK_INSIGHTS_DIR = str(tmp_path)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reasons"][0].startswith("dataset ds-gaming: data not loadable")


def test_not_ready_while_a_migration_is_pending(client: Client, world: World, survey_data: str) -> None:
    recorder = MigrationRecorder(connection)
    app, name = max(key for key in recorder.applied_migrations() if key[0] == "catalog")
    recorder.record_unapplied(app, name)
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reasons"] == [f"migrations: 1 pending ({app}.{name})"]
    recorder.record_applied(app, name)
    assert client.get("/readyz").status_code == 503  # the verdict is kept for a while…
    health.forget_migrations()
    assert client.get("/readyz").status_code == 200  # …and read again after it


def test_the_migration_verdict_is_kept_so_a_probe_stays_cheap(
    client: Client, world: World, survey_data: str, django_assert_max_num_queries
) -> None:
    assert client.get("/readyz").status_code == 200
    with django_assert_max_num_queries(2):  # SELECT 1 and the assigned datasets
        assert client.get("/readyz").status_code == 200


def test_not_ready_when_the_database_is_unreachable(django_db_blocker) -> None:
    """A real connection attempt to a PostgreSQL port where nothing listens (not the test database)."""
    handler = unreachable_postgres()
    try:
        with django_db_blocker.unblock():
            assert health.database_problems(handler["default"]) == ["database: unreachable (OperationalError)"]
    finally:
        handler.close_all()


def test_readyz_answers_503_when_the_database_is_unreachable(
    monkeypatch: pytest.MonkeyPatch, django_db_blocker
) -> None:
    handler = unreachable_postgres()
    monkeypatch.setattr(health, "connections", handler)
    try:
        with django_db_blocker.unblock():
            response = Client().get("/readyz")
            alive = Client().get("/healthz")
    finally:
        handler.close_all()
    assert response.status_code == 503
    assert response.json()["reasons"] == ["database: unreachable (OperationalError)"]
    assert alive.status_code == 200


def test_probes_skip_host_checks_https_redirects_and_the_request_log(
    client: Client, world: World, survey_data: str, settings, caplog: pytest.LogCaptureFixture
) -> None:
    settings.SECURE_SSL_REDIRECT = True
    settings.ALLOWED_HOSTS = ["spark.example.com"]
    with caplog.at_level("INFO", logger="spark.request"):
        assert client.get("/healthz", HTTP_HOST="10.0.0.11:8000").status_code == 200
        assert client.get("/readyz", HTTP_HOST="10.0.0.11:8000").status_code == 200
    assert not [r for r in caplog.records if r.name == "spark.request"]
    assert client.get("/settings/", HTTP_HOST="10.0.0.11:8000").status_code == 400  # everything else: checked


def test_a_new_server_is_ready_once_it_has_pulled_the_data_and_says_which_version_it_serves(
    client: Client, world: World, settings, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    world.globex.datasets.clear()
    world.acme.datasets.set([world.datasets["ds-gaming"]])
    settings.SPARK_DATA_STORE = (tmp_path / "shared").as_uri()
    settings.SPARK_DATA_CHECK_SECONDS = 0  # this test pulls when it says so
    settings.SPARK_INSIGHTS_DIR = str(tmp_path / "a")
    built = store.build("ds-gaming", 1_000).version  # on server A
    settings.SPARK_INSIGHTS_DIR = str(tmp_path / "b")  # server B, new

    def interrupted(*args: object) -> None:
        raise ConnectionError("reset")

    with monkeypatch.context() as patch:
        patch.setattr(SharedStore, "download", interrupted)
        store.sync()
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json()["reasons"] == [
        f"dataset ds-gaming: no data on this server yet (pulling data version {built} from the shared data store)"
    ]
    assert response.json()["data_versions"] == {"ds-gaming": None}
    store.sync()
    response = client.get("/readyz")
    assert response.status_code == 200, response.content
    assert response.json() == {"status": "ready", "data_versions": {"ds-gaming": built}}
    store.forget()


def test_readyz_never_names_a_private_dataset(client: Client, world: World, settings, tmp_path: Path) -> None:
    settings.SPARK_INSIGHTS_DIR = str(tmp_path / "empty")  # no data here: every dataset is named in a reason
    private = Dataset.objects.create(code="ds-secret-panel", name="Secret panel", description="")
    world.acme.datasets.add(private)
    response = client.get("/readyz")
    body = response.content.decode()
    assert response.status_code == 503
    assert "ds-secret-panel" not in body and "Secret panel" not in body
    shown = health.shown_name("ds-secret-panel", private.visibility)
    assert shown.startswith("private-") and len(shown) == len("private-") + 10
    assert f"dataset {shown}: no data on this server" in " ".join(response.json()["reasons"])
    assert set(response.json()["data_versions"]) == {
        "ds-core",
        "ds-gaming",
        "ds-usa-deep",
        shown,
    }  # the catalog's named
