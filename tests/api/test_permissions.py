"""Every route and method of the management API, read from the URL resolver, called by everyone who
might try it: someone with no token, a member of the organization (their token holds the MCP scopes
only: members cannot hold the management ones), an admin demoted to member who still holds an
`org:admin` token, the admin with a token lacking the scope (`org:read` for a change, the MCP
scope for anything), an admin of another organization with their own token, the member and that
other admin signed in to the portal (the session the console's pages may use), and the
organization's admin. The refused ones change nothing anywhere.

Object routes are also tried by the admin with another organization's IDs, under their own
organization's URL and under the other's: the answer is the very 404 (status, type, body) of an ID
nothing has, and the other organization's state is untouched, to the column. A route the table
below does not classify fails the test: a new route is covered the day it is added (docs/api.md,
"Authentication and scopes"; docs/security.md, "Scoping")."""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.apps import apps
from django.test import Client
from django.urls import URLPattern, reverse
from drf_spectacular.generators import SchemaGenerator
from oauth2_provider.models import Application

from accounts.models import Membership, Organization, PersonalAccessToken, Role, User
from accounts.scopes import ORG_ADMIN_SCOPE, ORG_READ_SCOPE, TOOLS_SCOPE
from api import urls as api_urls
from api.selectors import NO_SUCH_ORGANIZATION
from audit.models import AuditDelivery, DeliveryState
from audit.stream_services import stream_set
from oauth_server.models import ClientApproval, ConnectedApp
from oauth_server.services import organization_client_create
from tests.api.conftest import Api, api_for
from tests.factories import World, issue, make_user
from tests.oauth_server.oauth_helpers import publish

METHODS = ("get", "post", "put", "patch", "delete")
PUBLIC, SELF, ORG = "public", "self", "organization"
"""PUBLIC: anyone reads it (the schema and its docs). SELF: the caller's own things (`/me…`,
`/organizations`: every management-scoped caller, each sees their own). ORG: one organization's
things, for its admins only."""


@dataclass(frozen=True)
class Call:
    admin: int
    """What Acme's admin gets with Acme's own objects."""
    body: dict[str, Any] | None = None
    query: str = ""


@dataclass(frozen=True)
class Route:
    kind: str
    methods: dict[str, Call] = field(default_factory=dict)


STREAM_URL = "http://127.0.0.1:9/{slug}"  # a closed port: a delivery fails at once, nothing leaves the machine

