"""Signing in as part of an OAuth flow: the sign-in page names the assistant asking; the consent page
says who is signed in and lets someone else sign in and come back to the same request."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

import pytest
from django.test import Client

from oauth_server.models import ConnectedApp
from oauth_server.selectors import authorize_requester
from tests.factories import PASSWORD, World
from tests.oauth_server.oauth_helpers import CLAUDE, HIDDEN, connect, new_flow

LOGIN = "/auth/login/"


def _login_page(client: Client, next_url: str) -> str:
    response = client.get(f"{LOGIN}?next={quote(next_url, safe='')}")
    assert response.status_code == 200
    return response.content.decode()


def test_sign_in_for_an_authorization_request_names_the_client(client: Client, published: World) -> None:
    flow = new_flow(client)
    redirect = client.get(flow.authorize_url())
    assert redirect.status_code == 302 and redirect["Location"].startswith(f"{LOGIN}?next=/oauth/authorize/")
    page = client.get(redirect["Location"]).content.decode()
    assert 'id="oauth-requester"' in page
    notice = page[page.index('id="oauth-requester"') : page.index("</div>", page.index('id="oauth-requester"'))]
    assert "A local or custom tool (not verified)" in notice and "“Test agent”" in notice


def test_a_verified_platform_is_named_as_such(client: Client, published: World) -> None:
    flow = new_flow(client, CLAUDE)
    page = _login_page(client, flow.authorize_url())
    assert "<strong>Claude</strong> (verified)" in page and "“Test agent”" in page


@pytest.mark.parametrize(
    "next_url",
    [
        "/settings/",
        "/oauth/authorize/?client_id=no-such-client",
        "/oauth/authorize/",
        "https://evil.example/oauth/authorize/?client_id={client_id}",
        "//evil.example/oauth/authorize/?client_id={client_id}",
        "/oauth/authorize/?client_id={client_id}&client_id=other",
        "/oauth/authorize/?client_id=%00{client_id}",
        "/oauth/authorize/x?client_id={client_id}",
    ],
)
def test_anything_else_says_nothing_special(client: Client, published: World, next_url: str) -> None:
    flow = new_flow(client)
    url = next_url.format(client_id=flow.client_id)
    assert authorize_requester(url) is None
    page = _login_page(client, url)
    assert 'id="oauth-requester"' not in page and "Test agent" not in page


def test_the_requester_selector_reads_the_client_named_in_the_url(client: Client, published: World) -> None:
    flow = new_flow(client, CLAUDE)
    requester = authorize_requester(flow.authorize_url())
    assert requester is not None and requester.name == "Test agent" and requester.verified
    assert authorize_requester(None) is None and authorize_requester("") is None


def test_the_sign_in_page_has_a_forgotten_password_link(client: Client, world: World) -> None:
    page = client.get(LOGIN).content.decode()
    assert 'href="/auth/password/reset/"' in page and "Forgot your password?" in page


def test_a_failed_sign_in_still_names_the_client(client: Client, published: World) -> None:
    flow = new_flow(client)
    url = flow.authorize_url()
    page = client.post(LOGIN, {"login": "member@acme.example", "password": "wrong", "next": url})
    assert page.status_code == 200 and 'id="oauth-requester"' in page.content.decode()


def test_consent_says_who_is_signed_in_and_not_you_comes_back_to_the_same_request(
    client: Client, published: World
) -> None:
    flow = new_flow(client)
    url = flow.authorize_url()
    client.force_login(published.member)
    page = client.get(url).content.decode()
    assert '<strong id="signed-in-as">member@acme.example</strong>' in page
    form = re.search(
        r'<form method="post" action="/auth/logout/" id="not-you-form" class="help">.*?</form>', page, re.S
    )
    assert form and "Not you?" in form.group(0)
    next_value = html.unescape(re.search(r'name="next" type="hidden" value="([^"]*)"', form.group(0)).group(1))  # type: ignore[union-attr]
    assert next_value == url

    signed_out = client.post("/auth/logout/", {"next": next_value})
    assert signed_out.status_code == 302 and signed_out["Location"] == url
    to_login = client.get(signed_out["Location"])
    assert to_login.status_code == 302 and to_login["Location"].startswith(LOGIN)
    login_url = to_login["Location"]
    next_url = html.unescape(re.search(r'name="next" value="([^"]*)"', client.get(login_url).content.decode()).group(1))  # type: ignore[union-attr]
    signed_in = client.post(LOGIN, {"login": "admin@acme.example", "password": PASSWORD, "next": next_url})
    assert signed_in.status_code == 302 and signed_in["Location"] == url
    again = client.get(url).content.decode()
    assert 'id="consent-form"' in again and '<strong id="signed-in-as">admin@acme.example</strong>' in again


def test_consent_mentions_a_live_grant_only(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    assert 'id="already-connected"' not in browser.get(flow.authorize_url()).content.decode()
    connect(browser, flow)
    assert 'id="already-connected"' in browser.get(flow.authorize_url()).content.decode()
    ConnectedApp.objects.update(revoked_at="2020-01-01T00:00:00Z")
    assert 'id="already-connected"' not in browser.get(flow.authorize_url()).content.decode()


def test_the_consent_helpers_do_not_post_the_sign_out_field(browser: Client, published: World) -> None:
    """The sign-out form's `next` must not be read as one of the consent form's hidden fields."""
    page = browser.get(new_flow(browser).authorize_url()).content.decode()
    assert "next" not in dict(HIDDEN.findall(page))
