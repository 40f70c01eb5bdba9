"""Defects an outside security review found in the authorization server, each proven fixed."""

from __future__ import annotations

import json
from typing import Any

import pytest
from django.test import Client
from oauth2_provider.models import Application, Grant

from accounts.services import access_epoch_bump
from oauth_server.models import ConnectedApp, ConnectorPublication, OrganizationClient
from oauth_server.platforms import Platform
from oauth_server.registration import MAX_BODY_BYTES, MAX_REDIRECT_URIS
from tests.factories import World
from tests.mcp_api.helpers import call_tool, challenge
from tests.oauth_server.oauth_helpers import (
    CLAUDE,
    HIDDEN,
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


# -- Found by the fuzz (tests/e2e/test_fuzz.py): each was a 500 -------------------------------------
@pytest.mark.parametrize(
    ("extra", "words"),
    [
        ({"client_name": None}, "client_name must be a string"),  # DOT stored None: NOT NULL failed
        ({"grant_types": 1}, "grant_types must be a string or a list of strings"),  # set(1): TypeError
        ({"response_types": True}, "response_types must be a string or a list of strings"),
        ({"token_endpoint_auth_method": 0.5}, "token_endpoint_auth_method must be a string or a list of strings"),
        ({"client_name": "Agent \ud800"}, "lone surrogate"),  # sent as a \ud800 escape; no database stores it
        ({"client_name": "Agent \x00"}, "NUL"),  # PostgreSQL stores no NUL (DataError)
        ({"redirect_uris": [LOOPBACK + "\x00"]}, "NUL"),
    ],
)
def test_fuzzed_registration_metadata_is_refused_cleanly(published: World, extra: dict[str, Any], words: str) -> None:
    body = {"redirect_uris": [LOOPBACK], "client_name": "Test agent", "token_endpoint_auth_method": "none", **extra}
    response = Client().post("/oauth/register/", data=json.dumps(body), content_type="application/json")
    assert response.status_code == 400 and words in response.json()["error_description"]
    _, registration = _registered_flow()
    update = Client().put(
        registration["registration_client_uri"],
        data=json.dumps(body),
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {registration['registration_access_token']}",
    )
    assert update.status_code == 400 and words in update.json()["error_description"]
    assert Application.objects.get().name == "Test agent"


def test_a_redirect_uri_with_a_lone_surrogate_in_raw_bytes_is_refused_cleanly(db: None) -> None:
    # json.loads reads bytes with "surrogatepass": these three bytes become "\ud800".
    raw = b'{"redirect_uris": ["http://127.0.0.1:8765/\xed\xa0\x80"], "token_endpoint_auth_method": "none"}'
    response = Client().post("/oauth/register/", data=raw, content_type="application/json")
    assert response.status_code == 400 and "lone surrogate" in response.json()["error_description"]
    assert not Application.objects.exists()


@pytest.mark.parametrize("junk", ["a=%zz", "state=%G0", "resource=%4x"])
def test_an_authorization_query_that_is_not_url_encoding_is_a_clean_error(
    browser: Client, published: World, junk: str
) -> None:
    flow, _ = _registered_flow()
    response = browser.get(f"{flow.authorize_url()}&{junk}")  # oauthlib raised a bare ValueError here
    assert response.status_code == 400
    assert b"not valid URL encoding" in response.content
    assert not ConnectedApp.objects.exists()


def test_a_consent_posted_back_to_a_query_that_is_not_url_encoding_is_a_clean_error(
    browser: Client, published: World
) -> None:
    flow, _ = _registered_flow()
    page = browser.get(flow.authorize_url())
    fields = dict(HIDDEN.findall(page.content.decode()))
    fields["allow"] = "Authorize"
    response = browser.post(f"{flow.authorize_url()}&a=%zz", data=fields)
    assert response.status_code == 400 and b"not valid URL encoding" in response.content
    assert not Grant.objects.exists()  # no authorization code was issued


def test_a_client_id_or_code_with_a_nul_is_unknown_not_a_database_error(browser: Client, published: World) -> None:
    # Found by the fuzz on PostgreSQL: psycopg 3 raises DataError for a NUL, DOT catches only psycopg2's ValueError.
    flow, _ = _registered_flow()
    page = browser.get(flow.authorize_url(client_id="x\x00"))
    assert page.status_code == 400
    for data in (
        {"grant_type": "refresh_token", "refresh_token": "r", "client_id": "x\x00"},
        {"grant_type": "client_credentials"},  # no client_id at all: DOT asks for None
        {
            "grant_type": "authorization_code",
            "code": "c\x00",
            "client_id": flow.client_id,
            "code_verifier": flow.verifier,
        },
    ):
        response = Client().post("/oauth/token/", data={**data, "redirect_uri": flow.redirect_uri})
        assert response.status_code in (400, 401) and json.loads(response.content)["error"], data
    revoked = Client().post("/oauth/revoke/", data={"token": "t", "client_id": "x\x00"})
    assert revoked.status_code in (400, 401)


# -- Found by the fuzz.
def test_a_redirect_uri_urlsplit_cannot_parse_is_refused_cleanly(db: None) -> None:
    response = register_anonymously(["http://[::1"])
    assert response.status_code == 400


def test_a_device_code_grant_without_a_device_code_is_refused_cleanly(db: None) -> None:
    response = Client().post("/oauth/token/", data={"grant_type": "urn:ietf:params:oauth:grant-type:device_code"})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/oauth/token/", "/oauth/revoke/"])
def test_a_token_request_whose_query_is_not_url_encoding_is_refused_cleanly(db: None, path: str) -> None:
    response = Client().post(f"{path}?a=%zz", data={"grant_type": "refresh_token", "refresh_token": "x", "token": "x"})
    assert response.status_code == 400


@pytest.mark.parametrize("path", ["/oauth/token/", "/oauth/revoke/"])
def test_a_multipart_body_without_its_boundary_is_refused_cleanly(db: None, path: str) -> None:
    response = Client().post(path, data=b"x", content_type="multipart/form-data")
    assert response.status_code == 400 and response.json()["error"] == "invalid_request"


@pytest.mark.parametrize("path", ["/oauth/token/", "/oauth/revoke/"])
def test_a_wrong_client_secret_over_basic_gets_a_basic_challenge(
    published: World, acme_copilot: tuple[Application, str], path: str
) -> None:
    # RFC 6749 §5.2: a client that authenticated with the Authorization header gets 401 and a
    # challenge in the scheme it used.
    application, secret = acme_copilot
    response = Client().post(
        path,
        data={"grant_type": "refresh_token", "refresh_token": "x", "token": "x"},
        HTTP_AUTHORIZATION=_basic(application.client_id, secret + "wrong"),
    )
    assert (response.status_code, response.json()["error"]) == (401, "invalid_client")
    assert response["WWW-Authenticate"].startswith('Basic realm="spark-oauth"')


def test_a_wrong_client_secret_in_the_body_gets_a_basic_challenge_too(
    published: World, acme_copilot: tuple[Application, str]
) -> None:
    # A 401 must carry a challenge (RFC 9110 §15.5.2); client authentication is never Bearer.
    application, secret = acme_copilot
    data = {"grant_type": "refresh_token", "refresh_token": "x", "client_id": application.client_id}
    response = Client().post("/oauth/token/", data={**data, "client_secret": secret + "wrong"})
    assert (response.status_code, response["WWW-Authenticate"]) == (401, 'Basic realm="spark-oauth"')
