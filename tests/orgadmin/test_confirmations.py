"""Changes that can stop a whole organization ask first, with the impact in counts (issue 25, item 1):
disabling an email domain, requiring two-factor authentication."""

from __future__ import annotations

import pytest
from allauth.mfa.models import Authenticator
from django.test import Client

from accounts.models import EmailDomain
from tests.factories import World, issue, make_user


@pytest.fixture
def admin(world: World) -> Client:
    client = Client()
    client.force_login(world.admin)
    return client


def test_disabling_a_domain_asks_first_with_people_tokens_and_assistants(admin: Client, world: World) -> None:
    issue(world.member, world.acme)
    issue(world.admin, world.acme)
    domain = EmailDomain.objects.get(organization=world.acme, domain="acme.example")
    confirm = admin.get(f"/org/acme/domains/{domain.pk}/disable/")
    page = confirm.content.decode()
    assert confirm.status_code == 200
    assert "2 people of Acme with an address at acme.example" in page
    assert "2 personal access tokens and 0 connected assistants stop" in page
    assert 'id="disable-yours"' in page and "You sign in with admin@acme.example" in page
    domain.refresh_from_db()
    assert domain.enabled  # asking changes nothing
    assert admin.post(f"/org/acme/domains/{domain.pk}/disable/").status_code == 302
    domain.refresh_from_db()
    assert not domain.enabled


def test_the_domains_page_links_to_the_confirmation_not_a_one_click_form(admin: Client, world: World) -> None:
    domain = EmailDomain.objects.get(organization=world.acme, domain="acme.example")
    page = admin.get("/org/acme/domains/").content.decode()
    assert f'href="/org/acme/domains/{domain.pk}/disable/"' in page
    assert f'action="/org/acme/domains/{domain.pk}/disable/"' not in page


def test_disabling_another_domain_is_not_said_in_red(admin: Client, world: World) -> None:
    other = EmailDomain.objects.create(organization=world.acme, domain="acme-labs.example")
    make_user("one@acme-labs.example", world.acme)
    page = admin.get(f"/org/acme/domains/{other.pk}/disable/").content.decode()
    assert "1 person of Acme with an address at acme-labs.example" in page
    assert 'id="disable-yours"' not in page


def test_requiring_two_factor_asks_first_saying_who_must_enrol(admin: Client, world: World) -> None:
    Authenticator.objects.create(user=world.member, type=Authenticator.Type.TOTP, data={"secret": "x"})
    issue(world.member, world.acme)
    confirm = admin.get("/org/acme/mfa/")
    page = confirm.content.decode()
    assert confirm.status_code == 200
    assert "1 of 2 members has no second factor yet" in page
    assert "1 personal access token and 0 connected assistants keep working" in page
    assert 'id="mfa-you"' in page  # the admin has none: they enrol straight after
    world.acme.refresh_from_db()
    assert not world.acme.require_mfa  # asking changes nothing
    assert 'href="/org/acme/mfa/"' in admin.get("/org/acme/").content.decode()
    admin.post("/org/acme/mfa/", {"required": "1"})
    world.acme.refresh_from_db()
    assert world.acme.require_mfa
