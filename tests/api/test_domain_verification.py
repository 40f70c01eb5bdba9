"""Email domain verification through the management API: the record to publish in every domain's
representation, and POST …/domains/{domain}/verify (a DNS server of the test's own answers)."""

from __future__ import annotations

from accounts.models import EmailDomain
from audit.models import AuditEvent
from tests.api.conftest import Api, problem
from tests.dns_server import TxtDns
from tests.factories import World

LABS = "/organizations/acme/domains/acme-labs.example"


def test_a_domain_is_verified_through_its_txt_record(admin_api: Api, published: World, dns: TxtDns) -> None:
    added = admin_api.call("POST", "/organizations/acme/domains", {"domain": "acme-labs.example"}).json()
    assert added["verified"] is False and added["verified_at"] is None and added["verified_by"] is None
    record = added["verification"]
    labs = EmailDomain.objects.get(domain="acme-labs.example")
    assert record == {"type": "TXT", "name": labs.txt_name, "value": labs.txt_value}
    missing = problem(admin_api.call("POST", f"{LABS}/verify"), 409)
    assert missing["code"] == "txt_record_missing" and labs.txt_name in missing["detail"]
    dns.records[record["name"]] = [record["value"]]
    verified = admin_api.call("POST", f"{LABS}/verify")
    assert verified.status_code == 200 and verified["ETag"]
    assert verified.json()["verified"] is True and verified.json()["verified_by"] == "dns"
    assert admin_api.get(LABS).json()["verified_at"] is not None
    assert AuditEvent.objects.filter(action="domain.verified", actor=published.admin).count() == 1
    assert admin_api.call("POST", f"{LABS}/verify").status_code == 200  # again: nothing more happens
    assert AuditEvent.objects.filter(action="domain.verified").count() == 1


def test_verifying_needs_org_admin_and_the_organizations_own_domain(
    admin_api: Api, reader_api: Api, published: World, dns: TxtDns
) -> None:
    admin_api.call("POST", "/organizations/acme/domains", {"domain": "acme-labs.example"})
    labs = EmailDomain.objects.get(domain="acme-labs.example")
    dns.records[labs.txt_name] = [labs.txt_value]
    assert problem(reader_api.call("POST", f"{LABS}/verify"), 403)["code"] == "insufficient_scope"
    problem(admin_api.call("POST", "/organizations/acme/domains/globex.example/verify"), 404)
    problem(admin_api.call("POST", "/organizations/globex/domains/globex.example/verify"), 404)
    labs.refresh_from_db()
    assert not labs.verified
    assert dns.queries == []  # nothing refused ever reached DNS
