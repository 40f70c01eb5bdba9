"""Personal access tokens: format, hashing, expiry, scopes, rotation and revocation."""

from __future__ import annotations

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import tokens
from accounts.models import PersonalAccessToken
from accounts.scopes import TOOLS_SCOPE, dataset_scope
from accounts.services import token_create, token_revoke, token_rotate
from tests.factories import World, issue


def test_format_has_marker_length_and_valid_checksum() -> None:
    raw, prefix = tokens.generate()
    assert raw.startswith("spk_") and len(raw) == tokens.TOKEN_LEN
    parsed = tokens.parse(raw)
    assert parsed is not None and parsed.prefix == prefix


def test_checksum_catches_a_single_changed_character() -> None:
    raw, _ = tokens.generate()
    i = 20
    altered = raw[:i] + ("A" if raw[i] != "A" else "B") + raw[i + 1 :]
    assert tokens.parse(altered) is None
    assert tokens.parse(raw[:-1]) is None
    assert tokens.parse("ghp_" + raw[4:]) is None


def test_tokens_are_random() -> None:
    assert len({tokens.generate()[0] for _ in range(200)}) == 200


def test_only_prefix_and_digest_are_stored(world: World) -> None:
    issued = issue(world.member, world.acme)
    row = PersonalAccessToken.objects.get(pk=issued.token.pk)
    stored = " ".join(str(v) for v in row.__dict__.values())
    assert issued.secret not in stored
    assert issued.secret[4:] not in stored  # not even without the marker
    assert row.digest == tokens.digest(issued.secret) and len(row.digest) == 64
    assert tokens.matches(issued.secret, row.digest)
    assert issued.secret not in str(row) and issued.secret not in repr(row)
    assert str(row).endswith(f"(spk_{row.prefix}…)")


def test_expiry_must_be_an_offered_choice(world: World) -> None:
    for days in (7, 30, 90, 365):
        assert issue(world.member, world.acme, days=days).token.expires_at > timezone.now()
    for days in (0, 1, 400, 100000):
        with pytest.raises(ValidationError):
            issue(world.member, world.acme, days=days)


def test_expiry_is_the_chosen_number_of_days(world: World) -> None:
    now = timezone.now()
    token = issue(world.member, world.acme, days=90, now=now).token
    assert token.expires_at == now + dt.timedelta(days=90)
    assert not token.is_expired(now + dt.timedelta(days=89, hours=23))
    assert token.is_expired(now + dt.timedelta(days=90))


def test_scopes_are_limited_to_the_organization(world: World) -> None:
    with pytest.raises(ValidationError, match="cannot grant"):
        issue(world.member, world.acme, scopes=[TOOLS_SCOPE, dataset_scope("ds-gaming")])
    with pytest.raises(ValidationError):
        issue(world.member, world.acme, scopes=[])


def test_a_token_needs_membership(world: World) -> None:
    with pytest.raises(ValidationError, match="not a member"):
        token_create(user=world.member, organization=world.globex, name="x", days=7, scopes=[TOOLS_SCOPE])


def test_revoke_sets_revoked_at_once(world: World) -> None:
    token = issue(world.member, world.acme).token
    token_revoke(token=token)
    token.refresh_from_db()
    assert token.revoked_at is not None and token.status == "revoked"
    first = token.revoked_at
    token_revoke(token=token)  # idempotent: the first revocation time stays
    token.refresh_from_db()
    assert token.revoked_at == first


def test_rotate_kills_the_old_secret_and_keeps_name_scopes_lifetime(world: World) -> None:
    old = issue(world.member, world.acme, days=90)
    new = token_rotate(token=old.token)
    old.token.refresh_from_db()
    assert old.token.revoked_at is not None
    assert new.secret != old.secret and new.token.prefix != old.token.prefix
    assert new.token.name == old.token.name and new.token.scopes == old.token.scopes
    assert (new.token.expires_at - new.token.created_at) == dt.timedelta(days=90)


def test_revoked_token_cannot_be_rotated(world: World) -> None:
    token = issue(world.member, world.acme).token
    token_revoke(token=token)
    with pytest.raises(ValidationError):
        token_rotate(token=token)
