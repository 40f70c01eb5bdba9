"""Enterprise-managed authorization end to end: the official `mcp` SDK's
`IdentityAssertionOAuthProvider` (the client side of the jwt-bearer grant) against the real server.

The "identity providers" are two local issuers (Acme's and Globex's) whose discovery documents and
JWKS a tiny HTTP server on 127.0.0.1 serves; the test mints the ID-JAGs with their keys (leg 1, the
token exchange at the IdP, is the IdP's job). The server fetches the keys itself, over HTTP.
"""

from __future__ import annotations

import asyncio
import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx2
import pytest
from jwcrypto.jwk import JWK
from jwcrypto.jwt import JWT
from mcp import Client
from mcp.client.auth.extensions.identity_assertion import IdentityAssertionOAuthProvider
from mcp.client.streamable_http import streamable_http_client
from playwright.sync_api import Browser

from tests.e2e.conftest import LiveServer, password_sign_in, shot
from tests.e2e.mcp_client import MemoryStorage

pytestmark = pytest.mark.e2e
SECRET = "id-jag-e2e-client-secret"
SETUP = """
from allauth.socialaccount.models import SocialApp
from oauth2_provider.models import Application
from accounts.models import Organization
from identity.models import IdentityConnection
for slug, issuer in {issuers!r}:
    org = Organization.objects.get(slug=slug)
    provider_id = slug + "-idjag-e2e"
    app, _ = SocialApp.objects.update_or_create(
        provider="openid_connect", provider_id=provider_id,
        defaults=dict(name=org.name + " e2e IdP", client_id="spark", settings={{"server_url": issuer}}),
    )
    IdentityConnection.objects.update_or_create(
        provider_id=provider_id,
        defaults=dict(organization=org, kind="oidc", name=org.name + " e2e IdP", app=app, id_jag_enabled=True),
    )
client = Application.objects.create(
    name="ID-JAG e2e agent", client_type="confidential", authorization_grant_type="authorization-code",
    redirect_uris="http://127.0.0.1:33419/callback", client_secret={secret!r}, hash_client_secret=True,
)
print(client.client_id)
"""


@dataclass
class Idps:
    """Two local issuers (name → base URL) with their signing keys; `fetches` counts JWKS reads."""

    urls: dict[str, str]
    keys: dict[str, JWK]
    fetches: list[str]


def _serve(keys: dict[str, JWK], fetches: list[str]) -> ThreadingHTTPServer:
    class Handler(BaseHTTPRequestHandler):
        def log_message(self, format: str, *args: object) -> None:
            pass

        def do_GET(self) -> None:
            name, _, rest = self.path.strip("/").partition("/")
            base = f"http://127.0.0.1:{self.server.server_address[1]}/{name}"
            if name in keys and rest == ".well-known/openid-configuration":
                body: dict[str, Any] = {
                    "issuer": base,
                    "authorization_endpoint": base + "/authorize",
                    "token_endpoint": base + "/token",
                    "jwks_uri": base + "/jwks",
                }
            elif name in keys and rest == "jwks":
                fetches.append(name)
                body = {"keys": [json.loads(keys[name].export_public())]}
            else:
                self.send_error(404)
                return
            data = json.dumps(body).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


@pytest.fixture(scope="module")
def idps() -> Iterator[Idps]:
    keys = {name: JWK.generate(kty="RSA", size=2048, kid=f"{name}-1") for name in ("acme", "globex")}
    fetches: list[str] = []
    server = _serve(keys, fetches)
    port = server.server_address[1]
    yield Idps({name: f"http://127.0.0.1:{port}/{name}" for name in keys}, keys, fetches)
    server.shutdown()


@pytest.fixture(scope="module")
def client_id(spark_server: LiveServer, idps: Idps) -> Iterator[str]:
    """The trusted connections and the agent's client; the connections go afterwards, or every later
    test would find Acme signing in with SSO."""
    script = SETUP.format(issuers=[("acme", idps.urls["acme"]), ("globex", idps.urls["globex"])], secret=SECRET)
    yield spark_server.manage("shell", "-c", script).strip().splitlines()[-1]
    for slug in ("acme", "globex"):
        spark_server.manage("sso_connection", "remove", f"{slug}-idjag-e2e")


