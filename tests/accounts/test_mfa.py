"""Two-factor authentication (allauth.mfa + accounts/mfa.py): enrolment, sign-in with a code,
recovery codes, an organization's requirement, the audit trail, secrets encrypted at rest.

Codes are made with pyotp from the key the enrolment page shows, as an authenticator app would."""

from __future__ import annotations

import base64
import html
import re
import time
from typing import Any
from urllib.parse import unquote

import pyotp
import pytest
from allauth.account.models import EmailAddress
from allauth.mfa.models import Authenticator
from django.contrib.sessions.backends.db import SessionStore
from django.template import Context, Template
from django.test import Client, RequestFactory
from django.urls import reverse

from accounts.mfa import (
    LAST_STEP,
    RESUME_SESSION_KEY,
    SSO_SESSION_KEY,
    MFAAdapter,
    member_mfa_reset,
    organization_mfa_require,
)
from accounts.models import User
from audit.models import AuditEvent
from tests.factories import PASSWORD, World
from tests.oauth_server.oauth_helpers import consent, new_flow

PAGE: dict[str, Any] = {"HTTP_ACCEPT": "text/html,application/xhtml+xml"}
SECRET = re.compile(r'id="totp-secret" readonly value="([A-Z2-7]+)"')
CODES = re.compile(r'<textarea id="recovery-codes"[^>]*>([^<]*)</textarea>')


def sign_in(client: Client, email: str, next_url: str = "/settings/") -> str:
    """Password step; returns where the sign-in sends the browser next."""
    response = client.post(reverse("account_login"), {"login": email, "password": PASSWORD, "next": next_url})
    assert response.status_code == 302, response.content[:500]
    return str(response["Location"])


def code_at(secret: str, offset_steps: int = 0) -> str:
    """The code an authenticator app shows now (or one step later: allowed, and unused so far)."""
    return pyotp.TOTP(secret).at(time.time() + 30 * offset_steps)


def activation_page(client: Client) -> str:
    """The enrolment page; allauth first asks for the password again (a fresh confirmation)."""
    page = client.get(reverse("mfa_activate_totp"), **PAGE)
    if page.status_code == 302 and page["Location"].startswith(reverse("account_reauthenticate")):
        confirmed = client.post(page["Location"], {"password": PASSWORD})
        assert confirmed.status_code == 302 and confirmed["Location"] == reverse("mfa_activate_totp")
        page = client.get(reverse("mfa_activate_totp"), **PAGE)
    assert page.status_code == 200, page.get("Location")
    return page.content.decode()


def enrol(client: Client) -> tuple[str, list[str]]:
    """Set up an authenticator app from the page's key; returns (key, recovery codes shown once)."""
    text = activation_page(client)
    secret = SECRET.search(text).group(1)  # type: ignore[union-attr]
    assert 'src="data:image/svg+xml;base64,' in text  # the QR code
    response = client.post(reverse("mfa_activate_totp"), {"code": code_at(secret)})
    assert response.status_code == 302 and response["Location"] == reverse("mfa_view_recovery_codes")
    codes_page = client.get(reverse("mfa_view_recovery_codes"), **PAGE).content.decode()
    codes = html.unescape(CODES.search(codes_page).group(1)).split()  # type: ignore[union-attr]
    return secret, codes


