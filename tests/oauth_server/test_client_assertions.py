"""Client ID metadata documents with `private_key_jwt` (ChatGPT's kind): the document's keys, the
signed client assertion at the token and revocation endpoints, and the refusals the authorization
page names."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import time
import uuid
from collections.abc import Iterator
from typing import Any

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from django.test import Client
from jwt.algorithms import ECAlgorithm, RSAAlgorithm
from oauth2_provider.cimd import CIMDError
from oauth2_provider.models import AccessToken, Application

from oauth_server import client_assertions
from oauth_server.client_metadata import PolicyMetadataFetcher
from oauth_server.models import ConnectedApp, MetadataClientKeys
from oauth_server.platforms import METADATA_HOSTS, Platform
from tests.factories import World
from tests.oauth_server.oauth_helpers import Flow, code_from, consent, pkce

CHATGPT_ID = "https://chatgpt.com/oauth/spark-test/client.json"
CHATGPT_CALLBACK = "https://chatgpt.com/connector_platform_oauth_redirect"
JWKS_URI = "https://chatgpt.com/oauth/spark-test/jwks.json"
ISSUER = "http://testserver"
TOKEN_URL = "http://testserver/oauth/token/"
ASSERTION_TYPE = "urn:ietf:params:oauth:client-assertion-type:jwt-bearer"


class StubFetcher(PolicyMetadataFetcher):
    """The product's policy over documents served from a dict instead of the network."""

    documents: dict[str, dict[str, Any]] = {}
    fetched: list[str] = []

    def fetch_document(self, client_id: str) -> tuple[dict[str, Any], int]:
        StubFetcher.fetched.append(client_id)
        if client_id.endswith("/slow.json"):
            raise TimeoutError("a transport's own failure")
        if client_id not in self.documents:
            raise CIMDError("client_id document returned HTTP 404")
        return self.documents[client_id], 300


class Key:
    def __init__(self, kind: str = "RSA", kid: str | None = None) -> None:
        self.kid = kid or uuid.uuid4().hex[:8]
        if kind == "RSA":
            self.private: Any = rsa.generate_private_key(public_exponent=65537, key_size=2048)
            self.alg = "RS256"
            public = json.loads(RSAAlgorithm.to_jwk(self.private.public_key()))
        else:
            self.private = ec.generate_private_key(ec.SECP256R1())
            self.alg = "ES256"
            public = json.loads(ECAlgorithm.to_jwk(self.private.public_key()))
        self.jwk = {**public, "kid": self.kid, "use": "sig", "alg": self.alg}

    def pem(self) -> bytes:
        return bytes(
            self.private.private_bytes(
                serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
            )
        )

    def sign(self, client_id: str = CHATGPT_ID, **override: Any) -> str:
        now = int(time.time())
        claims = {"iss": client_id, "sub": client_id, "aud": TOKEN_URL, "iat": now, "exp": now + 120}
        claims["jti"] = uuid.uuid4().hex
        claims.update(override)
        claims = {k: v for k, v in claims.items() if v is not None}
        return jwt.encode(claims, self.pem(), algorithm=self.alg, headers={"kid": self.kid})


def document(client_id: str = CHATGPT_ID, **extra: Any) -> dict[str, Any]:
    return {
        "client_id": client_id,
        "client_name": "ChatGPT",
        "redirect_uris": [CHATGPT_CALLBACK],
        "grant_types": ["authorization_code", "refresh_token"],
        "response_types": ["code"],
        **extra,
    }


@pytest.fixture
def stub(settings: Any) -> Iterator[type[StubFetcher]]:
    settings.OAUTH2_PROVIDER = {
        **settings.OAUTH2_PROVIDER,
        "CIMD_METADATA_FETCHER": "tests.oauth_server.test_client_assertions.StubFetcher",
    }
    StubFetcher.documents, StubFetcher.fetched = {}, []
    client_assertions.jwks_clear()
    yield StubFetcher
    client_assertions.jwks_clear()


@pytest.fixture
def key() -> Key:
    return Key()


@pytest.fixture
def chatgpt(stub: type[StubFetcher], key: Key) -> Key:
    stub.documents[CHATGPT_ID] = document(token_endpoint_auth_method="private_key_jwt", jwks={"keys": [key.jwk]})
    return key


