"""Enterprise-managed authorization: the jwt-bearer grant with identity assertion grants (ID-JAG) at
the token endpoint. The "IdP" here is a test RSA key whose JWKS the fetch returns (monkeypatched)."""

from __future__ import annotations

import base64
import json
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from typing import Any

import pytest
from allauth.socialaccount.models import SocialAccount, SocialApp
from django.test import Client
from jwcrypto.jwk import JWK, JWKSet
from jwcrypto.jwt import JWT
from oauth2_provider.models import AccessToken, Application, RefreshToken

from accounts.models import EmailDomain, Membership, User
from audit.models import AuditEvent
from identity import id_jag
from identity.models import ConnectionKind, IdentityConnection
from identity.selectors import id_jag_clients
from identity.services import connection_delete, connection_set_enabled, connection_set_id_jag
from oauth_server.models import ConnectedApp, OrganizationClient
from oauth_server.platforms import Platform
from tests.factories import World
from tests.mcp_api.helpers import call_tool
from tests.oauth_server.oauth_helpers import LOOPBACK, MCP, publish

ACME_IDP = "https://acme.idp.test"
GLOBEX_IDP = "https://globex.idp.test"
SECRET = "the-secret-of-the-agent"
KEYS = {
    ACME_IDP: JWK.generate(kty="RSA", size=2048, kid="acme-1"),
    GLOBEX_IDP: JWK.generate(kty="RSA", size=2048, kid="globex-1"),
}
OTHER_KEY = JWK.generate(kty="RSA", size=2048, kid="acme-1")
REAL_FETCH = id_jag.fetch_jwks


@pytest.fixture(autouse=True)
def jwks(monkeypatch: pytest.MonkeyPatch) -> Iterator[list[str]]:
    fetched: list[str] = []

    def fetch(issuer: str) -> JWKSet:
        fetched.append(issuer)
        keys = JWKSet()
        keys.add(JWK.from_json(KEYS[issuer].export_public()))
        return keys

    id_jag.jwks_clear()
    monkeypatch.setattr(id_jag, "fetch_jwks", fetch)
    yield fetched
    id_jag.jwks_clear()


def make_connection(world: World, org: Any, issuer: str, *, id_jag_enabled: bool = True) -> IdentityConnection:
    provider_id = f"{org.slug}-oidc"
    app = SocialApp.objects.create(
        provider="openid_connect",
        provider_id=provider_id,
        name=f"{org.name} IdP",
        client_id="spark",
        settings={"server_url": issuer},
    )
    return IdentityConnection.objects.create(
        organization=org,
        kind=ConnectionKind.OIDC,
        name=f"{org.name} IdP",
        provider_id=provider_id,
        app=app,
        id_jag_enabled=id_jag_enabled,
    )


@dataclass
class Setup:
    world: World
    connection: IdentityConnection
    client: Application
    issuer: str
    """Our authorization server's issuer."""

    def mint(self, *, key: JWK | None = None, header: dict[str, Any] | None = None, **claims: Any) -> str:
        now = int(time.time())
        body = {
            "iss": ACME_IDP,
            "sub": "okta-user-1",
            "email": self.world.member.email,
            "aud": self.issuer,
            "client_id": self.client.client_id,
            "resource": MCP,
            "scope": "insights:read dataset:ds-core",
            "jti": uuid.uuid4().hex,
            "iat": now,
            "exp": now + 300,
            **claims,
        }
        body = {k: v for k, v in body.items() if v is not None}
        signing = key or KEYS.get(body["iss"], OTHER_KEY)
        jose = {"alg": "RS256", "typ": "oauth-id-jag+jwt", "kid": signing["kid"], **(header or {})}
        jose = {k: v for k, v in jose.items() if v is not None}
        token = JWT(header=jose, claims=body)
        token.make_signed_token(signing)
        return str(token.serialize())

    def exchange(self, assertion: str, *, secret: str = SECRET, client_id: str | None = None, **form: str) -> Any:
        basic = base64.b64encode(f"{client_id or self.client.client_id}:{secret}".encode()).decode()
        data = {"grant_type": id_jag.JWT_BEARER, "assertion": assertion, **form}
        return Client().post("/oauth/token/", data, HTTP_AUTHORIZATION=f"Basic {basic}")


