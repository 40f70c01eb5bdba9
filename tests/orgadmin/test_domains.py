"""Email domains in the organization console: add, enable/disable, remove with its impact stated."""

from __future__ import annotations

import pytest
from django.test import Client

from accounts.models import EmailDomain
from audit.models import AuditEvent
from tests.dns_server import TxtDns
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool


@pytest.fixture
def admin(world: World) -> Client:
    client = Client()
    client.force_login(world.admin)
    return client


def test_an_admin_adds_a_domain_and_it_is_audited(admin: Client, world: World) -> None:
    response = admin.post("/org/acme/domains/", {"domain": "  @Acme-Labs.Example "})
    assert response.status_code == 302
    added = EmailDomain.objects.get(organization=world.acme, domain="acme-labs.example")
    assert added.enabled
    assert AuditEvent.objects.filter(action="domain.added", actor=world.admin, organization=world.acme).exists()
    page = admin.get("/org/acme/domains/").content.decode()
    assert "acme-labs.example" in page and "acme.example" in page


@pytest.mark.parametrize(
    ("domain", "words"),
    [
        ("globex.example", "already enabled for another organization"),
        ("acme.example", "already one of Acme"),
        ("not a domain", "is not an email domain"),
        ("localhost", "is not an email domain"),
    ],
)
def test_refused_domains_say_why(admin: Client, world: World, domain: str, words: str) -> None:
    before = EmailDomain.objects.count()
    response = admin.post("/org/acme/domains/", {"domain": domain})
    assert response.status_code == 400 and words in response.content.decode()
    assert EmailDomain.objects.count() == before


def test_disabling_a_domain_stops_its_members_at_once_and_enabling_brings_them_back(
    admin: Client, world: World
) -> None:
    token = issue(world.member, world.acme).secret
    domain = EmailDomain.objects.get(organization=world.acme, domain="acme.example")
    assert admin.post(f"/org/acme/domains/{domain.pk}/disable/").status_code == 302
    refused = call_tool(Client(), token, "list_datasets")
    assert refused.status_code == 401 and "acme.example is not enabled" in refused["WWW-Authenticate"]
    assert AuditEvent.objects.get(action="domain.disabled").detail["members"] == 2
    assert admin.post(f"/org/acme/domains/{domain.pk}/enable/").status_code == 302
    assert call_tool(Client(), token, "list_datasets").status_code == 200


def test_a_domain_held_by_another_organization_cannot_be_enabled(admin: Client, world: World) -> None:
    held = EmailDomain.objects.create(organization=world.acme, domain="globex.example", enabled=False)
    response = admin.post(f"/org/acme/domains/{held.pk}/enable/", follow=True)
    assert "already enabled for another organization" in response.content.decode()
    held.refresh_from_db()
    assert held.enabled is False


def test_removing_says_how_many_members_it_affects_before_and_after(admin: Client, world: World) -> None:
    token = issue(world.member, world.acme).secret
    domain = EmailDomain.objects.get(organization=world.acme, domain="acme.example")
    confirm = admin.get(f"/org/acme/domains/{domain.pk}/remove/")
    assert (
        confirm.status_code == 200 and "2 members of Acme have an address at acme.example" in confirm.content.decode()
    )
    assert EmailDomain.objects.filter(pk=domain.pk).exists()  # asking changes nothing
    done = admin.post(f"/org/acme/domains/{domain.pk}/remove/", follow=True)
    assert "2 members at that domain lost MCP access" in done.content.decode()
    assert not EmailDomain.objects.filter(pk=domain.pk).exists()
    assert AuditEvent.objects.get(action="domain.removed").detail == {"domain": "acme.example", "members": 2}
    assert call_tool(Client(), token, "list_datasets").status_code == 401


def test_members_and_other_organizations_get_403_and_other_domains_404(world: World) -> None:
    domain = EmailDomain.objects.get(organization=world.acme, domain="acme.example")
    globex_domain = EmailDomain.objects.get(organization=world.globex)
    member, outsider = Client(), Client()
    member.force_login(world.member)
    outsider.force_login(world.outsider)  # Globex's admin
    for client in (member, outsider):
        assert client.get("/org/acme/domains/").status_code == 403
        assert client.post("/org/acme/domains/", {"domain": "evil.example"}).status_code == 403
        assert client.post(f"/org/acme/domains/{domain.pk}/disable/").status_code == 403
        assert client.post(f"/org/acme/domains/{domain.pk}/remove/").status_code == 403
    admin = Client()
    admin.force_login(world.admin)  # Acme's admin, reaching for Globex's domain through Acme's pages
    assert admin.post(f"/org/acme/domains/{globex_domain.pk}/disable/").status_code == 404
    assert admin.get(f"/org/acme/domains/{globex_domain.pk}/remove/").status_code == 404
    domain.refresh_from_db()
    globex_domain.refresh_from_db()
    assert domain.enabled and globex_domain.enabled
    assert not EmailDomain.objects.filter(domain="evil.example").exists()


def test_an_unverified_domain_shows_the_record_to_publish_and_verify_checks_it(
    admin: Client, world: World, dns: TxtDns
) -> None:
    admin.post("/org/acme/domains/", {"domain": "acme-labs.example"})
    labs = EmailDomain.objects.get(domain="acme-labs.example")
    page = admin.get("/org/acme/domains/").content.decode()
    assert 'data-verify="acme-labs.example"' in page and 'data-verify="acme.example"' not in page
    assert f'<dd class="mono" data-txt-name>{labs.txt_name}</dd>' in page
    assert f'<dd class="mono" data-txt-value>{labs.txt_value}</dd>' in page
    refused = admin.post(f"/org/acme/domains/{labs.pk}/verify/", follow=True).content.decode()
    assert "There is no TXT record at _spark-verification.acme-labs.example yet" in refused
    dns.records[labs.txt_name] = [labs.txt_value]
    done = admin.post(f"/org/acme/domains/{labs.pk}/verify/", follow=True).content.decode()
    assert "acme-labs.example is verified" in done and 'data-verify="acme-labs.example"' not in done
    labs.refresh_from_db()
    assert labs.verified
    assert AuditEvent.objects.get(action="domain.verified").actor == world.admin
    assert admin.get(f"/org/acme/domains/{labs.pk}/verify/").status_code == 405  # a POST only


@pytest.mark.parametrize(
    "pasted",
    ["https://Acme-Labs.example/", "HTTP://acme-labs.example:443/path?q=1", "acme-labs.example.", "@acme-labs.example"],
)
def test_a_pasted_url_or_address_is_cleaned_to_the_domain(admin: Client, world: World, pasted: str) -> None:
    assert admin.post("/org/acme/domains/", {"domain": pasted}).status_code == 302
    assert EmailDomain.objects.filter(organization=world.acme, domain="acme-labs.example").exists()
