"""The email-first sign-in page, "Continue with SSO", and "Require SSO" refusing password sign-in
and password reset (with words pointing to SSO)."""

from __future__ import annotations

import pytest
from django.core import mail
from django.test import Client

from accounts.models import User
from accounts.services import domain_add
from identity.models import IdentityConnection
from identity.services import connection_set_enabled, organization_require_sso_set
from tests.factories import PASSWORD, World
from tests.fake_idp import ISSUER


def _discover(email: str) -> dict[str, bool]:
    response = Client().get("/auth/sso/discover/", {"email": email})
    assert response.status_code == 200 and response["Cache-Control"].startswith("max-age=0")
    return dict(response.json())


def test_the_page_keeps_the_ids_password_users_know_and_offers_sso(db: None) -> None:
    page = Client().get("/auth/login/?next=/settings/tokens/").content.decode()
    for marker in (
        'id="id_login"',
        'id="id_password"',
        'id="continue-sso"',
        'formaction="/auth/sso/start/"',
        'name="next" value="/settings/tokens/"',
        "js/sign_in.js",
    ):
        assert marker in page, marker


def test_discovery_says_which_domains_sign_in_with_sso(connection: IdentityConnection, world: World) -> None:
    assert _discover("someone@acme.example") == {"sso": True, "required": False}
    assert _discover("SOMEONE@ACME.EXAMPLE") == {"sso": True, "required": False}
    assert _discover("someone@globex.example") == {"sso": False, "required": False}
    assert _discover("nobody") == {"sso": False, "required": False}
    connection_set_enabled(connection=connection, enabled=False, actor=world.admin, origin=None)
    assert _discover("someone@acme.example") == {"sso": False, "required": False}


def test_continue_with_sso_for_a_domain_without_it_goes_back_to_the_password(world: World) -> None:
    client = Client()
    response = client.post("/auth/sso/start/", {"login": "a@globex.example", "next": "/settings/tokens/"})
    assert response.status_code == 302
    assert response["Location"] == "/auth/login/?next=%2Fsettings%2Ftokens%2F&email=a%40globex.example"
    page = client.get(response["Location"]).content.decode()
    assert "globex.example has no single sign-on in Spark Portal: sign in with your password." in page
    assert 'value="a@globex.example"' in page


def test_continue_with_sso_goes_to_the_idp_with_a_login_hint(connection: IdentityConnection) -> None:
    response = Client().post("/auth/sso/start/", {"login": "ana@acme.example"})
    assert response.status_code == 302 and response["Location"].startswith(f"{ISSUER}/authorize?")
    assert "login_hint=ana%40acme.example" in response["Location"]
    assert "code_challenge_method=S256" in response["Location"]  # PKCE towards the IdP too
    assert Client().get("/auth/sso/start/").status_code == 405  # it starts with a POST only


@pytest.fixture
def required(connection: IdentityConnection, world: World) -> World:
    organization_require_sso_set(organization=world.acme, required=True, actor=None, origin=None, require_proven=False)
    return world


def test_password_sign_in_is_refused_pointing_to_sso(required: World) -> None:
    client = Client()
    response = client.post("/auth/login/", {"login": "member@acme.example", "password": PASSWORD})
    assert response.status_code == 200 and "_auth_user_id" not in client.session
    page = response.content.decode()
    assert "Acme requires single sign-on for acme.example: there is no password to use here." in page
    assert "Choose Continue with SSO on the sign-in page." in page
    assert _discover("member@acme.example") == {"sso": True, "required": True}


def test_other_domains_and_staff_keep_password_sign_in(required: World) -> None:
    client = Client()
    client.post("/auth/login/", {"login": "outsider@globex.example", "password": PASSWORD})
    assert client.session.get("_auth_user_id") == str(required.outsider.pk)
    User.objects.filter(pk=required.admin.pk).update(is_staff=True)  # SSO never signs staff in: they keep it
    staff = Client()
    staff.post("/auth/login/", {"login": "admin@acme.example", "password": PASSWORD})
    assert staff.session.get("_auth_user_id") == str(required.admin.pk)


def test_password_reset_is_refused_and_sends_nothing(required: World) -> None:
    response = Client().post("/auth/password/reset/", {"email": "member@acme.example"})
    assert response.status_code == 200
    assert "Acme requires single sign-on for acme.example" in response.content.decode()
    assert mail.outbox == []
    Client().post("/auth/password/reset/", {"email": "outsider@globex.example"})
    assert len(mail.outbox) == 1  # other domains still get their link


def test_stopping_the_requirement_brings_password_sign_in_back(required: World) -> None:
    organization_require_sso_set(organization=required.acme, required=False, actor=None, origin=None)
    client = Client()
    client.post("/auth/login/", {"login": "member@acme.example", "password": PASSWORD})
    assert client.session.get("_auth_user_id") == str(required.member.pk)


def test_an_unverified_domain_is_not_routed_to_single_sign_on(connection: IdentityConnection, world: World) -> None:
    """Acme added gmail-like newco.example without proving it: its people are not sent to Acme's IdP,
    and the sign-in page does not name Acme for them."""
    domain_add(organization=world.acme, domain="newco.example", actor=world.admin, origin=None)
    assert _discover("pat@newco.example") == {"sso": False, "required": False}
    response = Client().post("/auth/sso/start/", {"login": "pat@newco.example"})
    assert response.status_code == 302 and response["Location"].startswith("/auth/login/")


def test_require_sso_does_not_reach_an_unverified_domain(required: World) -> None:
    """Someone else's account at a domain Acme merely added keeps its password sign-in and reset."""
    domain_add(organization=required.acme, domain="newco.example", actor=required.admin, origin=None)
    stranger = User.objects.create_user(email="pat@newco.example", password=PASSWORD)
    client = Client()
    client.post("/auth/login/", {"login": "pat@newco.example", "password": PASSWORD})
    assert client.session.get("_auth_user_id") == str(stranger.pk)
    Client().post("/auth/password/reset/", {"email": "pat@newco.example"})
    assert len(mail.outbox) == 1
