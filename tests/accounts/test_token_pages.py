"""The token pages: show-once after a redirect, expiry dates in the form, states, warnings, last use,
confirmation before rotate and revoke, and the audit trail of what was done from the portal."""

from __future__ import annotations

import datetime as dt
import re

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts import tokens
from accounts.models import AccessStatus, PersonalAccessToken
from accounts.services import token_revoke, token_touch
from accounts.views import TOKEN_SECRETS
from audit.models import AuditEvent
from tests.factories import World, issue

SECRET = re.compile(r"spk_[0-9A-Za-z]{48}")


def _create(client: Client, world: World, name: str = "agent") -> str:
    """POST the form; returns where it redirects (the show-once page)."""
    response = client.post(
        reverse("accounts:token-create"),
        {"name": name, "organization": world.acme.pk, "days": 30, "scopes": ["insights:read"]},
    )
    assert response.status_code == 302, response.content
    return str(response["Location"])


def test_reloading_the_show_once_page_shows_no_secret_and_creates_nothing(member_client: Client, world: World) -> None:
    location = _create(member_client, world)
    first = member_client.get(location)
    secret = SECRET.search(first.content.decode()).group(0)  # type: ignore[union-attr]
    assert tokens.matches(secret, PersonalAccessToken.objects.get().digest)
    assert TOKEN_SECRETS.session_key not in member_client.session  # taken out of the session as it was shown
    again = member_client.get(location)
    body = again.content.decode()
    assert again.status_code == 200 and "no-store" in again["Cache-Control"]
    assert not SECRET.search(body) and "Secret already shown" in body and "No new token was created" in body
    assert PersonalAccessToken.objects.count() == 1
    assert 'href="/settings/tokens/1/rotate/"' in body.replace(str(PersonalAccessToken.objects.get().pk), "1")


def test_a_pending_secret_shows_only_on_its_own_tokens_page(member_client: Client, world: World) -> None:
    other = issue(world.member, world.acme).token
    location = _create(member_client, world, name="new one")
    wrong = member_client.get(reverse("accounts:token-created", args=[other.pk])).content.decode()
    assert not SECRET.search(wrong)
    assert SECRET.search(member_client.get(location).content.decode())  # still waiting for its own page


def test_two_tokens_created_in_two_tabs_each_show_their_own_secret(member_client: Client, world: World) -> None:
    first, second = _create(member_client, world, name="one"), _create(member_client, world, name="two")
    shown = [SECRET.search(member_client.get(url).content.decode()) for url in (second, first)]
    by_name = {t.name: t for t in PersonalAccessToken.objects.all()}
    assert shown[0] and tokens.matches(shown[0].group(0), by_name["two"].digest)
    assert shown[1] and tokens.matches(shown[1].group(0), by_name["one"].digest)
    assert TOKEN_SECRETS.session_key not in member_client.session


def test_a_secret_never_waits_in_the_session_past_the_tokens_list(member_client: Client, world: World) -> None:
    location = _create(member_client, world)
    member_client.get(reverse("accounts:tokens"))
    assert TOKEN_SECRETS.session_key not in member_client.session
    assert not SECRET.search(member_client.get(location).content.decode())


def test_the_show_once_page_of_another_users_token_is_404(client: Client, world: World) -> None:
    theirs = issue(world.admin, world.acme).token
    client.force_login(world.member)
    assert client.get(reverse("accounts:token-created", args=[theirs.pk])).status_code == 404


def test_the_expiry_choices_show_the_resulting_date(member_client: Client, world: World) -> None:
    page = member_client.get(reverse("accounts:tokens")).content.decode()
    today = timezone.localdate()
    for days in (7, 30, 90, 365):
        until = today + dt.timedelta(days=days)
        assert f'<option value="{days}"' in page
        assert f"{days} days (until {until:%Y-%m-%d})" in page


def test_the_list_says_how_long_each_token_has_and_its_state(member_client: Client, world: World) -> None:
    now = timezone.now()
    issue(world.member, world.acme, days=90, now=now)
    issue(world.member, world.acme, days=7, now=now - dt.timedelta(days=12))
    token_revoke(token=issue(world.member, world.acme).token)
    page = member_client.get(reverse("accounts:tokens")).content.decode()
    assert "expires in 90 days" in page and "expired 5 days ago" in page
    states = re.findall(r'data-state="(\w+)"', page)
    assert sorted(states) == ["active", "expired", "revoked"]
    for state in states:
        assert f'<span class="badge {state}">{state}</span>' in page
    assert 'id="expiring-tokens"' not in page  # nothing usable expires within 7 days