def mint(idps: Idps, client_id: str, audience: str, resource: str, idp: str = "acme", **claims: Any) -> str:
    now = int(time.time())
    body = {
        "iss": idps.urls[idp],
        "sub": "idp-user-1",
        "email": "member@acme.example",
        "aud": audience,
        "resource": resource,
        "client_id": client_id,
        "scope": "insights:read dataset:ds-core dataset:ds-usa-deep",
        "jti": uuid.uuid4().hex,
        "iat": now,
        "exp": now + 300,
        **claims,
    }
    token = JWT(header={"alg": "RS256", "typ": "oauth-id-jag+jwt", "kid": f"{idp}-1"}, claims=body)
    token.make_signed_token(idps.keys[idp])
    return str(token.serialize())


Minter = Callable[[str, str], str]


async def _datasets(server: LiveServer, client_id: str, assertion: Minter) -> list[str]:
    async def provide(audience: str, resource: str) -> str:
        return assertion(audience, resource)

    provider = IdentityAssertionOAuthProvider(
        server_url=server.mcp_url,
        storage=MemoryStorage(),
        client_id=client_id,
        client_secret=SECRET,
        issuer=server.url,
        assertion_provider=provide,
        scope="insights:read dataset:ds-core dataset:ds-usa-deep",
    )
    http = httpx2.AsyncClient(auth=provider, timeout=30)
    async with Client(streamable_http_client(server.mcp_url, http_client=http)) as client:
        result = await client.call_tool("list_datasets", {})
        assert not result.is_error, result
        return [d["code"] for d in (result.structured_content or {})["datasets"]]


def refusal(server: LiveServer, client_id: str, assertion: Minter) -> str:
    try:
        datasets = asyncio.run(_datasets(server, client_id, assertion))
    except BaseException as exc:  # the SDK raises OAuthTokenError (possibly inside an ExceptionGroup)
        return repr(exc)
    return f"unexpectedly succeeded: {datasets}"


def test_an_id_jag_gets_a_token_and_the_tool_call_succeeds_and_refusals(
    spark_server: LiveServer, idps: Idps, client_id: str
) -> None:
    used: list[str] = []

    def good(audience: str, resource: str) -> str:
        used.append(mint(idps, client_id, audience, resource))
        return used[-1]

    assert asyncio.run(_datasets(spark_server, client_id, good)) == ["ds-core", "ds-usa-deep"]
    assert idps.fetches == ["acme"]

    cases: dict[str, tuple[Minter, str]] = {
        "replayed": (lambda aud, res: used[0], "already used"),
        "wrong audience": (
            lambda aud, res: mint(idps, client_id, "https://other-as.example", res),
            "is not this authorization server",
        ),
        "another organization's IdP": (
            lambda aud, res: mint(idps, client_id, aud, res, idp="globex"),
            "not at an email domain enabled for Globex",
        ),
        "expired": (
            lambda aud, res: mint(idps, client_id, aud, res, iat=int(time.time()) - 900, exp=int(time.time()) - 600),
            "expired",
        ),
        "outside the domains": (
            lambda aud, res: mint(idps, client_id, aud, res, email="someone@elsewhere.example"),
            "not at an email domain enabled for Acme",
        ),
    }
    for name, (assertion, words) in cases.items():
        answer = refusal(spark_server, client_id, assertion)
        assert "invalid_grant" in answer and words in answer, (name, answer)


def test_the_admin_sees_the_client_and_its_last_refusal(
    browser: Browser, spark_server: LiveServer, idps: Idps, client_id: str
) -> None:
    """After the grants above: Acme's Single sign-on page lists the agent, and the connection doctor
    explains its newest refusal (an outside-domain user) in the identity provider's words."""
    page = browser.new_context(viewport={"width": 1280, "height": 900}).new_page()
    password_sign_in(
        page, "admin@acme.example", at=f"{spark_server.url}/auth/login/", then=f"{spark_server.url}/settings/"
    )
    page.goto(f"{spark_server.url}/org/acme/sso/")
    row = page.inner_text(f"tr[data-client='{client_id}']")
    assert "ID-JAG e2e agent" in row
    shot(page, "sso-30-id-jag-clients")
    page.click(f"tr[data-client='{client_id}'] >> text=Check")
    grant = page.inner_text("tr[data-gate='Identity assertion grant']")
    assert "refuses" in grant and "not at an email domain enabled for Acme" in grant, grant
    shot(page, "sso-31-doctor-id-jag-refused")
    page.context.close()
