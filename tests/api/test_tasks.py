"""The user stories and the org-admin tasks through the API alone, each audited as in the portal."""

from __future__ import annotations

import json

from django.core import mail
from django.test import Client

from accounts.models import Membership, PersonalAccessToken, Role
from audit.models import AuditEvent
from oauth_server.models import ConnectedApp, ConnectorPublication
from oauth_server.platforms import Platform
from tests.api.conftest import Api, problem
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool
from tests.orgadmin.conftest import connect_assistant


def _signed_in(world: World, who: str = "member") -> Client:
    browser = Client()
    browser.force_login(getattr(world, who))
    return browser


def test_create_rotate_and_revoke_a_token(admin_api: Api, published: World) -> None:
    made = admin_api.call(
        "POST", "/me/tokens", {"name": "nightly", "days": 30, "scopes": ["insights:read", "dataset:ds-core"]}
    )
    assert made.status_code == 201 and made["Cache-Control"] == "no-store"
    token = made.json()
    assert token["secret"].startswith("spk_") and token["prefix"] in token["secret"]
    assert call_tool(Client(), token["secret"], "list_datasets").status_code == 200
    assert AuditEvent.objects.filter(action="token.created", actor=published.admin, detail__token=token["id"]).exists()
    listed = admin_api.get("/me/tokens").json()
    assert token["id"] in [t["id"] for t in listed] and all("secret" not in t for t in listed)
    rotated = admin_api.call("POST", f"/me/tokens/{token['id']}/rotate").json()
    assert rotated["secret"] != token["secret"]
    assert call_tool(Client(), token["secret"], "list_datasets").status_code == 401
    assert admin_api.call("DELETE", f"/me/tokens/{token['id']}").json()["revoked_at"]
    assert call_tool(Client(), rotated["secret"], "list_datasets").status_code == 401
    assert AuditEvent.objects.filter(action="token.revoked", actor=published.admin).exists()


def test_token_validation_says_why(admin_api: Api) -> None:
    body = problem(admin_api.call("POST", "/me/tokens", {"name": "x", "days": 7, "scopes": ["dataset:ds-gaming"]}), 409)
    assert body["detail"] == "Acme cannot grant: dataset:ds-gaming."
    empty = problem(admin_api.call("POST", "/me/tokens", {"name": "x", "days": 7, "scopes": []}), 400)
    assert "scopes" in empty["errors"]
    assert problem(admin_api.call("POST", "/me/tokens/999999/rotate"), 404)


def test_publish_and_unpublish_a_connector(admin_api: Api, published: World) -> None:
    assistant = connect_assistant(_signed_in(published))
    answer = admin_api.call("PUT", "/organizations/acme/connectors/custom", {"published": False})
    assert answer.status_code == 200 and answer.json()["published"] is False
    assert call_tool(Client(), assistant, "list_datasets").status_code == 401
    assert AuditEvent.objects.filter(action="connector.unpublished", actor=published.admin).exists()
    admin_api.call("PUT", "/organizations/acme/connectors/custom", {"published": True})
    assert call_tool(Client(), assistant, "list_datasets").status_code == 200
    listed = {c["platform"]: c["published"] for c in admin_api.get("/organizations/acme/connectors").json()}
    assert listed == {p.value: True for p in Platform}
    assert problem(admin_api.call("PUT", "/organizations/acme/connectors/myspace", {"published": True}), 404)


def test_removing_a_connector_revokes_its_assistants(admin_api: Api, published: World) -> None:
    assistant = connect_assistant(_signed_in(published))
    impact = admin_api.call("DELETE", "/organizations/acme/connectors/custom").json()
    assert impact == {"people": 1, "tokens": 0, "assistants": 1}
    admin_api.call("PUT", "/organizations/acme/connectors/custom", {"published": True})
    assert call_tool(Client(), assistant, "list_datasets").status_code == 401
    assert ConnectorPublication.objects.get(organization=published.acme, platform="custom").published is True


