"""Management commands: create_access_token and revoke_access_token."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import CommandError, call_command

from accounts import tokens
from accounts.models import PersonalAccessToken
from tests.factories import World


def test_create_access_token_prints_the_token_last(world: World) -> None:
    out = StringIO()
    call_command(
        "create_access_token",
        "--email",
        "MEMBER@acme.example",
        "--name",
        "nightly",
        "--days",
        "7",
        stdout=out,
    )
    last = out.getvalue().strip().splitlines()[-1]
    parsed = tokens.parse(last)
    assert parsed is not None
    row = PersonalAccessToken.objects.get(prefix=parsed.prefix)
    assert row.user == world.member and row.name == "nightly"
    assert (row.expires_at - row.created_at).days == 7
    assert tokens.matches(last, row.digest)
    assert last not in out.getvalue().strip().splitlines()[0]


def test_create_access_token_refuses_unknown_user_and_bad_days(world: World) -> None:
    with pytest.raises(CommandError, match="No user"):
        call_command("create_access_token", "--email", "nobody@acme.example", "--name", "x", stdout=StringIO())
    with pytest.raises(CommandError):
        call_command("create_access_token", "--email", "member@acme.example", "--name", "x", "--days", "1000")


def test_create_access_token_with_explicit_scope(world: World) -> None:
    out = StringIO()
    call_command(
        "create_access_token",
        "--email",
        "member@acme.example",
        "--name",
        "x",
        "--scope",
        "insights:read",
        stdout=out,
    )
    assert PersonalAccessToken.objects.get().scopes == ["insights:read"]
    with pytest.raises(CommandError, match="cannot grant"):
        call_command(
            "create_access_token",
            "--email",
            "member@acme.example",
            "--name",
            "x",
            "--scope",
            "dataset:ds-gaming",
        )


def test_revoke_access_token_by_whole_token_or_prefix(world: World) -> None:
    from tests.factories import issue

    first, second = issue(world.member, world.acme), issue(world.member, world.acme)
    out = StringIO()
    call_command("revoke_access_token", first.secret, stdout=out)
    assert "revoked" in out.getvalue() and first.secret not in out.getvalue()
    call_command("revoke_access_token", f"{second.token.display_prefix}…", stdout=StringIO())
    for issued in (first, second):
        issued.token.refresh_from_db()
        assert issued.token.revoked_at is not None


def test_revoke_access_token_refuses_unknown_or_forged(world: World) -> None:
    from tests.factories import issue

    real = issue(world.member, world.acme)
    body = real.secret[: 4 + tokens.PREFIX_LEN] + "x" * tokens.SECRET_LEN
    with pytest.raises(CommandError, match="No such token"):
        call_command("revoke_access_token", body + tokens.checksum(body))
    with pytest.raises(CommandError):
        call_command("revoke_access_token", "hello")
    real.token.refresh_from_db()
    assert real.token.revoked_at is None
