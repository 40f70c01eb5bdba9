"""Defects an outside security review found in the authorization server, each proven fixed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from oauth2_provider.models import Application

from accounts.services import access_epoch_bump
from oauth_server.models import ConnectedApp, ConnectorPublication, OrganizationClient
from oauth_server.platforms import Platform
from oauth_server.registration import MAX_BODY_BYTES, MAX_REDIRECT_URIS
from tests.factories import World
from tests.mcp_api.helpers import call_tool, challenge
from tests.oauth_server.oauth_helpers import (
    CLAUDE,
    LOOPBACK,
    Flow,
    code_from,
    connect,
    consent,
    exchange,
    pkce,
    publish,
    refresh,
    register_anonymously,
)

COPILOT = "https://global.consent.azure-apim.net/redirect/spark-acme"


def _registered_flow() -> tuple[Flow, dict[str, Any]]:
    registration = register_anonymously([LOOPBACK]).json()
    verifier, challenge_ = pkce()
    return Flow(registration["client_id"], LOOPBACK, verifier, challenge_, "s"), registration


def _update(registration: dict[str, Any], redirect_uris: list[str]) -> Any:
    body = {"redirect_uris": redirect_uris, "client_name": "Test agent", "token_endpoint_auth_method": "none"}
    return Client().put(
        registration["registration_client_uri"],
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {registration['registration_access_token']}",
    )


def test_a_client_cannot_move_itself_back_into_an_unpublished_platform(browser: Client, published: World) -> None:
    flow, registration = _registered_flow()
    tokens = connect(browser, flow)
    custom = ConnectorPublication.objects.get(organization=published.acme, platform=Platform.CUSTOM)
    custom.published = False
    custom.save()
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 401

    moved = _update(registration, [CLAUDE])  # Claude is published for Acme
    assert moved.status_code == 400 and "another assistant platform" in moved.json()["error_description"]
    assert Application.objects.get(client_id=flow.client_id).redirect_uris == LOOPBACK
    assert _update(registration, [LOOPBACK, "http://127.0.0.1:9999/cb"]).status_code == 200  # same platform: fine

    # Even moved behind the registration endpoint's back, the grant keeps the platform it was made for.
    Application.objects.filter(client_id=flow.client_id).update(redirect_uris=CLAUDE)
    access_epoch_bump()
    refused = call_tool(Client(), tokens["access_token"], "list_datasets")
    assert (
        refused.status_code == 401
        and "Custom & local tools connector is not published" in (challenge(refused)["error_description"])
    )
    assert refresh(Client(), flow, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_an_update_without_its_registration_token_says_nothing(published: World) -> None:
    _, registration = _registered_flow()
    registration["registration_access_token"] = "not-the-token"
    assert _update(registration, [CLAUDE]).status_code == 401


@pytest.fixture
def acme_copilot(published: World) -> tuple[Application, str]:
    """Acme's confidential Copilot Studio client, with its secret."""
    from oauth_server.services import organization_client_create

    issued = organization_client_create(
        organization=published.acme, name="Acme Copilot", redirect_uri=COPILOT, actor=published.admin, origin=None
    )
    return issued.client.application, issued.secret


def test_an_organizations_client_is_refused_for_another_organization(
    published: World, acme_copilot: tuple[Application, str]
) -> None:
    application, _ = acme_copilot
    publish(published.globex, Platform.COPILOT)
    globex = Client()
    globex.force_login(published.outsider)
    verifier, challenge_ = pkce()
    flow = Flow(application.client_id, COPILOT, verifier, challenge_, "s")
    page = globex.get(flow.authorize_url(scope="insights:read dataset:ds-gaming"))
    assert page.status_code == 403 and "belongs to another organization" in page.content.decode()
    assert consent(globex, flow.authorize_url(scope="insights:read dataset:ds-gaming")).status_code == 403
    assert not ConnectedApp.objects.filter(user=published.outsider).exists()


