"""The deployment of deploy/, end to end: nginx with TLS → two gunicorn hosts → one PostgreSQL.

nginx runs deploy/nginx.conf (addresses, ports and paths replaced; tests/e2e/front.py), with a
certificate from a CA made for the run; the hosts run deploy/gunicorn.conf.py in production mode
(DEBUG=0) from separate working folders, and nginx alternates between them (round-robin, one
nginx worker so the alternation is exact). Clients get their own loopback addresses, so the
address nginx saw can be told apart from nginx's own (127.0.0.1, the one trusted proxy) and
from anything a client writes into X-Forwarded-For.

Needs PostgreSQL (one database for both hosts): runs only with a postgres:// DATABASE_URL and
SPARK_E2E_USE_DATABASE_URL=1, as scripts/test.sh gives it; skipped otherwise.
"""

from __future__ import annotations

import asyncio
import concurrent.futures
import json
import os
import re
import socket
import ssl
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx2
import pytest
from mcp import Client
from mcp.client.streamable_http import streamable_http_client

from tests.e2e.conftest import DEMO_PASSWORD, require_tool
from tests.e2e.front import DEPLOY, FRONT_HOST, NGINX, OPENSSL, Front, Host, log_tail, loopback_addresses, topology
from tests.e2e.oauth_browser import Browser
from tests.e2e.test_oauth_sdk_client import Wire, oauth_provider

pytestmark = pytest.mark.e2e
CALLBACK = "http://127.0.0.1:33418/callback"
SPOOFED = "203.0.113.9"  # what a client claims in X-Forwarded-For; must never be believed
DCR_LIMIT = 3  # SPARK_DCR_RATE_LIMIT_PER_HOUR for this run: registrations per address and hour
MCP_HEADERS = {"Accept": "application/json, text/event-stream", "MCP-Protocol-Version": "2025-11-25"}
CALL = {"jsonrpc": "2.0", "id": 1, "method": "tools/call", "params": {"name": "list_datasets", "arguments": {}}}
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


def _database_url() -> str:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith(("postgres://", "postgresql://")) or os.environ.get("SPARK_E2E_USE_DATABASE_URL") != "1":
        pytest.skip(
            "the production front needs PostgreSQL (two hosts, one database): run with a postgres:// DATABASE_URL "
            "and SPARK_E2E_USE_DATABASE_URL=1, e.g. bash scripts/with-postgres.sh bash -c "
            '"SPARK_E2E_USE_DATABASE_URL=1 .venv/bin/python -m pytest tests/e2e/test_production_front.py"'
        )
    return url


@pytest.fixture(scope="module")
def front(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Front]:
    database_url = _database_url()
    require_tool(Path(NGINX), "nginx")
    require_tool(Path(OPENSSL), "openssl")
    folder = tmp_path_factory.mktemp("front")
    extra = {"SPARK_DCR_RATE_LIMIT_PER_HOUR": str(DCR_LIMIT)}
    try:
        with topology(folder, database_url, DEMO_PASSWORD, extra_env=extra) as running:
            yield running
    finally:
        if os.environ.get("CI"):
            artifacts = Path(__file__).resolve().parents[2] / "test-artifacts" / "front"
            artifacts.mkdir(parents=True, exist_ok=True)
            for log in (*folder.glob("host-*/gunicorn.log"), *folder.glob("nginx/*.log")):
                (artifacts / f"{log.parent.name}-{log.name}").write_text(log_tail(log, 200_000))


def _served(front: Front, method: str, path: str) -> list[int]:
    return [host.served(method, path) for host in front.hosts]


def _wait_for_logs(front: Front, method: str, path: str, total: int) -> list[int]:
    """Per-host counts once `total` requests are logged (gunicorn logs just after it answers)."""
    deadline = time.monotonic() + 5
    while sum(counts := _served(front, method, path)) < total and time.monotonic() < deadline:
        time.sleep(0.05)
    return counts


def _browser(front: Front, email: str, source: str, **headers: str) -> Browser:
    """The project's form-posting browser, over https through nginx from loopback address `source`.
    It sends Origin as a browser does: Django's CSRF check insists on it (or Referer) over https."""
    browser = Browser(front.url, email, DEMO_PASSWORD, CALLBACK)
    browser.http.close()
    browser.http = front.client(source, headers={"Origin": front.url, **headers})
    return browser


