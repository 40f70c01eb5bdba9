"""The authorization server: discovery, PKCE, redirect URIs, codes, refresh, audience, consent."""

from __future__ import annotations

import datetime as dt
import json
from urllib.parse import parse_qs, urlsplit

import pytest
from django.test import Client
from django.utils import timezone
from oauth2_provider.models import AccessToken, RefreshToken

from audit.models import AuditEvent
from oauth_server.models import ConnectedApp
from tests.factories import World
from tests.mcp_api.helpers import call_tool, challenge
from tests.oauth_server.oauth_helpers import (
    HIDDEN,
    LOOPBACK,
    MCP,
    Flow,
    code_from,
    connect,
    consent,
    exchange,
    new_flow,
    pkce,
    refresh,
)


def test_authorization_server_metadata_is_exact(client: Client, world: World) -> None:
    meta = client.get("/.well-known/oauth-authorization-server").json()
    assert meta["issuer"] == "http://testserver"
    assert meta["grant_types_supported"] == [
        "authorization_code",
        "refresh_token",
        "urn:ietf:params:oauth:grant-type:jwt-bearer",
    ]
    assert meta["authorization_grant_profiles_supported"] == ["urn:ietf:params:oauth:grant-profile:id-jag"]
    assert meta["response_types_supported"] == ["code"]
    assert meta["code_challenge_methods_supported"] == ["S256"]
    assert "none" in meta["token_endpoint_auth_methods_supported"]
    assert meta["client_id_metadata_document_supported"] is True
    assert meta["authorization_response_iss_parameter_supported"] is True
    endpoints = {
        "authorization_endpoint": "/oauth/authorize/",
        "token_endpoint": "/oauth/token/",
        "registration_endpoint": "/oauth/register/",
        "revocation_endpoint": "/oauth/revoke/",
    }
    for key, path in endpoints.items():
        assert meta[key] == "http://testserver" + path
    assert "introspection_endpoint" not in meta


def test_resource_metadata_names_the_authorization_server(client: Client, world: World) -> None:
    prm = client.get("/.well-known/oauth-protected-resource/mcp").json()
    assert prm["authorization_servers"] == ["http://testserver"]
    assert "insights:read" in prm["scopes_supported"]