def confidential_client(name: str = "Acme agent") -> Application:
    application = Application(
        name=name,
        client_type=Application.CLIENT_CONFIDENTIAL,
        authorization_grant_type=Application.GRANT_AUTHORIZATION_CODE,
        redirect_uris=LOOPBACK,
        client_secret=SECRET,
        hash_client_secret=True,
    )
    application.save()
    return application


@pytest.fixture
def setup(world: World) -> Setup:
    publish(world.acme, Platform.CUSTOM)
    issuer = Client().get("/.well-known/oauth-authorization-server").json()["issuer"]
    return Setup(world, make_connection(world, world.acme, ACME_IDP), confidential_client(), issuer)


def refused(response: Any, error: str, words: str) -> None:
    body = response.json()
    assert response.status_code in (400, 401), body
    assert body["error"] == error, body
    assert words in body["error_description"], body
    assert "access_token" not in body


def test_metadata_advertises_the_grant_and_profile(world: World) -> None:
    meta = Client().get("/.well-known/oauth-authorization-server").json()
    assert meta["grant_types_supported"] == ["authorization_code", "refresh_token", id_jag.JWT_BEARER]
    assert meta["authorization_grant_profiles_supported"] == ["urn:ietf:params:oauth:grant-profile:id-jag"]


def test_an_id_jag_gets_an_audience_bound_token_that_calls_a_tool(setup: Setup) -> None:
    response = setup.exchange(setup.mint(), scope="insights:read dataset:ds-core dataset:ds-gaming")
    body = response.json()
    assert response.status_code == 200, body
    assert response["Cache-Control"] == "no-store"
    assert body["token_type"] == "Bearer" and body["expires_in"] > 0
    assert body["scope"] == "insights:read dataset:ds-core"  # ds-gaming: neither asserted nor Acme's
    assert "refresh_token" not in body and not RefreshToken.objects.exists()
    token = AccessToken.objects.get()
    assert token.resource == [MCP] and token.user == setup.world.member
    grant = ConnectedApp.objects.get()
    assert (grant.organization, grant.platform, grant.application) == (setup.world.acme, "custom", setup.client)
    event = AuditEvent.objects.get(action="grant.id_jag")
    assert event.organization_id == setup.world.acme.pk and event.detail["connection"] == "Acme IdP"

    result = call_tool(Client(), body["access_token"], "list_datasets")
    assert result.status_code == 200, result.content
    payload = result.json()["result"]
    assert not payload.get("isError"), payload
    assert "ds-core" in json.dumps(payload) and "ds-gaming" not in json.dumps(payload)


def test_a_replayed_assertion_is_refused(setup: Setup) -> None:
    assertion = setup.mint()
    assert setup.exchange(assertion).status_code == 200
    refused(setup.exchange(assertion), "invalid_grant", "already used")
    assert AccessToken.objects.count() == 1


def test_the_audience_must_be_this_authorization_server(setup: Setup) -> None:
    refused(setup.exchange(setup.mint(aud="https://other-as.example")), "invalid_grant", "aud")
    refused(setup.exchange(setup.mint(aud=None)), "invalid_grant", "aud")


def test_the_resource_must_be_this_mcp_endpoint(setup: Setup) -> None:
    refused(setup.exchange(setup.mint(resource="https://elsewhere.example/mcp")), "invalid_grant", "resource")
    refused(setup.exchange(setup.mint(), resource="https://elsewhere.example/mcp"), "invalid_target", "resource")


def test_an_idp_of_another_organization_cannot_vouch_for_acme_people(setup: Setup) -> None:
    make_connection(setup.world, setup.world.globex, GLOBEX_IDP)
    response = setup.exchange(setup.mint(iss=GLOBEX_IDP))
    refused(response, "invalid_grant", "member@acme.example is not at an email domain enabled for Globex")


def test_an_unknown_issuer_is_refused(setup: Setup) -> None:
    refused(setup.exchange(setup.mint(iss="https://stranger.idp.test")), "invalid_grant", "no identity provider")