ROUTES: dict[str, Route] = {
    "schema": Route(PUBLIC, {"get": Call(200)}),
    "docs": Route(PUBLIC, {"get": Call(200)}),
    "me": Route(SELF, {"get": Call(200)}),
    "own-tokens": Route(
        SELF, {"get": Call(200), "post": Call(201, {"name": "CI", "days": 7, "scopes": [TOOLS_SCOPE]})}
    ),
    "own-token": Route(SELF, {"delete": Call(200)}),
    "own-token-rotate": Route(SELF, {"post": Call(200)}),
    "own-connected-apps": Route(SELF, {"get": Call(200)}),
    "own-connected-app": Route(SELF, {"delete": Call(200)}),
    "organizations": Route(SELF, {"get": Call(200)}),
    "organization": Route(ORG, {"get": Call(200)}),
    "members": Route(ORG, {"get": Call(200), "post": Call(201, {"email": "new@acme.example", "role": "member"})}),
    "member": Route(ORG, {"get": Call(200), "patch": Call(200, {"role": "admin"}), "delete": Call(200)}),
    "member-mfa-reset": Route(ORG, {"post": Call(200)}),
    "connectors": Route(ORG, {"get": Call(200)}),
    "connector": Route(ORG, {"get": Call(200), "put": Call(200, {"published": False}), "delete": Call(200)}),
    "tokens": Route(ORG, {"get": Call(200)}),
    "token": Route(ORG, {"delete": Call(200)}),
    "connected-apps": Route(ORG, {"get": Call(200)}),
    "connected-app": Route(ORG, {"delete": Call(200)}),
    "domains": Route(ORG, {"get": Call(200), "post": Call(201, {"domain": "labs.acme.example"})}),
    "domain": Route(ORG, {"get": Call(200), "patch": Call(200, {"enabled": False}), "delete": Call(200)}),
    "domain-verify": Route(ORG, {"post": Call(200)}),
    "access": Route(ORG, {"put": Call(200, {"status": "ended"})}),
    "policies": Route(ORG, {"get": Call(200), "patch": Call(200, {"token_max_days": 90})}),
    "audit-policies": Route(ORG, {"get": Call(200), "patch": Call(200, {"call_audit": True})}),
    "audit-stream": Route(
        ORG, {"get": Call(200), "put": Call(200, {"url": STREAM_URL.format(slug="acme")}), "delete": Call(204)}
    ),
    "audit-stream-test": Route(ORG, {"post": Call(200)}),
    "audit-stream-secret": Route(ORG, {"post": Call(200)}),
    "dead-letters": Route(ORG, {"get": Call(200)}),
    "resend": Route(ORG, {"post": Call(200, {})}),  # the body names both organizations' dead letters
    "assistant-policies": Route(ORG, {"get": Call(200), "patch": Call(200, {"approval_required": True})}),
    "assistant-approvals": Route(ORG, {"get": Call(200)}),
    "assistant-approval": Route(ORG, {"put": Call(200, {"status": "approved"})}),
    "usage": Route(ORG, {"get": Call(200, query="?days=7")}),
    "doctor": Route(ORG, {"get": Call(200, query="?subject=member@acme.example")}),
    "audiences": Route(ORG, {"get": Call(200), "post": Call(400, {"name": "No expression"})}),
    "clients": Route(
        ORG,
        {
            "get": Call(200),
            "post": Call(
                201, {"name": "Studio", "redirect_uri": "https://global.consent.azure-apim.net/redirect/studio"}
            ),
        },
    ),
    "client": Route(ORG, {"delete": Call(200)}),
    "audit-events": Route(ORG, {"get": Call(200)}),
    "audit-export": Route(ORG, {"get": Call(200, query="?as=csv")}),
}


def _patterns() -> list[URLPattern]:
    found = [p for p in api_urls.urlpatterns if isinstance(p, URLPattern)]
    assert len(found) == len(api_urls.urlpatterns), "the API's URLs are one flat list"
    return found


def _methods(pattern: URLPattern) -> list[str]:
    view = pattern.callback.view_class  # type: ignore[attr-defined]
    return [m for m in METHODS if hasattr(view, m)]


ROUTE_METHODS = [(p.name, m) for p in _patterns() if p.name for m in _methods(p)]


def test_every_route_and_method_is_classified() -> None:
    names = [p.name for p in _patterns()]
    assert names.count(None) == 1 and _patterns()[-1].name is None  # only the catch-all 404 is unnamed
    assert sorted(n for n in names if n) == sorted(ROUTES), "classify each route in ROUTES"
    for pattern in _patterns():
        if pattern.name:
            assert sorted(_methods(pattern)) == sorted(ROUTES[pattern.name].methods), pattern.name
    assert len(ROUTE_METHODS) >= 56


def test_the_published_schema_has_no_operation_the_table_misses() -> None:
    """drf-spectacular's view of the same routes: every operation it publishes is one the table calls."""
    schema = SchemaGenerator().get_schema(request=None, public=True)
    published = sorted(
        (re.sub(r"\{[a-z_]+\}", "{}", path), method) for path, item in schema["paths"].items() for method in item
    )
    called = sorted(
        (re.sub(r"<[a-z]+:[a-z_]+>", "{}", f"/api/{next(p for p in _patterns() if p.name == name).pattern}"), method)
        for name, method in ROUTE_METHODS
        if ROUTES[name].kind != PUBLIC
    )
    assert published == called and len(published) >= 54


@dataclass
class Scene:
    world: World
    gm: User
    """A member of Globex."""
    ids: dict[str, dict[str, Any]]
    """Each organization's objects, by the path parameter that names them."""
    dead: dict[str, str]
    """Each organization's dead letter's event ID."""
    callers: dict[str, Api]


