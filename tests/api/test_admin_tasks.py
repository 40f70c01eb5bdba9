"""The rest of the org-admin tasks through the API: domains, access, usage, the connection doctor,
confidential clients."""

from __future__ import annotations

from django.test import Client

from accounts.models import AccessStatus, EmailDomain
from audit.models import AuditEvent
from oauth_server.models import OrganizationClient
from tests.api.conftest import Api, problem
from tests.factories import World, issue, make_user
from tests.mcp_api.helpers import call_tool


def _state(domain: dict[str, object]) -> dict[str, object]:
    return {k: domain[k] for k in ("domain", "enabled", "members")}


def test_domains_add_disable_and_remove(admin_api: Api, published: World) -> None:
    added = admin_api.call("POST", "/organizations/acme/domains", {"domain": "Acme-Labs.example"})
    assert added.status_code == 201 and _state(added.json()) == {
        "domain": "acme-labs.example",
        "enabled": True,
        "members": 0,
    }
    assert added.json()["verified"] is False  # added, not proven (tests/api/test_domain_verification.py)
    taken = problem(admin_api.call("POST", "/organizations/acme/domains", {"domain": "globex.example"}), 409)
    assert "already enabled for another organization" in taken["detail"]
    token = issue(make_user("lab@acme-labs.example", published.acme), published.acme).secret
    off = admin_api.call("PATCH", "/organizations/acme/domains/acme-labs.example", {"enabled": False}).json()
    assert _state(off) == {"domain": "acme-labs.example", "enabled": False, "members": 1}
    assert call_tool(Client(), token, "list_datasets").status_code == 401
    admin_api.call("PATCH", "/organizations/acme/domains/acme-labs.example", {"enabled": True})
    assert call_tool(Client(), token, "list_datasets").status_code == 200
    admin_api.call("DELETE", "/organizations/acme/domains/acme-labs.example")
    assert not EmailDomain.objects.filter(domain="acme-labs.example").exists()
    assert {"domain.added", "domain.disabled", "domain.removed"} <= set(
        AuditEvent.objects.filter(actor=published.admin).values_list("action", flat=True)
    )


def test_access_ends_and_is_restored_but_not_upgraded(admin_api: Api, published: World) -> None:
    token = issue(published.member, published.acme).secret
    assert problem(admin_api.call("PUT", "/organizations/acme/access", {"status": "trial"}), 409)
    ended = admin_api.call("PUT", "/organizations/acme/access", {"status": "ended"}).json()
    assert ended["access_status"] == "ended"
    assert call_tool(Client(), token, "list_datasets").status_code == 401
    # The admin's own token passes the same gates: with access ended, Spark Portal refuses it too.
    assert admin_api.get("/me").status_code == 401
    published.acme.refresh_from_db()
    assert published.acme.access_status == AccessStatus.ENDED


def test_the_api_cannot_make_a_trial_a_contract(admin_api: Api, published: World) -> None:
    """Issue 20, item 4, through the API: the service's rule refuses it (the API has no check of its
    own). Once access has ended the admin's token is refused by the gates, so this is what it reaches."""
    published.acme.access_status = AccessStatus.TRIAL
    published.acme.save()
    refused = problem(admin_api.call("PUT", "/organizations/acme/access", {"status": "contract"}), 409)
    assert "Only Spark Portal's staff change whether Acme is on a trial or a contract" in refused["detail"]
    published.acme.refresh_from_db()
    assert published.acme.access_status == AccessStatus.TRIAL


def test_usage_and_the_connection_doctor(admin_api: Api, published: World) -> None:
    token = issue(published.member, published.acme).secret
    assert call_tool(Client(), token, "list_datasets").status_code == 200
    usage = admin_api.get("/organizations/acme/usage", days=7).json()
    assert len(usage["days"]) == 7 and usage["days"][-1]["calls"] == 1
    assert usage["tools"] == [{"tool": "list_datasets", "calls": 1}]
    assert usage["credentials"][0]["owner"] == "member@acme.example"
    EmailDomain.objects.create(organization=published.acme, domain="acme-labs.example", enabled=False)
    make_user("lab@acme-labs.example", published.acme)
    diagnosis = admin_api.get("/organizations/acme/doctor", subject="lab@acme-labs.example").json()
    assert diagnosis["found"] and "acme-labs.example is not enabled for Acme" in diagnosis["verdict"]
    (domain,) = [c for c in diagnosis["checks"] if c["gate"] == "Email domain"]
    assert not domain["ok"] and domain["who"] == "An organization admin (you)"
    outsider = admin_api.get("/organizations/acme/doctor", subject="outsider@globex.example").json()
    assert not outsider["found"] and [c["gate"] for c in outsider["checks"]] == ["Membership"]


def test_confidential_clients(admin_api: Api, published: World) -> None:
    made = admin_api.call(
        "POST",
        "/organizations/acme/clients",
        {"name": "Copilot Studio", "redirect_uri": "https://global.consent.azure-apim.net/redirect/spark-acme"},
    )
    assert made.status_code == 201 and made.json()["client_secret"] and made["Cache-Control"] == "no-store"
    listed = admin_api.get("/organizations/acme/clients").json()
    assert [c["name"] for c in listed] == ["Copilot Studio"] and "client_secret" not in listed[0]
    bad = problem(
        admin_api.call("POST", "/organizations/acme/clients", {"name": "x", "redirect_uri": "https://evil.example/cb"}),
        409,
    )
    assert bad["detail"]
    admin_api.call("DELETE", f"/organizations/acme/clients/{listed[0]['id']}")
    assert not OrganizationClient.objects.exists()


def test_saved_audiences(admin_api: Api, published: World) -> None:
    expression = {"and": [{"gender": "female"}, {"age": [18, 34]}]}
    made = admin_api.call(
        "POST", "/organizations/acme/audiences", {"dataset": "ds-core", "name": "Young women", "expression": expression}
    )
    assert made.status_code == 201 and made.json()["expression"] == expression
    assert [a["name"] for a in admin_api.get("/organizations/acme/audiences").json()] == ["Young women"]
    assert AuditEvent.objects.filter(action="audience.created", actor=published.admin).exists()
    wrong = {"dataset": "ds-core", "name": "x", "expression": {"datapoint": "nope.nothing"}}
    assert problem(admin_api.call("POST", "/organizations/acme/audiences", wrong), 409)["detail"]
    theirs = {"dataset": "ds-gaming", "name": "x", "expression": {"gender": "male"}}
    assert problem(admin_api.call("POST", "/organizations/acme/audiences", theirs), 409)["code"] == "unknown_dataset"


def test_blank_names_are_refused_in_the_portals_words(admin_api: Api, published: World) -> None:
    audience = {"dataset": "ds-core", "name": "  ", "expression": {"gender": "female"}}
    assert problem(admin_api.call("POST", "/organizations/acme/audiences", audience), 409)["detail"] == (
        "Give the audience a name."
    )
    client = {"name": " ", "redirect_uri": "https://global.consent.azure-apim.net/redirect/spark-acme"}
    assert (
        "Give the client a name"
        in problem(admin_api.call("POST", "/organizations/acme/clients", client), 409)["detail"]
    )
    token = {"name": "\n", "days": 30, "scopes": ["insights:read"]}
    assert problem(admin_api.call("POST", "/me/tokens", token), 409)["detail"] == "Give the token a name."
