"""Shared fixtures. Survey data is built once per session, and only for tests that ask for it
(`survey_data`); everything under tests/insights/ asks for it (tests/insights/conftest.py)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client

from audit.calls import recorder as call_audit_recorder
from bearer.auth import reset_cache
from tests.factories import World, make_world
from tests.oauth_server.oauth_helpers import publish
from usage.quotas import counter as quota_counter
from usage.services import recorder as usage_recorder

# The stand-in identity providers' fixtures (`fake_idp`, `connection`, `saml_keys`…), for every
# package that signs someone in through single sign-on; `dns`, a DNS server of the test's own.
pytest_plugins = ["tests.fake_idp", "tests.dns_server"]


@pytest.fixture(autouse=True)
def _fast_hasher(settings) -> None:
    settings.PASSWORD_HASHERS = [
        "django.contrib.auth.hashers.MD5PasswordHasher",
        "oauth_server.hashers.ClientSecretHasher",
    ]


@pytest.fixture(scope="session")
def insights_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Small deterministic survey data for the whole test session."""
    from django.test import override_settings

    from insights import store

    folder = str(tmp_path_factory.mktemp("insights"))
    with override_settings(SPARK_INSIGHTS_DIR=folder):
        for code, size in (("ds-core", 60_000), ("ds-usa-deep", 8_000), ("ds-gaming", 8_000)):
            store.build(code, size)
    return folder


@pytest.fixture
def survey_data(settings, insights_dir: str) -> str:
    """Point the insights store at the session's survey data."""
    settings.SPARK_INSIGHTS_DIR = insights_dir
    return insights_dir


@pytest.fixture(autouse=True)
def _fresh_bearer_cache() -> Iterator[None]:
    # The epoch row is recreated with each test database; start every test with an empty cache.
    reset_cache()
    yield
    reset_cache()


@pytest.fixture(autouse=True)
def _no_usage_left_over() -> Iterator[None]:
    # Tool-call counts wait in memory for the next batch: none may land in another test's database.
    usage_recorder.discard()
    call_audit_recorder.discard()
    quota_counter.discard()
    yield
    usage_recorder.discard()
    call_audit_recorder.discard()
    quota_counter.discard()


@pytest.fixture
def world(db) -> World:
    return make_world()


@pytest.fixture
def member_client(world: World) -> Client:
    client = Client()
    client.force_login(world.member)
    return client


@pytest.fixture
def published(world: World) -> World:
    """The world, with every assistant connector published for Acme."""
    publish(world.acme)
    return world


@pytest.fixture
def browser(published: World) -> Client:
    """Acme's member, signed in to the portal."""
    client = Client()
    client.force_login(published.member)
    return client
