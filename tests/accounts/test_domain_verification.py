"""Email domain verification: a DNS TXT record, looked up through a real DNS server on a loopback
port (dnslib), or Spark Portal's staff vouching in the Django admin. Both audited."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client

from accounts.domain_proof import resolver
from accounts.models import EmailDomain, User, VerifiedBy
from accounts.services import domain_add, domain_verify
from audit.models import AuditEvent
from tests.dns_server import TxtDns
from tests.factories import PASSWORD, World

pytestmark = pytest.mark.django_db


@pytest.fixture
def labs(world: World) -> EmailDomain:
    return domain_add(organization=world.acme, domain="acme-labs.example", actor=world.admin, origin=None)


def test_a_new_domain_is_unverified_with_its_own_record_to_publish(world: World, labs: EmailDomain) -> None:
    other = domain_add(organization=world.acme, domain="acme-eu.example", actor=world.admin, origin=None)
    assert not labs.verified and labs.verified_at is None
    assert labs.txt_name == "_spark-verification.acme-labs.example"
    assert labs.txt_value == f"spark-domain-verification={labs.verification_token}"
    assert len(labs.verification_token) == 32 and labs.verification_token != other.verification_token


def test_the_right_record_verifies_and_is_audited(world: World, labs: EmailDomain, dns: TxtDns) -> None:
    dns.records[labs.txt_name] = ["v=spf1 -all", labs.txt_value]  # among other TXT records at the name
    domain_verify(domain=labs, actor=world.admin, origin=None)
    labs.refresh_from_db()
    assert labs.verified and labs.verified_by == VerifiedBy.DNS
    assert dns.queries == ["_spark-verification.acme-labs.example"]
    event = AuditEvent.objects.get(action="domain.verified")
    assert event.actor == world.admin and event.organization == world.acme
    assert event.detail == {"domain": "acme-labs.example", "verified_by": "dns"}


def test_a_wrong_value_is_refused_naming_what_dns_holds(world: World, labs: EmailDomain, dns: TxtDns) -> None:
    dns.records[labs.txt_name] = ["spark-domain-verification=someone-elses-token"]
    with pytest.raises(ValidationError) as refused:
        domain_verify(domain=labs, actor=world.admin, origin=None)
    words = " ".join(refused.value.messages)
    assert "holds “spark-domain-verification=someone-elses-token”" in words
    assert f"not {labs.txt_value}" in words
    labs.refresh_from_db()
    assert not labs.verified
    assert not AuditEvent.objects.filter(action="domain.verified").exists()


def test_a_missing_record_is_refused_saying_what_to_publish(world: World, labs: EmailDomain, dns: TxtDns) -> None:
    with pytest.raises(ValidationError) as refused:
        domain_verify(domain=labs, actor=world.admin, origin=None)
    words = " ".join(refused.value.messages)
    assert f"There is no TXT record at {labs.txt_name} yet" in words and labs.txt_value in words
    labs.refresh_from_db()
    assert not labs.verified


def test_the_record_at_the_domain_itself_does_not_count(world: World, labs: EmailDomain, dns: TxtDns) -> None:
    """Only the dedicated name proves it (a value pasted at the apex is someone's mistake, not proof)."""
    dns.records["acme-labs.example"] = [labs.txt_value]
    with pytest.raises(ValidationError):
        domain_verify(domain=labs, actor=world.admin, origin=None)


def test_dns_that_does_not_answer_changes_nothing(world: World, labs: EmailDomain, dns: TxtDns) -> None:
    dns.failing.add(labs.txt_name)
    with pytest.raises(ValidationError) as refused:
        domain_verify(domain=labs, actor=world.admin, origin=None)
    assert "DNS gave no answer for _spark-verification.acme-labs.example" in " ".join(refused.value.messages)
    labs.refresh_from_db()
    assert not labs.verified


def test_the_resolver_follows_the_setting(settings) -> None:
    settings.SPARK_DNS_NAMESERVERS = ["127.0.0.1:5353", "[::1]:5300", "10.0.0.53"]
    found = [(n.address, n.port) for n in resolver().nameservers]  # type: ignore[union-attr]
    assert found == [("127.0.0.1", 5353), ("::1", 5300), ("10.0.0.53", 53)]


def test_moving_a_verified_domain_to_another_organization_needs_proof_again(world: World) -> None:
    domain = EmailDomain.objects.get(domain="acme.example")
    token = domain.verification_token
    domain.organization = world.globex
    domain.enabled = False
    domain.save()
    domain.refresh_from_db()
    assert not domain.verified and domain.verification_token != token


@pytest.fixture
def staff(world: World) -> Client:
    client = Client()
    client.force_login(User.objects.create_superuser("ops@spark.example", PASSWORD))
    return client


def test_staff_override_in_the_django_admin_is_audited(staff: Client, world: World, labs: EmailDomain) -> None:
    response = staff.post(
        "/admin/accounts/emaildomain/",
        {"action": "verify_by_staff", "_selected_action": [labs.pk], "index": 0},
        follow=True,
    )
    assert "Marked 1 domain verified" in response.content.decode()
    labs.refresh_from_db()
    assert labs.verified and labs.verified_by == VerifiedBy.STAFF
    event = AuditEvent.objects.get(action="domain.verified")
    assert event.actor is not None and event.actor.email == "ops@spark.example"
    assert event.organization == world.acme and event.detail["verified_by"] == "staff"
    assert "Spark Portal's staff (override)" in event.summary


def test_staff_cannot_set_verification_by_editing_the_row(staff: Client, world: World, labs: EmailDomain) -> None:
    """The verification columns are read-only in the admin: only the audited action sets them."""
    page = staff.get(f"/admin/accounts/emaildomain/{labs.pk}/change/").content.decode()
    assert 'name="verified_at"' not in page and labs.txt_value in page