def test_an_organizations_client_grant_recorded_elsewhere_is_refused_at_token_refresh_and_mcp(
    browser: Client, published: World, acme_copilot: tuple[Application, str]
) -> None:
    application, secret = acme_copilot
    verifier, challenge_ = pkce()
    flow = Flow(application.client_id, COPILOT, verifier, challenge_, "s")
    code = code_from(consent(browser, flow.authorize_url()))
    tokens = exchange(browser, flow, code, client_secret=secret).json()
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 200

    # Had a grant for another organization been recorded (the hole the review found), nothing works:
    OrganizationClient.objects.filter(application=application).update(organization=published.globex)
    access_epoch_bump()
    refused = call_tool(Client(), tokens["access_token"], "list_datasets")
    assert refused.status_code == 401 and "belongs to another organization" in challenge(refused)["error_description"]
    again = Client().post(
        "/oauth/token/",
        data={"grant_type": "refresh_token", "refresh_token": tokens["refresh_token"]},
        HTTP_AUTHORIZATION=_basic(application.client_id, secret),
    )
    assert again.status_code == 400 and again.json()["error"] == "invalid_grant"
    OrganizationClient.objects.filter(application=application).update(organization=published.acme)
    code = code_from(consent(browser, flow.authorize_url()))
    OrganizationClient.objects.filter(application=application).update(organization=published.globex)
    assert exchange(browser, flow, code, client_secret=secret).json()["error"] == "invalid_grant"


def _basic(client_id: str, secret: str) -> str:
    import base64

    return "Basic " + base64.b64encode(f"{client_id}:{secret}".encode()).decode()


@pytest.mark.parametrize(
    ("body", "words"),
    [
        ({"redirect_uris": [f"http://127.0.0.1:{8000 + i}/cb" for i in range(MAX_REDIRECT_URIS + 1)]}, "items"),
        ({"redirect_uris": ["http://127.0.0.1:8000/" + "a" * 3000]}, "longer than"),
        ({"redirect_uris": [LOOPBACK], "client_name": "n" * 201}, "client_name is longer"),
        ({"redirect_uris": [LOOPBACK], "grant_types": ["client_credentials"]}, "not supported"),
        ({"redirect_uris": [LOOPBACK], "grant_types": ["authorization_code", "implicit"]}, "not supported"),
        ({"redirect_uris": [LOOPBACK], "response_types": ["token"]}, "not supported"),
        ({"redirect_uris": [LOOPBACK], "token_endpoint_auth_method": "private_key_jwt"}, "not supported"),
        ({"redirect_uris": [LOOPBACK], "jwks": {"keys": []}}, "must be a string"),
        ({"redirect_uris": [LOOPBACK], "contacts": [["nested"]]}, "list of strings"),
    ],
)
def test_registration_metadata_within_limits(db: None, body: dict[str, Any], words: str) -> None:
    response = Client().post("/oauth/register/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400 and words in response.json()["error_description"]
    assert not Application.objects.exists()


@pytest.mark.parametrize(
    "raw",
    [
        b"x" * (MAX_BODY_BYTES + 1),
        b"[" * 100_000 + b"]" * 100_000,  # deeper than the JSON parser's recursion limit
        b'{"redirect_uris": ' + b"[" * 50_000 + b"]" * 50_000 + b"}",
        b"\xff\xfe not utf-8",
        b"[1, 2, 3]",
    ],
)
def test_hostile_registration_bodies_get_a_clean_error(db: None, raw: bytes) -> None:
    for method in ("post", "put"):
        path = "/oauth/register/" if method == "post" else "/oauth/register/some-client/"
        response = getattr(Client(), method)(path, data=raw, content_type="application/json")
        assert response.status_code in (400, 401), (method, response.status_code)
        assert "error" in response.json()


def test_a_tampered_client_id_on_the_consent_form_is_refused_cleanly(browser: Client, published: World) -> None:
    flow, _ = _registered_flow()
    page = browser.get(flow.authorize_url())
    from tests.oauth_server.oauth_helpers import HIDDEN

    fields = dict(HIDDEN.findall(page.content.decode()))
    fields.update(allow="Authorize", client_id="no-such-client")
    response = browser.post(flow.authorize_url(), data=fields)
    assert response.status_code in (400, 403)
    assert not ConnectedApp.objects.exists()


def test_consent_and_refusal_pages_are_never_stored(browser: Client, published: World) -> None:
    flow, _ = _registered_flow()
    page = browser.get(flow.authorize_url())
    assert page.status_code == 200 and "no-store" in page["Cache-Control"]
    outsider = Client()
    outsider.force_login(published.outsider)  # Globex publishes nothing: the refusal page
    refused = outsider.get(flow.authorize_url())
    assert refused.status_code == 403 and "no-store" in refused["Cache-Control"]


def test_pages_carry_a_content_security_policy(browser: Client, published: World) -> None:
    policy = browser.get("/settings/tokens/")["Content-Security-Policy"]
    assert "default-src 'self'" in policy and "script-src 'self'" in policy and "frame-ancestors 'none'" in policy
    assert "unsafe-inline" not in policy
