"""Unpublish pauses a platform; Remove revokes its grants; both say whom they affect first."""

from __future__ import annotations

import datetime as dt

from django.test import Client

from accounts.models import AccessStatus, Organization
from audit.models import AuditEvent
from oauth_server.models import ConnectedApp
from tests.factories import PASSWORD, World, issue
from tests.mcp_api.helpers import call_tool
from tests.orgadmin.conftest import connect_assistant


def test_unpublish_asks_then_pauses_and_publishing_resumes(org_admin: Client, browser: Client, world: World) -> None:
    token = connect_assistant(browser)
    confirm = org_admin.get("/org/acme/connectors/custom/unpublish/").content.decode()
    assert "1 connected assistant of 1 person" in confirm and "paused" in confirm
    done = org_admin.post("/org/acme/connectors/custom/unpublish/", follow=True).content.decode()
    assert "1 connected assistant of 1 person is paused" in done
    assert call_tool(Client(), token, "list_datasets").status_code == 401
    org_admin.post("/org/acme/connectors/custom/publish/")
    assert call_tool(Client(), token, "list_datasets").status_code == 200


def test_remove_revokes_every_grant_of_the_platform(org_admin: Client, browser: Client, world: World) -> None:
    token = connect_assistant(browser)
    assert "revokes" in org_admin.get("/org/acme/connectors/custom/remove/").content.decode()
    done = org_admin.post("/org/acme/connectors/custom/remove/", follow=True).content.decode()
    assert "revoked 1 connected assistant of 1 person" in done
    org_admin.post("/org/acme/connectors/custom/publish/")
    assert call_tool(Client(), token, "list_datasets").status_code == 401  # gone for good
    assert not ConnectedApp.objects.filter(user=world.member, revoked_at__isnull=True).exists()
    assert AuditEvent.objects.get(action="connector.removed").detail["assistants"] == 1


def test_unknown_platforms_are_404(org_admin: Client) -> None:
    assert org_admin.get("/org/acme/connectors/myspace/remove/").status_code == 404
    assert org_admin.post("/org/acme/connectors/myspace/unpublish/").status_code == 404


def test_ending_access_asks_first_and_pauses(org_admin: Client, world: World) -> None:
    token = issue(world.member, world.acme).secret
    confirm = org_admin.get("/org/acme/access/end/").content.decode()
    assert "1 personal access token" in confirm and "paused" in confirm
    world.acme.refresh_from_db()
    assert world.acme.access_status == AccessStatus.CONTRACT  # a GET changes nothing
    org_admin.post("/org/acme/access/end/")
    assert call_tool(Client(), token, "list_datasets").status_code == 401
    page = org_admin.get("/org/acme/members/").content.decode()
    assert "access for Acme has ended" in page  # said on every console page


def test_the_help_contact_is_set_and_checked(org_admin: Client, world: World) -> None:
    org_admin.post("/org/acme/contact/", {"contact_email": "Help@Acme.example"})
    world.acme.refresh_from_db()
    assert world.acme.contact_email == "help@acme.example"
    page = org_admin.post("/org/acme/contact/", {"contact_email": "not an address"}, follow=True).content.decode()
    assert "Enter a valid email address" in page
    world.acme.refresh_from_db()
    assert world.acme.contact_email == "help@acme.example"


def test_restoring_access_brings_back_the_status_it_had(org_admin: Client, world: World) -> None:
    world.acme.access_status = AccessStatus.TRIAL
    world.acme.save()
    org_admin.post("/org/acme/access/end/")
    assert "Restore access (trial)" in org_admin.get("/org/acme/").content.decode()
    done = org_admin.post("/org/acme/access/restore/", follow=True).content.decode()
    world.acme.refresh_from_db()
    assert world.acme.access_status == AccessStatus.TRIAL and "is restored (trial)" in done


def test_the_console_cannot_restore_a_trial_as_a_contract(org_admin: Client, world: World) -> None:
    """Issue 20, item 4: End access, then a forged Restore "as contract"."""
    world.acme.access_status = AccessStatus.TRIAL
    world.acme.save()
    org_admin.post("/org/acme/access/end/")
    page = org_admin.post("/org/acme/access/restore/", {"status": "contract"}, follow=True).content.decode()
    assert "Only Spark Portal&#x27;s staff change whether Acme is on a trial or a contract" in page
    world.acme.refresh_from_db()
    assert world.acme.access_status == AccessStatus.ENDED


def test_the_console_keeps_the_end_date_staff_set(org_admin: Client, world: World) -> None:
    past = dt.date.today() - dt.timedelta(days=2)
    world.acme.access_ends_on = past
    world.acme.save()
    org_admin.post("/org/acme/access/end/")
    page = org_admin.post("/org/acme/access/restore/", follow=True).content.decode()
    assert "ask them to extend it" in page
    world.acme.refresh_from_db()
    assert world.acme.access_ends_on == past


def test_access_staff_ended_offers_no_restore(org_admin: Client, world: World) -> None:
    Organization.objects.filter(pk=world.acme.pk).update(access_status=AccessStatus.ENDED, status_before_end="")
    page = org_admin.get("/org/acme/").content.decode()
    assert "only they can restore it" in page and "Restore access (" not in page
    org_admin.post("/org/acme/access/restore/")
    world.acme.refresh_from_db()
    assert world.acme.access_status == AccessStatus.ENDED


def test_an_admin_requires_two_factor_and_members_are_sent_to_enrol(org_admin: Client, world: World) -> None:
    org_admin.post("/org/acme/mfa/", {"required": "1"})
    world.acme.refresh_from_db()
    assert world.acme.require_mfa
    assert AuditEvent.objects.filter(organization=world.acme, action="organization.mfa_required").exists()
    member = Client()
    member.post("/auth/login/", {"login": world.member.email, "password": PASSWORD})
    sent = member.get("/settings/tokens/")
    assert sent.status_code == 302 and "/auth/2fa/" in sent["Location"]
    # The admin is a member too: enrolling comes first for them as well.
    assert "/auth/2fa/" in org_admin.post("/org/acme/mfa/", {"required": "0"})["Location"]
    world.acme.refresh_from_db()
    assert world.acme.require_mfa
