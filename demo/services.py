"""The demo: two organizations, their people and datasets, Acme's connectors published."""

from __future__ import annotations

from dataclasses import dataclass

from django.db import transaction
from django.utils import timezone

from accounts.models import AccessStatus, EmailDomain, Membership, Organization, Role, User, VerifiedBy
from catalog.models import Dataset
from catalog.services import catalog_load
from oauth_server.platforms import Platform
from oauth_server.services import publication_set

# (name, slug, email domain, datasets, people (email, full name, role), publish every connector)
PLAN = [
    (
        "Acme Research",
        "acme",
        "acme.example",
        ["ds-core", "ds-usa-deep"],
        [("admin@acme.example", "Ada Admin", Role.ADMIN), ("member@acme.example", "Max Member", Role.MEMBER)],
        True,
    ),
    (
        "Globex",
        "globex",
        "globex.example",
        ["ds-gaming"],
        [("analyst@globex.example", "Gil Globex", Role.ADMIN)],
        False,
    ),
]


@dataclass(frozen=True)
class Demo:
    organizations: list[Organization]
    users: list[User]
    datasets: list[Dataset]


@transaction.atomic
def demo_seed(*, password: str) -> Demo:
    """Create or refresh the demo (idempotent); every demo user gets `password`.

    Acme publishes every connector; Globex none, so its members see the "not published" page.
    """
    datasets = catalog_load()
    by_code = {d.code: d for d in datasets}
    organizations, users = [], []
    for name, slug, domain, codes, people, publish in PLAN:
        org, _ = Organization.objects.update_or_create(
            slug=slug, defaults={"name": name, "access_status": AccessStatus.CONTRACT, "access_ends_on": None}
        )
        org.datasets.set([by_code[c] for c in codes])
        _domain(org, domain)
        members = [_person(org, email, full_name, role, password) for email, full_name, role in people]
        if publish:
            for platform in Platform:
                publication_set(organization=org, platform=platform, published=True, actor=members[0], origin=None)
        organizations.append(org)
        users += members
    return Demo(organizations=organizations, users=users, datasets=datasets)


def _domain(org: Organization, name: str) -> None:
    """The demo's domains are its own: enabled and verified (by staff: the demo's names have no DNS)."""
    domain, _ = EmailDomain.objects.update_or_create(organization=org, domain=name, defaults={"enabled": True})
    if not domain.verified:
        EmailDomain.objects.filter(pk=domain.pk).update(verified_at=timezone.now(), verified_by=VerifiedBy.STAFF)


def _person(org: Organization, email: str, full_name: str, role: str, password: str) -> User:
    user, _ = User.objects.get_or_create(email=email, defaults={"full_name": full_name})
    user.is_active = True
    user.set_password(password)
    user.save()
    Membership.objects.update_or_create(user=user, organization=org, defaults={"role": role})
    return user