def _application(name: str) -> Application:
    return Application.objects.create(name=name, client_type="public", authorization_grant_type="authorization-code")


def _connection(user: User, organization: Organization, name: str) -> ConnectedApp:
    return ConnectedApp.objects.create(
        user=user, organization=organization, application=_application(name), platform="claude", scope=TOOLS_SCOPE
    )


def _objects(organization: Organization, admin: User, member: User, owner: User) -> dict[str, Any]:
    """One of each thing a path can name, in this organization; `owner`'s are the `/me` ones."""
    slug = organization.slug
    stream, _ = stream_set(
        organization=organization, url=STREAM_URL.format(slug=slug), enabled=True, actor=admin, origin=None
    )
    approval = ClientApproval.objects.create(organization=organization, application=_application(f"{slug} asks"))
    client = organization_client_create(
        organization=organization,
        name=f"{slug} studio",
        redirect_uri="https://global.consent.azure-apim.net/redirect/studio",
        actor=admin,
        origin=None,
    ).client
    return {
        "slug": slug,
        "user_id": member.pk,
        "platform": "claude",
        "domain": organization.email_domains.get().domain,
        "token_id": (own := issue(owner, organization, scopes=[TOOLS_SCOPE]).token).pk,
        "token_prefix": own.prefix,
        "member_token_id": issue(member, organization).token.pk,
        "connection_id": _connection(owner, organization, f"{slug} own app").pk,
        "member_connection_id": _connection(member, organization, f"{slug} member app").pk,
        "approval_id": approval.pk,
        "client_id": client.pk,
        "stream": stream.pk,
    }


@pytest.fixture
def scene(world: World, settings: Any) -> Scene:
    settings.SPARK_AUDIT_STREAM_ALLOW_LOCAL = True  # the streams below send to 127.0.0.1
    publish(world.acme)
    publish(world.globex)
    gm = make_user("gm@globex.example", world.globex)
    # Acme's admin is a member of Globex too: their own Globex token and assistant are Globex's things
    Membership.objects.create(user=world.admin, organization=world.globex, role=Role.MEMBER)
    demoted = make_user("demoted@acme.example", world.acme, Role.ADMIN)
    callers = {
        "admin": api_for(world.admin, world.acme, ORG_ADMIN_SCOPE),
        "reader": api_for(world.admin, world.acme, ORG_READ_SCOPE),
        "mcp_only": api_for(world.admin, world.acme, TOOLS_SCOPE),
        "member": api_for(world.member, world.acme, TOOLS_SCOPE),
        "demoted": api_for(demoted, world.acme, ORG_ADMIN_SCOPE),
        "stranger": api_for(world.outsider, world.globex, ORG_ADMIN_SCOPE),
    }
    Membership.objects.filter(user=demoted).update(role=Role.MEMBER)
    for who, user in (("member_session", world.member), ("stranger_session", world.outsider)):
        callers[who] = Api("", Client())  # the portal's own pages: the signed-in session, no token
        callers[who].client.force_login(user)
    ids = {
        "acme": _objects(world.acme, world.admin, world.member, world.admin),
        "globex": _objects(world.globex, world.outsider, gm, world.admin),  # Acme's admin's own, in Globex
    }
    AuditDelivery.objects.update(state=DeliveryState.DEAD, attempts=3)
    dead = {
        slug: str(AuditDelivery.objects.filter(stream_id=ids[slug]["stream"]).values_list("event_id", flat=True)[0])
        for slug in ids
    }
    return Scene(world, gm, ids, dead, callers)


NOISE = {"last_used_at", "last_used_address", "last_used_agent"}
"""What any authenticated request writes on the caller's own token."""
LEFT_OUT = {"usage.requestcount"}
"""The rate limit's counters: every request counts, refused or not."""