def test_revoke_an_assistant_own_and_as_admin(admin_api: Api, published: World) -> None:
    mine = connect_assistant(_signed_in(published, "admin"))
    (row,) = admin_api.get("/me/connected-apps").json()
    assert admin_api.call("DELETE", f"/me/connected-apps/{row['id']}").json()["revoked_at"]
    assert call_tool(Client(), mine, "list_datasets").status_code == 401
    theirs = connect_assistant(_signed_in(published))
    live = [c for c in admin_api.get("/organizations/acme/connected-apps").json() if c["revoked_at"] is None]
    (member_row,) = [c for c in live if c["owner"] == published.member.email]
    admin_api.call("DELETE", f"/organizations/acme/connected-apps/{member_row['id']}")
    assert call_tool(Client(), theirs, "list_datasets").status_code == 401
    revoked = ConnectedApp.objects.get(pk=member_row["id"])
    assert revoked.revoked_by == published.admin
    assert problem(admin_api.call("DELETE", f"/me/connected-apps/{member_row['id']}"), 404)


def test_invite_change_role_and_remove_members(admin_api: Api, published: World) -> None:
    sent = admin_api.call("POST", "/organizations/acme/members", {"email": "New@Acme.example", "role": "member"})
    assert sent.status_code == 201 and sent.json()["email"] == "new@acme.example" and sent.json()["emailed"]
    assert "new@acme.example" in mail.outbox[-1].to and sent.json()["domain_enabled"] is True
    elsewhere = admin_api.call("POST", "/organizations/acme/members", {"email": "pat@elsewhere.example"})
    assert elsewhere.status_code == 201 and elsewhere.json()["domain_enabled"] is False
    again = problem(admin_api.call("POST", "/organizations/acme/members", {"email": "member@acme.example"}), 409)
    assert "already a member of Acme" in again["detail"]
    member = published.member.pk
    assert admin_api.call("PATCH", f"/organizations/acme/members/{member}", {"role": "admin"}).json()["role"] == "admin"
    token = issue(published.member, published.acme).secret
    impact = admin_api.call("DELETE", f"/organizations/acme/members/{member}").json()
    assert impact == {"people": 1, "tokens": 1, "assistants": 0}
    assert not Membership.objects.filter(user_id=member, organization=published.acme).exists()
    assert call_tool(Client(), token, "list_datasets").status_code == 401
    actions = set(AuditEvent.objects.filter(actor=published.admin).values_list("action", flat=True))
    assert {"member.invited", "member.role_changed", "member.removed"} <= actions
    last = problem(
        admin_api.call("PATCH", f"/organizations/acme/members/{published.admin.pk}", {"role": "member"}), 409
    )
    assert "admin" in last["detail"]
    assert Membership.objects.get(user=published.admin, organization=published.acme).role == Role.ADMIN


def test_members_tokens_and_revoking_a_members_token(admin_api: Api, published: World) -> None:
    issued = issue(published.member, published.acme)
    people = admin_api.get("/organizations/acme/members", q="member@").json()
    assert [p["email"] for p in people] == ["member@acme.example"]
    tokens = admin_api.get("/organizations/acme/tokens").json()
    assert issued.token.pk in [t["id"] for t in tokens]
    admin_api.call("DELETE", f"/organizations/acme/tokens/{issued.token.pk}")
    assert PersonalAccessToken.objects.get(pk=issued.token.pk).revoked_at is not None
    assert call_tool(Client(), issued.secret, "list_datasets").status_code == 401


def test_the_audit_trail_in_pages_with_filters(admin_api: Api, published: World) -> None:
    for n in range(5):
        admin_api.call("PUT", "/organizations/acme/connectors/claude", {"published": n % 2 == 0})
    first = admin_api.get("/organizations/acme/audit-events", action="connector.", limit=2).json()
    assert len(first["results"]) == 2 and first["next"]
    assert all(e["action"].startswith("connector.") and e["actor"] == "admin@acme.example" for e in first["results"])
    second = admin_api.client.get(first["next"], HTTP_AUTHORIZATION=f"Bearer {admin_api.secret}").json()
    assert {e["id"] for e in second["results"]}.isdisjoint({e["id"] for e in first["results"]})
    bad = problem(admin_api.get("/organizations/acme/audit-events", since="yesterday"), 400)
    assert "since" in bad["errors"]


