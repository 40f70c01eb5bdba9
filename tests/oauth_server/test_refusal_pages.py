"""Refusal pages name who can fix it (the organization's contact, else its admins) and tell the Spark Portal
organization admin apart from the assistant's own workspace admin; refusal words stay ASCII."""

from __future__ import annotations

import html
import re

import pytest
from django.template.loader import render_to_string
from django.test import Client
from django.utils import timezone

from accounts import refusals
from accounts.gates import member_facts, member_verdict, refused
from accounts.models import Membership, Role
from accounts.selectors import organization_contacts
from oauth_server.platforms import Platform
from tests.factories import World, make_user
from tests.oauth_server.oauth_helpers import CLAUDE, HIDDEN, new_flow


def _who(page: str) -> str:
    start = page.index('id="who-can-fix"')
    return page[start : page.index("</div>", start)]


def _contacts(page: str) -> list[str]:
    return re.findall(r'<a class="contact" href="mailto:([^"]+)">', _who(page))


def test_the_admins_are_named_when_no_contact_is_set(browser: Client, published: World) -> None:
    make_user("second-admin@acme.example", published.acme, Role.ADMIN)
    published.acme.email_domains.update(enabled=False)
    page = browser.get(new_flow(browser).authorize_url()).content.decode()
    assert _contacts(page) == ["admin@acme.example", "second-admin@acme.example"]
    who = _who(page)
    assert "Your Spark Portal organization admins for Acme" in who
    assert "Ask them to enable your email domain under Email domains in Spark Portal." in who


def test_the_organizations_contact_address_wins(browser: Client, published: World) -> None:
    published.acme.contact_email = "spark-help@acme.example"
    published.acme.access_status = "ended"
    published.acme.save()
    page = browser.get(new_flow(browser).authorize_url()).content.decode()
    assert _contacts(page) == ["spark-help@acme.example"]
    assert "admin@acme.example" not in _who(page)
    assert "Ask them to restore the organization&#x27;s MCP access." in _who(page)


def test_an_unpublished_assistant_says_which_admin_publishes_it(browser: Client, published: World) -> None:
    published.acme.publications.filter(platform=Platform.CLAUDE).update(published=False)
    response = browser.get(new_flow(browser, CLAUDE).authorize_url())
    page = response.content.decode()
    assert response.status_code == 403
    assert "The Claude connector is not published for Acme; ask your Acme admin to publish it in Spark Portal." in page
    who = _who(page)
    assert "Ask them to publish the Claude connector under Connectors in Spark Portal." in who
    assert "Not your Claude workspace admin" in who
    assert "in Claude's own settings, outside Spark Portal" in who
    assert "cannot publish the connector for Acme; only a Spark Portal organization admin can" in who
    assert "workspace admin to publish" not in page


def test_a_local_tool_has_no_workspace_admin_to_mention(browser: Client, published: World) -> None:
    published.acme.email_domains.update(enabled=False)
    page = browser.get(new_flow(browser).authorize_url()).content.decode()
    assert 'id="assistant-admin"' not in page and "workspace admin" not in page


def test_a_verified_assistant_refused_by_a_member_gate_still_tells_the_admins_apart(
    browser: Client, published: World
) -> None:
    published.acme.email_domains.update(enabled=False)
    who = _who(browser.get(new_flow(browser, CLAUDE).authorize_url()).content.decode())
    assert "Not your Claude workspace admin" in who and "They cannot change anything in Spark Portal." in who


def test_no_organization_means_no_contacts_but_still_advice(client: Client, published: World) -> None:
    loner = make_user("loner@acme.example", published.acme)
    Membership.objects.filter(user=loner).delete()
    client.force_login(loner)
    page = client.get(new_flow(client).authorize_url()).content.decode()
    assert "Your account isn&#x27;t part of an organization using Spark Portal" in page
    assert _contacts(page) == [] and "Ask the person who manages Spark Portal at your company" in _who(page)


def test_refusal_words_are_ascii_for_headers(published: World) -> None:
    # Every entry the MCP endpoint may send in WWW-Authenticate, filled in as its gates fill it.
    sent_elsewhere = {
        refusals.NOT_PERSONAL,
        refusals.ORG_SCOPE,
        refusals.SCIM_MISSING,
        refusals.SCIM_MALFORMED,
        refusals.SCIM_UNKNOWN,
        refusals.SCIM_REVOKED,
    }
    fields = {"org": published.acme.name, "domain": "acme.example", "email": published.member.email}
    fields |= {"days": "30", "quota": "500", "hours": "48"}  # the organization's policies
    fields |= {"address": "2001:db8::7", "tool": "chat_gwi", "dataset": "ds-core", "holder": "Claude"}
    words = [
        refused(entry, platform=platform.label, **fields).words
        for entry in refusals.REGISTRY
        if entry not in sent_elsewhere
        for platform in Platform
    ]
    published.acme.email_domains.update(enabled=False)
    verdict = member_verdict(member_facts(published.member, published.acme), timezone.now())
    assert verdict.code == "domain_not_enabled"
    for text in [*words, verdict.words]:
        assert text.isascii(), text


@pytest.mark.parametrize("contact", ["", "help@acme.example"])
def test_organization_contacts(published: World, contact: str) -> None:
    published.acme.contact_email = contact
    published.acme.save()
    inactive = make_user("gone-admin@acme.example", published.acme, Role.ADMIN)
    inactive.is_active = False
    inactive.save()
    expected = [contact] if contact else ["admin@acme.example"]
    assert organization_contacts(published.acme) == expected
    assert organization_contacts(published.globex) == ["outsider@globex.example"]


def test_an_admin_refused_is_told_they_can_fix_it_themselves(browser: Client, published: World) -> None:
    published.acme.publications.update(published=False)
    admin = Client()
    admin.force_login(published.admin)
    page = admin.get(new_flow(admin).authorize_url()).content.decode()
    assert 'id="you-admin"' in page and 'href="/org/acme/"' in _who(page)
    assert 'id="you-admin"' not in browser.get(new_flow(browser).authorize_url()).content.decode()


def test_a_tampered_request_gets_no_advice_about_admins(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    page = browser.get(flow.authorize_url()).content.decode()
    fields = {name: html.unescape(value) for name, value in HIDDEN.findall(page)}
    fields.update(allow="Authorize", client_id="no-such-client")
    response = browser.post(flow.authorize_url(), data=fields)
    assert response.status_code == 400 and "The client of this request is unknown." in response.content.decode()
    assert 'id="who-can-fix"' not in response.content.decode()


def test_the_shared_block_serves_pages_without_an_assistant(published: World) -> None:
    """What the insight pages' refusal will render (organization, contacts, fix; no platform)."""
    context = {
        "organization": published.acme,
        "contacts": organization_contacts(published.acme),
        "fix": refusals.ACCESS_ENDED.ask,
    }
    block = render_to_string("accounts/who_can_fix.html", context)
    assert 'href="mailto:admin@acme.example"' in block and "restore the organization" in block
    assert 'id="assistant-admin"' not in block
    assert render_to_string("accounts/who_can_fix.html", {}).strip() == ""