def _flow(client_id: str = CHATGPT_ID) -> Flow:
    verifier, challenge = pkce()
    return Flow(client_id, CHATGPT_CALLBACK, verifier, challenge, "st")


def _code(browser: Client, flow: Flow) -> str:
    return code_from(consent(browser, flow.authorize_url(resource="http://testserver/openai/mcp")))


def _exchange(browser: Client, flow: Flow, code: str, **auth: str) -> Any:
    data = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": flow.redirect_uri,
        "client_id": flow.client_id,
        "code_verifier": flow.verifier,
        **auth,
    }
    return browser.post("/oauth/token/", data={k: v for k, v in data.items() if v is not None})


def _signed(assertion: str) -> dict[str, str]:
    return {"client_assertion_type": ASSERTION_TYPE, "client_assertion": assertion}


def _refused(response: Any, words: str) -> None:
    assert response.status_code == 401, response.content
    body = response.json()
    assert body["error"] == "invalid_client" and words in body.get("error_description", ""), body


def test_the_platforms_document_hosts_are_accepted_by_default() -> None:
    for host in ("claude.ai", "chatgpt.com", "openai.com", ".microsoft.com"):
        assert host in METADATA_HOSTS


def test_metadata_advertises_private_key_jwt(world: World) -> None:
    meta = Client().get("/.well-known/oauth-authorization-server").json()
    assert "private_key_jwt" in meta["token_endpoint_auth_methods_supported"]
    assert "none" in meta["token_endpoint_auth_methods_supported"]
    assert meta["token_endpoint_auth_signing_alg_values_supported"] == ["RS256", "PS256", "ES256"]
    assert meta["client_id_metadata_document_supported"] is True


def test_private_key_jwt_document_client_connects_refreshes_and_revokes(browser: Client, chatgpt: Key) -> None:
    flow = _flow()
    response = _exchange(browser, flow, _code(browser, flow), **_signed(chatgpt.sign()))
    assert response.status_code == 200, response.content
    tokens = response.json()
    app = Application.objects.get(client_id=CHATGPT_ID)
    assert app.client_type == Application.CLIENT_PUBLIC and MetadataClientKeys.objects.filter(client_id=CHATGPT_ID)
    assert ConnectedApp.objects.get(application=app).platform == Platform.CHATGPT

    # A refresh is client-authenticated too, with a fresh assertion (the issuer as audience here).
    refreshed = browser.post(
        "/oauth/token/",
        data={
            "grant_type": "refresh_token",
            "refresh_token": tokens["refresh_token"],
            **_signed(chatgpt.sign(aud=ISSUER)),
        },
    )
    assert refreshed.status_code == 200, refreshed.content

    # Without an assertion the refresh is refused: a client with keys always authenticates with them.
    bare = browser.post(
        "/oauth/token/",
        data={
            "grant_type": "refresh_token",
            "refresh_token": refreshed.json()["refresh_token"],
            "client_id": CHATGPT_ID,
        },
    )
    assert bare.status_code == 401 and bare.json()["error"] == "invalid_client"

    revoked = browser.post(
        "/oauth/revoke/",
        data={"token": refreshed.json()["access_token"], "client_id": CHATGPT_ID, **_signed(chatgpt.sign())},
    )
    assert revoked.status_code == 200, revoked.content
    assert not AccessToken.objects.filter(application=app).exists()


def test_a_key_client_without_an_assertion_gets_no_token(browser: Client, chatgpt: Key) -> None:
    flow = _flow()
    _refused(_exchange(browser, flow, _code(browser, flow)), "")


@pytest.mark.parametrize(
    ("override", "words"),
    [
        ({"aud": "https://elsewhere.example/oauth/token/"}, "aud"),
        ({"aud": None}, "aud"),
        ({"exp": int(time.time()) - 600}, "expired"),
        ({"exp": None}, "no exp"),
        ({"exp": int(time.time()) + 3600}, "more than 300 seconds ahead"),
        ({"iat": int(time.time()) + 600}, "iat lies in the future"),
        ({"jti": None}, "no jti"),
        ({"iss": "https://chatgpt.com/oauth/other.json"}, "iss and sub"),
        ({"sub": "someone"}, "iss and sub"),
    ],
)
def test_assertion_claims_are_checked(browser: Client, chatgpt: Key, override: dict[str, Any], words: str) -> None:
    flow = _flow()
    _refused(_exchange(browser, flow, _code(browser, flow), **_signed(chatgpt.sign(**override))), words)