def test_the_audit_trail_exports_as_json_lines_and_csv(admin_api: Api, published: World) -> None:
    admin_api.call("PUT", "/organizations/acme/connectors/claude", {"published": False})
    admin_api.call("POST", "/organizations/acme/members", {"email": "=cmd@acme.example"})
    lines = b"".join(admin_api.get("/organizations/acme/audit-events/export", action="connector.").streaming_content)
    (record,) = [json.loads(line) for line in lines.decode().splitlines()]
    assert record["action"] == "connector.unpublished" and record["actor"] == "admin@acme.example"
    assert record["created_at"].endswith("Z") and record["detail"] == {"platform": "claude"}
    answer = admin_api.get("/organizations/acme/audit-events/export", **{"as": "csv"})
    assert answer["Content-Type"].startswith("text/csv") and answer["Cache-Control"] == "no-store"
    text = b"".join(answer.streaming_content).decode()
    assert text.startswith("time (UTC),actor,action") and "invited =cmd@acme.example" in text
    assert problem(admin_api.get("/organizations/acme/audit-events/export", **{"as": "xml"}), 400)["errors"]["as"]


def test_if_match_stops_the_second_of_two_admins(admin_api: Api, published: World) -> None:
    read = admin_api.get("/organizations/acme/connectors/claude")
    tag = read["ETag"]
    first = admin_api.call("PUT", "/organizations/acme/connectors/claude", {"published": False}, **{"If-Match": tag})
    assert first.status_code == 200 and first["ETag"] != tag
    late = admin_api.call("PUT", "/organizations/acme/connectors/claude", {"published": True}, **{"If-Match": tag})
    assert problem(late, 412)["code"] == "precondition_failed"
    assert ConnectorPublication.objects.get(organization=published.acme, platform="claude").published is False
    member = admin_api.get(f"/organizations/acme/members/{published.member.pk}")
    stale = member["ETag"]
    admin_api.call(
        "PATCH", f"/organizations/acme/members/{published.member.pk}", {"role": "admin"}, **{"If-Match": stale}
    )
    refused = admin_api.call(
        "PATCH", f"/organizations/acme/members/{published.member.pk}", {"role": "member"}, **{"If-Match": stale}
    )
    assert problem(refused, 412) and Membership.objects.get(user=published.member).role == Role.ADMIN
    domain = admin_api.get("/organizations/acme/domains/acme.example")
    assert domain.json()["members"] == 2 and domain.json()["verified"] is True and domain["ETag"]


def test_an_idempotency_key_creates_once(admin_api: Api, published: World) -> None:
    invite = {"email": "once@acme.example", "role": "member"}
    first = admin_api.call("POST", "/organizations/acme/members", invite, **{"Idempotency-Key": "k-1"})
    again = admin_api.call("POST", "/organizations/acme/members", invite, **{"Idempotency-Key": "k-1"})
    assert first.status_code == again.status_code == 201 and again["Idempotent-Replayed"] == "true"
    assert again.json() == first.json()
    assert AuditEvent.objects.filter(action="member.invited", detail__email="once@acme.example").count() == 1
    other = {"email": "other@acme.example", "role": "member"}
    reused = admin_api.call("POST", "/organizations/acme/members", other, **{"Idempotency-Key": "k-1"})
    assert problem(reused, 409)["code"] == "idempotency_key_reused"
    body = {"name": "job", "days": 30, "scopes": ["insights:read"]}
    made = admin_api.call("POST", "/me/tokens", body, **{"Idempotency-Key": "k-2"}).json()
    retried = problem(admin_api.call("POST", "/me/tokens", body, **{"Idempotency-Key": "k-2"}), 409)
    assert retried["code"] == "already_created" and made["prefix"] in retried["detail"]
    assert made["secret"] not in retried["detail"]
    assert PersonalAccessToken.objects.filter(name="job").count() == 1


def test_every_post_of_the_api_honours_the_idempotency_key_its_schema_declares() -> None:
    """The schema declares `Idempotency-Key` on every POST (api.schema); each view's `post` must then
    check and honour it (api.idempotency.idempotent), or a malformed key is silently accepted."""

    from rest_framework.views import APIView

    from api import urls

    # The views that were api/views.py before it was split by area (the audit stream's and the
    # assistant policies' modules are not held to it yet).
    areas = ("api.token_views", "api.member_views", "api.organization_views", "api.domain_views", "api.client_views")
    views = {p.callback.view_class for p in urls.urlpatterns if hasattr(p.callback, "view_class")}
    posts = [c for c in views if c.__module__ in areas and issubclass(c, APIView) and "post" in vars(c)]
    assert posts
    unwrapped = [c.__name__ for c in posts if not hasattr(c.post, "__wrapped__")]
    assert unwrapped == []
