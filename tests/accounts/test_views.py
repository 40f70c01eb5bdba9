"""Account settings and token pages: shown once, POST-only changes, outsiders get 404."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import reverse

from accounts import tokens
from accounts.models import PersonalAccessToken
from tests.factories import PASSWORD, World, issue


def test_pages_need_sign_in(client: Client, world: World) -> None:
    for name in ("accounts:settings", "accounts:tokens"):
        response = client.get(reverse(name))
        assert response.status_code == 302 and "/auth/login/" in response["Location"]


def test_sign_in_with_email_and_password_any_case(client: Client, world: World) -> None:
    response = client.post(reverse("account_login"), {"login": "Member@ACME.example", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get(reverse("accounts:settings")).status_code == 200


def test_wrong_password_is_refused(client: Client, world: World) -> None:
    response = client.post(reverse("account_login"), {"login": "member@acme.example", "password": "nope"})
    assert response.status_code == 200 and "_auth_user_id" not in client.session


def test_public_signup_is_closed(client: Client, world: World) -> None:
    response = client.post(
        reverse("account_signup"),
        {"email": "x@acme.example", "password1": "Zx9!long-pass", "password2": "Zx9!long-pass"},
    )
    assert not PersonalAccessToken.objects.exists()
    from accounts.models import User

    assert not User.objects.filter(email="x@acme.example").exists()
    assert response.status_code in (200, 403)


def test_password_change(member_client: Client, world: World) -> None:
    response = member_client.post(
        reverse("account_change_password"),
        {"oldpassword": PASSWORD, "password1": "a-new-long-passphrase", "password2": "a-new-long-passphrase"},
    )
    assert response.status_code == 302
    world.member.refresh_from_db()
    assert world.member.check_password("a-new-long-passphrase")


def test_create_shows_the_secret_once(member_client: Client, world: World) -> None:
    response = member_client.post(
        reverse("accounts:token-create"),
        {
            "name": "agent",
            "organization": world.acme.pk,
            "days": 30,
            "scopes": ["insights:read", "dataset:ds-core"],
        },
    )
    row = PersonalAccessToken.objects.get(user=world.member)
    assert response.status_code == 302 and response["Location"] == reverse("accounts:token-created", args=[row.pk])
    assert b"spk_" not in response.content  # the POST response never carries the secret
    page = member_client.get(response["Location"])
    assert "no-store" in page["Cache-Control"]
    secret = re.search(r'value="(spk_[0-9A-Za-z]+)"', page.content.decode()).group(1)  # type: ignore[union-attr]
    assert tokens.matches(secret, row.digest) and row.scopes == ["dataset:ds-core", "insights:read"]
    listing = member_client.get(reverse("accounts:tokens")).content.decode()
    assert secret not in listing and row.display_prefix in listing and "agent" in listing


def test_create_refuses_other_organizations_scopes(member_client: Client, world: World) -> None:
    response = member_client.post(
        reverse("accounts:token-create"),
        {"name": "agent", "organization": world.acme.pk, "days": 30, "scopes": ["dataset:ds-gaming"]},
    )
    assert response.status_code == 400 and not PersonalAccessToken.objects.exists()


def test_create_refuses_unlimited_or_odd_expiry(member_client: Client, world: World) -> None:
    for days in ("", "0", "3650"):
        response = member_client.post(
            reverse("accounts:token-create"),
            {"name": "agent", "organization": world.acme.pk, "days": days, "scopes": ["insights:read"]},
        )
        assert response.status_code == 400
    assert not PersonalAccessToken.objects.exists()


def test_create_refuses_an_organization_the_user_is_not_in(member_client: Client, world: World) -> None:
    response = member_client.post(
        reverse("accounts:token-create"),
        {"name": "agent", "organization": world.globex.pk, "days": 30, "scopes": ["insights:read"]},
    )
    assert response.status_code == 400 and not PersonalAccessToken.objects.exists()


def test_create_is_post_only_and_rotate_revoke_ask_first(member_client: Client, world: World) -> None:
    assert member_client.get(reverse("accounts:token-create")).status_code == 405
    token = issue(world.member, world.acme).token
    for name in ("accounts:token-revoke", "accounts:token-rotate"):
        page = member_client.get(reverse(name, args=[token.pk]))
        assert page.status_code == 200 and "“test token”" in page.content.decode()
        assert token.display_prefix in page.content.decode()
    token.refresh_from_db()
    assert token.revoked_at is None and token.rotated_at is None


def test_revoke(member_client: Client, world: World) -> None:
    token = issue(world.member, world.acme).token
    response = member_client.post(reverse("accounts:token-revoke", args=[token.pk]))
    assert response.status_code == 302
    token.refresh_from_db()
    assert token.revoked_at is not None


def test_rotate_shows_new_secret_once_and_the_old_one_dies(member_client: Client, world: World) -> None:
    old = issue(world.member, world.acme)
    response = member_client.post(reverse("accounts:token-rotate", args=[old.token.pk]))
    assert response.status_code == 302 and b"spk_" not in response.content
    page = member_client.get(response["Location"]).content.decode()
    assert "Token rotated" in page
    secret = re.search(r'value="(spk_[0-9A-Za-z]+)"', page).group(1)  # type: ignore[union-attr]
    assert secret != old.secret
    row = PersonalAccessToken.objects.get()  # one row per token
    assert row.pk == old.token.pk and row.revoked_at is None and row.rotated_at is not None
    assert tokens.matches(secret, row.digest) and not tokens.matches(old.secret, row.digest)


@pytest.mark.parametrize("action", ["accounts:token-revoke", "accounts:token-rotate"])
def test_another_users_token_is_404(client: Client, world: World, action: str) -> None:
    theirs = issue(world.outsider, world.globex).token
    same_org = issue(world.admin, world.acme).token
    client.force_login(world.member)
    for token in (theirs, same_org):
        assert client.post(reverse(action, args=[token.pk])).status_code == 404
        assert client.get(reverse(action, args=[token.pk])).status_code == 404
        token.refresh_from_db()
        assert token.revoked_at is None
    assert client.post(reverse(action, args=[999999])).status_code == 404


def test_token_list_shows_only_own_tokens(member_client: Client, world: World) -> None:
    mine = issue(world.member, world.acme).token
    theirs = issue(world.admin, world.acme).token
    page = member_client.get(reverse("accounts:tokens")).content.decode()
    assert mine.display_prefix in page and theirs.display_prefix not in page


def test_changes_need_csrf(world: World) -> None:
    client = Client(enforce_csrf_checks=True)
    client.force_login(world.member)
    token = issue(world.member, world.acme).token
    assert client.post(reverse("accounts:token-revoke", args=[token.pk])).status_code == 403
    token.refresh_from_db()
    assert token.revoked_at is None