def sign_out(client: Client) -> None:
    client.post(reverse("account_logout"))
    assert "_auth_user_id" not in client.session


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def test_enrolment_shows_a_key_and_qr_then_confirms_with_a_code(
    client: Client, world: World, django_capture_on_commit_callbacks
) -> None:
    sign_in(client, "member@acme.example")
    page = activation_page(client)
    secret = SECRET.search(page).group(1)  # type: ignore[union-attr]
    refused = client.post(reverse("mfa_activate_totp"), {"code": "000000" if code_at(secret) != "000000" else "111111"})
    assert refused.status_code == 200 and "Incorrect code" in refused.content.decode()
    assert not Authenticator.objects.filter(user=world.member).exists()

    with django_capture_on_commit_callbacks(execute=True):  # allauth signals after commit
        assert client.post(reverse("mfa_activate_totp"), {"code": code_at(secret)}).status_code == 302
    totp = Authenticator.objects.get(user=world.member, type=Authenticator.Type.TOTP)
    assert Authenticator.objects.filter(user=world.member, type=Authenticator.Type.RECOVERY_CODES).exists()
    # Stored encrypted: the key is not in the row, yet allauth reads it back.
    assert secret not in str(totp.data)
    assert totp.data["secret"].startswith("sealed:v1:")
    assert MFAAdapter().decrypt(totp.data["secret"]) == secret
    actions = set(
        AuditEvent.objects.filter(organization=world.acme, actor=world.member).values_list("action", flat=True)
    )
    assert {"mfa.enabled", "mfa.recovery_codes_created"} <= actions


def test_recovery_codes_are_shown_once_with_a_download(client: Client, world: World) -> None:
    sign_in(client, "member@acme.example")
    page = activation_page(client)
    secret = SECRET.search(page).group(1)  # type: ignore[union-attr]
    client.post(reverse("mfa_activate_totp"), {"code": code_at(secret)})
    first = client.get(reverse("mfa_view_recovery_codes"), **PAGE)
    assert first["Cache-Control"].startswith("max-age=0") or "no-cache" in first["Cache-Control"]
    text = first.content.decode()
    codes = CODES.search(text).group(1).split()  # type: ignore[union-attr]
    assert len(codes) == 10 and all(re.fullmatch(r"\d{8}", c) for c in codes)
    link = re.search(r'id="download-codes" href="data:text/plain;charset=utf-8;base64,([^"]+)" download=', text)
    assert link, "download link missing"
    assert base64.b64decode(unquote(link.group(1))).decode().split()[-10:] == codes

    again = client.get(reverse("mfa_view_recovery_codes"), **PAGE).content.decode()
    assert 'id="codes-already-shown"' in again and not any(code in again for code in codes)
    assert client.get(reverse("mfa_download_recovery_codes")).status_code == 403  # no second showing


def test_sign_in_asks_for_the_code_and_refuses_a_wrong_one(client: Client, world: World) -> None:
    sign_in(client, "member@acme.example")
    secret, _ = enrol(client)
    sign_out(client)

    assert sign_in(client, "member@acme.example", "/settings/tokens/") == reverse("mfa_authenticate")
    assert not signed_in(client)  # the password alone does not sign in
    assert client.get("/settings/").status_code == 302
    page = client.get(reverse("mfa_authenticate"), **PAGE)
    assert page.status_code == 200 and 'autocomplete="one-time-code"' in page.content.decode()

    wrong = client.post(reverse("mfa_authenticate"), {"code": "12345"})
    assert wrong.status_code == 200 and "Incorrect code" in wrong.content.decode() and not signed_in(client)
    assert AuditEvent.objects.filter(action="mfa.code_refused", actor=world.member, organization=world.acme).exists()

    right = client.post(reverse("mfa_authenticate"), {"code": code_at(secret, 1)})
    assert right.status_code == 302 and right["Location"] == "/settings/tokens/"
    assert signed_in(client) and client.get("/settings/tokens/").status_code == 200


def test_a_used_code_is_refused_the_second_time(client: Client, world: World) -> None:
    sign_in(client, "member@acme.example")
    secret, _ = enrol(client)
    sign_out(client)
    sign_in(client, "member@acme.example")
    code = code_at(secret, 1)
    assert client.post(reverse("mfa_authenticate"), {"code": code}).status_code == 302
    sign_out(client)
    sign_in(client, "member@acme.example")
    replay = client.post(reverse("mfa_authenticate"), {"code": code})
    assert replay.status_code == 200 and not signed_in(client)


def _steady_clock() -> None:
    """Start away from a 30-second step's end, so codes named by step offset stay what they were."""
    left = 30 - time.time() % 30
    if left < 5:
        time.sleep(left + 0.1)