def test_a_paused_token_says_why(member_client: Client, world: World) -> None:
    issue(world.member, world.acme)
    world.acme.access_starts_on = timezone.localdate() + dt.timedelta(days=2)
    world.acme.save()
    page = member_client.get(reverse("accounts:tokens")).content.decode()
    assert 'data-state="paused"' in page and '<span class="badge paused">paused</span>' in page
    assert "Acme&#x27;s MCP access has not started yet; ask your Acme admin." in page


def test_a_banner_warns_of_tokens_expiring_within_7_days(member_client: Client, world: World) -> None:
    now = timezone.now()
    soon = issue(world.member, world.acme, days=7, now=now - dt.timedelta(days=4)).token
    issue(world.member, world.acme, days=30, now=now)
    world.acme.access_status = AccessStatus.ENDED  # paused tokens still expire: they are warned about too
    world.acme.save()
    page = member_client.get(reverse("accounts:tokens")).content.decode()
    banner = page[page.index('id="expiring-tokens"') : page.index("<h1>")]
    assert "1 token expires within 7 days" in banner
    assert f"({soon.display_prefix}…) expires in 3 days" in banner and banner.count("spk_") == 1


def test_last_used_shows_time_address_and_agent(member_client: Client, world: World) -> None:
    token = issue(world.member, world.acme).token
    used = timezone.now() - dt.timedelta(hours=2)
    agent = "reporting-agent/2.1 (linux; x86_64) " + "very-long-client-detail " * 8
    token_touch(token_id=token.pk, now=used, address="198.51.100.23", agent=agent)
    page = member_client.get(reverse("accounts:tokens")).content.decode()
    cell = page[page.index('class="last-used"') :]
    cell = cell[: cell.index("</td>")]
    assert f"{used:%Y-%m-%d %H:%M}" in cell and "2\xa0hours ago" in cell
    assert "198.51.100.23" in cell
    assert f'title="{agent[:200]}"' in cell  # the whole stored agent on hover; cut to fit in the cell
    assert ">reporting-agent/2.1 (linux; x86_64) very-long-c…</div>" in cell


def test_rotating_from_the_portal_asks_first_then_audits(member_client: Client, world: World) -> None:
    token = issue(world.member, world.acme, days=90).token
    confirm = member_client.get(reverse("accounts:token-rotate", args=[token.pk])).content.decode()
    renewed = timezone.localdate() + dt.timedelta(days=90)
    assert "Rotate “test token”?" in confirm and f"{renewed:%Y-%m-%d}</time> (90 days from now)" in confirm
    assert not AuditEvent.objects.filter(action="token.rotated").exists()
    response = member_client.post(
        reverse("accounts:token-rotate", args=[token.pk]), HTTP_USER_AGENT="Firefox", REMOTE_ADDR="192.0.2.4"
    )
    assert response["Location"] == reverse("accounts:token-created", args=[token.pk])
    event = AuditEvent.objects.get(action="token.rotated")
    assert event.actor == world.member and event.organization == world.acme
    assert event.ip_address == "192.0.2.4" and event.user_agent == "Firefox"


def test_revoking_from_the_portal_asks_first_then_audits(member_client: Client, world: World) -> None:
    token = issue(world.member, world.acme).token
    confirm = member_client.get(reverse("accounts:token-revoke", args=[token.pk])).content.decode()
    assert "Revoke “test token”?" in confirm and f"{token.display_prefix}…" in confirm
    assert "This cannot be undone" in confirm
    member_client.post(reverse("accounts:token-revoke", args=[token.pk]))
    event = AuditEvent.objects.get(action="token.revoked")
    assert event.actor == world.member and event.organization == world.acme
    follow = member_client.get(reverse("accounts:token-revoke", args=[token.pk]))
    assert follow.status_code == 302 and AuditEvent.objects.filter(action="token.revoked").count() == 1


def test_creating_from_the_portal_is_audited(member_client: Client, world: World) -> None:
    _create(member_client, world)
    event = AuditEvent.objects.get(action="token.created")
    assert event.actor == world.member and event.organization == world.acme and event.ip_address == "127.0.0.1"


def test_a_revoked_token_cannot_be_rotated_from_the_portal(member_client: Client, world: World) -> None:
    token = issue(world.member, world.acme).token
    token_revoke(token=token)
    for method in ("get", "post"):
        response = getattr(member_client, method)(reverse("accounts:token-rotate", args=[token.pk]), follow=True)
        assert "is revoked; it cannot be rotated" in response.content.decode()
    token.refresh_from_db()
    assert token.rotated_at is None
