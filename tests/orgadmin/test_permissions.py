"""Every console page and action: a member and another organization's admin get a 403 saying they
are not its admin (naming the organization to its members only), someone signed out is sent to sign
in. Nothing changes on a refused request."""

from __future__ import annotations

import re

import pytest
from django.test import Client
from django.urls import URLPattern, get_resolver

from accounts.models import EmailDomain, Invitation, Membership
from audit.models import AuditEvent
from orgadmin import urls as orgadmin_urls
from tests.factories import World, issue


def _paths(world: World) -> list[str]:
    """Every orgadmin URL, filled in with Acme's own objects."""
    token = issue(world.member, world.acme).token
    domain = EmailDomain.objects.get(organization=world.acme)
    invitation = Invitation.objects.create(
        organization=world.acme, email="x@acme.example", digest="d" * 64, expires_at="2099-01-01T00:00Z"
    )
    values = {
        "slug": "acme",
        "platform": "claude",
        "client_id": 1,
        "domain_id": domain.pk,
        "membership_id": Membership.objects.get(user=world.member).pk,
        "invitation_id": invitation.pk,
        "key": f"token-{token.pk}",
        "user_id": world.member.pk,
        "approval_id": 1,
    }
    resolver = get_resolver(orgadmin_urls)
    paths = []
    for pattern in orgadmin_urls.urlpatterns:
        assert isinstance(pattern, URLPattern)
        names = list(pattern.pattern.converters)
        paths.append("/" + resolver.reverse(pattern.name, **{n: values[n] for n in names}).lstrip("/"))
    return paths


@pytest.mark.parametrize("who", ["member", "outsider"])
def test_nobody_but_the_organizations_admins_gets_in(world: World, who: str) -> None:
    paths = _paths(world)
    assert len(paths) == len(orgadmin_urls.urlpatterns) >= 25
    client = Client()
    client.force_login(getattr(world, who))
    events = AuditEvent.objects.count()
    for path in paths:
        assert client.get(path).status_code == 403, path
        assert (
            client.post(path, {"role": "admin", "email": "a@acme.example", "contact_email": "a@b.example"}).status_code
            == 403
        ), path
    assert AuditEvent.objects.count() == events
    assert Membership.objects.get(user=world.member).role == "member"


def test_signed_out_visitors_are_sent_to_sign_in(world: World) -> None:
    for path in _paths(world):
        response = Client().get(path)
        assert response.status_code == 302 and "/auth/login/" in response["Location"], path


def test_the_refusal_names_the_organization_to_its_members_only(world: World) -> None:
    member, outsider = Client(), Client()
    member.force_login(world.member)
    outsider.force_login(world.outsider)  # Globex's admin
    told = member.get("/org/acme/").content.decode()
    assert "You are not an admin of Acme" in told and "You are a member of Acme" in told
    existing, missing = outsider.get("/org/acme/"), outsider.get("/org/no-such-org/")
    assert existing.status_code == missing.status_code == 403
    main = re.compile(r"<main.*</main>", re.S)  # (the sign-out form's CSRF token differs)
    said = main.search(existing.content.decode()).group().replace("acme", "X")  # type: ignore[union-attr]
    assert said == main.search(missing.content.decode()).group().replace("no-such-org", "X")  # type: ignore[union-attr]
    assert "Acme" not in existing.content.decode() and "You are not an admin of “acme”" in existing.content.decode()
    assert 'href="/org/globex/"' in existing.content.decode()  # the ones they do administer
