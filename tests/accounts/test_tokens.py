"""Personal access tokens: format, hashing, expiry, scopes, rotation, revocation, audit, states."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from django.core.exceptions import ValidationError
from django.utils import timezone

from accounts import tokens
from accounts.models import AccessStatus, EmailDomain, Membership, PersonalAccessToken, RetiredTokenPrefix
from accounts.scopes import TOOLS_SCOPE, dataset_scope
from accounts.selectors import TokenRow, token_lifetime_days, token_rows
from accounts.services import token_create, token_revoke, token_rotate, token_touch
from audit.models import AuditEvent
from audit.services import Origin
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


def test_a_personal_token_issued_before_the_shared_format_still_verifies(settings: Any) -> None:
    """A token and the digest stored for it by the personal token module before SCIM shared its format."""
    settings.SECRET_KEY = "golden-secret-key-for-the-token-format-test-0123456789abcdef"
    raw = "spk_AbCdEfGhIj0123456789abcdefghijKLMNOPQRSTUV0NLJsC"
    stored = "da3447d49a8030041edd80fd9864bd079ec093f43da8fe144dc437d588c2e04b"
    assert tokens.parse(raw) == tokens.ParsedToken(prefix="AbCdEfGhIj")
    assert tokens.matches(raw, stored)


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


def test_rotate_keeps_one_row_with_a_new_secret_and_a_renewed_lifetime(world: World) -> None:
    created = timezone.now() - dt.timedelta(days=80)
    old = issue(world.member, world.acme, days=90, now=created)
    PersonalAccessToken.objects.filter(pk=old.token.pk).update(expiry_warned_at=timezone.now())
    old_prefix = old.token.prefix
    now = timezone.now()
    new = token_rotate(token=old.token, now=now)
    row = PersonalAccessToken.objects.get()  # still one row
    assert new.token.pk == row.pk == old.token.pk
    assert row.revoked_at is None and row.rotated_at == now and row.created_at == created
    assert row.prefix != old_prefix and row.prefix == tokens.parse(new.secret).prefix  # type: ignore[union-attr]
    assert tokens.matches(new.secret, row.digest) and not tokens.matches(old.secret, row.digest)
    assert row.expires_at == now + dt.timedelta(days=90)  # the same lifetime, from now
    assert row.expiry_warned_at is None  # a renewed token may be warned about again
    assert row.name == "test token" and row.scopes == old.token.scopes
    assert list(RetiredTokenPrefix.objects.values_list("token", "prefix", "retired_at")) == [(row.pk, old_prefix, now)]


def test_a_second_rotation_keeps_the_lifetime_and_retires_each_prefix(world: World) -> None:
    start = timezone.now() - dt.timedelta(days=20)
    first = issue(world.member, world.acme, days=30, now=start)
    second = token_rotate(token=first.token, now=start + dt.timedelta(days=5))
    assert second.token.expires_at == start + dt.timedelta(days=35)
    third = token_rotate(token=second.token, now=start + dt.timedelta(days=12))
    assert third.token.expires_at == start + dt.timedelta(days=42)  # 30 days from the last rotation
    retired = set(RetiredTokenPrefix.objects.values_list("prefix", flat=True))
    assert retired == {first.token.prefix, second.token.prefix} and third.token.prefix not in retired
    assert PersonalAccessToken.objects.count() == 1


def test_lifetime_is_the_nearest_offered_choice(world: World) -> None:
    token = issue(world.member, world.acme, days=90).token
    assert token_lifetime_days(token) == 90
    token.expires_at = token.created_at + dt.timedelta(days=100)  # e.g. edited in the admin
    assert token_lifetime_days(token) == 90
    token.rotated_at = token.created_at + dt.timedelta(days=93)
    assert token_lifetime_days(token) == 7


def test_an_expired_token_can_be_rotated_back_to_life(world: World) -> None:
    expired = issue(world.member, world.acme, days=7, now=timezone.now() - dt.timedelta(days=10)).token
    assert expired.status == "expired"
    renewed = token_rotate(token=expired).token
    assert renewed.status == "active" and renewed.expires_at > timezone.now() + dt.timedelta(days=6)


def test_a_former_member_cannot_rotate(world: World) -> None:
    token = issue(world.member, world.acme).token
    Membership.objects.filter(user=world.member).delete()
    with pytest.raises(ValidationError, match="no longer a member"):
        token_rotate(token=token)
    assert not RetiredTokenPrefix.objects.exists()


def test_a_name_with_a_line_break_is_refused(world: World) -> None:
    with pytest.raises(ValidationError, match="no line breaks"):
        token_create(user=world.member, organization=world.acme, name="a\nBcc: x", days=7, scopes=[TOOLS_SCOPE])


def test_create_rotate_revoke_are_audited_without_the_secret(world: World) -> None:
    origin = Origin(ip_address="203.0.113.9", user_agent="pytest")
    issued = issue(world.member, world.acme, actor=world.member, origin=origin)
    rotated = token_rotate(token=issued.token, actor=world.member, origin=origin)
    token_revoke(token=rotated.token, actor=world.member, origin=origin)
    token_revoke(token=rotated.token, actor=world.member, origin=origin)  # already revoked: not recorded again
    events = list(AuditEvent.objects.order_by("created_at", "pk"))
    assert [e.action for e in events] == ["token.created", "token.rotated", "token.revoked"]
    for event in events:
        assert event.organization == world.acme and event.actor == world.member
        assert event.ip_address == "203.0.113.9" and event.user_agent == "pytest"
        assert event.detail["token"] == issued.token.pk and event.detail["name"] == "test token"
        recorded = event.summary + str(event.detail)
        for secret in (issued.secret, rotated.secret):
            assert secret not in recorded and secret[4:-6] not in recorded
        assert rotated.token.digest not in recorded
    assert events[1].detail["retired_prefix"] == f"spk_{issued.token.prefix}"
    assert "member@acme.example rotated the access token" in events[1].summary


def test_an_operators_action_is_audited_without_an_actor(world: World) -> None:
    token = issue(world.member, world.acme).token
    token_revoke(token=token)
    event = AuditEvent.objects.get(action="token.revoked")
    assert event.actor is None and event.summary.startswith("an operator revoked")


def test_touch_records_time_address_and_agent(world: World) -> None:
    token = issue(world.member, world.acme).token
    now = timezone.now()
    token_touch(token_id=token.pk, now=now, address="2001:db8::7", agent="x" * 300)
    token.refresh_from_db()
    assert token.last_used_at == now and token.last_used_address == "2001:db8::7"
    assert token.last_used_agent == "x" * 200


def test_token_rows_say_each_state_and_how_long_is_left(world: World) -> None:
    now = timezone.now()
    active = issue(world.member, world.acme, days=30, now=now).token
    soon = issue(world.member, world.acme, days=7, now=now - dt.timedelta(days=4)).token
    expired = issue(world.member, world.acme, days=7, now=now - dt.timedelta(days=10)).token
    revoked = issue(world.member, world.acme, days=30, now=now).token
    token_revoke(token=revoked)
    rows = {row.token.pk: row for row in token_rows(world.member, now)}
    assert (rows[active.pk].state, rows[active.pk].expiry_words) == ("active", "expires in 30 days")
    assert (rows[soon.pk].state, rows[soon.pk].expiry_words) == ("active", "expires in 3 days")
    assert (rows[expired.pk].state, rows[expired.pk].expiry_words) == ("expired", "expired 3 days ago")
    assert rows[revoked.pk].state == "revoked"
    assert [pk for pk, row in rows.items() if row.expiring_soon] == [soon.pk]
    assert all(row.refusal is None for row in rows.values())


def test_a_token_refused_by_a_gate_is_paused_with_the_reason(world: World) -> None:
    token = issue(world.member, world.acme).token
    world.acme.access_status = AccessStatus.ENDED
    world.acme.save()
    expired = issue(world.member, world.acme, days=7, now=timezone.now() - dt.timedelta(days=8)).token
    rows = {row.token.pk: row for row in token_rows(world.member)}
    assert rows[token.pk].state == "paused"
    assert rows[token.pk].refusal == "Acme's MCP access has ended; ask your Acme admin."
    assert rows[expired.pk].state == "expired" and rows[expired.pk].refusal is None  # expiry comes first
    EmailDomain.objects.filter(domain="acme.example").update(enabled=False)
    world.acme.access_status = AccessStatus.CONTRACT
    world.acme.save()
    row = next(row for row in token_rows(world.member) if row.token.pk == token.pk)
    assert row.state == "paused" and "email domain acme.example is not enabled for Acme" in (row.refusal or "")


def test_token_rows_say_when_it_was_last_used(world: World) -> None:
    now = timezone.now()
    token = issue(world.member, world.acme).token
    assert token_rows(world.member, now)[0].last_used_ago == ""
    token_touch(token_id=token.pk, now=now - dt.timedelta(seconds=20))
    assert token_rows(world.member, now)[0].last_used_ago == "just now"
    token_touch(token_id=token.pk, now=now - dt.timedelta(hours=3, minutes=5))
    assert token_rows(world.member, now)[0].last_used_ago == "3\xa0hours, 5\xa0minutes ago"


@pytest.mark.parametrize(
    ("days_left", "expired", "words"),
    [
        (2, False, "expires in 2 days"),
        (1, False, "expires in 1 day"),
        (0, False, "expires today"),
        (0, True, "expired today"),
        (-1, True, "expired 1 day ago"),
        (-12, True, "expired 12 days ago"),
    ],
)
def test_expiry_words(days_left: int, expired: bool, words: str) -> None:
    row = TokenRow(PersonalAccessToken(), "expired" if expired else "active", days_left, expired, False)
    assert row.expiry_words == words


def test_revoked_token_cannot_be_rotated(world: World) -> None:
    token = issue(world.member, world.acme).token
    token_revoke(token=token)
    with pytest.raises(ValidationError):
        token_rotate(token=token)
