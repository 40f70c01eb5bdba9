"""One connection per assistant platform, against gunicorn, each the way that platform connects:

| platform | client identification | token endpoint authentication | MCP URL |
|---|---|---|---|
| Claude | dynamic registration, claude.ai callback | none (public) | /mcp |
| ChatGPT | client ID metadata document over TLS, with a `jwks_uri` | `private_key_jwt` | /openai/mcp |
| Copilot Studio | an organization admin's confidential client | `client_secret_basic` | /mcp |
| VS Code | dynamic registration, loopback + vscode.dev | none | /mcp |
| Cursor | dynamic registration, `cursor://` callback | none | /mcp |
| Claude Code | dynamic registration, localhost callback, named "Claude Code …" | none | /mcp |

Each walks discovery → (registration, a document, or nothing) → sign-in and consent → token → a
tool call, through the official `mcp` SDK's OAuth client; then, over plain HTTP, a refresh whose
answer is lost and is retried with the same refresh token (the same pair comes back, and works);
then revocation (RFC 7009) of the access token, after which the MCP endpoint refuses it. The
connection is recorded under the platform it belongs to.

The metadata documents are served over HTTPS by a server with a certificate from a CA made for the
run (tests/e2e/tls_documents.py), fetched by django-oauth-toolkit's own TLS transport.
"""

from __future__ import annotations

import asyncio
import base64
import json
import re
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from typing import Any

import httpx2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from jwt.algorithms import ECAlgorithm
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.auth.extensions.client_credentials import SignedJWTParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientInformationFull, OAuthClientMetadata

from tests.e2e.conftest import DEMO_PASSWORD, LiveServer, live_server
from tests.e2e.mcp_client import MemoryStorage
from tests.e2e.oauth_browser import Browser
from tests.e2e.test_cimd_private_key_jwt_sdk import ASSERTION_TYPE, KeyedDocumentClient
from tests.e2e.test_oauth_sdk_client import Wire
from tests.e2e.tls_documents import TEST_HOST, make_tls, serve_documents

pytestmark = pytest.mark.e2e
DOCUMENTS: dict[str, Any] = {}
SERVED: list[str] = []  # the paths the documents' HTTPS server answered
_SECRET = re.compile(r'id="client-(id|secret)">([^<]+)<')
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')


@dataclass
class Matrix:
    server: LiveServer
    documents_url: str


@pytest.fixture(scope="module")
def matrix(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Matrix]:
    data = tmp_path_factory.mktemp("matrix")
    ca, cert, key = make_tls(data / "tls")
    documents = serve_documents(DOCUMENTS, cert, key, SERVED)
    env = {
        "SPARK_CIMD_ALLOWED_HOSTS": TEST_HOST,
        "SPARK_CIMD_METADATA_FETCHER": "tests.e2e.tls_documents.TlsLoopbackFetcher",
        "SSL_CERT_FILE": str(ca),  # the run's CA is the one DOT's transport trusts
    }
    try:
        with live_server(data, database_url=f"sqlite:///{data / 'matrix.sqlite3'}", extra_env=env) as server:
            yield Matrix(server, f"https://{TEST_HOST}:{documents.server_address[1]}")
    finally:
        documents.shutdown()


@dataclass
class Case:
    platform: str
    """The label the connected apps page shows."""
    callback: str
    mcp_path: str = "/mcp"
    tool: tuple[str, dict[str, Any]] = ("list_datasets", {})
    registers: bool = True


CASES = [
    Case("Claude", "https://claude.ai/api/mcp/auth_callback"),
    Case(
        "ChatGPT",
        "https://chatgpt.com/connector_platform_oauth_redirect",
        "/openai/mcp",
        ("search", {"query": "TikTok"}),
        False,
    ),
    Case("Copilot Studio", "https://global.consent.azure-apim.net/redirect/spark-matrix", registers=False),
    Case("VS Code", "http://127.0.0.1:33418"),
    Case("Cursor", "cursor://anysphere.cursor-mcp/oauth/callback"),
    Case("Claude Code", "http://localhost:53682/callback"),
]


@dataclass
class Connection:
    provider: OAuthClientProvider
    token_auth: Callable[[dict[str, str]], tuple[dict[str, str], dict[str, str]]]
    """Adds the client's authentication to a token or revocation request's (form, headers)."""


def _metadata(case: Case, name: str, auth: str = "none") -> OAuthClientMetadata:
    extra = ["https://vscode.dev/redirect"] if case.platform == "VS Code" else []
    return OAuthClientMetadata(
        client_name=name,
        redirect_uris=[case.callback, *extra],
        grant_types=["authorization_code", "refresh_token"],
        response_types=["code"],
        token_endpoint_auth_method=auth,  # type: ignore[arg-type]
    )