def test_an_expired_assertion_is_refused(setup: Setup) -> None:
    now = int(time.time())
    refused(setup.exchange(setup.mint(iat=now - 900, exp=now - 600)), "invalid_grant", "expired")
    refused(setup.exchange(setup.mint(iat=now + 600, exp=now + 900)), "invalid_grant", "future")
    refused(setup.exchange(setup.mint(exp=now + 86400)), "invalid_grant", "lives longer")
    refused(setup.exchange(setup.mint(exp=None)), "invalid_grant", "exp")


def test_a_user_outside_the_domains_is_refused(setup: Setup) -> None:
    outside = User.objects.create_user(email="someone@elsewhere.example", password=None)
    Membership.objects.create(user=outside, organization=setup.world.acme)
    refused(setup.exchange(setup.mint(email=outside.email)), "invalid_grant", "not at an email domain enabled for Acme")
    EmailDomain.objects.filter(domain="acme.example").update(enabled=False)
    refused(setup.exchange(setup.mint()), "invalid_grant", "not at an email domain")


def test_a_non_member_is_refused_and_not_created(setup: Setup) -> None:
    refused(setup.exchange(setup.mint(email="new.person@acme.example")), "invalid_grant", "not a member of Acme")
    assert not User.objects.filter(email="new.person@acme.example").exists()
    outsider = setup.world.outsider
    refused(setup.exchange(setup.mint(email=outsider.email)), "invalid_grant", "not at an email domain")


def test_the_wrong_type_is_refused(setup: Setup) -> None:
    refused(setup.exchange(setup.mint(header={"typ": "JWT"})), "invalid_grant", "typ")
    refused(setup.exchange(setup.mint(header={"typ": None})), "invalid_grant", "typ")


def test_a_bad_signature_is_refused(setup: Setup) -> None:
    refused(setup.exchange(setup.mint(key=OTHER_KEY)), "invalid_grant", "signature")
    head, body, signature = setup.mint().split(".")
    claims = json.loads(base64.urlsafe_b64decode(body + "=="))
    claims["email"] = setup.world.admin.email
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).decode().rstrip("=")
    refused(setup.exchange(f"{head}.{forged}.{signature}"), "invalid_grant", "signature")
    unsigned = base64.urlsafe_b64encode(b'{"alg":"none","typ":"oauth-id-jag+jwt"}').decode().rstrip("=")
    refused(setup.exchange(f"{unsigned}.{body}."), "invalid_grant", "algorithm")


def test_an_assertion_nested_past_the_parsers_limit_is_refused(setup: Setup) -> None:
    """Found by an outside review: JSON nested 5,000 deep in an unsigned part was a RecursionError (500)."""
    head, body, signature = setup.mint().split(".")
    deep = base64.urlsafe_b64encode(b'{"a":' + b"[" * 5_000 + b"]" * 5_000 + b"}").decode().rstrip("=")
    refused(setup.exchange(f"{deep}.{body}.{signature}"), "invalid_grant", "not base64url-encoded JSON")
    refused(setup.exchange(f"{head}.{deep}.{signature}"), "invalid_grant", "not base64url-encoded JSON")


def test_the_client_id_claim_must_name_the_authenticated_client(setup: Setup) -> None:
    other = confidential_client("Another agent")
    refused(setup.exchange(setup.mint(client_id=other.client_id)), "invalid_grant", "client_id")
    refused(setup.exchange(setup.mint(), secret="wrong"), "invalid_client", "client authentication")


def test_a_public_client_may_not_use_the_grant(setup: Setup) -> None:
    Application.objects.filter(pk=setup.client.pk).update(client_type=Application.CLIENT_PUBLIC)
    refused(setup.exchange(setup.mint()), "unauthorized_client", "confidential")


def test_another_organizations_client_may_not_use_the_grant(setup: Setup) -> None:
    OrganizationClient.objects.create(organization=setup.world.globex, application=setup.client)
    refused(setup.exchange(setup.mint()), "unauthorized_client", "another organization")