def test_a_replayed_assertion_is_refused(browser: Client, chatgpt: Key) -> None:
    assertion = chatgpt.sign()
    flow = _flow()
    assert _exchange(browser, flow, _code(browser, flow), **_signed(assertion)).status_code == 200
    again = _flow()
    _refused(_exchange(browser, again, _code(browser, again), **_signed(assertion)), "already used")


def test_an_assertion_signed_with_another_key_is_refused(browser: Client, chatgpt: Key) -> None:
    flow = _flow()
    stranger = Key(kid=chatgpt.kid)
    _refused(_exchange(browser, flow, _code(browser, flow), **_signed(stranger.sign())), "signature")


def test_unsigned_and_hmac_assertions_are_refused(browser: Client, chatgpt: Key) -> None:
    now = int(time.time())
    claims = {"iss": CHATGPT_ID, "sub": CHATGPT_ID, "aud": TOKEN_URL, "exp": now + 60, "jti": uuid.uuid4().hex}
    unsigned = jwt.encode(claims, None, algorithm="none")
    flow = _flow()
    code = _code(browser, flow)
    _refused(_exchange(browser, flow, code, **_signed(unsigned)), "'none' is not accepted")
    public_pem = chatgpt.private.public_key().public_bytes(
        serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
    )
    # The classic confusion: an HMAC keyed with the client's public key (PyJWT refuses to make one).
    signing_input = f"{_b64(json.dumps({'alg': 'HS256', 'typ': 'JWT'}))}.{_b64(json.dumps(claims))}"
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    hmac_signed = f"{signing_input}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"
    _refused(_exchange(browser, flow, code, **_signed(hmac_signed)), "'HS256' is not accepted")


def _b64(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).rstrip(b"=").decode()


def test_the_assertion_names_the_client_when_client_id_is_left_out(browser: Client, chatgpt: Key) -> None:
    flow = _flow()
    response = _exchange(browser, flow, _code(browser, flow), client_id=None, **_signed(chatgpt.sign()))  # type: ignore[arg-type]
    assert response.status_code == 200, response.content


def test_a_wrong_assertion_type_is_refused(browser: Client, chatgpt: Key) -> None:
    flow = _flow()
    auth = {"client_assertion_type": "urn:example:other", "client_assertion": chatgpt.sign()}
    _refused(_exchange(browser, flow, _code(browser, flow), **auth), "client_assertion_type must be")


def test_keys_from_jwks_uri_fetched_through_the_document_fetcher(
    browser: Client, stub: type[StubFetcher], key: Key, monkeypatch: pytest.MonkeyPatch
) -> None:
    stub.documents[CHATGPT_ID] = document(token_endpoint_auth_method="private_key_jwt", jwks_uri=JWKS_URI)
    stub.documents[JWKS_URI] = {"keys": [key.jwk]}
    flow = _flow()
    assert _exchange(browser, flow, _code(browser, flow), **_signed(key.sign())).status_code == 200
    assert stub.fetched.count(JWKS_URI) == 1

    # The client rotates its key: an unknown kid reads the key set again, once (and, for made-up
    # kids, at most every JWKS_REFRESH_SECONDS: none here, so the rotation is seen at once).
    monkeypatch.setattr(client_assertions, "JWKS_REFRESH_SECONDS", 0)
    rotated = Key(kind="EC")
    stub.documents[JWKS_URI] = {"keys": [rotated.jwk]}
    again = _flow()
    assert _exchange(browser, again, _code(browser, again), **_signed(rotated.sign())).status_code == 200
    assert stub.fetched.count(JWKS_URI) == 2


def test_a_jwks_uri_that_cannot_be_read_refuses_the_assertion(
    browser: Client, stub: type[StubFetcher], key: Key
) -> None:
    stub.documents[CHATGPT_ID] = document(token_endpoint_auth_method="private_key_jwt", jwks_uri=JWKS_URI)
    flow = _flow()
    _refused(_exchange(browser, flow, _code(browser, flow), **_signed(key.sign())), "jwks_uri could not be read")


def test_a_public_document_client_still_connects_without_an_assertion(browser: Client, stub: type[StubFetcher]) -> None:
    stub.documents[CHATGPT_ID] = document(token_endpoint_auth_method="none")
    flow = _flow()
    response = _exchange(browser, flow, _code(browser, flow))
    assert response.status_code == 200, response.content
    assert not MetadataClientKeys.objects.exists()


