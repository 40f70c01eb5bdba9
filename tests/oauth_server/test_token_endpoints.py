"""Client secrets cannot be guessed at speed at the token and revocation endpoints: failed client
authentications are counted per client ID and per address before the secret is checked; past the
limit the answer is 429 `invalid_client` with Retry-After (RFC 6749 §5.2's error, HTTP's status)."""

from __future__ import annotations

import base64
from typing import Any

import pytest
from django.test import Client
from oauth2_provider.models import Application

from oauth_server.services import organization_client_create
from tests.factories import World
from tests.oauth_server.oauth_helpers import register_anonymously

COPILOT = "https://global.consent.azure-apim.net/redirect/spark-acme"


@pytest.fixture
def copilot(published: World) -> tuple[Application, str]:
    issued = organization_client_create(
        organization=published.acme, name="Acme Copilot", redirect_uri=COPILOT, actor=published.admin, origin=None
    )
    return issued.client.application, issued.secret


@pytest.fixture
def limits(settings: Any) -> Any:
    settings.SPARK_CLIENT_AUTH_FAILURES_PER_CLIENT = 3
    settings.SPARK_CLIENT_AUTH_FAILURES_PER_ADDRESS = 5
    return settings


def _refresh(client_id: str, secret: str, address: str = "203.0.113.7", path: str = "/oauth/token/") -> Any:
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    data = {"grant_type": "refresh_token", "refresh_token": "not-a-refresh-token"}
    if path == "/oauth/revoke/":
        data = {"token": "not-a-token"}
    return Client().post(path, data, HTTP_AUTHORIZATION=f"Basic {basic}", REMOTE_ADDR=address)


def test_wrong_secrets_for_one_client_are_limited_and_say_when_to_retry(
    copilot: tuple[Application, str], limits: Any
) -> None:
    application, secret = copilot
    assert [_refresh(application.client_id, "wrong").status_code for _ in range(3)] == [401, 401, 401]
    limited = _refresh(application.client_id, "wrong", address="198.51.100.9")  # another address: the same client
    assert limited.status_code == 429
    assert limited.json()["error"] == "invalid_client"
    assert 0 < int(limited["Retry-After"]) <= 600
    # Past the limit the secret is not checked at all, so the right one waits too (docs/security.md).
    assert _refresh(application.client_id, secret).status_code == 429


def test_a_client_that_authenticates_gives_its_count_back(copilot: tuple[Application, str], limits: Any) -> None:
    application, secret = copilot
    for _ in range(5):  # right secret, wrong refresh token: the client authenticated, the grant failed
        assert _refresh(application.client_id, secret).json()["error"] == "invalid_grant"
    assert [_refresh(application.client_id, "wrong").status_code for _ in range(4)] == [401, 401, 401, 429]


def test_one_address_guessing_many_clients_is_limited(published: World, limits: Any) -> None:
    guesses = [_refresh(f"client-{n}", "guess").status_code for n in range(6)]
    assert guesses == [401] * 5 + [429]
    assert _refresh("client-7", "guess", address="198.51.100.9").status_code == 401  # another address has its own


def test_the_revocation_endpoint_counts_the_same_failures(copilot: tuple[Application, str], limits: Any) -> None:
    application, _ = copilot
    statuses = [_refresh(application.client_id, "wrong", path="/oauth/revoke/").status_code for _ in range(4)]
    assert statuses == [401, 401, 401, 429]
    assert _refresh(application.client_id, "wrong").status_code == 429  # one count for both endpoints


def test_requests_without_a_secret_are_not_counted(published: World, limits: Any) -> None:
    client_id = register_anonymously().json()["client_id"]  # a public client: it has no secret to guess
    data = {"grant_type": "refresh_token", "refresh_token": "not-a-refresh-token", "client_id": client_id}
    statuses = {Client().post("/oauth/token/", data).status_code for _ in range(8)}
    assert statuses == {400}


def test_a_client_id_no_database_can_hold_is_counted_without_failing(published: World, limits: Any) -> None:
    """On PostgreSQL the count's key could not hold the NUL (found by the fuzz test)."""
    data = {"token": "not-a-token", "client_id": "x\x00", "client_secret": ""}
    assert Client().post("/oauth/revoke/", data).status_code == 401
