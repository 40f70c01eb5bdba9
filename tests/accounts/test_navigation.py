"""The header every page shares: skip link, labelled navigation, the current page's link marked."""

from __future__ import annotations

import re

import pytest
from django.test import Client, RequestFactory
from django.urls import resolve

from accounts.context_processors import nav_section
from tests.factories import World


@pytest.fixture
def admin_client(world: World) -> Client:
    client = Client()
    client.force_login(world.admin)
    return client


def current_links(body: str) -> list[tuple[str, str]]:
    """(href, aria-current) of the header's marked links."""
    header = body[body.index("<header") : body.index("</header>")]
    return re.findall(r'<a href="([^"]+)" aria-current="(page|true)">', header)


@pytest.mark.parametrize(
    ("path", "current"),
    [
        ("/settings/", ("/settings/", "page")),
        ("/settings/tokens/", ("/settings/tokens/", "page")),
        ("/settings/connected-apps/", ("/settings/connected-apps/", "page")),
        ("/org/acme/", ("/org/acme/", "page")),
        ("/org/acme/domains/", ("/org/acme/", "true")),
        ("/org/acme/audit/", ("/org/acme/", "true")),
    ],
)
def test_the_current_pages_link_is_marked(admin_client: Client, path: str, current: tuple[str, str]) -> None:
    """aria-current="page" on the link to this very page; "true" on the link of the section it is in."""
    body = admin_client.get(path).content.decode()
    assert current_links(body) == [current]


def test_no_link_is_marked_on_pages_outside_the_header(admin_client: Client) -> None:
    body = admin_client.get("/datasets/ds-core/").content.decode()
    assert current_links(body) == [] and '<nav class="user" aria-label=' in body


def test_skip_link_and_landmarks(client: Client, world: World) -> None:
    body = client.get("/auth/login/").content.decode()
    assert body.index('<a class="skip-link" href="#content">Skip to content</a>') < body.index("<header")
    assert '<main id="content" class="wrap">' in body
    assert "<nav" not in body  # signed out: no account links


@pytest.mark.parametrize(
    ("path", "section"),
    [
        ("/settings/", ("account", "")),
        ("/settings/tokens/7/revoke/", ("tokens", "")),
        ("/settings/connected-apps/3/revoke/", ("connected-apps", "")),
        ("/org/globex/domains/", ("org", "globex")),
        ("/datasets/ds-core/", ("", "")),
    ],
)
def test_nav_section(path: str, section: tuple[str, str]) -> None:
    request = RequestFactory().get(path)
    request.resolver_match = resolve(path)
    assert nav_section(request) == section


def test_no_section_without_a_resolved_url() -> None:
    assert nav_section(RequestFactory().get("/nowhere/")) == ("", "")