def test_the_code_that_set_up_the_app_does_not_sign_in_again(client: Client, world: World) -> None:
    _steady_clock()
    sign_in(client, "member@acme.example")
    text = activation_page(client)
    secret = SECRET.search(text).group(1)  # type: ignore[union-attr]
    enrolment_code = code_at(secret)
    assert client.post(reverse("mfa_activate_totp"), {"code": enrolment_code}).status_code == 302
    sign_out(client)
    sign_in(client, "member@acme.example")
    replay = client.post(reverse("mfa_authenticate"), {"code": enrolment_code})
    assert replay.status_code == 200 and "Incorrect code" in replay.content.decode() and not signed_in(client)
    assert client.post(reverse("mfa_authenticate"), {"code": code_at(secret, 1)}).status_code == 302


def test_a_code_of_an_earlier_step_than_the_last_one_used_is_refused(client: Client, world: World) -> None:
    _steady_clock()
    sign_in(client, "member@acme.example")
    text = activation_page(client)
    secret = SECRET.search(text).group(1)  # type: ignore[union-attr]
    assert client.post(reverse("mfa_activate_totp"), {"code": code_at(secret, -1)}).status_code == 302
    sign_out(client)
    sign_in(client, "member@acme.example")
    assert client.post(reverse("mfa_authenticate"), {"code": code_at(secret, 1)}).status_code == 302
    sign_out(client)
    sign_in(client, "member@acme.example")
    older = client.post(reverse("mfa_authenticate"), {"code": code_at(secret)})  # valid now, never used, but older
    assert older.status_code == 200 and not signed_in(client)
    totp = Authenticator.objects.get(user=world.member, type=Authenticator.Type.TOTP)
    assert totp.data[LAST_STEP] == int(time.time()) // 30 + 1


def test_a_recovery_code_works_once(client: Client, world: World) -> None:
    sign_in(client, "member@acme.example")
    _, codes = enrol(client)
    sign_out(client)

    sign_in(client, "member@acme.example")
    assert client.post(reverse("mfa_authenticate"), {"code": codes[3]}).status_code == 302 and signed_in(client)
    used = AuditEvent.objects.get(action="mfa.recovery_code_used", organization=world.acme)
    assert used.actor == world.member and used.detail["unused_codes_left"] == 9 and "9 left" in used.summary
    sign_out(client)

    sign_in(client, "member@acme.example")
    again = client.post(reverse("mfa_authenticate"), {"code": codes[3]})
    assert again.status_code == 200 and not signed_in(client)
    assert client.post(reverse("mfa_authenticate"), {"code": codes[4]}).status_code == 302 and signed_in(client)


def test_the_oauth_consent_comes_back_after_the_code(client: Client, published: World) -> None:
    sign_in(client, "member@acme.example")
    secret, _ = enrol(client)
    sign_out(client)
    flow = new_flow(client)
    url = flow.authorize_url()
    to_login = client.get(url)
    assert to_login.status_code == 302 and to_login["Location"].startswith("/auth/login/")
    assert sign_in(client, "member@acme.example", url) == reverse("mfa_authenticate")
    back = client.post(reverse("mfa_authenticate"), {"code": code_at(secret, 1)})
    assert back.status_code == 302 and back["Location"] == url
    answer = consent(client, url)
    assert answer.status_code == 302 and answer["Location"].startswith(flow.redirect_uri + "?code=")


