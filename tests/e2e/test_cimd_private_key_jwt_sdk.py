"""ChatGPT's way in, driven by the official `mcp` SDK's OAuth client: a client ID metadata document
that declares `private_key_jwt` with a `jwks_uri`, ChatGPT's callback and `/openai/mcp`.

The SDK's authorization-code flow takes a metadata-document client ID (`client_metadata_url`) but signs
client assertions only in its client-credentials provider (`PrivateKeyJWTOAuthProvider`); the provider
below adds the assertion that provider's signer makes (`SignedJWTParameters`, audience the issuer from
discovery, as the SDK sets it) to the code exchange and the refresh, and changes nothing else.
"""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import parse_qsl, urlencode

import httpx2
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from jwt.algorithms import RSAAlgorithm
from mcp import Client
from mcp.client.auth import OAuthClientProvider
from mcp.client.auth.extensions.client_credentials import SignedJWTParameters
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.auth import OAuthClientMetadata

from tests.e2e.conftest import ACCESS_TOKEN_SECONDS, CIMD_DOCUMENTS, DEMO_PASSWORD, LiveServer
from tests.e2e.mcp_client import MemoryStorage
from tests.e2e.oauth_browser import Browser
from tests.e2e.test_oauth_sdk_client import Wire

pytestmark = pytest.mark.e2e
CHATGPT_CALLBACK = "https://chatgpt.com/connector_platform_oauth_redirect"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class KeyedDocumentClient(OAuthClientProvider):
    """The SDK's OAuth client, authenticating its token requests with a signed client assertion."""

    def __init__(self, *args: Any, assertion_provider: Callable[[str], Awaitable[str]], **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._assertion_provider = assertion_provider

    async def _signed(self, request: httpx2.Request) -> httpx2.Request:
        assert self.context.oauth_metadata is not None
        pairs = parse_qsl(request.content.decode(), keep_blank_values=True)
        assertion = await self._assertion_provider(str(self.context.oauth_metadata.issuer))
        pairs += [("client_assertion_type", ASSERTION_TYPE), ("client_assertion", assertion)]
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        return httpx2.Request("POST", request.url, content=urlencode(pairs).encode(), headers=headers)

    async def _exchange_token_authorization_code(self, auth_code: str, code_verifier: str) -> httpx2.Request:
        return await self._signed(await super()._exchange_token_authorization_code(auth_code, code_verifier))

    async def _refresh_token(self) -> httpx2.Request:
        return await self._signed(await super()._refresh_token())


def _chatgpt_like_client(server: LiveServer, browser: Browser) -> tuple[KeyedDocumentClient, str, SignedJWTParameters]:
    path = f"/chatgpt/{uuid.uuid4().hex[:8]}"
    client_id, jwks_uri = f"https://cimd.spark.test{path}/client.json", f"https://cimd.spark.test{path}/jwks.json"
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    jwk = {**json.loads(RSAAlgorithm.to_jwk(key.public_key())), "kid": "k1", "alg": "RS256", "use": "sig"}
    CIMD_DOCUMENTS[f"{path}/jwks.json"] = {"keys": [jwk]}
    CIMD_DOCUMENTS[f"{path}/client.json"] = {
        "client_id": client_id,
        "client_name": "ChatGPT",
        "redirect_uris": [CHATGPT_CALLBACK],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        "token_endpoint_auth_method": "private_key_jwt",
        "jwks_uri": jwks_uri,
    }
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    signer = SignedJWTParameters(issuer=client_id, subject=client_id, signing_key=pem.decode(), lifetime_seconds=120)
    provider = KeyedDocumentClient(
        server_url=f"{server.url}/openai/mcp",
        client_metadata=OAuthClientMetadata(
            client_name="ChatGPT",
            redirect_uris=[CHATGPT_CALLBACK],
            grant_types=["authorization_code", "refresh_token"],
            response_types=["code"],
            token_endpoint_auth_method="none",
        ),
        storage=MemoryStorage(),
        redirect_handler=browser.redirect_handler,
        callback_handler=browser.callback_handler,
        client_metadata_url=client_id,
        assertion_provider=signer.create_assertion_provider(),
    )
    return provider, client_id, signer


async def _search(client: Client) -> list[dict[str, Any]]:
    result = await client.call_tool("search", {"query": "TikTok in Germany"})
    assert not result.is_error, result
    return list((result.structured_content or {})["results"])


async def _flow(server: LiveServer) -> dict[str, Any]:
    browser = Browser(server.url, "member@acme.example", DEMO_PASSWORD, CHATGPT_CALLBACK)
    provider, client_id, _ = _chatgpt_like_client(server, browser)
    wire = Wire()
    http = httpx2.AsyncClient(auth=provider, event_hooks={"response": [wire]}, timeout=30)
    out: dict[str, Any] = {"browser": browser, "wire": wire, "client_id": client_id}
    async with Client(streamable_http_client(f"{server.url}/openai/mcp", http_client=http)) as client:
        out["first"] = await _search(client)
        await asyncio.sleep(ACCESS_TOKEN_SECONDS + 1)
        mark = wire.mark()
        out["after_expiry"] = await _search(client)
        out["refresh"] = wire.since(mark)
    return out


def test_chatgpt_document_with_private_key_jwt_connects_and_refreshes(spark_server: LiveServer) -> None:
    out = asyncio.run(_flow(spark_server))
    assert out["first"] and out["after_expiry"]
    seen = out["wire"].seen
    assert not any(p == "/oauth/register/" for _, p, _, _ in seen)
    tokens = [(s, d) for _, p, s, d in seen if p == "/oauth/token/"]
    exchange = next(d for s, d in tokens if "grant_type=authorization_code" in d)
    assert "client_assertion_type=urn" in exchange and "client_assertion=" in exchange
    refresh = [(s, d) for _, p, s, d in out["refresh"] if p == "/oauth/token/"]
    assert refresh and refresh[0][0] == 200 and "grant_type=refresh_token" in refresh[0][1]
    assert "client_assertion=" in refresh[0][1]
    apps = out["browser"].http.get(f"{spark_server.url}/settings/connected-apps/").text
    assert out["client_id"] in apps and "ChatGPT" in apps


def test_the_token_endpoint_authenticates_such_a_client_by_its_assertion_only(spark_server: LiveServer) -> None:
    """Plain HTTP, the client met first at the token endpoint (its document is resolved there): with a
    signed assertion it authenticates (the made-up refresh token is then invalid_grant); without one,
    or with the same assertion again, it does not (invalid_client)."""
    browser = Browser(spark_server.url, "member@acme.example", DEMO_PASSWORD, CHATGPT_CALLBACK)
    _, client_id, signer = _chatgpt_like_client(spark_server, browser)
    assertion = asyncio.run(signer.create_assertion_provider()(spark_server.url))
    request = {"grant_type": "refresh_token", "refresh_token": "made-up", "client_id": client_id}
    signed = {**request, "client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}
    url = f"{spark_server.url}/oauth/token/"

    authenticated = httpx2.post(url, data=signed, timeout=30)
    assert authenticated.status_code == 400 and authenticated.json()["error"] == "invalid_grant", authenticated.text
    bare = httpx2.post(url, data=request, timeout=30)
    assert bare.status_code == 401 and bare.json()["error"] == "invalid_client"
    replayed = httpx2.post(url, data=signed, timeout=30)
    assert replayed.status_code == 401 and "already used" in replayed.json()["error_description"]