def _call(http: httpx2.Client, token: str, path: str = "/mcp") -> httpx2.Response:
    return http.post(path, json=CALL, headers={**MCP_HEADERS, "Authorization": f"Bearer {token}"})


def _datasets(response: httpx2.Response) -> list[str]:
    assert response.status_code == 200, (response.status_code, response.text)
    return [d["code"] for d in response.json()["result"]["structuredContent"]["datasets"]]


@pytest.fixture(scope="module")
def member_token(front: Front) -> str:
    return front.hosts[0].manage("create_access_token", "--email", "member@acme.example", "--name", "front").split()[-1]


# --- the SDK's OAuth client through the TLS front ------------------------------------------------


async def _oauth_session(front: Front, browser: Browser, source: str, client_name: str) -> tuple[list[str], Wire]:
    wire = Wire()
    provider = oauth_provider(f"{front.url}/mcp", browser, client_name)
    http = front.async_client(source, auth=provider, event_hooks={"response": [wire]})
    async with Client(streamable_http_client(f"{front.url}/mcp", http_client=http)) as client:
        result = await client.call_tool("list_datasets", {})
    assert not result.is_error, result
    return [d["code"] for d in (result.structured_content or {})["datasets"]], wire


def _audit_rows(front: Front, source: str) -> list[tuple[str, str, str]]:
    """(action, summary, address) of Acme's audit trail, as its admin sees it through nginx."""
    admin = _browser(front, "admin@acme.example", source)
    admin.sign_in()
    page = admin.http.get("/org/acme/audit/").text
    cells = (
        r'<td class="mono action">([^<]*)</td>.*?'
        r'<td class="summary">([^<]*)</td><td class="mono from">([^<]*)</td></tr>'
    )
    rows = re.findall(cells, page)
    return [(action, summary, address) for action, summary, address in rows]


def test_sdk_oauth_client_connects_through_nginx_trusting_the_test_ca(front: Front) -> None:
    # Without the run's CA the front is not trusted: TLS is really verified below.
    with pytest.raises(httpx2.ConnectError, match="CERTIFICATE_VERIFY_FAILED"):
        httpx2.get(f"{front.url}/mcp", timeout=10)

    source, admin_source = loopback_addresses(2)
    client_name = f"Spark Portal front agent {uuid.uuid4().hex[:8]}"
    browser = _browser(front, "member@acme.example", source, **{"X-Forwarded-For": SPOOFED})
    before = [host.requests() for host in front.hosts]
    datasets, wire = asyncio.run(_oauth_session(front, browser, source, client_name))

    assert datasets == ["ds-core", "ds-usa-deep"]
    steps = [(method, path, status) for method, path, status, _ in wire.seen]
    assert steps[0] == ("POST", "/mcp", 401), steps
    for step in (
        ("GET", "/.well-known/oauth-protected-resource/mcp", 200),
        ("GET", "/.well-known/oauth-authorization-server", 200),
        ("POST", "/oauth/register/", 201),
        ("POST", "/oauth/token/", 200),
        ("POST", "/mcp", 200),
    ):
        assert step in steps, steps
    assert browser.consents == 1
    # The flow crossed both hosts (sessions, codes and tokens live in the one database).
    after = [host.requests() for host in front.hosts]
    assert all(a > b for a, b in zip(after, before, strict=True)), (before, after)

    # The consent is in the audit trail with the address nginx saw, not the one the client claimed.
    rows = [row for row in _audit_rows(front, admin_source) if client_name in row[1]]
    assert [(action, address) for action, _, address in rows] == [("grant.created", source)], rows


# --- personal access tokens, and revocation across hosts -----------------------------------------


def _revoke_on_host(front: Front, host: Host, token_name: str, source: str) -> None:
    """Revoke the token with the portal's own form, POSTed straight to `host` (as nginx would pass it)."""
    browser = _browser(front, "member@acme.example", source)
    browser.sign_in()
    page = browser.http.get("/settings/tokens/").text
    row = next(r for r in page.split('<tr data-token-id="')[1:] if f'<td data-label="Token">{token_name}<' in r)
    token_id = row.split('"', 1)[0]
    cookies = {name: browser.http.cookies[name] for name in ("sessionid", "csrftoken")}
    headers = {"Origin": front.url, "Cookie": "; ".join(f"{k}={v}" for k, v in cookies.items())}
    with host.direct(headers=headers) as http:
        answer = http.post(f"/settings/tokens/{token_id}/revoke/", data={"csrfmiddlewaretoken": _CSRF.findall(page)[0]})
    assert answer.status_code == 302, answer.text[:500]
    served = _wait_for_logs(front, "POST", f"/settings/tokens/{token_id}/revoke/", 1)
    assert served == [int(h is host) for h in front.hosts], served


