"""warn_expiring_tokens: one email per soon-expiring token, once (again after a rotation), no secret."""

from __future__ import annotations

import datetime as dt
from io import StringIO

import pytest
from django.core import mail
from django.core.management import CommandError, call_command
from django.utils import timezone

from accounts.models import Membership, PersonalAccessToken
from accounts.selectors import tokens_to_warn
from accounts.services import IssuedToken, token_revoke, token_rotate
from tests.factories import World, issue


@pytest.fixture(autouse=True)
def _locmem_email(settings) -> None:
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SPARK_PUBLIC_URL = "https://spark.example.com"


def _expiring_in(world: World, days_left: float, *, lifetime: int = 7) -> IssuedToken:
    created = timezone.now() - dt.timedelta(days=lifetime - days_left)
    return issue(world.member, world.acme, days=lifetime, now=created)


def _run(*args: str) -> str:
    out = StringIO()
    call_command("warn_expiring_tokens", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def test_the_owner_is_emailed_once_per_token_without_the_secret(world: World) -> None:
    soon = _expiring_in(world, 3)
    output = _run()
    assert len(mail.outbox) == 1 and "1 expiry warning sent" in output
    email = mail.outbox[0]
    expires = f"{timezone.localtime(soon.token.expires_at):%Y-%m-%d}"
    assert email.to == ["member@acme.example"]
    assert email.subject == f"Your Spark Portal access token “test token” expires on {expires}"
    assert f"{soon.token.display_prefix}…" in email.body and "(in 3 days)" in email.body
    assert "https://spark.example.com/settings/tokens/" in email.body and "rotate it" in email.body
    for text in (email.subject, email.body, output):
        assert soon.secret not in text and soon.secret[14:-6] not in text and soon.token.digest not in text
    soon.token.refresh_from_db()
    assert soon.token.expiry_warned_at is not None
    _run()
    assert len(mail.outbox) == 1  # told once


def test_only_usable_tokens_expiring_within_7_days_are_warned_about(world: World) -> None:
    warned = [_expiring_in(world, 1), _expiring_in(world, 6.9, lifetime=30)]
    _expiring_in(world, 8, lifetime=30)  # not yet
    _expiring_in(world, -1)  # already expired
    token_revoke(token=_expiring_in(world, 2).token)
    outsider = issue(world.outsider, world.globex, days=7, now=timezone.now() - dt.timedelta(days=5))
    _run()
    assert sorted(m.to[0] for m in mail.outbox) == ["member@acme.example"] * 2 + ["outsider@globex.example"]
    warned_ids = set(PersonalAccessToken.objects.filter(expiry_warned_at__isnull=False).values_list("pk", flat=True))
    assert warned_ids == {t.token.pk for t in warned} | {outsider.token.pk}


def test_owners_who_could_not_act_on_it_are_not_written_to(world: World) -> None:
    _expiring_in(world, 2)
    world.member.is_active = False
    world.member.save()
    gone = issue(world.outsider, world.globex, days=7, now=timezone.now() - dt.timedelta(days=5))
    Membership.objects.filter(user=world.outsider).delete()
    _run()
    assert mail.outbox == []
    gone.token.refresh_from_db()
    assert gone.token.expiry_warned_at is None


def test_rotation_renews_the_token_and_it_can_be_warned_about_again(world: World) -> None:
    soon = _expiring_in(world, 2)
    _run()
    rotated = token_rotate(token=soon.token)
    assert rotated.token.expiry_warned_at is None
    _run()
    assert len(mail.outbox) == 1  # a 7-day token just rotated is in the first half of its new life: not yet
    assert rotated.token in tokens_to_warn(timezone.now() + dt.timedelta(days=4))


def test_a_failed_send_is_retried_on_the_next_run(world: World, settings) -> None:
    soon = _expiring_in(world, 2)
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", 9  # nothing listens there
    with pytest.raises(CommandError, match="1 expiry warning"):
        _run()
    soon.token.refresh_from_db()
    assert soon.token.expiry_warned_at is None
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    _run()
    assert len(mail.outbox) == 1


def test_dry_run_sends_and_marks_nothing(world: World) -> None:
    soon = _expiring_in(world, 2)
    output = _run("--dry-run")
    assert f"would warn: {soon.token.display_prefix}…" in output and mail.outbox == []
    soon.token.refresh_from_db()
    assert soon.token.expiry_warned_at is None
