"""The 404, 403 and 500 pages: styled like the portal, with the product name and a way home, as
Django serves them with DEBUG off. The 500 page needs no request context and no database."""

from __future__ import annotations

import re

import pytest
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.test import Client, RequestFactory
from django.urls import include, path
from django.views import defaults

from accounts.models import User
from audit.actions import Action
from audit.services import audit_record
from tests.factories import PASSWORD, World


def boom(request: HttpRequest) -> HttpResponse:
    raise RuntimeError("a bug")


def forbidden(request: HttpRequest) -> HttpResponse:
    raise PermissionDenied


# This module is also a URL map: the real one plus two views that fail (used with ROOT_URLCONF).
urlpatterns = [
    path("test-boom/", boom),
    path("test-forbidden/", forbidden),
    path("", include("spark_portal.urls")),
]


@pytest.fixture(autouse=True)
def _production(settings) -> None:
    settings.DEBUG = False
    settings.ROOT_URLCONF = __name__


def assert_portal_page(body: str, heading: str) -> None:
    """The page is the portal's: its stylesheet and brand, the heading, and a link home."""
    assert '<link rel="stylesheet" href="/static/spark.css">' in body
    assert '<a class="brand" href="/">' in body and "Spark Portal" in body
    assert f"<h1>{heading}</h1>" in body
    assert re.search(r'<a class="button" href="/">Go to Spark Portal home</a>', body)
    assert '<main id="content"' in body and 'href="#content">Skip to content</a>' in body


def test_404_page(client: Client, world: World) -> None:
    response = client.get("/no-such-page/")
    assert response.status_code == 404
    assert response.templates[0].name == "404.html"
    body = response.content.decode()
    assert_portal_page(body, "Page not found")
    assert "<title>Page not found · Spark Portal</title>" in body
    assert '<code class="mono">/no-such-page/</code>' in body


def test_404_page_never_returns_the_path_as_markup(client: Client, world: World) -> None:
    body = client.get("/x%3Cb%3Ebold%3C/b%3E/").content.decode()
    assert "<b>bold" not in body and "/x%3Cb%3Ebold%3C/b%3E/" in body


def test_404_page_keeps_the_header_for_signed_in_people(client: Client, world: World) -> None:
    client.force_login(world.admin)
    body = client.get("/org/acme/nothing-here/").content.decode()
    assert "Page not found" in body and "Acme admin" in body and "Sign out" in body


def test_403_page(client: Client, world: World) -> None:
    client.force_login(world.member)
    response = client.get("/test-forbidden/")
    assert response.status_code == 403
    body = response.content.decode()
    assert_portal_page(body, "You can’t open this page")
    assert "signed in as member@acme.example" in body


def test_403_page_from_the_admin(client: Client, world: World) -> None:
    """A real PermissionDenied: staff may not delete audit events."""
    User.objects.create_user(email="staff@spark.example", password=PASSWORD, is_staff=True, is_superuser=True)
    client.login(username="staff@spark.example", password=PASSWORD)
    event = audit_record(action=Action.ORGANIZATION_CONTACT_CHANGED, summary="kept", organization=world.acme)
    response = client.post(f"/admin/audit/auditevent/{event.pk}/delete/", {"post": "yes"})
    assert response.status_code == 403
    assert "Error 403" in response.content.decode()


def test_500_page(world: World) -> None:
    client = Client(raise_request_exception=False)
    client.force_login(world.admin)
    response = client.get("/test-boom/")
    assert response.status_code == 500
    body = response.content.decode()
    assert_portal_page(body, "Something went wrong on our side")
    assert "admin@acme.example" not in body  # rendered with no context: nobody's details
    assert re.search(r'<time datetime="\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\+00:00">[\d-]+ [\d:]+ UTC</time>', body)


def test_500_page_needs_no_database_and_no_request_context() -> None:
    """No `db` fixture here: pytest-django fails any query, so this proves the page makes none."""
    response = defaults.server_error(RequestFactory().get("/anything/"))
    assert response.status_code == 500
    assert_portal_page(response.content.decode(), "Something went wrong on our side")
