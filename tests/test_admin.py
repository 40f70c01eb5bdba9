"""The Django admin for platform staff: what it must not allow, and pages that must not break."""

from __future__ import annotations

import datetime as dt

import pytest
from django.test import Client
from oauth2_provider.models import Application

from accounts.models import PersonalAccessToken, User
from audit.models import AuditEvent
from audit.services import audit_record
from tests.factories import PASSWORD, World, issue


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
    event = audit_record(action="test.event", summary="kept", organization=world.acme)
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
