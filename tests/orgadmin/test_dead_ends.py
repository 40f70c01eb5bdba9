"""Dead ends and words (issue 25, item 7): what a person with no organization sees on the tokens page,
the last-admin refusal, a/an, plurals, End access's words, staff links, the curl example, and a
7-day token that is not flagged as expiring."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from accounts.members import invitation_refusal
from accounts.models import Invitation, Membership, User
from accounts.scopes import TOOLS_SCOPE
from accounts.selectors import token_rows, tokens_to_warn
from tests.factories import PASSWORD, World, issue


def test_someone_with_no_organization_is_told_what_to_do_instead_of_an_empty_form(world: World) -> None:
    loner = User.objects.create_user(email="loner@acme.example", password=PASSWORD)
    client = Client()
    client.force_login(loner)
    page = client.get("/settings/tokens/").content.decode()
    assert 'id="no-organization"' in page and "Ask your organization's admin to invite you" in page
    assert 'action="/settings/tokens/new/"' not in page


def test_the_last_admin_is_told_to_promote_someone_first(org_admin: Client, world: World) -> None:
    mine = Membership.objects.get(user=world.admin)
    page = org_admin.post(f"/org/acme/members/{mine.pk}/role/", {"role": "member"}, follow=True).content.decode()
    assert "is the last admin of Acme: make someone else an admin first" in page
    page = org_admin.post(f"/org/acme/members/{mine.pk}/remove/", follow=True).content.decode()
    assert "make someone else an admin first" in page


def test_plurals_and_end_access_say_the_same_thing_on_its_page_and_after(org_admin: Client, world: World) -> None:
    issue(world.member, world.acme)
    confirm = org_admin.get("/org/acme/access/end/").content.decode()
    assert "1 personal access token and 0 connected assistants of 1 person are <strong>paused</strong>" in confirm
    done = org_admin.post("/org/acme/access/end/", follow=True).content.decode()
    assert "1 personal access token and 0 connected assistants of 1 person are paused from their next request" in done
    assert "Nothing is revoked" in done and "(s)" not in done


def test_an_expired_invitation_says_an_admin_of(org_admin: Client, world: World) -> None:
    invitation = Invitation.objects.create(
        organization=world.acme, email="x@acme.example", digest="e" * 64, expires_at=timezone.now()
    )
    assert "ask an admin of Acme for a new one" in (invitation_refusal(invitation) or "")


def test_staff_get_links_to_status_and_admin(world: World) -> None:
    staff = User.objects.create_user(email="ops@spark.example", password=PASSWORD, is_staff=True)
    client = Client()
    client.force_login(staff)
    header = client.get("/settings/").content.decode().split("</header>")[0]
    assert 'href="/status/"' in header and 'href="/admin/"' in header
    member = Client()
    member.force_login(world.member)
    header = member.get("/settings/").content.decode().split("</header>")[0]
    assert 'href="/status/"' not in header and 'href="/admin/"' not in header


def test_a_token_made_for_7_days_is_not_flagged_as_expiring_at_once(world: World) -> None:
    short = issue(world.member, world.acme, days=7).token
    now = timezone.now()
    assert not [r for r in token_rows(world.member, now) if r.expiring_soon]
    assert short not in tokens_to_warn(now)
    later = now + dt.timedelta(days=4)  # in the second half of its life: now it is
    assert [r.token for r in token_rows(world.member, later) if r.expiring_soon] == [short]
    assert short in tokens_to_warn(later)


def test_the_curl_example_says_where_the_token_comes_from(world: World) -> None:
    client = Client()
    client.force_login(world.member)
    created = client.post(
        "/settings/tokens/new/",
        {"name": "agent", "organization": world.acme.pk, "days": 30, "datasets": "all", "scopes": [TOOLS_SCOPE]},
        follow=True,
    ).content.decode()
    assert "SPARK_TOKEN" in created and "read -rs SPARK_TOKEN" in created
