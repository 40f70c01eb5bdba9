"""Bearer gates: each refusal names its own reason; every change applies on the next request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.db import connection
from django.test import Client, RequestFactory
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from accounts.models import AccessStatus, EmailDomain, Membership, PersonalAccessToken
from accounts.services import token_revoke, token_rotate
from bearer.auth import TOUCH_INTERVAL, AuthError, authenticate
from oauth_server.models import ConnectedApp
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool, challenge, rpc
from tests.oauth_server.oauth_helpers import connect, new_flow


def _refused(response, reason_words: str, status: int = 401) -> dict[str, str]:
    assert response.status_code == status, response.content
    params = challenge(response)
    assert params["error"] == ("insufficient_scope" if status == 403 else "invalid_token")
    assert reason_words in params["error_description"], params["error_description"]
    assert params["resource_metadata"] == "http://testserver/.well-known/oauth-protected-resource/mcp"
    assert response.json()["error_description"] == params["error_description"]
    return params


def test_valid_token_lists_datasets(client: Client, world: World) -> None:
    token = issue(world.member, world.acme)
    response = call_tool(client, token.secret, "list_datasets")
    assert response.status_code == 200
    result = response.json()["result"]
    assert result["isError"] is False
    assert [d["code"] for d in result["structuredContent"]["datasets"]] == ["ds-core", "ds-usa-deep"]


def test_missing_header_is_a_challenge_without_an_error_code_naming_the_scopes(client: Client, world: World) -> None:
    # RFC 6750 §3.1: a request with no credentials gets no error code; the scope says what to ask for.
    response = rpc(client, "tools/list", token=None)
    params = challenge(response)
    assert response.status_code == 401
    assert ("error" in params, "error_description" in params) == (False, False)
    assert params["resource_metadata"] == "http://testserver/.well-known/oauth-protected-resource/mcp"
    assert "insights:read" in params["scope"].split()
    assert response.json()["error"] == "unauthorized"
    assert "missing Authorization header" in response.json()["error_description"]


def test_every_401_names_the_scopes_to_ask_for(client: Client, world: World) -> None:
    params = _refused(call_tool(client, "not-a-spark-token", "list_datasets"), "unknown")
    assert "insights:read" in params["scope"].split()


def test_token_in_query_string_is_refused(client: Client, world: World) -> None:
    token = issue(world.member, world.acme)
    response = client.post(
        f"/mcp?access_token={token.secret}",
        data="{}",
        content_type="application/json",
        HTTP_AUTHORIZATION=f"Bearer {token.secret}",
    )
    _refused(response, "tokens in the URL are refused")
    _refused(
        client.post(f"/mcp?access_token={token.secret}", data="{}", content_type="application/json"),
        "tokens in the URL are refused",
    )


@pytest.mark.parametrize(
    "header",
    ["Basic dXNlcjpwYXNz", "Bearer", "Bearer ", "Bearer a b", "Token spk_x", "Bearer spk_short"],
)
def test_malformed(client: Client, world: World, header: str) -> None:
    response = client.post("/mcp", data="{}", content_type="application/json", HTTP_AUTHORIZATION=header)
    _refused(response, "malformed")


def test_a_token_that_is_not_ours_is_unknown(client: Client, world: World) -> None:
    _refused(call_tool(client, "not-a-spark-token", "list_datasets"), "unknown or revoked access token")


def test_checksum_mismatch_is_malformed(client: Client, world: World) -> None:
    secret = issue(world.member, world.acme).secret
    bad = secret[:-1] + ("A" if secret[-1] != "A" else "B")
    _refused(call_tool(client, bad, "list_datasets"), "malformed")


def test_unknown(client: Client, world: World) -> None:
    from accounts import tokens

    raw, _ = tokens.generate()
    _refused(call_tool(client, raw, "list_datasets"), "unknown token")


def test_known_prefix_with_wrong_secret_is_unknown(client: Client, world: World) -> None:
    from accounts import tokens

    real = issue(world.member, world.acme).secret
    body = real[: 4 + tokens.PREFIX_LEN] + "x" * tokens.SECRET_LEN
    forged = body + tokens.checksum(body)
    _refused(call_tool(client, forged, "list_datasets"), "unknown token")


def test_expired(client: Client, world: World) -> None:
    token = issue(world.member, world.acme, days=7, now=timezone.now() - dt.timedelta(days=8))
    _refused(call_tool(client, token.secret, "list_datasets"), "token expired")


def test_revoked_takes_effect_on_the_next_request(client: Client, world: World) -> None:
    token = issue(world.member, world.acme)
    assert call_tool(client, token.secret, "list_datasets").status_code == 200  # now cached
    token_revoke(token=token.token)
    _refused(call_tool(client, token.secret, "list_datasets"), "token revoked")


def test_user_deactivated(client: Client, world: World) -> None:
    token = issue(world.member, world.acme)
    assert call_tool(client, token.secret, "list_datasets").status_code == 200
    world.member.is_active = False
    world.member.save()
    _refused(call_tool(client, token.secret, "list_datasets"), "deactivated")


def test_no_longer_member(client: Client, world: World) -> None:
    token = issue(world.member, world.acme)
    assert call_tool(client, token.secret, "list_datasets").status_code == 200
    Membership.objects.filter(user=world.member).delete()
    _refused(call_tool(client, token.secret, "list_datasets"), "no longer a member")


def test_domain_not_enabled(client: Client, world: World) -> None:
    token = issue(world.member, world.acme)
    assert call_tool(client, token.secret, "list_datasets").status_code == 200
    domain = EmailDomain.objects.get(domain="acme.example")
    domain.enabled = False
    domain.save()
    _refused(call_tool(client, token.secret, "list_datasets"), "email domain acme.example is not enabled for Acme")


def test_access_ended_by_status(client: Client, world: World) -> None:
    token = issue(world.member, world.acme)
    assert call_tool(client, token.secret, "list_datasets").status_code == 200
    world.acme.access_status = AccessStatus.ENDED
    world.acme.save()
    _refused(call_tool(client, token.secret, "list_datasets"), "access has ended")


def test_access_ended_by_date(client: Client, world: World) -> None:
    token = issue(world.member, world.acme)
    world.acme.access_ends_on = dt.date.today() - dt.timedelta(days=1)
    world.acme.save()
    _refused(call_tool(client, token.secret, "list_datasets"), "access has ended")


def test_access_not_started(client: Client, world: World) -> None:
    token = issue(world.member, world.acme)
    world.acme.access_starts_on = dt.date.today() + dt.timedelta(days=3)
    world.acme.save()
    _refused(call_tool(client, token.secret, "list_datasets"), "has not started")


def test_insufficient_scope_is_403_naming_the_scope(client: Client, world: World) -> None:
    token = issue(world.member, world.acme, scopes=["dataset:ds-core"])
    assert rpc(client, "tools/list", {}, token=token.secret).status_code == 200
    params = _refused(call_tool(client, token.secret, "list_datasets"), "lacks the scope", status=403)
    assert params["scope"] == "insights:read"


def test_a_token_without_dataset_scopes_is_challenged_for_every_scope_the_call_needs(
    client: Client, world: World
) -> None:
    # Not a tool result telling the person to ask their admin: the organization has the datasets,
    # the token (narrowed to none of them; one naming no dataset follows the organization) lacks
    # them, and the client can ask for them.
    token = issue(world.member, world.acme, scopes=["insights:read"], all_datasets=False)
    params = _refused(call_tool(client, token.secret, "chat_gwi", {"prompt": "Gen Z streaming"}), "lacks", 403)
    assert params["scope"] == "dataset:ds-core dataset:ds-usa-deep insights:read"


def test_one_organizations_data_never_reaches_anothers_token(client: Client, world: World) -> None:
    acme = call_tool(client, issue(world.member, world.acme).secret, "list_datasets").json()["result"]
    globex = call_tool(client, issue(world.outsider, world.globex).secret, "list_datasets").json()["result"]
    assert {d["code"] for d in acme["structuredContent"]["datasets"]} == {"ds-core", "ds-usa-deep"}
    assert {d["code"] for d in globex["structuredContent"]["datasets"]} == {"ds-gaming"}


def test_dataset_scopes_narrow_and_org_changes_apply_at_once(client: Client, world: World) -> None:
    token = issue(world.member, world.acme, scopes=["insights:read", "dataset:ds-core"])

    def codes() -> list[str]:
        result = call_tool(client, token.secret, "list_datasets").json()["result"]
        return [d["code"] for d in result["structuredContent"]["datasets"]]

    assert codes() == ["ds-core"]
    world.acme.datasets.remove(world.datasets["ds-core"])
    assert codes() == []


def test_last_used_is_recorded(client: Client, world: World) -> None:
    token = issue(world.member, world.acme)
    assert token.token.last_used_at is None
    call_tool(client, token.secret, "list_datasets")
    token.token.refresh_from_db()
    assert token.token.last_used_at is not None


def test_reference_path_is_served_with_its_own_metadata(client: Client, world: World) -> None:
    token = issue(world.member, world.acme)
    ok = rpc(client, "tools/list", {}, token=token.secret, path="/v1/spark-api/mcp")
    assert ok.status_code == 200
    refused = rpc(client, "tools/list", {}, token=None, path="/v1/spark-api/mcp")
    assert challenge(refused)["resource_metadata"].endswith("/.well-known/oauth-protected-resource/v1/spark-api/mcp")


def test_a_rotated_secret_is_refused_as_rotated(client: Client, world: World) -> None:
    old = issue(world.member, world.acme)
    assert call_tool(client, old.secret, "list_datasets").status_code == 200  # now cached
    new = token_rotate(token=old.token)
    _refused(
        call_tool(client, old.secret, "list_datasets"),
        "this token was rotated; use the new secret or rotate it again in account settings",
    )
    assert call_tool(client, new.secret, "list_datasets").status_code == 200
    request = RequestFactory().post("/mcp", HTTP_AUTHORIZATION=f"Bearer {old.secret}")
    with pytest.raises(AuthError) as refused:
        authenticate(request)
    assert refused.value.reason == "rotated" and refused.value.status == 401


def test_the_retired_prefixes_are_read_only_for_unknown_prefixes(client: Client, world: World) -> None:
    from accounts import tokens

    token = issue(world.member, world.acme)
    assert call_tool(client, token.secret, "list_datasets").status_code == 200
    request = RequestFactory().post("/mcp", HTTP_AUTHORIZATION=f"Bearer {token.secret}")
    with CaptureQueriesContext(connection) as known:
        authenticate(request)
    assert not any("retiredtokenprefix" in q["sql"] for q in known.captured_queries)
    raw, _ = tokens.generate()
    unknown = RequestFactory().post("/mcp", HTTP_AUTHORIZATION=f"Bearer {raw}")
    with CaptureQueriesContext(connection) as looked_up, pytest.raises(AuthError) as refused:
        authenticate(unknown)
    assert refused.value.reason == "unknown"
    assert sum("retiredtokenprefix" in q["sql"] for q in looked_up.captured_queries) == 1


def test_last_use_records_address_and_agent(client: Client, world: World, settings) -> None:
    settings.SPARK_TRUSTED_PROXIES = ["127.0.0.1", "10.0.0.0/8"]
    token = issue(world.member, world.acme)
    agent = "agent/1.0\r\nX-Evil: 1\x00\x1b[31m" + "y" * 300
    response = rpc(
        client,
        "tools/list",
        {},
        token=token.secret,
        headers={"User-Agent": agent, "X-Forwarded-For": "198.51.100.7, 10.1.2.3"},
    )
    assert response.status_code == 200
    row = PersonalAccessToken.objects.get()
    assert row.last_used_address == "198.51.100.7"  # through the trusted proxies, not the proxy itself
    assert row.last_used_agent.startswith("agent/1.0X-Evil: 1[31myyy") and len(row.last_used_agent) == 200
    assert not any(ord(c) < 32 or 127 <= ord(c) < 160 for c in row.last_used_agent)


def test_last_use_is_written_at_most_once_per_interval(client: Client, world: World) -> None:
    token = issue(world.member, world.acme)
    rpc(client, "tools/list", {}, token=token.secret, headers={"User-Agent": "first"})
    rpc(client, "tools/list", {}, token=token.secret, headers={"User-Agent": "second"})
    row = PersonalAccessToken.objects.get()
    assert row.last_used_agent == "first"
    later = timezone.now() + TOUCH_INTERVAL + dt.timedelta(seconds=1)
    request = RequestFactory().post("/mcp", HTTP_AUTHORIZATION=f"Bearer {token.secret}", HTTP_USER_AGENT="third")
    authenticate(request, now=later)
    row.refresh_from_db()
    assert row.last_used_agent == "third" and row.last_used_at == later


def test_an_untrusted_forwarded_header_is_not_believed(client: Client, world: World) -> None:
    token = issue(world.member, world.acme)
    rpc(client, "tools/list", {}, token=token.secret, headers={"X-Forwarded-For": "198.51.100.7"})
    assert PersonalAccessToken.objects.get().last_used_address == "127.0.0.1"


def test_a_connected_apps_last_use_records_address_and_agent(browser: Client, published: World) -> None:
    access = connect(browser, new_flow(browser))["access_token"]
    response = rpc(Client(), "tools/list", {}, token=access, headers={"User-Agent": "Claude-User\t(test)"})
    assert response.status_code == 200
    app = ConnectedApp.objects.get()
    assert app.last_used_at is not None and app.last_used_address == "127.0.0.1"
    assert app.last_used_agent == "Claude-User(test)"
