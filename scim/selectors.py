"""Reads: an organization's SCIM tokens, and the people its identity provider sees at /scim/v2/Users.

The people a SCIM token sees are its organization's members and the people its identity provider
provisioned there (deactivated ones included). Nobody else: another organization's people are
"not found", whatever their ID."""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from django.db.models import Q, QuerySet
from scim2_models import Meta, SearchRequest

from accounts.models import Membership, Organization, User
from scim.models import ScimToken, ScimUser
from scim.resources import User as UserResource
from spark_portal.untrusted import row_id, unstorable


@dataclass(frozen=True)
class Provisioned:
    """One person as one organization's identity provider sees them."""

    user: User
    link: ScimUser | None
    membership: Membership | None

    @property
    def scim_id(self) -> str:
        return str(self.user.pk)

    @property
    def active(self) -> bool | None:
        """Whether they are in the organization now (None when the identity provider removed `active`)."""
        if self.link is not None and self.link.active is None:
            return None
        return self.membership is not None


@dataclass(frozen=True)
class Deactivation:
    """The identity provider's standing `active: false` (or DELETE) for one person."""

    at: dt.datetime
    by: str
    """The SCIM token that did it (`ScimUser.deprovisioned_by`), as the audit trail names it."""


def standing_deactivation(organization: Organization, email: str) -> Deactivation | None:
    """Whether the organization's identity provider deactivated this address and has not re-activated it."""
    link = (
        ScimUser.objects.filter(organization=organization, user__email__iexact=email, deprovisioned_at__isnull=False)
        .order_by("-deprovisioned_at")
        .first()
    )
    if link is None or link.deprovisioned_at is None:
        return None
    name = link.deprovisioned_by
    return Deactivation(link.deprovisioned_at, f"SCIM token “{name}”" if name else "a SCIM token")


def scim_token_by_prefix(organization: Organization, prefix: str) -> ScimToken | None:
    return ScimToken.objects.filter(organization=organization, prefix=prefix).first()


def organization_scim_tokens(organization: Organization) -> QuerySet[ScimToken]:
    return ScimToken.objects.filter(organization=organization).select_related("created_by")


def scim_token_for_admin(organization: Organization, token_id: int) -> ScimToken | None:
    return organization_scim_tokens(organization).filter(pk=token_id).first()


def provisioned_users(organization: Organization) -> QuerySet[User]:
    """Everyone the organization's SCIM token sees, in a stable order (for startIndex paging)."""
    visible = Q(memberships__organization=organization) | Q(scim_links__organization=organization)
    return User.objects.filter(visible).distinct().order_by("pk")


def provisioned_many(organization: Organization, users: Iterable[User]) -> list[Provisioned]:
    """Each user with their SCIM link and membership in the organization (two queries)."""
    people = list(users)
    ids = [user.pk for user in people]
    links = {link.user_id: link for link in ScimUser.objects.filter(organization=organization, user_id__in=ids)}
    memberships = {m.user_id: m for m in Membership.objects.filter(organization=organization, user_id__in=ids)}
    return [
        Provisioned(user=user, link=links.get(user.pk), membership=memberships.get(user.pk))
        for user in people
        if user.pk in links or user.pk in memberships
    ]


def provisioned_get(organization: Organization, scim_id: str) -> Provisioned | None:
    """The person with this SCIM id, if the organization's SCIM token may see them."""
    pk = row_id(scim_id)
    if pk is None:
        return None
    found = provisioned_many(organization, User.objects.filter(pk=pk))
    return found[0] if found else None


def _attributes(person: Provisioned) -> dict[str, Any]:
    """What the identity provider sent (a provisioned person), or what Spark Portal knows (a member)."""
    if person.link is not None:
        return dict(person.link.attributes)
    return {"displayName": person.user.full_name} if person.user.full_name else {}


def user_resource(person: Provisioned, base_url: str) -> UserResource:
    """The SCIM User resource of a person, located under `base_url` (…/scim/v2)."""
    link, membership = person.link, person.membership
    created = link.created_at if link else membership.created_at if membership else person.user.date_joined
    meta = Meta(
        resource_type="User",
        created=created,
        last_modified=link.updated_at if link else created,
        location=f"{base_url}/Users/{person.scim_id}",
    )
    return UserResource.model_validate(
        {
            **_attributes(person),
            "id": person.scim_id,
            "externalId": (link.external_id if link else "") or None,
            "userName": person.user.email,
            "active": person.active,
            "meta": meta,
        }
    )


_SIMPLE_EQ = re.compile(r'^\s*(userName|externalId|id)\s+eq\s+"((?:[^"\\]|\\.)*)"\s*$', re.IGNORECASE)


def _candidates(organization: Organization, text: str) -> QuerySet[User]:
    """The people a filter can match: narrowed in the database for `userName|externalId|id eq "…"`,
    the lookups identity providers make on every sync (the filter itself is still evaluated)."""
    users = provisioned_users(organization)
    found = _SIMPLE_EQ.match(text)
    if found is None:
        return users
    try:
        value = json.loads(f'"{found.group(2)}"')
    except ValueError:
        return users
    if unstorable(value):  # "\u0000" or a lone surrogate: no row holds one (and no database takes one)
        return users.none()
    attribute = found.group(1).lower()
    if attribute == "username":
        return users.filter(email__iexact=value)
    if attribute == "externalid":
        return users.filter(scim_links__organization=organization, scim_links__external_id=value)
    pk = row_id(value)
    return users.none() if pk is None else users.filter(pk=pk)


def users_search(
    organization: Organization, search: SearchRequest[UserResource], base_url: str
) -> tuple[int, list[UserResource]]:
    """RFC 7644 §3.4.2: filter, sort, then the page `startIndex`/`count` ask for; and the total."""
    text = str(search.filter) if search.filter is not None else ""
    people = provisioned_many(organization, _candidates(organization, text))
    resources = [user_resource(person, base_url) for person in people]
    if search.filter is not None:
        resources = [r for r in resources if search.filter.match(r)]
    if search.sort_by is not None:
        resources = search.sort(resources)
    start = (search.start_index or 1) - 1
    return len(resources), resources[start : start + (search.count or 0)]
