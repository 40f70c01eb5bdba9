"""Test data builders: an organization with an admin and a member, an outsider in another one."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils import timezone

from accounts.models import AccessStatus, EmailDomain, Membership, Organization, Role, User
from accounts.scopes import TOOLS_SCOPE, dataset_scope
from accounts.services import IssuedToken, token_create
from catalog.models import Dataset
from catalog.services import catalog_load

PASSWORD = "correct horse battery staple"


@dataclass
class World:
    acme: Organization
    globex: Organization
    admin: User
    member: User
    outsider: User
    datasets: dict[str, Dataset]


def make_user(email: str, org: Organization, role: str = Role.MEMBER) -> User:
    user = User.objects.create_user(email=email, password=PASSWORD)
    Membership.objects.create(user=user, organization=org, role=role)
    return user


def make_world() -> World:
    """Acme (contract; ds-core and ds-usa-deep) with an admin and a member; Globex (trial; ds-gaming)."""
    datasets = {d.code: d for d in catalog_load()}
    today = dt.date.today()
    acme = Organization.objects.create(
        name="Acme",
        slug="acme",
        access_status=AccessStatus.CONTRACT,
        access_starts_on=today - dt.timedelta(days=30),
    )
    acme.datasets.set([datasets["ds-core"], datasets["ds-usa-deep"]])
    # Both domains are verified, as an organization's own domains are once it has set up SCIM or SSO
    # (tests of what an unverified domain may not do add one of their own).
    EmailDomain.objects.create(organization=acme, domain="acme.example", verified_at=timezone.now(), verified_by="dns")
    globex = Organization.objects.create(
        name="Globex",
        slug="globex",
        access_status=AccessStatus.TRIAL,
        access_starts_on=today - dt.timedelta(days=1),
    )
    globex.datasets.set([datasets["ds-gaming"]])
    EmailDomain.objects.create(
        organization=globex, domain="globex.example", verified_at=timezone.now(), verified_by="dns"
    )
    return World(
        acme=acme,
        globex=globex,
        admin=make_user("admin@acme.example", acme, Role.ADMIN),
        member=make_user("member@acme.example", acme),
        outsider=make_user("outsider@globex.example", globex, Role.ADMIN),
        datasets=datasets,
    )


def issue(user: User, org: Organization, *, days: int = 30, scopes: list[str] | None = None, **kw) -> IssuedToken:
    """A personal access token with every scope the organization may grant unless `scopes` says otherwise."""
    if scopes is None:
        scopes = [TOOLS_SCOPE, *(dataset_scope(c) for c in org.datasets.values_list("code", flat=True))]
    return token_create(user=user, organization=org, name="test token", days=days, scopes=scopes, **kw)