def test_personal_token_revoked_on_host_a_is_refused_on_host_b(front: Front) -> None:
    host_a, host_b = front.hosts
    name = f"front-{uuid.uuid4().hex[:8]}"
    token = host_a.manage("create_access_token", "--email", "member@acme.example", "--name", name).split()[-1]
    with front.client() as through_nginx:
        assert _datasets(_call(through_nginx, token)) == ["ds-core", "ds-usa-deep"]
        assert _datasets(_call(through_nginx, token, "/v1/spark-api/mcp")) == ["ds-core", "ds-usa-deep"]
    # Every worker of both hosts has now seen (and cached) the token as valid.
    with host_a.direct() as a, host_b.direct() as b:
        for _ in range(4):
            assert _call(a, token).status_code == 200 and _call(b, token).status_code == 200

    _revoke_on_host(front, host_a, name, loopback_addresses(1)[0])

    with host_b.direct() as b:
        refused = _call(b, token)
        assert refused.status_code == 401, refused.text
        assert "token revoked" in refused.headers["www-authenticate"]
        assert all(_call(b, token).status_code == 401 for _ in range(4))  # every worker of host B
    with front.client() as through_nginx:
        assert [_call(through_nginx, token).status_code for _ in range(2)] == [401, 401]  # both hosts


# --- rate limits count across hosts ----------------------------------------------------------------


def _sign_in_failures(front: Front, source: str, emails: list[str]) -> list[str]:
    """POST wrong passwords to /auth/login/ through nginx; what each attempt was told."""
    outcomes = []
    with front.client(source, headers={"Origin": front.url}) as http:
        csrf = _CSRF.findall(http.get("/auth/login/").text)[0]
        for email in emails:
            answer = http.post(
                "/auth/login/", data={"csrfmiddlewaretoken": csrf, "login": email, "password": "not-the-password-1"}
            )
            text = answer.text
            if "Too many failed login attempts" in text:
                outcomes.append("limited")
            elif "you specified are not correct" in text:
                outcomes.append("wrong")
            else:
                outcomes.append(f"HTTP {answer.status_code}")
    return outcomes


def _spread(front: Front, run: Callable[[], list[str]]) -> tuple[list[str], list[int]]:
    """Run sign-in attempts and return their outcomes and how many POSTs each host served."""
    before = _served(front, "POST", "/auth/login/")
    outcomes = run()
    after = _wait_for_logs(front, "POST", "/auth/login/", sum(before) + len(outcomes))
    return outcomes, [a - b for a, b in zip(after, before, strict=True)]


def test_sign_in_rate_limits_count_across_both_hosts(front: Front) -> None:
    # django-allauth's login_failed limit is "10/m/ip,5/300s/key" (key: the email), kept in the
    # shared database cache. Spread over two hosts, neither host alone sees enough to refuse.
    by_address, by_email, bystander = loopback_addresses(3)
    run_id = uuid.uuid4().hex[:8]

    fresh = [f"nobody-{run_id}-{n}@acme.example" for n in range(11)]
    outcomes, per_host = _spread(front, lambda: _sign_in_failures(front, by_address, fresh))
    assert outcomes == ["wrong"] * 10 + ["limited"], outcomes
    assert all(0 < n < 10 for n in per_host), per_host

    target = f"target-{run_id}@acme.example"
    outcomes, per_host = _spread(front, lambda: _sign_in_failures(front, by_email, [target] * 6))
    assert outcomes == ["wrong"] * 5 + ["limited"], outcomes
    assert all(0 < n < 5 for n in per_host), per_host

    # Per address means the client's real address, not nginx's: another client is not limited,
    # and the email stays limited whoever tries it.
    assert _sign_in_failures(front, bystander, [f"other-{run_id}@acme.example", target]) == ["wrong", "limited"]