def test_an_organization_requirement_sends_the_member_to_enrol_first(client: Client, published: World) -> None:
    organization_mfa_require(organization=published.acme, required=True, actor=published.admin, origin=None)
    flow = new_flow(client)
    url = flow.authorize_url()
    assert sign_in(client, "member@acme.example", url) == url  # no authenticator yet: signed in by password
    for path in (url, "/settings/", "/settings/tokens/", "/org/acme/"):
        response = client.get(path, **PAGE)
        assert response.status_code == 302 and response["Location"] == reverse("mfa_activate_totp"), path
    assert client.session[RESUME_SESSION_KEY] == url  # the first page asked for is kept
    # The MFA pages and re-authentication stay reachable, and say why.
    index = client.get(reverse("mfa_index"), **PAGE)
    assert index.status_code == 200 and "Acme requires two-factor authentication" in index.content.decode()
    activate = activation_page(client)
    assert 'id="mfa-required-notice"' in activate
    secret = SECRET.search(activate).group(1)  # type: ignore[union-attr]
    assert client.post(reverse("mfa_activate_totp"), {"code": code_at(secret)}).status_code == 302
    codes_page = client.get(reverse("mfa_view_recovery_codes"), **PAGE).content.decode()
    assert f'id="mfa-continue" href="{html.escape(url)}"' in codes_page
    # Enrolled: the consent page it was heading to opens, and the kept page is forgotten.
    answer = consent(client, url)
    assert answer.status_code == 302 and answer["Location"].startswith(flow.redirect_uri + "?code=")
    assert RESUME_SESSION_KEY not in client.session


def test_an_unverified_address_row_does_not_stop_a_required_enrolment(client: Client, world: World) -> None:
    """allauth's `EmailAddress` rows mean nothing here (the sign-in address is `User.email`); one left
    unverified, as an identity provider's `email_verified: false` leaves it, must not keep a member
    of an organization that requires two factors from ever setting one up."""
    EmailAddress.objects.create(user=world.member, email=world.member.email, verified=False)
    organization_mfa_require(organization=world.acme, required=True, actor=world.admin, origin=None)
    sign_in(client, "member@acme.example")
    assert client.get("/settings/", **PAGE)["Location"] == reverse("mfa_activate_totp")
    secret = SECRET.search(activation_page(client)).group(1)  # type: ignore[union-attr]
    assert client.post(reverse("mfa_activate_totp"), {"code": code_at(secret)}).status_code == 302
    assert Authenticator.objects.filter(user=world.member, type=Authenticator.Type.TOTP).exists()


def test_sign_out_stays_reachable_while_enrolment_is_required(client: Client, world: World) -> None:
    organization_mfa_require(organization=world.acme, required=True, actor=world.admin, origin=None)
    sign_in(client, "member@acme.example")
    assert client.get("/settings/", **PAGE)["Location"] == reverse("mfa_activate_totp")
    assert client.get(reverse("account_logout"), **PAGE).status_code == 200
    assert client.post(reverse("account_logout")).status_code == 302 and not signed_in(client)


def test_a_member_of_an_organization_that_does_not_require_mfa_is_unaffected(client: Client, world: World) -> None:
    organization_mfa_require(organization=world.acme, required=True, actor=world.admin, origin=None)
    sign_in(client, "outsider@globex.example")
    assert client.get("/settings/", **PAGE).status_code == 200
    assert client.get("/settings/tokens/", **PAGE).status_code == 200
    assert RESUME_SESSION_KEY not in client.session


def test_single_sign_on_sessions_are_left_to_the_organizations_own_identity_provider(world: World) -> None:
    """A sign-in Acme's IdP asserted meets Acme's requirement (tests/accounts/test_mfa_per_organization.py:
    and only Acme's)."""
    organization_mfa_require(organization=world.acme, required=True, actor=world.admin, origin=None)
    client = Client()
    client.force_login(world.member)
    session = client.session
    session["account_authentication_methods_user"] = str(world.member.pk)
    session["account_authentication_methods"] = [{"method": "socialaccount", "at": time.time(), "provider": "x"}]
    session[SSO_SESSION_KEY] = {"user": world.member.pk, "organization": world.acme.pk}
    session.save()
    assert client.get("/settings/", **PAGE).status_code == 200


def test_a_session_without_a_sign_in_record_counts_as_a_password_sign_in(world: World) -> None:
    organization_mfa_require(organization=world.acme, required=True, actor=world.admin, origin=None)
    client = Client()
    client.force_login(world.member)
    assert client.get("/settings/", **PAGE)["Location"] == reverse("mfa_activate_totp")