def test_a_document_that_drops_its_keys_drops_the_key_requirement(db: None, stub: type[StubFetcher], key: Key) -> None:
    fetcher = StubFetcher()
    stub.documents[CHATGPT_ID] = document(token_endpoint_auth_method="private_key_jwt", jwks={"keys": [key.jwk]})
    assert fetcher.fetch(CHATGPT_ID)[0]["token_endpoint_auth_method"] == "none"  # DOT stores it as public
    assert MetadataClientKeys.objects.get(client_id=CHATGPT_ID).jwks == {"keys": [key.jwk]}
    stub.documents[CHATGPT_ID] = document()
    fetcher.fetch(CHATGPT_ID)
    assert not MetadataClientKeys.objects.exists()


@pytest.mark.parametrize(
    ("client_id", "served", "words"),
    [
        (
            "https://evil.example/client.json",
            None,
            "Spark Portal does not accept client metadata documents from evil.example",
        ),
        (
            "https://chatgpt.com/oauth/missing.json",
            None,
            "Spark Portal could not read it (client_id document returned HTTP 404)",
        ),
        (
            "https://chatgpt.com/oauth/basic.json",
            {"token_endpoint_auth_method": "client_secret_basic"},
            "token_endpoint_auth_method &#x27;client_secret_basic&#x27; is not supported",
        ),
        (
            "https://chatgpt.com/oauth/keyless.json",
            {"token_endpoint_auth_method": "private_key_jwt"},
            "must publish exactly one of jwks and jwks_uri",
        ),
        (
            "https://chatgpt.com/oauth/private.json",
            {"token_endpoint_auth_method": "private_key_jwt", "jwks": {"keys": [{"kty": "EC", "d": "x"}]}},
            "holds a private key",
        ),
        (
            "https://chatgpt.com/oauth/offsite.json",
            {"token_endpoint_auth_method": "private_key_jwt", "jwks_uri": "https://keys.example/jwks.json"},
            "jwks_uri is on keys.example",
        ),
        (
            "https://chatgpt.com/oauth/elsewhere.json",
            {"redirect_uris": ["https://evil.example/cb"]},
            "belongs to no supported assistant platform",
        ),
    ],
)
def test_the_authorization_page_names_why_a_document_was_refused(
    browser: Client, stub: type[StubFetcher], client_id: str, served: dict[str, Any] | None, words: str
) -> None:
    if served is not None:
        stub.documents[client_id] = document(client_id, **served)
    verifier, challenge = pkce()
    url = Flow(client_id, CHATGPT_CALLBACK, verifier, challenge, "s").authorize_url()
    for _ in range(2):  # the second time DOT backs off without fetching: the reason is remembered
        page = browser.get(url)
        assert page.status_code == 400 and "Location" not in page
        text = page.content.decode()
        assert words in text, text
        assert "Invalid client_id parameter value" not in text
    assert not Application.objects.filter(client_id=client_id).exists()


def test_made_up_key_ids_do_not_make_spark_fetch_the_keys_each_time(
    browser: Client, stub: type[StubFetcher], key: Key
) -> None:
    stub.documents[CHATGPT_ID] = document(token_endpoint_auth_method="private_key_jwt", jwks_uri=JWKS_URI)
    stub.documents[JWKS_URI] = {"keys": [key.jwk]}
    flow = _flow()
    assert _exchange(browser, flow, _code(browser, flow), **_signed(key.sign())).status_code == 200
    for _ in range(3):
        stranger = Key()
        again = _flow()
        _refused(_exchange(browser, again, _code(browser, again), **_signed(stranger.sign())), "signature")
    assert stub.fetched.count(JWKS_URI) == 1


def test_failed_client_assertions_are_limited_like_failed_secrets(settings: Any, browser: Client, chatgpt: Key) -> None:
    settings.SPARK_CLIENT_AUTH_FAILURES_PER_CLIENT = 2
    flow = _flow()
    code = _code(browser, flow)
    for _ in range(2):
        _refused(_exchange(browser, flow, code, **_signed(chatgpt.sign(aud="https://elsewhere.example"))), "aud")
    limited = _exchange(browser, flow, code, **_signed(chatgpt.sign()))
    assert limited.status_code == 429 and limited.json()["error"] == "invalid_client"