def _public(case: Case, server: LiveServer, browser: Browser) -> Connection:
    name = {"Claude Code": "Claude Code (matrix)", "VS Code": "Visual Studio Code"}.get(case.platform, case.platform)
    provider = OAuthClientProvider(
        server_url=server.url + case.mcp_path,
        client_metadata=_metadata(case, name),
        storage=MemoryStorage(),
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
    )

    def auth(form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        assert provider.context.client_info is not None
        return {**form, "client_id": provider.context.client_info.client_id}, {}

    return Connection(provider, auth)


def _chatgpt(case: Case, matrix: Matrix, browser: Browser) -> Connection:
    path = f"/chatgpt/{uuid.uuid4().hex[:8]}"
    client_id, jwks_uri = f"{matrix.documents_url}{path}/client.json", f"{matrix.documents_url}{path}/jwks.json"
    key = ec.generate_private_key(ec.SECP256R1())
    DOCUMENTS[f"{path}/jwks.json"] = {"keys": [{**json.loads(ECAlgorithm.to_jwk(key.public_key())), "kid": "m1"}]}
    DOCUMENTS[f"{path}/client.json"] = {
        "client_id": client_id,
        "client_name": "ChatGPT",
        "redirect_uris": [case.callback],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks_uri": jwks_uri,
    }
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    signer = SignedJWTParameters(
        issuer=client_id, subject=client_id, signing_key=pem.decode(), signing_algorithm="ES256", lifetime_seconds=60
    )
    sign = signer.create_assertion_provider()
    provider = KeyedDocumentClient(
        server_url=matrix.server.url + case.mcp_path,
        client_metadata=_metadata(case, "ChatGPT"),
        storage=MemoryStorage(),
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
        client_metadata_url=client_id,
        assertion_provider=sign,
    )

    def auth(form: dict[str, str]) -> tuple[dict[str, str], dict[str, str]]:
        assertion = asyncio.run(sign(f"{matrix.server.url}/oauth/token/"))
        return {**form, "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}, {}

    return Connection(provider, auth)


def _copilot(case: Case, server: LiveServer, browser: Browser) -> Connection:
    """The admin creates the confidential client in the console; Copilot Studio is given its ID and secret."""
    admin = Browser(server.url, "admin@acme.example", DEMO_PASSWORD, case.callback)
    admin.sign_in()
    page = admin.http.get(f"{server.url}/org/acme/clients/new/").text
    created = admin.http.post(
        f"{server.url}/org/acme/clients/new/",
        data={"csrfmiddlewaretoken": _CSRF.findall(page)[-1], "name": "Copilot Studio", "redirect_uri": case.callback},
    )
    found = dict(_SECRET.findall(created.text))
    assert {"id", "secret"} <= found.keys(), created.text[-2000:]
    client_id, secret = found["id"].strip(), found["secret"].strip()
    storage = MemoryStorage()
    asyncio.run(
        storage.set_client_info(
            OAuthClientInformationFull(
                client_id=client_id,
                client_secret=secret,
                redirect_uris=[case.callback],  # type: ignore[list-item]
                token_endpoint_auth_method="client_secret_basic",
                grant_types=["authorization_code", "refresh_token"],
                response_types=["code"],
            )
        )
    )
    provider = OAuthClientProvider(
        server_url=server.url + case.mcp_path,
        client_metadata=_metadata(case, "Copilot Studio", "client_secret_basic"),
        storage=storage,
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
    )
    basic = base64.b64encode(f"{client_id}:{secret}".encode()).decode()
    return Connection(provider, lambda form: (form, {"Authorization": f"Basic {basic}"}))


def _connection(case: Case, matrix: Matrix, browser: Browser) -> Connection:
    if case.platform == "ChatGPT":
        return _chatgpt(case, matrix, browser)
    if case.platform == "Copilot Studio":
        return _copilot(case, matrix.server, browser)
    return _public(case, matrix.server, browser)


async def _first_call(case: Case, server: LiveServer, connection: Connection, wire: Wire) -> Any:
    http = httpx2.AsyncClient(auth=connection.provider, event_hooks={"response": [wire]}, timeout=30)
    async with Client(streamable_http_client(server.url + case.mcp_path, http_client=http)) as client:
        result = await client.call_tool(*case.tool)
    return result


def _tool_call(server: LiveServer, case: Case, access_token: str) -> int:
    body = {
        "jsonrpc": "2.0",
        "id": 1,
        "method": "tools/call",
        "params": {"name": case.tool[0], "arguments": case.tool[1]},
    }
    headers = {
        "Authorization": f"Bearer {access_token}",
        "Accept": "application/json, text/event-stream",
        "MCP-Protocol-Version": "2025-11-25",
    }
    response = httpx2.post(server.url + case.mcp_path, json=body, headers=headers, timeout=30)
    if response.status_code == 200:
        assert "error" not in response.json() and not response.json()["result"].get("isError"), response.text
    return response.status_code


def _post(server: LiveServer, path: str, connection: Connection, form: dict[str, str]) -> httpx2.Response:
    data, headers = connection.token_auth(form)
    return httpx2.post(server.url + path, data=data, headers=headers, timeout=30)


@pytest.mark.parametrize("case", CASES, ids=[c.platform for c in CASES])
def test_platform_connects_refreshes_after_a_lost_answer_and_is_revoked(matrix: Matrix, case: Case) -> None:
    server = matrix.server
    browser = Browser(server.url, "member@acme.example", DEMO_PASSWORD, case.callback)
    connection = _connection(case, matrix, browser)
    wire = Wire()

    # Discovery to a tool call, through the SDK.
    result = asyncio.run(_first_call(case, server, connection, wire))
    assert not result.is_error, result
    steps = [(m, p, s) for m, p, s, _ in wire.seen]
    assert steps[0] == ("POST", case.mcp_path, 401), steps
    expected = [
        ("GET", f"/.well-known/oauth-protected-resource{case.mcp_path}", 200),
        ("GET", "/.well-known/oauth-authorization-server", 200),
        *([("POST", "/oauth/register/", 201)] if case.registers else []),
        ("POST", "/oauth/token/", 200),
        ("POST", case.mcp_path, 200),
    ]
    positions = [steps.index(step) for step in expected]
    assert positions == sorted(positions), steps
    assert case.registers or not any(p == "/oauth/register/" for _, p, _ in steps)
    assert browser.consents == 1

    client_id = connection.provider.context.client_info.client_id  # type: ignore[union-attr]
    apps = browser.http.get(f"{server.url}/settings/connected-apps/").text
    row = apps.split(f'data-client-id="{client_id}"')[1].split("</tr>")[0]
    recorded = row.split('class="help mono client-id"')[1].split("</div>")[0]
    assert f">{case.platform} (" in recorded or f">{case.platform} ·" in recorded, row  # the platform recorded
    if case.platform == "ChatGPT":  # its document and keys came over TLS, and it signed its token request
        document = client_id.removeprefix(matrix.documents_url)
        assert document in SERVED and document.replace("client.json", "jwks.json") in SERVED
        exchange = next(d for _, p, _, d in wire.seen if p == "/oauth/token/")
        assert "client_assertion=" in exchange and "client_secret" not in exchange

    # A refresh whose answer is lost, retried with the same refresh token: the same pair, which works.
    tokens = connection.provider.context.current_tokens
    assert tokens is not None and tokens.refresh_token
    form = {"grant_type": "refresh_token", "refresh_token": tokens.refresh_token}
    lost = _post(server, "/oauth/token/", connection, form)
    retried = _post(server, "/oauth/token/", connection, form)
    assert lost.status_code == 200 and retried.status_code == 200, (lost.text, retried.text)
    assert retried.json()["access_token"] == lost.json()["access_token"]
    assert retried.json()["refresh_token"] == lost.json()["refresh_token"]
    access = retried.json()["access_token"]
    assert _tool_call(server, case, access) == 200

    # Revocation (RFC 7009), authenticated as the client authenticates: the token stops at once.
    revoked = _post(server, "/oauth/revoke/", connection, {"token": access, "token_type_hint": "access_token"})
    assert revoked.status_code == 200, revoked.text
    assert _tool_call(server, case, access) == 401


def test_a_document_on_a_host_not_allowed_is_named_on_the_page(matrix: Matrix) -> None:
    browser = Browser(matrix.server.url, "member@acme.example", DEMO_PASSWORD, CASES[1].callback)
    browser.sign_in()
    url = (
        f"{matrix.server.url}/oauth/authorize/?response_type=code&client_id=https://chatgpt.com/elsewhere.json"
        f"&redirect_uri={CASES[1].callback}&code_challenge=x&code_challenge_method=S256"
        f"&resource={matrix.server.url}/openai/mcp"
    )
    page = browser.http.get(url)
    assert page.status_code == 400
    assert "Spark Portal does not accept client metadata documents from chatgpt.com" in page.text