# --- client addresses: audit trail and the registration limit ----------------------------------------


def _register(http: httpx2.Client, name: str) -> httpx2.Response:
    metadata = {
        "client_name": name,
        "redirect_uris": [CALLBACK],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "none",
    }
    return http.post("/oauth/register/", json=metadata)


def _registrations(host: Host, client_ids: list[str]) -> dict[str, str | None]:
    """client_id → the address the audit trail recorded for its registration."""
    code = (
        "import json; from audit.models import AuditEvent; "
        f"ids = {client_ids!r}; "
        "print(json.dumps({e.detail['client_id']: e.ip_address for e in "
        "AuditEvent.objects.filter(action='client.registered', detail__client_id__in=ids)}))"
    )
    return dict(json.loads(host.manage("shell", "-c", code).strip().splitlines()[-1]))


def test_audit_trail_and_registration_limit_use_the_real_client_address(front: Front) -> None:
    client, other, direct = loopback_addresses(3)
    spoof = {"X-Forwarded-For": SPOOFED}
    before = _served(front, "POST", "/oauth/register/")
    with front.client(client, headers=spoof) as http:
        answers = [_register(http, f"front-dcr-{n}") for n in range(DCR_LIMIT + 1)]
    assert [a.status_code for a in answers] == [201] * DCR_LIMIT + [429], [a.text for a in answers]
    assert answers[-1].json()["error"] == "rate_limited"
    after = _wait_for_logs(front, "POST", "/oauth/register/", sum(before) + DCR_LIMIT + 1)
    assert all(a > b for a, b in zip(after, before, strict=True)), (before, after)  # both hosts counted
    with front.client(other, headers=spoof) as http:
        other_answer = _register(http, "front-dcr-other")
    assert other_answer.status_code == 201  # the limit is per real address, not per proxy

    # Straight to a host from an address that is not a trusted proxy: its X-Forwarded-For is ignored.
    transport = httpx2.HTTPTransport(local_address=direct)
    with front.hosts[0].direct(transport=transport, headers=spoof) as http:
        direct_answer = _register(http, "front-dcr-direct")
    assert direct_answer.status_code == 201

    ids = {a.json()["client_id"]: client for a in answers[:DCR_LIMIT]}
    ids[other_answer.json()["client_id"]] = other
    ids[direct_answer.json()["client_id"]] = direct
    assert _registrations(front.hosts[1], list(ids)) == ids


# --- slow senders --------------------------------------------------------------------------------------


def _trickle(front: Front, source: str, at_once: bytes, slowly: bytes, until: float) -> float | None:
    """Send `at_once`, then `slowly` one byte a second over TLS to nginx. Seconds until the server
    closed the connection, or None if it was still open at `until`."""
    context = front.certs.context()
    start = time.monotonic()
    raw = socket.create_connection((FRONT_HOST, front.nginx.https_port), timeout=5, source_address=(source, 0))
    with context.wrap_socket(raw, server_hostname=FRONT_HOST) as tls:
        tls.settimeout(1.0)
        try:
            tls.sendall(at_once)
            for byte in slowly:
                if time.monotonic() > until:
                    return None
                tls.sendall(bytes([byte]))
                try:
                    tls.recv(4096)  # an answer or the end of the stream: nginx gave up on us
                    return time.monotonic() - start
                except TimeoutError:
                    continue  # one second of silence: send the next byte
        except (ssl.SSLError, OSError):
            return time.monotonic() - start
    return None


def _header_timeout() -> int:
    found = re.search(r"client_header_timeout (\d+)s;", (DEPLOY / "nginx.conf").read_text())
    assert found, "deploy/nginx.conf sets no client_header_timeout"
    return int(found.group(1))


def _meanwhile(front: Front, token: str, until: float) -> list[tuple[int, float]]:
    """Ordinary requests through nginx while the slow sockets trickle: (status, seconds) each."""
    timings = []
    with front.client() as http:
        while time.monotonic() < until:
            started = time.monotonic()
            status = _call(http, token).status_code if len(timings) % 2 else http.get("/auth/login/").status_code
            timings.append((status, time.monotonic() - started))
            time.sleep(0.2)
    return timings