def test_happy_path_token_calls_the_mcp_endpoint(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    response = consent(browser, flow.authorize_url())
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["state"] == [flow.state] and query["iss"] == ["http://testserver"]
    tokens = exchange(browser, flow, query["code"][0]).json()
    assert tokens["token_type"] == "Bearer" and 3000 <= tokens["expires_in"] <= 3600
    assert set(tokens["scope"].split()) == {"insights:read", "dataset:ds-core", "dataset:ds-usa-deep"}
    result = call_tool(Client(), tokens["access_token"], "list_datasets").json()["result"]
    assert [d["code"] for d in result["structuredContent"]["datasets"]] == ["ds-core", "ds-usa-deep"]
    stored = AccessToken.objects.get(user__isnull=False)
    assert stored.token == "" and stored.resource == [MCP]  # hashed at rest, bound to the MCP URL
    assert AuditEvent.objects.filter(action="grant.created", organization=published.acme).exists()


def test_missing_resource_defaults_to_the_canonical_mcp_url(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    first = browser.get(flow.authorize_url(resource=None))
    assert first.status_code == 302 and "resource=http%3A%2F%2Ftestserver%2Fmcp" in first["Location"]
    tokens = exchange(browser, flow, code_from(consent(browser, first["Location"]))).json()
    assert AccessToken.objects.get(user__isnull=False).resource == [MCP]
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 200


def test_plain_pkce_is_refused_before_consent(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    response = browser.get(flow.authorize_url(code_challenge_method="plain", code_challenge=flow.verifier))
    assert response.status_code == 302 and response["Location"].startswith(flow.redirect_uri)
    query = parse_qs(urlsplit(response["Location"]).query)
    assert query["error"] == ["invalid_request"] and "S256" in query["error_description"][0]
    assert query["state"] == [flow.state]


def test_missing_pkce_is_refused_before_consent(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    response = browser.get(flow.authorize_url(code_challenge=None, code_challenge_method=None))
    assert response.status_code == 302
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["invalid_request"]
    assert not ConnectedApp.objects.exists()


def test_redirect_uri_altered_by_one_character_is_not_followed(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    response = browser.get(flow.authorize_url(redirect_uri=flow.redirect_uri + "x"))
    assert response.status_code == 400 and "Location" not in response
    tampered = browser.get(flow.authorize_url(redirect_uri=flow.redirect_uri.replace("callback", "callbacc")))
    assert tampered.status_code == 400 and "Location" not in tampered


def test_token_for_another_resource_is_refused(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    response = browser.get(flow.authorize_url(resource="https://other.example/mcp"))
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["invalid_target"]


@pytest.mark.usefixtures("survey_data")
def test_token_issued_for_the_chatgpt_endpoint_is_refused_at_mcp(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    url = flow.authorize_url(resource="http://testserver/openai/mcp")
    tokens = exchange(browser, flow, code_from(consent(browser, url))).json()
    refused = call_tool(Client(), tokens["access_token"], "list_datasets")
    assert refused.status_code == 401 and "issued for another resource" in challenge(refused)["error_description"]
    search = Client().post(
        "/openai/mcp",
        data='{"jsonrpc":"2.0","id":1,"method":"tools/call","params":{"name":"search",'
        '"arguments":{"query":"streaming USA"}}}',
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {tokens['access_token']}",
        HTTP_MCP_PROTOCOL_VERSION="2025-11-25",
    )
    results = search.json()["result"]["structuredContent"]["results"]
    assert results[0]["id"].startswith("ins_") and "Netflix" in " ".join(r["title"] for r in results)
    assert any(r["id"] == "ds-usa-deep" and r["url"].endswith("/datasets/ds-usa-deep/") for r in results)


def test_authorization_code_replay_revokes_what_it_issued(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    code = code_from(consent(browser, flow.authorize_url()))
    tokens = exchange(browser, flow, code).json()
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 200
    replay = exchange(browser, flow, code)
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert call_tool(Client(), tokens["access_token"], "list_datasets").status_code == 401
    assert refresh(browser, flow, tokens["refresh_token"]).status_code == 400
    assert AuditEvent.objects.filter(action="grant.code_replayed").exists()


def test_refresh_rotates_and_a_replayed_refresh_token_revokes_the_family(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    first = connect(browser, flow)
    second = refresh(browser, flow, first["refresh_token"]).json()
    assert second["refresh_token"] != first["refresh_token"]
    assert call_tool(Client(), second["access_token"], "list_datasets").status_code == 200
    replay = refresh(browser, flow, first["refresh_token"])
    assert replay.status_code == 400 and replay.json()["error"] == "invalid_grant"
    assert refresh(browser, flow, second["refresh_token"]).status_code == 400  # the whole family is dead
    assert not RefreshToken.objects.filter(revoked__isnull=True).exists()
    assert AuditEvent.objects.filter(action="grant.refresh_family_revoked").exists()


def test_a_refresh_retried_after_a_lost_answer_gets_the_same_pair(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    first = connect(browser, flow)
    lost = refresh(browser, flow, first["refresh_token"]).json()  # the answer never reached the client
    retry = refresh(browser, flow, first["refresh_token"])
    assert retry.status_code == 200
    assert (retry.json()["access_token"], retry.json()["refresh_token"]) == (
        lost["access_token"],
        lost["refresh_token"],
    )
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 1
    assert call_tool(Client(), lost["access_token"], "list_datasets").status_code == 200
    assert refresh(browser, flow, lost["refresh_token"]).status_code == 200  # the grant lives on


def test_a_refresh_retried_after_the_grace_window_revokes_the_family(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    first = connect(browser, flow)
    second = refresh(browser, flow, first["refresh_token"]).json()
    RefreshToken.objects.filter(revoked__isnull=False).update(revoked=timezone.now() - dt.timedelta(seconds=61))
    assert refresh(browser, flow, first["refresh_token"]).json()["error"] == "invalid_grant"
    assert refresh(browser, flow, second["refresh_token"]).status_code == 400


def test_refresh_is_refused_when_a_gate_closes(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    tokens = connect(browser, flow)
    published.acme.email_domains.update(enabled=False)
    assert refresh(browser, flow, tokens["refresh_token"]).json()["error"] == "invalid_grant"


def test_oauth_token_in_the_query_string_is_refused(browser: Client, published: World) -> None:
    tokens = connect(browser, new_flow(browser))
    response = Client().post(f"/mcp?access_token={tokens['access_token']}", data="{}", content_type="application/json")
    assert response.status_code == 401 and "in the URL" in challenge(response)["error_description"]


def test_consent_post_without_csrf_token_is_refused(published: World) -> None:
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(published.member)
    flow = new_flow(browser)
    page = browser.get(flow.authorize_url())
    assert page.status_code == 200
    fields = {"allow": "Authorize", "client_id": flow.client_id, "redirect_uri": flow.redirect_uri}
    response = browser.post(flow.authorize_url(), data={**fields, "response_type": "code"})
    assert response.status_code == 403 and not ConnectedApp.objects.exists()


def test_deny_sends_access_denied_and_records_it(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    response = consent(browser, flow.authorize_url(), allow=False)
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["access_denied"]
    assert not ConnectedApp.objects.exists() and AuditEvent.objects.filter(action="grant.denied").exists()


def test_sign_in_next_cannot_redirect_off_site(client: Client, world: World) -> None:
    from tests.factories import PASSWORD

    for target in ("https://evil.example/steal", "//evil.example/x", "/\\evil.example"):
        response = client.post(
            f"/auth/login/?next={target}",
            {"login": "member@acme.example", "password": PASSWORD, "next": target},
        )
        assert response.status_code == 302 and "evil.example" not in response["Location"]
        client.logout()


def test_anonymous_authorize_goes_to_sign_in_and_back(client: Client, published: World) -> None:
    flow = new_flow(client)
    response = client.get(flow.authorize_url())
    assert response.status_code == 302 and response["Location"].startswith("/auth/login/?next=/oauth/authorize/")


@pytest.mark.parametrize(
    ("change", "words"),
    [
        ("domain", "email domain acme.example is not enabled for Acme"),
        ("ended", "MCP access has ended"),
        ("unpublished", "ask your Acme admin to publish it in Spark Portal"),
    ],
)
def test_gates_refuse_before_consent_with_who_can_fix_it(
    browser: Client, published: World, change: str, words: str
) -> None:
    flow = new_flow(browser)
    if change == "domain":
        published.acme.email_domains.update(enabled=False)
    elif change == "ended":
        published.acme.access_status = "ended"
        published.acme.save()
    else:
        published.acme.publications.update(published=False)
    page = browser.get(flow.authorize_url())
    assert page.status_code == 403 and words in page.content.decode()
    assert 'id="consent-form"' not in page.content.decode()


def test_consent_page_shows_platform_redirect_host_organization_and_scopes(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    page = browser.get(flow.authorize_url(scope="insights:read dataset:ds-core dataset:ds-gaming")).content.decode()
    assert "Custom &amp; local tools" in page and "not verified" in page
    assert "127.0.0.1:8765" in page and "Acme" in page and "Test agent" in page
    assert "Ask Spark Portal for audience insights" in page
    assert "not granted: dataset:ds-gaming" in page  # Acme has no gaming dataset


def test_verified_platform_is_labelled(browser: Client, published: World) -> None:
    flow = new_flow(browser, "https://claude.ai/api/mcp/auth_callback")
    page = browser.get(flow.authorize_url()).content.decode()
    assert "<strong>Claude</strong>" in page and "verified" in page


def test_consent_post_with_a_tampered_resource_is_refused(browser: Client, published: World) -> None:
    import html as html_lib

    from tests.oauth_server.oauth_helpers import HIDDEN

    flow = new_flow(browser)
    page = browser.get(flow.authorize_url())
    fields = {name: html_lib.unescape(value) for name, value in HIDDEN.findall(page.content.decode())}
    fields.update(allow="Authorize", resource="https://other.example/mcp")
    response = browser.post(flow.authorize_url(), data=fields)
    assert response.status_code == 400 and not ConnectedApp.objects.exists()


@pytest.mark.parametrize(
    ("error", "override"),
    [
        ("invalid_request", {"code_challenge": None, "code_challenge_method": None}),  # missing PKCE
        ("invalid_scope", {"scope": "no-such-scope"}),
        ("invalid_target", {"resource": "https://evil.example/mcp"}),
        ("unauthorized_client", {"response_type": "token"}),  # the implicit grant, which no client may use
    ],
)
def test_error_redirects_carry_iss(browser: Client, published: World, error: str, override: dict[str, None]) -> None:
    flow = new_flow(browser)
    response = browser.get(flow.authorize_url(**override))
    query = parse_qs(urlsplit(response["Location"]).query)
    assert (query["error"], query["state"], query["iss"]) == ([error], [flow.state], ["http://testserver"])


def test_access_denied_carries_iss(browser: Client, published: World) -> None:
    denied = consent(browser, new_flow(browser).authorize_url(), allow=False)
    query = parse_qs(urlsplit(denied["Location"]).query)
    assert (query["error"], query["iss"]) == (["access_denied"], ["http://testserver"])


def test_only_scopes_the_organization_lacks_redirect_back_with_invalid_scope(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    response = browser.get(flow.authorize_url(scope="dataset:ds-gaming"))  # Globex's dataset, not Acme's
    query = parse_qs(urlsplit(response["Location"]).query)
    assert (query["error"], query["state"], query["iss"]) == (["invalid_scope"], [flow.state], ["http://testserver"])
    assert "Acme" in query["error_description"][0]


def test_a_consent_post_with_only_lacking_scopes_redirects_back_with_invalid_scope(
    browser: Client, published: World
) -> None:
    flow = new_flow(browser)
    page = browser.get(flow.authorize_url())
    fields = {name: value for name, value in HIDDEN.findall(page.content.decode())}
    response = browser.post(flow.authorize_url(), data={**fields, "scope": "dataset:ds-gaming", "allow": "Authorize"})
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["invalid_scope"]
    assert not ConnectedApp.objects.exists()


@pytest.mark.parametrize("spelling", ["http://testserver/mcp/", "HTTP://TESTSERVER/mcp", "http://testserver:80/mcp/"])
def test_the_resource_spelled_another_way_binds_the_canonical_one(
    browser: Client, published: World, spelling: str
) -> None:
    flow = new_flow(browser)
    first = browser.get(flow.authorize_url(resource=spelling))
    assert first.status_code == 302 and "resource=http%3A%2F%2Ftestserver%2Fmcp&" in first["Location"] + "&"
    tokens = exchange(browser, flow, code_from(consent(browser, first["Location"])), resource=spelling)
    assert AccessToken.objects.get(user__isnull=False).resource == [MCP]
    assert call_tool(Client(), tokens.json()["access_token"], "list_datasets").status_code == 200


@pytest.mark.parametrize("other", ["http://testserver/MCP", "http://testserver/mcp//", "http://testserver/mcp?x=1"])
def test_another_path_is_still_another_resource(browser: Client, published: World, other: str) -> None:
    flow = new_flow(browser)
    response = browser.get(flow.authorize_url(resource=other))
    assert parse_qs(urlsplit(response["Location"]).query)["error"] == ["invalid_target"]


def test_token_register_and_revoke_answer_without_the_trailing_slash(browser: Client, published: World) -> None:
    body = {"redirect_uris": [LOOPBACK], "client_name": "No slash", "token_endpoint_auth_method": "none"}
    registered = Client().post("/oauth/register", data=json.dumps(body), content_type="application/json")
    assert registered.status_code == 201
    verifier, challenge_ = pkce()
    flow = Flow(registered.json()["client_id"], LOOPBACK, verifier, challenge_, "s")
    code = code_from(consent(browser, flow.authorize_url()))
    token = browser.post(
        "/oauth/token",
        data={
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": LOOPBACK,
            "client_id": flow.client_id,
            "code_verifier": verifier,
        },
    )
    assert token.status_code == 200
    revoked = browser.post("/oauth/revoke", data={"token": token.json()["access_token"], "client_id": flow.client_id})
    assert (revoked.status_code, AccessToken.objects.filter(user__isnull=False).exists()) == (200, False)


@pytest.mark.parametrize("path", ["/mcp", "/v1/spark-api/mcp", "/openai/mcp/"])
def test_authorization_server_metadata_answers_at_the_mcp_path_form(client: Client, world: World, path: str) -> None:
    root = client.get("/.well-known/oauth-authorization-server").json()
    assert client.get(f"/.well-known/oauth-authorization-server{path}").json() == root


@pytest.mark.parametrize(
    "path",
    [
        "/.well-known/openid-configuration",
        "/.well-known/openid-configuration/mcp",
        "/mcp/.well-known/openid-configuration",
        "/.well-known/oauth-authorization-server/elsewhere",
        "/.well-known/oauth-protected-resource/elsewhere",
        "/.well-known/security.txt",
    ],
)
def test_every_unknown_discovery_path_is_a_json_404(client: Client, world: World, path: str) -> None:
    response = client.get(path)
    assert (response.status_code, response["Content-Type"]) == (404, "application/json")
    assert response.json()["error"] == "not_found"