def test_a_required_member_cannot_turn_off_their_last_factor(client: Client, world: World) -> None:
    sign_in(client, "member@acme.example")
    enrol(client)
    organization_mfa_require(organization=world.acme, required=True, actor=world.admin, origin=None)
    page = client.get(reverse("mfa_deactivate_totp"), **PAGE).content.decode()
    assert 'id="mfa-cannot-turn-off"' in page and "requires two-factor authentication" in page
    client.post(reverse("mfa_deactivate_totp"))
    assert Authenticator.objects.filter(user=world.member, type=Authenticator.Type.TOTP).exists()


def test_turning_it_off_asks_first_then_is_audited(client: Client, world: World) -> None:
    sign_in(client, "member@acme.example")
    enrol(client)
    page = client.get(reverse("mfa_deactivate_totp"), **PAGE).content.decode()
    assert 'id="deactivate-impact"' in page and "recovery codes are deleted" in page
    assert client.post(reverse("mfa_deactivate_totp")).status_code == 302
    assert not Authenticator.objects.filter(user=world.member).exists()
    removed = AuditEvent.objects.filter(action="mfa.removed", organization=world.acme)
    assert sorted(e.detail["type"] for e in removed) == ["recovery_codes", "totp"]


def test_new_recovery_codes_replace_the_old_ones(
    client: Client, world: World, django_capture_on_commit_callbacks
) -> None:
    sign_in(client, "member@acme.example")
    _, old = enrol(client)
    assert "stop working at once" in client.get(reverse("mfa_generate_recovery_codes"), **PAGE).content.decode()
    with django_capture_on_commit_callbacks(execute=True):
        assert client.post(reverse("mfa_generate_recovery_codes")).status_code == 302
    new = CODES.search(client.get(reverse("mfa_view_recovery_codes"), **PAGE).content.decode()).group(1).split()  # type: ignore[union-attr]
    assert len(new) == 10 and new != old
    assert AuditEvent.objects.filter(action="mfa.recovery_codes_regenerated", actor=world.member).exists()
    sign_out(client)
    sign_in(client, "member@acme.example")
    assert client.post(reverse("mfa_authenticate"), {"code": old[0]}).status_code == 200 and not signed_in(client)


def test_requiring_mfa_is_audited_and_idempotent(world: World) -> None:
    organization_mfa_require(organization=world.acme, required=True, actor=world.admin, origin=None)
    organization_mfa_require(organization=world.acme, required=True, actor=world.admin, origin=None)
    world.acme.refresh_from_db()
    assert world.acme.require_mfa
    events = AuditEvent.objects.filter(organization=world.acme, action="organization.mfa_required")
    assert events.count() == 1 and events[0].detail["members_without_mfa"] == 2 and events[0].actor == world.admin
    organization_mfa_require(organization=world.acme, required=False, actor=None, origin=None)
    off = AuditEvent.objects.get(organization=world.acme, action="organization.mfa_not_required")
    assert off.summary == "an operator stopped requiring two-factor authentication"


def test_an_admin_resets_a_members_second_factor(client: Client, world: World) -> None:
    sign_in(client, "member@acme.example")
    enrol(client)
    with pytest.raises(ValueError):
        member_mfa_reset(organization=world.globex, member=world.member, actor=world.outsider, origin=None)
    assert member_mfa_reset(organization=world.acme, member=world.member, actor=world.admin, origin=None) == 2
    assert not Authenticator.objects.filter(user=world.member).exists()
    event = AuditEvent.objects.get(action="mfa.reset")
    assert event.organization == world.acme and event.detail == {
        "member": "member@acme.example",
        "removed": ["recovery_codes", "totp"],
    }