def test_an_unpublished_connector_refuses(setup: Setup) -> None:
    setup.world.acme.publications.update(published=False)
    refused(setup.exchange(setup.mint()), "unauthorized_client", "not published")


def test_a_connection_with_id_jag_off_or_disabled_is_refused(setup: Setup) -> None:
    IdentityConnection.objects.filter(pk=setup.connection.pk).update(id_jag_enabled=False)
    refused(setup.exchange(setup.mint()), "invalid_grant", "has not allowed identity assertion grants")
    IdentityConnection.objects.filter(pk=setup.connection.pk).update(id_jag_enabled=True, enabled=False)
    refused(setup.exchange(setup.mint()), "invalid_grant", "turned off")


def test_scopes_are_the_intersection_and_none_left_is_refused(setup: Setup) -> None:
    body = setup.exchange(setup.mint(scope="insights:read"), scope="insights:read dataset:ds-core").json()
    assert body["scope"] == "insights:read"
    refused(setup.exchange(setup.mint(scope="dataset:ds-gaming")), "invalid_scope", "none of the requested scopes")


def test_the_member_gates_apply(setup: Setup) -> None:
    User.objects.filter(pk=setup.world.member.pk).update(is_active=False)
    refused(setup.exchange(setup.mint()), "invalid_grant", "deactivated")


def test_keys_are_cached_and_read_again_for_an_unknown_kid(setup: Setup, jwks: list[str]) -> None:
    assert setup.exchange(setup.mint()).status_code == 200
    assert setup.exchange(setup.mint()).status_code == 200
    assert jwks == [ACME_IDP]
    rotated = JWK.generate(kty="RSA", size=2048, kid="acme-2")
    refused(setup.exchange(setup.mint(key=rotated)), "invalid_grant", "signature")
    assert jwks == [ACME_IDP, ACME_IDP]


def test_the_jwks_fetch_refuses_plain_http_and_local_addresses(settings: Any) -> None:
    settings.SPARK_SSO_ALLOW_LOCAL_IDP = False
    with pytest.raises(id_jag.IdJagRefused, match="does not use https"):
        REAL_FETCH("http://idp.example/")
    with pytest.raises(id_jag.IdJagRefused, match="private or local address"):
        REAL_FETCH("https://127.0.0.1:9/")


def test_a_requested_resource_must_match_the_asserted_one(setup: Setup) -> None:
    other = "http://testserver/openai/mcp"
    refused(setup.exchange(setup.mint(), resource=other), "invalid_target", "differs")
    body = setup.exchange(setup.mint(resource=None), resource=other).json()
    assert "access_token" in body and AccessToken.objects.get().resource == [other]


def test_refusals_are_audited_for_the_issuing_organization_and_admins_see_the_clients(setup: Setup) -> None:
    refused(setup.exchange(setup.mint(aud="https://other-as.example")), "invalid_grant", "aud")
    event = AuditEvent.objects.get(action="grant.id_jag_refused")
    assert event.organization_id == setup.world.acme.pk
    assert event.detail["client_id"] == setup.client.client_id and "aud" in event.detail["reason"]
    refused(setup.exchange(setup.mint(iss="https://stranger.idp.test")), "invalid_grant", "no identity provider")
    assert AuditEvent.objects.filter(action="grant.id_jag_refused").count() == 1  # no organization to tell

    assert id_jag_clients(setup.world.acme) == []
    setup.exchange(setup.mint())
    setup.exchange(setup.mint())
    (row,) = id_jag_clients(setup.world.acme)
    assert (row.client_id, row.name, row.grants) == (setup.client.client_id, "Acme agent", 2)
    assert id_jag_clients(setup.world.globex) == []
    admin = Client()
    admin.force_login(setup.world.admin)
    page = admin.get("/org/acme/sso/").content.decode()
    listed = page[page.index(f'data-client="{setup.client.client_id}"') :]
    assert "Acme agent" in listed[:400] and '<td data-label="Grants">2</td>' in listed[:600]


