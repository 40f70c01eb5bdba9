"""Every console page and action: a member gets 404, another organization's admin gets 404,
someone signed out is sent to sign in. Nothing changes on a refused request."""

from __future__ import annotations

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
        assert client.get(path).status_code == 404, path
        assert (
            client.post(path, {"role": "admin", "email": "a@acme.example", "contact_email": "a@b.example"}).status_code
            == 404
        ), path
    assert AuditEvent.objects.count() == events
    assert Membership.objects.get(user=world.member).role == "member"


def test_signed_out_visitors_are_sent_to_sign_in(world: World) -> None:
    for path in _paths(world):
        response = Client().get(path)
        assert response.status_code == 302 and "/auth/login/" in response["Location"], path
