"""An organization's two-factor requirement against sign-ins through another organization's identity
provider (accounts/mfa.py): an SSO sign-in is strong only for the organization whose IdP asserted it.

The person: an Acme member who is also a Globex admin; Globex requires two-factor authentication;
they sign in through Acme's identity provider (the stand-in IdP, through Spark Portal's own views)."""

from __future__ import annotations

import time
from typing import Any

import pyotp
import pytest
from allauth.mfa.models import Authenticator
from django.test import Client
from django.urls import reverse

from accounts.mfa import SSO_SESSION_KEY, MFAAdapter, organization_mfa_require
from accounts.models import Membership, PersonalAccessToken, Role, User
from accounts.scopes import ORG_ADMIN_SCOPE
from identity.models import IdentityConnection
from tests.factories import World
from tests.fake_idp import FakeIdp, sso_sign_in

PAGE: dict[str, Any] = {"HTTP_ACCEPT": "text/html,application/xhtml+xml"}
KEY = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"


@pytest.fixture
def globex_admin(world: World) -> User:
    """member@acme.example, also an admin of Globex, which requires a second factor."""
    Membership.objects.create(user=world.member, organization=world.globex, role=Role.ADMIN)
    organization_mfa_require(organization=world.globex, required=True, actor=world.outsider, origin=None)
    return world.member


def acme_sso(client: Client, fake_idp: FakeIdp, email: str = "member@acme.example") -> None:
    response = sso_sign_in(client, fake_idp, typed=email)
    assert response.status_code == 302 and response["Location"] == "/settings/", response.content[:300]


def with_authenticator(user: User) -> str:
    """Give the user an authenticator app with a known key; returns it (pyotp plays the phone)."""
    Authenticator.objects.create(user=user, type=Authenticator.Type.TOTP, data={"secret": MFAAdapter().encrypt(KEY)})
    return KEY


def globex_token_form() -> dict[str, object]:
    return {"name": "globex admin", "organization": "", "days": 365, "scopes": [ORG_ADMIN_SCOPE]}


def test_an_acme_sso_sign_in_does_not_open_globexs_console(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp, globex_admin: User
) -> None:
    client = Client()
    acme_sso(client, fake_idp)
    console = client.get("/org/globex/", **PAGE)
    assert console.status_code == 302 and console["Location"] == reverse("mfa_activate_totp")


def test_an_acme_sso_sign_in_mints_no_globex_token_in_the_portal_or_the_api(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp, globex_admin: User
) -> None:
    client = Client()
    acme_sso(client, fake_idp)
    form = {**globex_token_form(), "organization": world.globex.pk}
    portal = client.post(reverse("accounts:token-create"), form)
    assert portal.status_code == 302 and portal["Location"] == reverse("mfa_activate_totp")
    api = client.post(
        "/api/v1/me/tokens?organization=globex",
        {"name": "via api", "days": 365, "scopes": [ORG_ADMIN_SCOPE]},
        content_type="application/json",
    )
    assert api.status_code == 302
    assert not PersonalAccessToken.objects.filter(organization=world.globex).exists()


def test_with_an_authenticator_the_code_is_asked_once_then_globex_opens(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp, globex_admin: User
) -> None:
    key = with_authenticator(world.member)
    client = Client()
    acme_sso(client, fake_idp)  # no code at the SSO sign-in itself ...
    asked = client.get("/org/globex/", **PAGE)
    step_up = f"{reverse('mfa_reauthenticate')}?next=/org/globex/"
    assert asked.status_code == 302 and asked["Location"] == step_up  # ... but before Globex's pages
    page = client.get(step_up, **PAGE).content.decode()
    assert 'id="mfa-step-up-notice"' in page and "Globex requires two-factor authentication" in page
    given = client.post(step_up, {"code": pyotp.TOTP(key).now()})
    assert given.status_code == 302 and given["Location"] == "/org/globex/"
    assert client.get("/org/globex/", **PAGE).status_code == 200
    assert client.get("/settings/tokens/", **PAGE).status_code == 200


def test_an_sso_only_person_enrols_right_after_the_sign_in(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    """Someone made just in time by Acme's IdP has no password to confirm with: the fresh SSO
    sign-in is the confirmation enrolment needs."""
    client = Client()
    acme_sso(client, fake_idp, "new.person@acme.example")
    person = User.objects.get(email="new.person@acme.example")
    Membership.objects.create(user=person, organization=world.globex, role=Role.ADMIN)
    organization_mfa_require(organization=world.globex, required=True, actor=world.outsider, origin=None)
    assert client.get("/org/globex/", **PAGE)["Location"] == reverse("mfa_activate_totp")
    page = client.get(reverse("mfa_activate_totp"), **PAGE)
    assert page.status_code == 200, page.get("Location")
    secret = page.context["form"].secret
    enrolled = client.post(reverse("mfa_activate_totp"), {"code": pyotp.TOTP(secret).now()})
    assert enrolled.status_code == 302
    assert client.get("/org/globex/", **PAGE).status_code == 200


def test_an_sso_only_person_whose_sign_in_is_no_longer_fresh_signs_in_again(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    client = Client()
    acme_sso(client, fake_idp, "new.person@acme.example")
    person = User.objects.get(email="new.person@acme.example")
    Membership.objects.create(user=person, organization=world.globex, role=Role.MEMBER)
    session = client.session
    records = session["account_authentication_methods"]
    session["account_authentication_methods"] = [{**r, "at": r["at"] - 3600} for r in records]
    session.save()
    organization_mfa_require(organization=world.globex, required=True, actor=world.outsider, origin=None)
    sent = client.get("/settings/", **PAGE)
    assert sent.status_code == 302 and sent["Location"].startswith(reverse("account_login"))
    assert "_auth_user_id" not in client.session


def test_acmes_own_requirement_is_met_by_acmes_identity_provider(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    organization_mfa_require(organization=world.acme, required=True, actor=world.admin, origin=None)
    client = Client()
    acme_sso(client, fake_idp)
    assert client.session[SSO_SESSION_KEY] == {"user": world.member.pk, "organization": world.acme.pk}
    assert client.get("/settings/", **PAGE).status_code == 200
    assert client.get("/org/acme/", **PAGE).status_code == 403  # a member, not an admin: no MFA detour


def test_a_sign_in_recorded_for_another_organization_does_not_count(world: World) -> None:
    """A session whose sign-in another organization's IdP asserted (or that says none: sessions
    from before the organization was recorded) is held to Acme's requirement."""
    organization_mfa_require(organization=world.acme, required=True, actor=world.admin, origin=None)
    for asserted_by in ({"user": world.member.pk, "organization": world.globex.pk}, None):
        client = Client()
        client.force_login(world.member)
        session = client.session
        session["account_authentication_methods_user"] = str(world.member.pk)
        session["account_authentication_methods"] = [{"method": "socialaccount", "at": time.time(), "provider": "x"}]
        if asserted_by:
            session[SSO_SESSION_KEY] = asserted_by
        session.save()
        assert client.get("/settings/", **PAGE)["Location"] == reverse("mfa_activate_totp"), asserted_by