def _state(organization: Organization | None = None) -> dict[str, list[dict[str, Any]]]:
    """Every row of the portal's own tables (the catalog aside), or those of one organization: its
    own rows, and those of its stream and people that are in no other organization."""
    state = {}
    for model in apps.get_models():
        label = model._meta.label_lower
        if model._meta.app_label in ("catalog", "sessions", "contenttypes", "auth", "admin") or label in LEFT_OUT:
            continue
        rows = model._default_manager.all()
        if organization is not None:
            names = {f.name for f in model._meta.get_fields()}
            only_here = User.objects.filter(memberships__organization=organization).exclude(
                memberships__organization__in=Organization.objects.exclude(pk=organization.pk)
            )
            if model is Organization:
                rows = rows.filter(pk=organization.pk)
            elif "organization" in names:
                rows = rows.filter(organization=organization)
            elif "stream" in names:
                rows = rows.filter(stream__organization=organization)
            elif "user" in names:
                rows = rows.filter(user__in=only_here)
            elif model is User:
                rows = rows.filter(pk__in=only_here)
            else:
                continue
        state[label] = [{k: v for k, v in row.items() if k not in NOISE} for row in rows.order_by("pk").values()]
    return state


def _path(name: str, values: dict[str, Any], call: Call) -> str:
    pattern = next(p for p in _patterns() if p.name == name)
    member_credential = {"token_id": "member_token_id", "connection_id": "member_connection_id"}
    kwargs = {}
    for parameter in pattern.pattern.converters:
        # the organization's routes name a member's credential, the `/me` ones the caller's own
        key = member_credential.get(parameter, parameter) if name in ("token", "connected-app") else parameter
        kwargs[parameter] = values[key]
    return reverse(f"api:{name}", kwargs=kwargs) + call.query


def _send(api: Api | None, method: str, path: str, body: Any) -> Any:
    client = api.client if api else Client()
    headers: dict[str, Any] = {"HTTP_AUTHORIZATION": f"Bearer {api.secret}"} if api and api.secret else {}
    if method == "get":
        return client.get(path, **headers)
    return getattr(client, method)(
        path, data=body if body is not None else {}, content_type="application/json", **headers
    )


def _body(scene: Scene, name: str, call: Call) -> Any:
    if name == "resend":
        return {"event_ids": [scene.dead["acme"], scene.dead["globex"]]}
    return call.body


def _problem(response: Any) -> tuple[int, str, dict[str, Any]]:
    body = response.json()
    body.pop("request_id", None)
    return response.status_code, response["Content-Type"], body


MISSING = {
    "slug": "no-such-org",
    "user_id": 999_999_999,
    "platform": "claude",
    "domain": "no-such.example",
    "token_id": 999_999_999,
    "member_token_id": 999_999_999,
    "connection_id": 999_999_999,
    "member_connection_id": 999_999_999,
    "approval_id": 999_999_999,
    "client_id": 999_999_999,
}


CALLERS = ("anonymous", "member", "mcp_only", "reader", "demoted", "stranger", "member_session", "stranger_session")


def _expected(kind: str, who: str, method: str) -> tuple[int, str] | None:
    """What a caller other than the admin gets (status, problem code), or None where it acts as itself."""
    if kind == PUBLIC:
        return (200, "")
    if who == "anonymous":
        return (401, "not_authenticated")
    if who in ("member", "mcp_only"):
        return (403, "insufficient_scope")
    if who == "reader" and method != "get":
        return (403, "insufficient_scope")
    if who == "reader":
        return None  # reads as the admin does
    if kind == ORG:
        return (403, "not_an_admin") if who in ("demoted", "member_session") else (404, "not_found")
    return None