def test_slow_senders_are_held_by_nginx_and_do_not_block_other_clients(front: Front, member_token: str) -> None:
    # More slow sockets than the four sync workers behind nginx: if nginx passed them on, they
    # would hold every worker and the ordinary requests below would wait.
    timeout = _header_timeout()
    sources = loopback_addresses(10)
    until = time.monotonic() + timeout + 8
    host = f"Host: {FRONT_HOST}\r\n".encode()
    slow_headers = [(b"", b"GET /slow-header-probe HTTP/1.1\r\n" + host + b"X-Padding: " + b"x" * 60) for _ in range(8)]
    body_head = b"POST /slow-body-probe HTTP/1.1\r\n" + host + b"Content-Type: application/json\r\n"
    slow_bodies = [(body_head + b"Content-Length: 100\r\n\r\n", b"{" + b" " * 99) for _ in range(2)]
    with concurrent.futures.ThreadPoolExecutor(len(sources)) as pool:
        futures = [
            pool.submit(_trickle, front, source, at_once, slowly, until)
            for source, (at_once, slowly) in zip(sources, slow_headers + slow_bodies, strict=True)
        ]
        time.sleep(1)
        timings = _meanwhile(front, member_token, until - 1)
        closed = [f.result() for f in futures]

    assert len(timings) >= 10 and {s for s, _ in timings} == {200}, timings
    assert max(t for _, t in timings) < 5, timings  # a liveness bound, not a benchmark
    # nginx cut each slow header off after client_header_timeout (the whole header, not per byte),
    # logging a 408 with the client's address...
    header_closed = closed[:8]
    assert all(c is not None and timeout - 1 <= c <= timeout + 5 for c in header_closed), header_closed
    # ...and holds slow bodies itself (request buffering): still open when the client gave up.
    assert closed[8:] == [None, None], closed
    nginx_log = _nginx_log(front, lambda log: log.count('"POST /slow-body-probe ') == 2)
    for source in sources[:8]:
        assert re.search(rf'^{re.escape(source)} \[[^]]*\] "- - -" 408 ', nginx_log, re.M), (source, nginx_log)
    for source in sources[8:]:
        assert re.search(rf'^{re.escape(source)} .*"POST /slow-body-probe .* upstream=- ', nginx_log, re.M), source
    # No host ever saw any of them.
    for path in ("/slow-header-probe", "/slow-body-probe"):
        assert _served(front, "GET", path) == [0, 0] and _served(front, "POST", path) == [0, 0]


def _nginx_log(front: Front, ready: Callable[[str], bool]) -> str:
    """nginx's access log once `ready` says so (nginx writes a line when a connection ends)."""
    deadline = time.monotonic() + 5
    while not ready(log := (front.nginx.folder / "access.log").read_text()) and time.monotonic() < deadline:
        time.sleep(0.1)
    return log


# --- the front itself: redirect, limits, production headers ---------------------------------------------


def test_front_redirects_http_limits_bodies_and_serves_static_files(front: Front, member_token: str) -> None:
    with httpx2.Client(timeout=10) as plain:
        redirect = plain.get(f"{front.nginx.http_url}/mcp?x=1")
    assert redirect.status_code == 301 and redirect.headers["location"] == f"https://{FRONT_HOST}/mcp?x=1"

    with front.client() as http:
        page = http.get("/auth/login/")
        assert page.status_code == 200
        assert page.headers["strict-transport-security"].startswith("max-age=31536000")
        assert "Secure" in page.headers["set-cookie"]
        assert http.get("/static/spark.css").status_code == 200  # collectstatic output (DEBUG=0)

        # The MCP body limit is 1 MiB in nginx and in the app: 1 MiB reaches a host, one byte more does not.
        before = _served(front, "POST", "/mcp")
        headers = {**MCP_HEADERS, "Authorization": f"Bearer {member_token}", "Content-Type": "application/json"}
        call = json.dumps(CALL).encode()
        body = call + b" " * (1_048_576 - len(call))  # JSON may end in whitespace
        assert len(body) == 1_048_576
        assert http.post("/mcp", content=body, headers=headers).status_code == 200
        assert http.post("/mcp", content=body + b" ", headers=headers).status_code == 413
        assert sum(_wait_for_logs(front, "POST", "/mcp", sum(before) + 1)) == sum(before) + 1