def test_secrets_survive_a_key_rotation_and_old_plaintext_rows_still_read(settings, db) -> None:
    adapter = MFAAdapter()
    stored = adapter.encrypt("JBSWY3DPEHPK3PXP")
    settings.SECRET_KEY_FALLBACKS = [settings.SECRET_KEY]
    settings.SECRET_KEY = "a-brand-new-secret-key-that-is-long-enough-for-the-checks-0123456789"
    assert adapter.decrypt(stored) == "JBSWY3DPEHPK3PXP"
    settings.SECRET_KEY_FALLBACKS = []
    with pytest.raises(Exception, match="SECRET_KEY_FALLBACKS"):
        adapter.decrypt(stored)
    assert adapter.decrypt("JBSWY3DPEHPK3PXP") == "JBSWY3DPEHPK3PXP"


def test_enrolment_right_after_the_password_sign_in_does_not_ask_for_it_again(
    client: Client,
    world: World,
    settings,
) -> None:
    sign_in(client, "member@acme.example")
    page = client.get(reverse("mfa_activate_totp"), **PAGE)
    assert page.status_code == 200 and SECRET.search(page.content.decode())  # no "Confirm it's you"
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0  # the sign-in is no longer fresh
    response = client.get(reverse("mfa_activate_totp"), **PAGE)
    assert response.status_code == 302 and response["Location"].startswith(reverse("account_reauthenticate"))
    page = client.get(response["Location"], **PAGE).content.decode()
    assert "Confirm it’s you" in page and 'name="next"' in page
    user = User.objects.get(pk=world.member.pk)
    assert not Authenticator.objects.filter(user=user).exists()


def test_a_later_sensitive_change_can_be_confirmed_with_a_code(client: Client, world: World, settings) -> None:
    sign_in(client, "member@acme.example")
    secret, _ = enrol(client)
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 0  # the confirmation made while enrolling has lapsed
    asked = client.get(reverse("mfa_generate_recovery_codes"), **PAGE)
    assert asked.status_code == 302 and asked["Location"].startswith(reverse("account_reauthenticate"))
    settings.ACCOUNT_REAUTHENTICATION_TIMEOUT = 300
    next_url = asked["Location"].split("?", 1)[1]
    page = client.get(f"{reverse('mfa_reauthenticate')}?{next_url}", **PAGE).content.decode()
    assert "Confirm it’s you" in page and 'autocomplete="one-time-code"' in page
    assert reverse("account_reauthenticate") in page  # the password is offered as the alternative
    confirmed = client.post(
        reverse("mfa_reauthenticate"), {"code": code_at(secret, 1), "next": "/auth/2fa/recovery-codes/generate/"}
    )
    assert confirmed.status_code == 302 and confirmed["Location"] == reverse("mfa_generate_recovery_codes")
    assert client.get(reverse("mfa_generate_recovery_codes"), **PAGE).status_code == 200


def test_guessing_codes_is_rate_limited(client: Client, world: World) -> None:
    sign_in(client, "member@acme.example")
    secret, _ = enrol(client)
    sign_out(client)
    sign_in(client, "member@acme.example")
    right = code_at(secret, 1)
    wrong = [f"{n:06d}" for n in range(1000) if f"{n:06d}" not in {code_at(secret, s) for s in (-1, 0, 1)}][:5]
    for code in wrong:
        assert "Incorrect code" in client.post(reverse("mfa_authenticate"), {"code": code}).content.decode()
    blocked = client.post(reverse("mfa_authenticate"), {"code": right})
    assert blocked.status_code == 200 and not signed_in(client)
    assert "Too many failed login attempts" in blocked.content.decode()


def test_the_account_settings_card_says_whether_it_is_on(client: Client, world: World) -> None:
    """templates/mfa/snippets/settings_card.html, for the account settings page to include."""
    card = Template('{% include "mfa/snippets/settings_card.html" %}')
    organization_mfa_require(organization=world.acme, required=True, actor=world.admin, origin=None)
    request = RequestFactory().get("/settings/")
    request.user, request.session = world.member, SessionStore()
    off = card.render(Context({"request": request}))
    assert "Acme requires it" in off and reverse("mfa_activate_totp") in off and "badge" not in off
    sign_in(client, "member@acme.example")
    enrol(client)
    on = card.render(Context({"request": request}))
    assert 'badge active">On' in on and reverse("mfa_index") in on