@pytest.mark.parametrize(("name", "method"), ROUTE_METHODS, ids=[f"{m.upper()} {n}" for n, m in ROUTE_METHODS])
def test_who_may_call_it(scene: Scene, name: str, method: str) -> None:
    route = ROUTES[name]
    call = route.methods[method]
    acme, globex = scene.ids["acme"], scene.ids["globex"]
    body = _body(scene, name, call)
    converters = next(p for p in _patterns() if p.name == name).pattern.converters
    has_objects = bool(set(converters) - {"slug", "platform"})  # a platform is every organization's

    before = _state()
    for who in CALLERS:
        expected = _expected(route.kind, who, method)
        if expected is None and not (route.kind == SELF and has_objects and who != "reader"):
            continue
        expected = expected or (404, "not_found")  # someone else's own token or assistant
        response = _send(scene.callers.get(who), method, _path(name, acme, call), body)
        assert response.status_code == expected[0], (who, response.content[:300])
        if expected[1]:
            assert response.json()["code"] == expected[1], (who, response.json())
        if who.startswith("stranger") and route.kind == ORG:  # as if Acme did not exist
            missing = _send(scene.callers[who], method, _path(name, {**acme, "slug": "no-such-org"}, call), body)
            assert _problem(response) == _problem(missing) and _problem(missing)[2]["detail"] == NO_SUCH_ORGANIZATION
    assert _state() == before, "a refused request changed something"

    admin = scene.callers["admin"]
    if route.kind != PUBLIC and (has_objects or route.kind == ORG):
        tries = [{**acme, **{k: v for k, v in globex.items() if k != "slug"}}] if has_objects else []
        tries += [globex] if route.kind == ORG else []
        for values in tries:  # another organization's things, under Acme's URL and under Globex's
            response = _send(admin, method, _path(name, values, call), body)
            nothing = {**MISSING, "slug": values["slug"] if values["slug"] == "acme" else "no-such-org"}
            assert _problem(response) == _problem(_send(admin, method, _path(name, nothing, call), body)), values
            assert response.status_code == 404, response.content[:300]
        assert _state() == before, "another organization's object was acted on"

    theirs = _state(scene.world.globex)
    response = _send(admin, method, _path(name, acme, call), body)
    assert response.status_code == call.admin, response.content[:300]
    assert _state(scene.world.globex) == theirs, "Acme's admin changed something of Globex"
    said = b"".join(response.streaming_content if response.streaming else [response.content]).decode()
    secrets = ("gm@globex.example", "globex studio", "globex own app", "globex member app", "9/globex")
    for secret in (*secrets, globex["token_prefix"]):  # nor their own token or assistant in Globex
        assert secret not in said, (secret, said[:600])


def test_what_a_query_names_of_another_organization_is_answered_as_nothing(scene: Scene) -> None:
    """The doctor's subject and the trail's actor filter: another organization's person, token or
    assistant is answered exactly as one that does not exist (the subject aside, which is echoed);
    a token is never made in another organization, even one its owner belongs to."""
    admin, gm = scene.callers["admin"], scene.gm
    token = PersonalAccessToken.objects.get(user=gm)
    client_id = ConnectedApp.objects.get(user=gm).application.client_id
    for theirs, nobody in (
        (gm.email, "nobody@globex.example"),
        (f"spk_{token.prefix}", "spk_zzzzzzzzzz"),
        (client_id, "z" * len(client_id)),
    ):
        found = admin.get("/organizations/acme/doctor", subject=theirs)
        assert found.status_code == 200 and found.json()["found"] is False, found.json()
        assert found.content.decode().replace(theirs, "X") == (
            admin.get("/organizations/acme/doctor", subject=nobody).content.decode().replace(nobody, "X")
        )
    for path in ("audit-events", "audit-events/export"):
        listed = admin.get(f"/organizations/acme/{path}", actor="outsider@globex.example")
        said = b"".join(listed.streaming_content) if listed.streaming else listed.content
        assert listed.status_code == 200 and b"globex" not in said.lower(), said[:600]
    created = PersonalAccessToken.objects.count()
    for slug in ("globex", "no-such-org"):  # Acme's admin is a member of Globex, but this token is Acme's
        response = admin.call(
            "POST", f"/me/tokens?organization={slug}", {"name": "x", "days": 7, "scopes": [TOOLS_SCOPE]}
        )
        assert response.status_code == 404 and response.json()["detail"] == "no such organization among yours"
    assert PersonalAccessToken.objects.count() == created
