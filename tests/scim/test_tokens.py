"""SCIM tokens: their format, the console page (create, shown once, revoke with confirmation) and
`manage.py create_scim_token`."""

from __future__ import annotations

import re
from io import StringIO
from typing import Any

import pytest
from django.core.management import CommandError, call_command
from django.test import Client

from accounts import tokens as pat_tokens
from accounts.tokens import ParsedToken
from audit.models import AuditEvent
from scim.models import ScimToken
from scim.tokens import SCIM_TOKENS
from tests.factories import World
from tests.scim.conftest import USER_SCHEMA, Scim, scim_error

pytestmark = pytest.mark.django_db

SECRET = re.compile(r'value="(spkscim_[0-9A-Za-z]+)"')


def test_token_format_is_checksummed_and_distinct_from_personal_tokens() -> None:
    secret, prefix = SCIM_TOKENS.generate()
    assert secret.startswith("spkscim_")
    assert len(secret) == SCIM_TOKENS.length
    assert SCIM_TOKENS.parse(secret) == ParsedToken(prefix=prefix)
    assert SCIM_TOKENS.parse(secret[:-1] + ("a" if secret[-1] != "a" else "b")) is None
    assert SCIM_TOKENS.parse(pat_tokens.generate()[0]) is None
    assert pat_tokens.parse(secret) is None
    assert SCIM_TOKENS.matches(secret, SCIM_TOKENS.digest(secret))
    assert SCIM_TOKENS.digest(secret) != pat_tokens.digest(secret)


GOLDEN_KEY = "golden-secret-key-for-the-token-format-test-0123456789abcdef"


def test_a_scim_token_issued_before_the_shared_format_still_verifies(settings: Any) -> None:
    """A token and the digest stored for it by the SCIM format's own module (before it shared one)."""
    settings.SECRET_KEY = GOLDEN_KEY
    raw = "spkscim_AbCdEfGhIj0123456789abcdefghijKLMNOPQRSTUV2n7mdM"
    stored = "85e80006f30f13db34c54c95ff8c1fb208f071765473c59995e21d1ad1fc55b3"
    assert SCIM_TOKENS.parse(raw) == ParsedToken(prefix="AbCdEfGhIj")
    assert SCIM_TOKENS.matches(raw, stored)


@pytest.fixture
def admin(world: World) -> Client:
    client = Client()
    client.force_login(world.admin)
    return client


def test_an_admin_creates_a_token_shown_once(admin: Client, world: World) -> None:
    page = admin.get("/org/acme/scim/")
    assert page.status_code == 200 and "http://testserver/scim/v2" in page.content.decode()
    response = admin.post("/org/acme/scim/", {"name": "Okta"})
    assert response.status_code == 302
    shown = admin.get(response["Location"])
    assert "no-store" in shown["Cache-Control"]
    secret = SECRET.search(shown.content.decode()).group(1)  # type: ignore[union-attr]
    token = ScimToken.objects.get(organization=world.acme)
    assert token.name == "Okta" and token.created_by == world.admin and secret not in token.digest
    assert Client().get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {secret}").status_code == 200
    again = admin.get(response["Location"]).content.decode()
    assert "Secret already shown" in again and secret not in again
    assert ScimToken.objects.count() == 1
    event = AuditEvent.objects.get(action="scim_token.created")
    assert event.actor == world.admin and secret not in str(event.detail) and secret not in event.summary
    listing = admin.get("/org/acme/scim/").content.decode()
    assert f"{token.display_prefix}…" in listing and secret not in listing


def test_a_token_needs_a_name(admin: Client) -> None:
    assert admin.post("/org/acme/scim/", {"name": "  "}).status_code == 400
    assert not ScimToken.objects.exists()


def test_revoking_asks_first_then_refuses_the_token(admin: Client, world: World) -> None:
    admin.post("/org/acme/scim/", {"name": "Entra ID"})
    token = ScimToken.objects.get()
    confirm = admin.get(f"/org/acme/scim/tokens/{token.pk}/revoke/").content.decode()
    assert "Revoke the SCIM token “Entra ID”?" in confirm and token.display_prefix in confirm
    assert ScimToken.objects.get().revoked_at is None
    assert admin.post(f"/org/acme/scim/tokens/{token.pk}/revoke/").status_code == 302
    assert ScimToken.objects.get().revoked_at is not None
    assert AuditEvent.objects.get(action="scim_token.revoked").actor == world.admin
    assert admin.post(f"/org/acme/scim/tokens/{token.pk}/revoke/").status_code == 302  # again: nothing more
    assert AuditEvent.objects.filter(action="scim_token.revoked").count() == 1


@pytest.mark.parametrize("who", ["member", "outsider", None])
def test_only_the_organizations_admins_reach_its_scim_pages(world: World, who: str | None) -> None:
    token = ScimToken.objects.create(organization=world.acme, name="x", prefix="p" * 10, digest="0" * 64)
    paths = [
        "/org/acme/scim/",
        f"/org/acme/scim/tokens/{token.pk}/created/",
        f"/org/acme/scim/tokens/{token.pk}/revoke/",
    ]
    client = Client()
    if who is not None:
        client.force_login(getattr(world, who))
    for path in paths:
        assert client.get(path).status_code == (403 if who else 302), path
        assert client.post(path, {"name": "sneaky"}).status_code == (403 if who else 302), path
    if who == "outsider":  # Globex's admin, through Globex's console: Acme's token is not theirs
        assert client.get(f"/org/globex/scim/tokens/{token.pk}/revoke/").status_code == 404
        assert client.post(f"/org/globex/scim/tokens/{token.pk}/revoke/").status_code == 404
    assert ScimToken.objects.count() == 1 and ScimToken.objects.get().revoked_at is None
    assert not AuditEvent.objects.filter(action__startswith="scim_token.").exists()


def test_the_command_prints_the_token_last(world: World) -> None:
    out = StringIO()
    call_command("create_scim_token", "--org", "globex", "--name", "Google Workspace", stdout=out)
    secret = out.getvalue().strip().splitlines()[-1]
    token = ScimToken.objects.get(organization=world.globex)
    assert SCIM_TOKENS.parse(secret) is not None and SCIM_TOKENS.matches(secret, token.digest)
    assert AuditEvent.objects.get(action="scim_token.created").summary.startswith("an operator created")
    found = Client().get("/scim/v2/Users", HTTP_AUTHORIZATION=f"Bearer {secret}").json()
    assert {r["userName"] for r in found["Resources"]} == {"outsider@globex.example"}
    with pytest.raises(CommandError, match="No organization"):
        call_command("create_scim_token", "--org", "nope", "--name", "x")


def test_each_scim_token_has_a_rate_limit_answered_as_a_scim_error(
    scim: Scim, globex_scim: Scim, settings: Any
) -> None:
    settings.SPARK_SCIM_RATE = "3/min"
    assert [scim.get("/Users").status_code for _ in range(3)] == [200, 200, 200]
    limited = scim.get("/Users")
    error = scim_error(limited, 429)
    assert "Too many requests for this SCIM token" in error["detail"]
    assert 0 < int(limited["Retry-After"]) <= 60
    assert scim.post("/Users", {"schemas": [USER_SCHEMA], "userName": "late@acme.example"}).status_code == 429
    assert globex_scim.get("/Users").status_code == 200  # another token, its own budget
