"""Sessions of people whose organization requires single sign-on (accounts/sso_sessions.py): a
password session opened before "Require SSO" was turned on ends at its next request, so it cannot
go on minting year-long personal access tokens."""

from __future__ import annotations

from typing import Any

from django.test import Client
from django.urls import reverse

from accounts.models import PersonalAccessToken, User
from accounts.scopes import TOOLS_SCOPE
from identity.models import IdentityConnection
from identity.services import organization_require_sso_set
from tests.factories import PASSWORD, World
from tests.fake_idp import FakeIdp, sso_sign_in

PAGE: dict[str, Any] = {"HTTP_ACCEPT": "text/html,application/xhtml+xml"}


def require_sso(world: World) -> None:
    organization_require_sso_set(organization=world.acme, required=True, actor=None, origin=None, require_proven=False)


def password_session(email: str) -> Client:
    client = Client()
    assert client.post(reverse("account_login"), {"login": email, "password": PASSWORD}).status_code == 302
    return client


def test_a_password_session_ends_once_its_organization_requires_sso(
    world: World, connection: IdentityConnection
) -> None:
    client = password_session("member@acme.example")
    assert client.get("/settings/tokens/", **PAGE).status_code == 200
    require_sso(world)
    sent = client.get("/settings/tokens/", **PAGE)
    assert sent.status_code == 302 and sent["Location"] == "/auth/login/?next=/settings/tokens/"
    assert "_auth_user_id" not in client.session
    following = client.get(sent["Location"], **PAGE).content.decode()
    assert "Acme requires single sign-on for acme.example" in following


def test_it_cannot_mint_a_token_on_its_way_out(world: World, connection: IdentityConnection) -> None:
    client = password_session("member@acme.example")
    require_sso(world)
    form = {"name": "a year", "organization": world.acme.pk, "days": 365, "scopes": [TOOLS_SCOPE]}
    assert client.post(reverse("accounts:token-create"), form)["Location"].startswith("/auth/login/")
    assert not PersonalAccessToken.objects.filter(user=world.member).exists()


def test_a_session_the_organizations_identity_provider_signed_in_goes_on(
    world: World, connection: IdentityConnection, fake_idp: FakeIdp
) -> None:
    client = Client()
    assert sso_sign_in(client, fake_idp, typed="member@acme.example").status_code == 302
    require_sso(world)
    assert client.get("/settings/tokens/", **PAGE).status_code == 200


def test_staff_keep_their_password_sessions(world: World, connection: IdentityConnection) -> None:
    User.objects.create_user(email="ops@acme.example", password=PASSWORD, is_staff=True)
    client = password_session("ops@acme.example")
    require_sso(world)
    assert client.get("/settings/", **PAGE).status_code == 200


def test_people_of_other_domains_are_unaffected(world: World, connection: IdentityConnection) -> None:
    client = password_session("outsider@globex.example")
    require_sso(world)
    assert client.get("/settings/", **PAGE).status_code == 200
