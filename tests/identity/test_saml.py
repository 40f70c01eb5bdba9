"""SAML 2.0 connections through allauth's saml provider (python3-saml): Spark Portal's SP metadata, and
the assertion consumer service taking a response signed with the IdP's key (made here with
python3-saml's own signing), refusing unsigned, expired, wrongly addressed and foreign-signed ones."""

from __future__ import annotations

import base64
import datetime as dt
import re
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa
from django.test import Client
from onelogin.saml2.utils import OneLogin_Saml2_Utils

from accounts.models import Membership, User
from identity.models import IdentityConnection
from identity.services import connection_create_saml
from tests.factories import World
from tests.fake_idp import SAML_IDP_ENTITY, SAML_IDP_SSO, SamlIdpKeys

SP = "http://localhost/auth/saml/acme-saml"  # python3-saml refuses single-label hosts like "testserver"


@pytest.fixture
def saml(world: World, idp_metadata: str) -> IdentityConnection:
    return connection_create_saml(
        organization=world.acme, name="Acme SAML", metadata_xml=idp_metadata, actor=world.admin, origin=None
    )


def _client() -> Client:
    return Client(HTTP_HOST="localhost")


def _when(seconds: int) -> str:
    return (dt.datetime.now(dt.UTC) + dt.timedelta(seconds=seconds)).strftime("%Y-%m-%dT%H:%M:%SZ")


def _assertion(email: str, in_response_to: str, *, audience: str, expires_in: int, name: str) -> str:
    first, _, last = name.partition(" ")
    attributes = "".join(
        f'<saml:Attribute Name="{k}"><saml:AttributeValue>{v}</saml:AttributeValue></saml:Attribute>'
        for k, v in (("email", email), ("firstName", first), ("lastName", last))
    )
    return f"""<saml:Assertion xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{_when(0)}">
<saml:Issuer>{SAML_IDP_ENTITY}</saml:Issuer>
<saml:Subject>
<saml:NameID Format="urn:oasis:names:tc:SAML:1.1:nameid-format:emailAddress">{email}</saml:NameID>
<saml:SubjectConfirmation Method="urn:oasis:names:tc:SAML:2.0:cm:bearer">
<saml:SubjectConfirmationData NotOnOrAfter="{_when(expires_in)}" Recipient="{SP}/acs/" InResponseTo="{in_response_to}"/>
</saml:SubjectConfirmation>
</saml:Subject>
<saml:Conditions NotBefore="{_when(-60)}" NotOnOrAfter="{_when(expires_in)}">
<saml:AudienceRestriction><saml:Audience>{audience}</saml:Audience></saml:AudienceRestriction>
</saml:Conditions>
<saml:AuthnStatement AuthnInstant="{_when(0)}" SessionIndex="_s1"><saml:AuthnContext>
<saml:AuthnContextClassRef>urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport</saml:AuthnContextClassRef>
</saml:AuthnContext></saml:AuthnStatement>
<saml:AttributeStatement>{attributes}</saml:AttributeStatement>
</saml:Assertion>"""  # noqa: E501


def _response(assertion: str, in_response_to: str) -> str:
    return f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="_{uuid.uuid4().hex}" Version="2.0" IssueInstant="{_when(0)}" Destination="{SP}/acs/" InResponseTo="{in_response_to}">
<saml:Issuer>{SAML_IDP_ENTITY}</saml:Issuer>
<samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Success"/></samlp:Status>
{assertion}
</samlp:Response>"""  # noqa: E501


def _other_keys() -> tuple[bytes, bytes]:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    pem = key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return pem, pem


def _sign_in(
    client: Client,
    keys: SamlIdpKeys,
    *,
    email: str = "sam.l@acme.example",
    typed: str = "sam.l@acme.example",
    audience: str = f"{SP}/metadata/",
    expires_in: int = 300,
    signed: bool = True,
    key: bytes | None = None,
    name: str = "Sam Lee",
) -> object:
    started = client.post("/auth/sso/start/", {"login": typed, "next": "/settings/tokens/"})
    assert started.status_code == 302 and started["Location"].startswith(SAML_IDP_SSO), started
    request_xml = OneLogin_Saml2_Utils.decode_base64_and_inflate(
        parse_qs(urlsplit(started["Location"]).query)["SAMLRequest"][0]
    )
    request_id = re.search(
        r'ID="([^"]+)"', request_xml.decode() if isinstance(request_xml, bytes) else request_xml
    ).group(1)  # type: ignore[union-attr]
    assertion = _assertion(email, request_id, audience=audience, expires_in=expires_in, name=name)
    if signed:
        assertion = OneLogin_Saml2_Utils.add_sign(
            assertion, (key or keys.key_pem).decode(), keys.cert_pem.decode()
        ).decode()
        assertion = assertion.replace('<?xml version="1.0"?>', "").strip()
    body = base64.b64encode(_response(assertion, request_id).encode()).decode()
    posted = client.post("/auth/saml/acme-saml/acs/", {"SAMLResponse": body})
    assert posted.status_code == 302 and posted["Location"].endswith("/acs/finish/")
    return client.get(posted["Location"])


def _user(client: Client) -> User | None:
    user_id = client.session.get("_auth_user_id")
    return User.objects.get(pk=user_id) if user_id else None


def test_sp_metadata_names_the_entity_id_and_acs(saml: IdentityConnection) -> None:
    response = _client().get("/auth/saml/acme-saml/metadata/")
    assert response.status_code == 200 and response["Content-Type"] == "text/xml"
    xml = response.content.decode()
    assert f'entityID="{SP}/metadata/"' in xml and f'Location="{SP}/acs/"' in xml


def test_a_signed_assertion_signs_the_person_in_just_in_time(
    saml: IdentityConnection, world: World, saml_keys: SamlIdpKeys
) -> None:
    client = _client()
    response = _sign_in(client, saml_keys)
    assert response.status_code == 302 and response["Location"] == "/settings/tokens/"  # type: ignore[attr-defined]
    user = _user(client)
    assert user is not None and user.email == "sam.l@acme.example" and user.full_name == "Sam Lee"
    assert Membership.objects.filter(user=user, organization=world.acme).exists()
    saml.refresh_from_db()
    assert saml.last_sign_in_at is not None


def _refused(response: object, reason: str) -> str:
    page = response.content.decode()  # type: ignore[attr-defined]
    assert response.status_code == 403 and f'data-reason="{reason}"' in page, page[:3000]  # type: ignore[attr-defined]
    return page


@pytest.mark.parametrize(
    ("change", "why"),
    [
        ({"signed": False}, "not signed"),
        ({"expires_in": -3600}, "expired"),
        ({"audience": "https://another-sp.example/metadata/"}, "audience"),
        ({"key": _other_keys()[0]}, "Signature validation failed"),
    ],
    ids=["unsigned", "expired", "wrong audience", "signed by another key"],
)
def test_assertions_failing_the_checks_are_refused(
    saml: IdentityConnection, saml_keys: SamlIdpKeys, change: dict[str, object], why: str
) -> None:
    client = _client()
    page = _refused(_sign_in(client, saml_keys, **change), "saml_invalid")  # type: ignore[arg-type]
    assert why.lower() in page.lower()
    assert _user(client) is None and not User.objects.filter(email="sam.l@acme.example").exists()


def test_the_same_rules_as_oidc_apply(saml: IdentityConnection, saml_keys: SamlIdpKeys) -> None:
    page = _refused(_sign_in(_client(), saml_keys, email="eve@outside.example"), "domain_outside")
    assert "eve@outside.example is not at one of Acme&#x27;s email domains" in page
