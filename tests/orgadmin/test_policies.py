"""The console's Policies page, the token page under the policies, and the doctor naming a policy."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from accounts.models import PersonalAccessToken
from audit.models import AuditEvent
from doctor.diagnosis import diagnose
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool

URL = reverse("orgadmin:policies", args=["acme"])


def test_only_the_organizations_admins_open_the_page(org_admin: Client, browser: Client, published: World) -> None:
    page = org_admin.get(URL)
    assert page.status_code == 200
    body = page.content.decode()
    assert (
        "Personal access tokens" in body and 'name="token_max_days"' in body and 'aria-current="page">Policies' in body
    )
    assert browser.get(URL).status_code == 403  # a member: "you are not an admin of Acme"
    assert (
        org_admin.get(reverse("orgadmin:policies", args=["globex"])).status_code == 403
    )  # not its admin: the same answer as for no such organization


def test_a_change_that_stops_no_token_is_saved_at_once(org_admin: Client, published: World) -> None:
    response = org_admin.post(URL, {"personal_tokens_allowed": "on", "token_max_days": "90"})
    assert response.status_code == 302
    published.acme.refresh_from_db()
    assert published.acme.token_max_days == 90
    assert AuditEvent.objects.filter(action="organization.policies_changed", actor=published.admin).exists()


def test_turning_tokens_off_first_says_how_many_tokens_it_stops(org_admin: Client, published: World) -> None:
    issue(published.member, published.acme)
    issue(published.member, published.acme)
    issue(published.admin, published.acme)
    asked = org_admin.post(URL, {"token_max_days": ""})
    assert asked.status_code == 200
    body = asked.content.decode()
    assert (
        "Turning personal access tokens off stops" in body and "3 personal access tokens</strong> of 2 people" in body
    )
    published.acme.refresh_from_db()
    assert published.acme.personal_tokens_allowed is True  # nothing changed yet
    confirmed = org_admin.post(URL, {"token_max_days": "", "confirmed": "True"})
    assert confirmed.status_code == 302
    published.acme.refresh_from_db()
    assert published.acme.personal_tokens_allowed is False
    event = AuditEvent.objects.get(action="organization.policies_changed")
    assert event.detail["tokens_stopped"] == 3
    assert PersonalAccessToken.objects.filter(revoked_at__isnull=False).count() == 0  # paused, not revoked


def test_a_lower_limit_names_the_tokens_older_than_it(org_admin: Client, published: World) -> None:
    issue(published.member, published.acme, days=90, now=timezone.now() - dt.timedelta(days=40))
    asked = org_admin.post(URL, {"personal_tokens_allowed": "on", "token_max_days": "30"})
    assert "A maximum lifetime of 30 days stops" in asked.content.decode()


def test_a_limit_outside_sparks_is_refused_on_the_page(org_admin: Client, published: World) -> None:
    assert org_admin.post(URL, {"personal_tokens_allowed": "on", "token_max_days": "400"}).status_code == 400


def test_the_token_page_says_the_policy_and_refuses_in_its_words(browser: Client, published: World) -> None:
    published.acme.personal_tokens_allowed = False
    published.acme.save()
    words = "Acme does not allow personal access tokens; ask an admin of Acme to allow personal access tokens."
    assert words in browser.get(reverse("accounts:tokens")).content.decode()
    form = {"name": "agent", "organization": published.acme.pk, "days": 30, "scopes": ["insights:read"]}
    refused = browser.post(reverse("accounts:token-create"), form)
    assert refused.status_code == 400 and words in refused.content.decode()
    assert not PersonalAccessToken.objects.exists()


def test_the_doctor_names_the_policy_its_fix_and_who(published: World) -> None:
    issued = issue(published.member, published.acme)
    published.acme.personal_tokens_allowed = False
    published.acme.save()
    for subject in (issued.token.display_prefix, published.member.email):
        diagnosis = diagnose(published.acme, subject, timezone.now())
        [check] = [c for c in diagnosis.checks if c.gate.startswith("Token ")]
        assert not check.ok and "does not allow personal access tokens" in check.finding
        assert (check.fix, check.who) == (
            "Allow personal access tokens on the Policies page.",
            "An organization admin (you)",
        )
    assert diagnose(published.acme, issued.token.display_prefix, timezone.now()).code == "personal_tokens_not_allowed"


def test_quotas_set_on_the_page_show_in_usage_and_the_doctor(org_admin: Client, published: World) -> None:
    saved = org_admin.post(URL, {"personal_tokens_allowed": "on", "token_max_days": "", "daily_calls_per_person": "1"})
    assert saved.status_code == 302
    published.acme.refresh_from_db()
    assert (published.acme.daily_calls_per_person, published.acme.daily_calls_per_organization) == (1, None)
    mine = issue(published.member, published.acme)
    assert call_tool(Client(), mine.secret, "list_datasets").status_code == 200
    assert call_tool(Client(), mine.secret, "list_datasets").status_code == 429
    usage = org_admin.get(reverse("orgadmin:usage", args=["acme"])).content.decode()
    assert 'data-quota-person="member@acme.example"' in usage and "1 of 1" in usage
    diagnosis = diagnose(published.acme, mine.token.display_prefix, timezone.now())
    assert diagnosis.code == "daily_quota_person"
    [check] = [c for c in diagnosis.checks if c.gate == "Daily quota"]
    assert not check.ok and "1 of 1 tool calls today for this person" in check.finding
    assert check.who == "An organization admin (you)" and "Policies page" in check.fix
    assert diagnose(published.acme, published.admin.email, timezone.now()).code == ""  # the admin made none
