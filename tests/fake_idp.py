"""Stand-in identity providers, as fixtures every test package can use (tests/conftest.py loads
them). An OpenID Connect one at https://idp.test answers the requests Spark Portal makes (discovery,
token, userinfo) through the adapter's requests session; a helper walks the whole sign-in through
Spark Portal's views: "Continue with SSO", then the IdP's callback. SAML IdP keys and metadata too."""

from __future__ import annotations

import datetime as dt
import json
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import parse_qs, urlsplit

import jwt
import pytest
import requests
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from cryptography.x509.oid import NameOID
from django.test import Client

from identity import adapters, idp
from identity.models import IdentityConnection
from identity.services import connection_create_oidc
from tests.factories import World

ISSUER = "https://idp.test"
CLIENT_ID = "spark-client"
SECRET = "the-client-secret-of-acme"


@dataclass
class FakeIdp(requests.adapters.BaseAdapter):
    """What the IdP says: `claims` of whoever signs in there; `issuer` its discovery document names."""

    claims: dict[str, Any] = field(default_factory=dict)
    issuer: str = ISSUER
    discovery_status: int = 200
    token_issuer: str = ""
    token_audience: str = CLIENT_ID
    token_seconds: int = 300
    seen: list[str] = field(default_factory=list)

    def __post_init__(self) -> None:
        super().__init__()

    def _answer(self, request: requests.PreparedRequest) -> tuple[int, dict[str, Any]]:
        path = urlsplit(str(request.url)).path
        self.seen.append(path)
        if path == "/.well-known/openid-configuration":
            return self.discovery_status, {
                "issuer": self.issuer,
                "authorization_endpoint": f"{ISSUER}/authorize",
                "token_endpoint": f"{ISSUER}/token",
                "userinfo_endpoint": f"{ISSUER}/userinfo",
                "jwks_uri": f"{ISSUER}/jwks",
                "token_endpoint_auth_methods_supported": ["client_secret_post"],
            }
        if path == "/token":
            form = parse_qs(str(request.body or ""))
            if form.get("client_secret") != [SECRET] or form.get("client_id") != [CLIENT_ID]:
                return 401, {"error": "invalid_client"}
            return 200, {"access_token": "at", "token_type": "Bearer", "id_token": self.id_token()}
        if path == "/userinfo":
            return 200, self.claims
        return 404, {}

    def id_token(self) -> str:
        now = int(time.time())
        body = {
            "iss": self.token_issuer or self.issuer,
            "aud": self.token_audience,
            "iat": now - 600,
            "exp": now + self.token_seconds,
            **self.claims,
        }
        return jwt.encode(body, "idp-signing-key-for-tests-only-32b", algorithm="HS256")

    def send(self, request: requests.PreparedRequest, *args: Any, **kwargs: Any) -> requests.Response:
        status, body = self._answer(request)
        response = requests.Response()
        response.status_code = status
        response._content = json.dumps(body).encode()
        response.headers["content-type"] = "application/json"
        response.url = str(request.url)
        response.request = request
        return response

    def close(self) -> None:
        pass


@pytest.fixture
def fake_idp(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeIdp]:
    fake = FakeIdp(claims={"sub": "idp-1", "email": "new.person@acme.example", "name": "New Person"})

    def session(timeout: float | None = None) -> requests.Session:
        s = requests.Session()
        s.mount(ISSUER, fake)
        return s

    monkeypatch.setattr(adapters, "guarded_session", session)
    monkeypatch.setattr(idp, "guarded_session", session)
    yield fake


@pytest.fixture
def connection(world: World, fake_idp: FakeIdp) -> IdentityConnection:
    return connection_create_oidc(
        organization=world.acme,
        name="Acme IdP",
        issuer=ISSUER,
        client_id=CLIENT_ID,
        client_secret=SECRET,
        actor=world.admin,
        origin=None,
    )


def sso_sign_in(
    client: Client, fake: FakeIdp, *, typed: str = "new.person@acme.example", next_url: str = "", **claims: Any
) -> Any:
    """Type `typed` on the sign-in page, choose Continue with SSO, and come back from the IdP as
    whoever `claims` say (by default: the typed address)."""
    fake.claims = {"sub": "idp-1", "email": typed, "name": "New Person", **claims}
    email = typed
    started = client.post("/auth/sso/start/", {"login": email, **({"next": next_url} if next_url else {})})
    assert started.status_code == 302, started.content[:500]
    authorize = urlsplit(started["Location"])
    assert f"{authorize.scheme}://{authorize.netloc}{authorize.path}" == f"{ISSUER}/authorize", started["Location"]
    state = parse_qs(authorize.query)["state"][0]
    provider_id = IdentityConnection.objects.get().provider_id if IdentityConnection.objects.count() == 1 else None
    callback = parse_qs(authorize.query)["redirect_uri"][0]
    assert provider_id is None or callback.endswith(f"/auth/oidc/{provider_id}/login/callback/")
    return client.get(urlsplit(callback).path, {"code": "the-code", "state": state})


@dataclass(frozen=True)
class SamlIdpKeys:
    key_pem: bytes
    cert_pem: bytes

    @property
    def cert_body(self) -> str:
        """The certificate as SAML metadata carries it: base64 DER, no PEM armour."""
        return "".join(self.cert_pem.decode().strip().splitlines()[1:-1])


def self_signed(common_name: str, days: int) -> SamlIdpKeys:
    """A fresh RSA key and a self-signed certificate for it (an identity provider's signing pair)."""
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, common_name)])
    now = dt.datetime.now(dt.UTC)
    cert = (
        x509.CertificateBuilder()
        .subject_name(name)
        .issuer_name(name)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - dt.timedelta(days=1))
        .not_valid_after(now + dt.timedelta(days=days))
        .sign(key, hashes.SHA256())
    )
    key_pem = key.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    return SamlIdpKeys(key_pem, cert.public_bytes(serialization.Encoding.PEM))


@pytest.fixture(scope="session")
def saml_keys() -> SamlIdpKeys:
    return self_signed("idp.example", days=365)


SAML_IDP_ENTITY = "https://idp.example/saml/metadata"
SAML_IDP_SSO = "https://idp.example/saml/sso"


@pytest.fixture
def idp_metadata(saml_keys: SamlIdpKeys) -> str:
    return f"""<?xml version="1.0"?>
<md:EntityDescriptor xmlns:md="urn:oasis:names:tc:SAML:2.0:metadata" xmlns:ds="http://www.w3.org/2000/09/xmldsig#"
    entityID="{SAML_IDP_ENTITY}">
  <md:IDPSSODescriptor protocolSupportEnumeration="urn:oasis:names:tc:SAML:2.0:protocol">
    <md:KeyDescriptor use="signing"><ds:KeyInfo><ds:X509Data>
      <ds:X509Certificate>{saml_keys.cert_body}</ds:X509Certificate>
    </ds:X509Data></ds:KeyInfo></md:KeyDescriptor>
    <md:NameIDFormat>urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress</md:NameIDFormat>
    <md:SingleSignOnService Binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect" Location="{SAML_IDP_SSO}"/>
  </md:IDPSSODescriptor>
</md:EntityDescriptor>"""
