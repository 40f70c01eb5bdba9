"""seed_demo: idempotent, prints working credentials, publishes Acme's connectors only."""

from __future__ import annotations

from io import StringIO

import pytest
from django.core.management import call_command

from accounts.models import EmailDomain, Membership, Organization, User
from catalog.models import Dataset
from oauth_server.models import ConnectorPublication
from oauth_server.platforms import Platform


@pytest.mark.django_db
def test_seed_demo_is_idempotent_and_prints_working_credentials() -> None:
    for _ in range(2):
        out = StringIO()
        call_command("seed_demo", "--password", "demo-password-1", stdout=out)
    assert Organization.objects.count() == 2
    assert User.objects.count() == 3 and Membership.objects.count() == 3
    assert Dataset.objects.count() >= 3
    assert EmailDomain.objects.filter(domain="acme.example", enabled=True).exists()
    # the demo's domains are its own: its single sign-on and SCIM work as a real organization's would
    assert EmailDomain.objects.filter(verified_by="staff").count() == 2
    assert "admin@acme.example" in out.getvalue() and "demo-password-1" in out.getvalue()
    assert User.objects.get(email="admin@acme.example").check_password("demo-password-1")


@pytest.mark.django_db
def test_seed_demo_generates_a_password_when_none_given() -> None:
    out = StringIO()
    call_command("seed_demo", stdout=out)
    line = next(x for x in out.getvalue().splitlines() if x.startswith("demo user: member@acme.example"))
    password = line.split("password: ")[1].strip()
    assert len(password) >= 12
    assert User.objects.get(email="member@acme.example").check_password(password)


@pytest.mark.django_db
def test_seed_demo_publishes_every_connector_for_acme_and_none_for_globex() -> None:
    call_command("seed_demo", "--password", "demo-password-1", stdout=StringIO())
    acme = ConnectorPublication.objects.filter(organization__slug="acme", published=True)
    assert sorted(acme.values_list("platform", flat=True)) == sorted(Platform.values)
    assert not ConnectorPublication.objects.filter(organization__slug="globex", published=True).exists()
