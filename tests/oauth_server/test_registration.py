"""Dynamic client registration under the platform redirect policy; cleanup of unused clients."""

from __future__ import annotations

import datetime as dt
import json
from io import StringIO

import pytest
from django.core.management import call_command
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import Application

from audit.models import AuditEvent
from oauth_server.platforms import Platform, platform_for_redirect_uri
from tests.factories import World
from tests.oauth_server.oauth_helpers import connect, new_flow, register_anonymously


@pytest.mark.parametrize(
    ("uri", "platform"),
    [
        ("https://claude.ai/api/mcp/auth_callback", Platform.CLAUDE),
        ("https://claude.com/api/mcp/auth_callback", Platform.CLAUDE),
        ("https://chatgpt.com/connector_platform_oauth_redirect", Platform.CHATGPT),
        ("https://global.consent.azure-apim.net/redirect/spark-5f2c", Platform.COPILOT),
        ("http://127.0.0.1:33418/callback", Platform.CUSTOM),
        ("http://[::1]:8080/cb", Platform.CUSTOM),
        ("http://localhost:6274/oauth/callback", Platform.CUSTOM),
        ("http://evil.example.com/cb", None),
        ("https://evil.example.com/api/mcp/auth_callback", None),
        ("https://claude.ai.evil.example/api/mcp/auth_callback", None),
        ("https://chatgpt.com.evil.example/connector_platform_oauth_redirect", None),
        ("http://claude.ai/api/mcp/auth_callback", None),
        ("https://claude.ai/api/mcp/auth_callback#frag", None),
        ("http://user@127.0.0.1:1/cb", None),
    ],
)
def test_redirect_uri_platforms(uri: str, platform: Platform | None) -> None:
    assert platform_for_redirect_uri(uri) == platform


def test_registration_is_open_to_anonymous_assistants(world: World) -> None:
    response = register_anonymously(["https://claude.ai/api/mcp/auth_callback"], client_name="Claude")
    assert response.status_code == 201
    body = response.json()
    app = Application.objects.get(client_id=body["client_id"])
    assert app.user is None and app.client_type == "public"
    event = AuditEvent.objects.get(action="client.registered")
    assert event.detail["platform"] == "claude" and event.ip_address == "127.0.0.1"


@pytest.mark.parametrize(
    "uris",
    [
        ["http://evil.example.com/cb"],
        ["https://evil.example.com/cb"],
        [],
        ["https://claude.ai/api/mcp/auth_callback", "http://127.0.0.1:9/cb"],
    ],
)
def test_registration_with_a_non_platform_redirect_uri_is_refused(world: World, uris: list[str]) -> None:
    response = register_anonymously(uris)
    assert response.status_code == 400 and response.json()["error"] in {
        "invalid_redirect_uri",
        "invalid_client_metadata",
    }
    assert not Application.objects.exists()


def test_registration_update_keeps_to_the_policy(world: World) -> None:
    body = register_anonymously(["http://127.0.0.1:9/cb"]).json()
    response = Client().put(
        f"/oauth/register/{body['client_id']}/",
        data=json.dumps({"redirect_uris": ["https://evil.example.com/cb"], "token_endpoint_auth_method": "none"}),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {body['registration_access_token']}",
    )
    assert response.status_code == 400
    assert Application.objects.get().redirect_uris == "http://127.0.0.1:9/cb"


def test_registrations_are_rate_limited_per_address(settings, world: World) -> None:
    settings.SPARK_DCR_RATE_LIMIT_PER_HOUR = 3
    statuses = [register_anonymously().status_code for _ in range(4)]
    assert statuses == [201, 201, 201, 429]
    assert Application.objects.count() == 3


def test_cleanup_deletes_only_old_unused_self_registered_clients(browser: Client, published: World) -> None:
    used = new_flow(browser)
    connect(browser, used)
    unused = register_anonymously().json()["client_id"]
    fresh = register_anonymously().json()["client_id"]
    Application.objects.filter(client_id__in=[used.client_id, unused]).update(
        created=timezone.now() - dt.timedelta(days=10)
    )
    out = StringIO()
    call_command("cleanup_oauth_clients", "--days", "7", stdout=out)
    remaining = set(Application.objects.values_list("client_id", flat=True))
    assert remaining == {used.client_id, fresh}
    assert "Deleted 1" in out.getvalue()


@pytest.mark.django_db
def test_client_id_metadata_documents_must_name_platform_redirects() -> None:
    from oauth2_provider.cimd import CIMDError

    from oauth_server.client_metadata import PolicyMetadataFetcher

    class Stub(PolicyMetadataFetcher):
        document: dict[str, object] = {}

        def fetch_document(self, client_id: str) -> tuple[dict[str, object], int]:
            return self.document, 300

    Stub.document = {
        "client_id": "https://claude.ai/oauth/mcp.json",
        "redirect_uris": ["https://claude.ai/api/mcp/auth_callback"],
    }
    assert Stub().fetch("https://claude.ai/oauth/mcp.json")[0]["redirect_uris"]
    for bad in (["https://evil.example/cb"], [], "https://claude.ai/api/mcp/auth_callback"):
        Stub.document = {"client_id": "https://claude.ai/oauth/mcp.json", "redirect_uris": bad}
        with pytest.raises(CIMDError, match="refused"):
            Stub().fetch("https://claude.ai/oauth/mcp.json")


def test_client_id_metadata_documents_only_from_allowed_hosts(settings, browser: Client, published: World) -> None:
    # Not on the allowlist: never fetched, the client is unknown (an error page, no redirect).
    from tests.oauth_server.oauth_helpers import Flow, pkce

    verifier, challenge = pkce()
    flow = Flow(
        "https://evil.example/client.json",
        "https://claude.ai/api/mcp/auth_callback",
        verifier,
        challenge,
        "s",
    )
    response = browser.get(flow.authorize_url())
    assert response.status_code == 400 and "Location" not in response
    assert not Application.objects.filter(client_id="https://evil.example/client.json").exists()


def test_verified_platforms_get_a_larger_registration_allowance(settings, world: World) -> None:
    settings.SPARK_DCR_RATE_LIMIT_PER_HOUR = 1
    claude = ["https://claude.ai/api/mcp/auth_callback"]
    assert [register_anonymously(claude).status_code for _ in range(11)] == [201] * 10 + [429]
    assert register_anonymously().status_code == 201  # loopback clients have their own, smaller allowance
    assert register_anonymously().status_code == 429


def test_malformed_registration_body_is_answered_by_the_registration_endpoint(world: World) -> None:
    response = Client().post("/oauth/register/", data="{not json", content_type="application/json")
    assert response.status_code == 400 and response.json()["error"] == "invalid_client_metadata"
