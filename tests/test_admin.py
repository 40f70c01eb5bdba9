"""The Django admin for platform staff: what it must not allow, and pages that must not break."""

from __future__ import annotations

import datetime as dt
import html
import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from oauth2_provider.models import Application

from accounts.models import EmailDomain, Organization, PersonalAccessToken, User
from audit.actions import Action
from audit.models import AuditEvent
from audit.services import audit_record
from oauth_server.models import OrganizationClient
from tests.factories import PASSWORD, World, issue, make_user


@pytest.fixture
def staff(world: World) -> Client:
    User.objects.create_user(email="staff@spark.example", password=PASSWORD, is_staff=True, is_superuser=True)
    client = Client()
    client.force_login(User.objects.get(email="staff@spark.example"))
    return client


def test_staff_cannot_stretch_a_token_past_the_longest_lifetime(staff: Client, world: World) -> None:
    token = issue(world.member, world.acme, days=30).token
    url = f"/admin/accounts/personalaccesstoken/{token.pk}/change/"
    too_late = token.created_at + dt.timedelta(days=400)
    response = staff.post(
        url,
        {"name": token.name, "expires_at_0": f"{too_late:%Y-%m-%d}", "expires_at_1": f"{too_late:%H:%M:%S}"},
    )
    assert response.status_code == 200 and "at most 365 days" in response.content.decode()
    assert PersonalAccessToken.objects.get(pk=token.pk).expires_at == token.expires_at


def test_the_audit_trail_cannot_be_deleted_in_the_admin(staff: Client, world: World) -> None:
    event = audit_record(action=Action.ORGANIZATION_CONTACT_CHANGED, summary="kept", organization=world.acme)
    assert staff.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"}).status_code == 403
    bulk = staff.post(
        "/admin/audit/auditevent/", {"action": "delete_selected", "_selected_action": [event.pk], "post": "yes"}
    )
    assert bulk.status_code in (200, 302)
    assert AuditEvent.objects.filter(pk=event.pk).exists()


def test_admin_pages_of_oauth_applications_work(staff: Client, world: World) -> None:
    application = Application.objects.create(
        name="Test", client_type="public", authorization_grant_type="authorization-code", redirect_uris=""
    )
    page = staff.get(f"/admin/oauth2_provider/application/{application.pk}/change/")
    assert page.status_code == 200 and "View on site" not in page.content.decode()
    assert staff.get(f"/admin/r/{application._meta.app_label}/{application.pk}/").status_code in (302, 404)


_CELL = re.compile(r'<t[dh] class="field-([\w]+)"[^>]*>(.*?)</t[dh]>', re.S)


def _rows(page: str) -> dict[str, dict[str, str]]:
    """The admin change list's rows, by the text of their "name" cell: {field: cell text}."""
    rows = {}
    for row in re.findall(r"<tr>(.*?)</tr>", page.split('id="result_list"', 1)[1], re.S):
        cells = {field: re.sub(r"<[^>]+>", "", html.unescape(cell)).strip() for field, cell in _CELL.findall(row)}
        cells["access_open_icon"] = "icon-yes" if "icon-yes" in row else "icon-no" if "icon-no" in row else ""
        if "name" in cells:
            rows[cells["name"]] = cells
    return rows


def test_organization_list_shows_members_domains_and_access(staff: Client, world: World) -> None:
    EmailDomain.objects.create(organization=world.acme, domain="old-acme.example", enabled=False)
    today = dt.date.today()
    world.globex.access_ends_on = today - dt.timedelta(days=1)
    world.globex.save()
    rows = _rows(staff.get("/admin/accounts/organization/").content.decode())
    acme, globex = rows["Acme"], rows["Globex"]
    assert acme["member_count"] == "2" and globex["member_count"] == "1"
    assert acme["domains"] == "acme.example, old-acme.example (disabled)"
    assert acme["access_status"] == "Contract" and globex["access_status"] == "Trial"
    assert acme["access_window"] == f"{today - dt.timedelta(days=30)} → open-ended"
    assert globex["access_window"] == f"{today - dt.timedelta(days=1)} → {today - dt.timedelta(days=1)}"
    assert acme["access_open_icon"] == "icon-yes" and globex["access_open_icon"] == "icon-no"
    ordered = staff.get("/admin/accounts/organization/?o=3").content.decode()  # by member count
    assert ordered.index(">Globex<") < ordered.index(">Acme<")


def test_staff_changing_the_plan_in_the_admin_is_audited_and_final(staff: Client, world: World) -> None:
    """What staff set is what stands: an organization admin's earlier end no longer restores."""
    Organization.objects.filter(pk=world.globex.pk).update(access_status="ended", status_before_end="trial")
    inlines = {f"{p}-{k}": "0" for p in ("email_domains", "memberships") for k in ("TOTAL_FORMS", "INITIAL_FORMS")}
    response = staff.post(
        f"/admin/accounts/organization/{world.globex.pk}/change/",
        {
            "name": "Globex",
            "slug": "globex",
            "access_status": "contract",
            "access_starts_on": f"{world.globex.access_starts_on}",
            "access_ends_on": "2031-12-31",
            **inlines,
        },
    )
    assert response.status_code == 302, response.content.decode()[-2000:]
    world.globex.refresh_from_db()
    assert (world.globex.access_status, world.globex.access_ends_on) == ("contract", dt.date(2031, 12, 31))
    assert world.globex.status_before_end == ""
    event = AuditEvent.objects.get(action="organization.access_granted", organization=world.globex)
    assert event.actor is not None and event.actor.email == "staff@spark.example"


def test_organization_list_costs_the_same_queries_for_more_organizations(staff: Client, world: World) -> None:
    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            assert staff.get("/admin/accounts/organization/").status_code == 200
        return len(captured)

    before = queries()
    for n in range(4):
        org = Organization.objects.create(name=f"Org {n}", slug=f"org-{n}")
        EmailDomain.objects.create(organization=org, domain=f"org{n}.example")
        make_user(f"person@org{n}.example", org)
    assert len(_rows(staff.get("/admin/accounts/organization/").content.decode())) == 6
    assert queries() == before


def test_oauth_application_list_shows_organization_and_platform(staff: Client, world: World) -> None:
    def app(name: str, redirect_uris: str) -> Application:
        return Application.objects.create(
            name=name, client_type="public", authorization_grant_type="authorization-code", redirect_uris=redirect_uris
        )

    copilot = app("Acme Copilot", "https://global.consent.azure-apim.net/redirect/acme-spark")
    OrganizationClient.objects.create(organization=world.acme, application=copilot, created_by=world.admin)
    app("Claude", "https://claude.ai/api/mcp/auth_callback")
    app("Stray", "https://example.com/callback")
    rows = _rows(staff.get("/admin/oauth2_provider/application/").content.decode())
    assert rows["Acme Copilot"]["organization"] == "Acme" and rows["Acme Copilot"]["platform"] == "Copilot Studio"
    assert rows["Claude"]["organization"] == "—" and rows["Claude"]["platform"] == "Claude"
    assert rows["Stray"]["platform"].startswith("none")
    owned = staff.get(
        f"/admin/oauth2_provider/application/?organization_client__organization__id__exact={world.acme.pk}"
    )
    assert set(_rows(owned.content.decode())) == {"Acme Copilot"}
