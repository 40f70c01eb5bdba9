"""/metrics: who may read it, what it counts, bounded labels, and the switch that turns it off."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from django.test import Client
from prometheus_client import REGISTRY

from spark_portal import metrics
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool, rpc
from tests.oauth_server.oauth_helpers import connect, new_flow, refresh


def value(name: str, **labels: str) -> float:
    return REGISTRY.get_sample_value(name, labels) or 0.0


@pytest.fixture(autouse=True)
def _metrics_on(settings) -> Iterator[None]:
    settings.SPARK_METRICS = True
    yield
    metrics.configure(enabled=True)


@pytest.fixture
def token(world: World) -> str:
    return issue(world.member, world.acme).secret


def scrape(client: Client, **extra: str) -> str:
    response = client.get("/metrics", **extra)  # type: ignore[arg-type]
    assert response.status_code == 200, response.content
    assert response["Content-Type"].startswith("text/plain")
    return response.content.decode()


def test_tool_calls_are_counted_by_tool_and_outcome_with_latency(client: Client, token: str, survey_data: str) -> None:
    ok = value("spark_mcp_requests_total", method="tools/call", tool="list_datasets", outcome="ok")
    failed = value("spark_mcp_requests_total", method="tools/call", tool="explore_insight_gwi", outcome="tool_error")
    timed = value("spark_mcp_tool_duration_seconds_count", tool="list_datasets")
    assert call_tool(client, token, "list_datasets").status_code == 200
    assert call_tool(client, token, "explore_insight_gwi", {"insight_id": "ins_0000000000000000"}).json()["result"][
        "isError"
    ]
    assert value("spark_mcp_requests_total", method="tools/call", tool="list_datasets", outcome="ok") == ok + 1
    after = value("spark_mcp_requests_total", method="tools/call", tool="explore_insight_gwi", outcome="tool_error")
    assert after == failed + 1
    assert value("spark_mcp_tool_duration_seconds_count", tool="list_datasets") == timed + 1
    text = scrape(client)
    assert 'spark_mcp_requests_total{method="tools/call",outcome="ok",tool="list_datasets"}' in text
    assert "spark_mcp_tool_duration_seconds_bucket" in text


def test_label_values_never_come_from_input(client: Client, token: str) -> None:
    before = value("spark_mcp_requests_total", method="tools/call", tool="other", outcome="rpc_error")
    other_method = value("spark_mcp_requests_total", method="other", tool="", outcome="rpc_error")
    call_tool(client, token, "no-such-tool-" + "x" * 50)
    rpc(client, "made/up-" + "y" * 40, {}, token=token)
    assert value("spark_mcp_requests_total", method="tools/call", tool="other", outcome="rpc_error") == before + 1
    assert value("spark_mcp_requests_total", method="other", tool="", outcome="rpc_error") == other_method + 1
    text = scrape(client)
    assert "no-such-tool" not in text and "made/up" not in text


def test_refusals_are_counted_by_the_gates_reason(client: Client, world: World) -> None:
    malformed = value("spark_mcp_refusals_total", reason="malformed")
    missing = value("spark_mcp_refusals_total", reason="missing")
    domain = value("spark_mcp_refusals_total", reason="domain_not_enabled")
    rpc(client, "tools/list", {}, token="spk_" + "A" * 48)
    rpc(client, "tools/list", {}, token=None)
    secret = issue(world.member, world.acme).secret
    world.acme.email_domains.update(enabled=False)
    assert rpc(client, "tools/list", {}, token=secret).status_code == 401
    assert value("spark_mcp_refusals_total", reason="missing") == missing + 1
    assert value("spark_mcp_refusals_total", reason="domain_not_enabled") == domain + 1
    assert value("spark_mcp_refusals_total", reason="malformed") == malformed + 1  # its checksum is wrong


def test_bearer_cache_hits_and_misses(client: Client, token: str) -> None:
    hits, misses = (
        value("spark_worker_cache_lookups_total", cache="bearer", result="hit"),
        value("spark_worker_cache_lookups_total", cache="bearer", result="miss"),
    )
    rpc(client, "tools/list", {}, token=token)
    rpc(client, "tools/list", {}, token=token)
    assert value("spark_worker_cache_lookups_total", cache="bearer", result="miss") == misses + 1
    assert value("spark_worker_cache_lookups_total", cache="bearer", result="hit") == hits + 1


def test_oauth_registrations_grants_and_refreshes(client: Client, published: World, browser: Client) -> None:
    registered = value("spark_oauth_client_registrations_total", platform="custom")
    granted = value("spark_oauth_grants_total", platform="custom")
    issued = value("spark_oauth_token_requests_total", grant_type="authorization_code", outcome="issued")
    refreshed = value("spark_oauth_token_requests_total", grant_type="refresh_token", outcome="issued")
    refused = value("spark_oauth_token_requests_total", grant_type="refresh_token", outcome="refused")
    flow = new_flow(browser)
    tokens = connect(browser, flow)
    assert refresh(client, flow, tokens["refresh_token"]).status_code == 200
    assert refresh(client, flow, "not-a-refresh-token").status_code == 400
    assert value("spark_oauth_client_registrations_total", platform="custom") == registered + 1
    assert value("spark_oauth_grants_total", platform="custom") == granted + 1
    assert value("spark_oauth_token_requests_total", grant_type="authorization_code", outcome="issued") == issued + 1
    assert value("spark_oauth_token_requests_total", grant_type="refresh_token", outcome="issued") == refreshed + 1
    assert value("spark_oauth_token_requests_total", grant_type="refresh_token", outcome="refused") == refused + 1


def test_data_versions_and_data_store_hits(client: Client, token: str, survey_data: str) -> None:
    hits = value("spark_worker_cache_lookups_total", cache="data_store", result="hit")
    call_tool(client, token, "chat_gwi", {"prompt": "TikTok use in Germany"})
    call_tool(client, token, "chat_gwi", {"prompt": "TikTok use in France"})
    assert value("spark_worker_cache_lookups_total", cache="data_store", result="hit") > hits
    text = scrape(client)
    assert 'spark_dataset_data_version_info{dataset="ds-core",version="' in text
    assert 'spark_worker_cache_lookups_total{cache="data_store",result="hit"}' in text
    assert 'spark_dataset_data_version_timestamp_seconds{dataset="ds-gaming"}' in text


def test_only_allowed_addresses_may_read(client: Client, settings) -> None:
    assert client.get("/metrics", REMOTE_ADDR="203.0.113.9").status_code == 403
    assert client.get("/metrics", REMOTE_ADDR="::1").status_code == 200
    settings.SPARK_METRICS_ALLOWED_IPS = ["10.0.0.0/8"]
    assert client.get("/metrics", REMOTE_ADDR="10.1.2.3").status_code == 200
    assert client.get("/metrics").status_code == 403  # loopback is no longer on the list


def test_behind_a_trusted_proxy_the_real_client_counts(client: Client, settings) -> None:
    """nginx on the same host connects from 127.0.0.1: a client on the internet must not pass as loopback."""
    settings.SPARK_TRUSTED_PROXIES = ["127.0.0.1"]
    assert client.get("/metrics", HTTP_X_FORWARDED_FOR="198.51.100.7").status_code == 403


def test_a_metrics_token_is_required_when_set(client: Client, settings) -> None:
    settings.SPARK_METRICS_TOKEN = "metrics-secret-for-tests-123"
    refused = client.get("/metrics")
    assert refused.status_code == 401 and refused["WWW-Authenticate"].startswith("Bearer")
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer wrong").status_code == 401
    assert client.get("/metrics", HTTP_AUTHORIZATION="Bearer metrics-secret-for-tests-123").status_code == 200
    settings.SPARK_METRICS_ALLOWED_IPS = []  # token only: any address with the token
    assert (
        client.get(
            "/metrics", REMOTE_ADDR="203.0.113.9", HTTP_AUTHORIZATION="Bearer metrics-secret-for-tests-123"
        ).status_code
        == 200
    )


def test_metrics_off_records_nothing_and_serves_nothing(client: Client, token: str, settings) -> None:
    settings.SPARK_METRICS = False
    metrics.configure(enabled=False)
    before = value("spark_mcp_requests_total", method="tools/call", tool="list_datasets", outcome="ok")
    assert call_tool(client, token, "list_datasets").status_code == 200
    assert value("spark_mcp_requests_total", method="tools/call", tool="list_datasets", outcome="ok") == before
    assert client.get("/metrics").status_code == 404