@pytest.mark.parametrize("how", ["id_jag_off", "connection_off", "connection_removed"])
def test_tokens_end_when_the_connection_stops_vouching(setup: Setup, how: str) -> None:
    token = setup.exchange(setup.mint()).json()["access_token"]
    assert call_tool(Client(), token, "list_datasets").status_code == 200
    connection, admin = setup.connection, setup.world.admin
    if how == "id_jag_off":
        connection_set_id_jag(connection=connection, enabled=False, actor=admin, origin=None)
    elif how == "connection_off":
        connection_set_enabled(connection=connection, enabled=False, actor=admin, origin=None)
    else:
        connection_delete(connection=connection, actor=admin, origin=None)
    assert call_tool(Client(), token, "list_datasets").status_code == 401
    assert not AccessToken.objects.exists()
    assert AuditEvent.objects.filter(action="grant.id_jag_ended", organization=setup.world.acme).count() == 1


def test_other_tokens_survive_a_connection_change(setup: Setup) -> None:
    token = setup.exchange(setup.mint()).json()["access_token"]
    IdentityConnection.objects.filter(pk=setup.connection.pk).update(name="Renamed")
    setup.connection.refresh_from_db()
    setup.connection.save()
    assert call_tool(Client(), token, "list_datasets").status_code == 200


def test_a_subject_linked_to_another_account_is_refused(setup: Setup) -> None:
    SocialAccount.objects.create(user=setup.world.admin, provider=setup.connection.provider_id, uid="okta-user-1")
    refused(setup.exchange(setup.mint()), "invalid_grant", "signs in to Spark Portal as another account")
    SocialAccount.objects.filter(uid="okta-user-1").update(user=setup.world.member)
    assert setup.exchange(setup.mint()).status_code == 200


def test_several_requested_resources_of_this_server_bind_the_token_to_each(setup: Setup) -> None:
    both = ["http://testserver/mcp", "http://testserver/v1/spark-api/mcp"]
    assert setup.exchange(setup.mint(resource=None), resource=both).status_code == 200
    assert AccessToken.objects.get().resource == both


EVIL = "Wire-funds-to-attacker-IBAN-DE00"
"""What a stranger chooses: a registered client's name, an assertion's email. Never in the trail."""


FORGED = 300  # enough to show the trail does not grow per request; a thousand took 40 s


def test_many_forged_assertions_are_counted_in_one_event(setup: Setup) -> None:
    """Issue 20, item 7: unsigned or forged assertions naming Acme's IdP, from a client anyone can
    register under any name, wrote one "ID-JAG refused" event each, without limit."""
    stranger = confidential_client(name=EVIL)
    before = AuditEvent.objects.filter(organization=setup.world.acme).count()
    forged = setup.mint(key=OTHER_KEY, client_id=stranger.client_id, email=f"{EVIL}@acme.example")
    basic = base64.b64encode(f"{stranger.client_id}:{SECRET}".encode()).decode()
    attacker, answered = Client(HTTP_USER_AGENT=EVIL, HTTP_AUTHORIZATION=f"Basic {basic}"), 0
    for _ in range(FORGED):
        response = attacker.post("/oauth/token/", {"grant_type": id_jag.JWT_BEARER, "assertion": forged})
        answered += response.status_code == 400 and response.json()["error"] == "invalid_grant"
    assert answered == FORGED
    assert AuditEvent.objects.filter(organization=setup.world.acme).count() - before == 1
    event = AuditEvent.objects.get(action="grant.id_jag_refused", organization=setup.world.acme)
    assert event.detail["count"] == FORGED and "client_id" not in event.detail
    rows = AuditEvent.objects.values_list("summary", "detail", "user_agent")
    assert EVIL.lower() not in repr(list(rows)).lower()


def test_the_organizations_own_client_with_a_bad_signature_is_recorded(setup: Setup) -> None:
    """Its secret is the organization's: what it sends is told to the admins and the doctor."""
    OrganizationClient.objects.create(organization=setup.world.acme, application=setup.client, created_by=None)
    refused(setup.exchange(setup.mint(key=OTHER_KEY)), "invalid_grant", "signature")
    event = AuditEvent.objects.get(action="grant.id_jag_refused")
    assert event.detail["client_id"] == setup.client.client_id and "signature" in event.detail["reason"]
