"""Bearer gates: each refusal names its own reason; every change applies on the next request."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from django.utils import timezone

from accounts.models import AccessStatus, EmailDomain, Membership
from accounts.services import token_revoke
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool, challenge, rpc


def _refused(response, reason_words: str, status: int = 401) -> dict[str, str]:  # type: ignore[no-untyped-def]
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


def test_missing_header(client: Client, world: World) -> None:
    _refused(rpc(client, "tools/list", token=None), "missing Authorization header")


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
