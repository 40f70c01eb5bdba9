"""Shared fixtures: an organization with an admin and a member, an outsider in another one."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from django.test import Client

from accounts.models import AccessStatus, EmailDomain, Membership, Organization, Role, User
from accounts.scopes import TOOLS_SCOPE, dataset_scope
from accounts.services import IssuedToken, token_create
from insights.models import Dataset
from insights.services import catalog_load
from mcp_api.auth import reset_cache

PASSWORD = "correct horse battery staple"


@pytest.fixture(autouse=True)
def _fast_hasher(settings) -> None:  # type: ignore[no-untyped-def]
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(scope="session")
def insights_dir(tmp_path_factory: pytest.TempPathFactory) -> str:
    """Small deterministic survey data for the whole test session."""
    from django.test import override_settings

    from insights import store

    folder = str(tmp_path_factory.mktemp("insights"))
    with override_settings(SPARK_INSIGHTS_DIR=folder):
        for code, size in (("ds-core", 40_000), ("ds-usa-deep", 8_000), ("ds-gaming", 8_000)):
            store.build(code, size)
    return folder


@pytest.fixture(autouse=True)
def _insights_data(settings, insights_dir: str) -> None:  # type: ignore[no-untyped-def]
    settings.SPARK_INSIGHTS_DIR = insights_dir


@pytest.fixture(autouse=True)
def _fresh_bearer_cache() -> Iterator[None]:
    # The epoch row is recreated with each test database; start every test with an empty cache.
    reset_cache()
    yield
    reset_cache()


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


@pytest.fixture
def world(db) -> World:  # type: ignore[no-untyped-def]
    datasets = {d.code: d for d in catalog_load()}
    today = dt.date.today()
    acme = Organization.objects.create(
        name="Acme",
        slug="acme",
        access_status=AccessStatus.CONTRACT,
        access_starts_on=today - dt.timedelta(days=30),
    )
    acme.datasets.set([datasets["ds-core"], datasets["ds-usa-deep"]])
    EmailDomain.objects.create(organization=acme, domain="acme.example")
    globex = Organization.objects.create(
        name="Globex",
        slug="globex",
        access_status=AccessStatus.TRIAL,
        access_starts_on=today - dt.timedelta(days=1),
    )
    globex.datasets.set([datasets["ds-gaming"]])
    EmailDomain.objects.create(organization=globex, domain="globex.example")
    return World(
        acme=acme,
        globex=globex,
        admin=make_user("admin@acme.example", acme, Role.ADMIN),
        member=make_user("member@acme.example", acme),
        outsider=make_user("outsider@globex.example", globex, Role.ADMIN),
        datasets=datasets,
    )


def issue(user: User, org: Organization, *, days: int = 30, scopes: list[str] | None = None, **kw) -> IssuedToken:  # type: ignore[no-untyped-def]
    if scopes is None:
        scopes = [TOOLS_SCOPE, *(dataset_scope(c) for c in org.datasets.values_list("code", flat=True))]
    return token_create(user=user, organization=org, name="test token", days=days, scopes=scopes, **kw)


@pytest.fixture
def member_client(world: World) -> Client:
    client = Client()
    client.force_login(world.member)
    return client
