"""What Spark Portal publishes at /scim/v2: the User resource, the service description, the tolerance.

Built on `scim2-models` (pydantic models of RFC 7643/7644): requests are validated, PATCH applied
and filters evaluated by it, so this module only says *which* attributes Spark Portal keeps. The User
schema publishes exactly those: a checker (or an identity provider) that writes one reads it back.
"""

from __future__ import annotations

from typing import Annotated, Any

from scim2_models import (
    URN,
    AuthenticationScheme,
    Bulk,
    ChangePassword,
    Email,
    ETag,
    Filter,
    Name,
    Patch,
    Required,
    Resource,
    ResourceType,
    Schema,
    ScimPolicy,
    ScimProvider,
    ServiceProviderConfig,
    Sort,
    Uniqueness,
)

USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PAGE_SIZE = 200
"""The most resources one list or search answers (RFC 7644 §3.4.2.4 `count` is capped to it)."""


class User(Resource[Any]):
    """A person of the organization: their email address is their sign-in."""

    __schema__ = URN(USER_SCHEMA)

    user_name: Annotated[str | None, Required.true, Uniqueness.server] = None
    """The person's email address, which they sign in with. Its domain must be one of the
    organization's enabled email domains."""

    name: Name | None = None
    """The person's name, as the identity provider holds it."""

    display_name: str | None = None
    """The name shown in Spark Portal (else name.formatted, else given and family name)."""

    emails: list[Email] | None = None
    """Email addresses, as the identity provider holds them (userName is the one that signs in)."""

    active: bool | None = None
    """false removes the person from the organization: their tokens, connected assistants and
    sessions end at once. true brings them back. Left out, nothing changes."""


# What Okta and Microsoft Entra ID send, accepted as they send it: attributes Spark Portal does not keep
# (title, addresses, the enterprise extension…) are dropped instead of refusing the whole request;
# Entra's `remove` with a value and its `emails[type eq "work"].value` on a missing entry work.
POLICY = ScimPolicy(
    unknown=ScimPolicy.Unknown.ignore,
    remove_value_as_filter=ScimPolicy.RemoveValue.apply,
    unmatched_path_filter=ScimPolicy.UnmatchedPathFilter.create,
)

CONFIG = ServiceProviderConfig(
    patch=Patch(supported=True),
    bulk=Bulk(supported=False, max_operations=0, max_payload_size=0),
    filter=Filter(supported=True, max_results=PAGE_SIZE),
    change_password=ChangePassword(supported=False),
    sort=Sort(supported=True),
    etag=ETag(supported=False),
    authentication_schemes=[
        AuthenticationScheme(
            type=AuthenticationScheme.Type.oauthbearertoken,
            name="SCIM token",
            description="The organization's SCIM token (spkscim_…), sent as 'Authorization: Bearer <token>'. "
            "An organization admin creates it in the organization console.",
            primary=True,
        )
    ],
)

PROVIDER = ScimProvider(models=[User], config=CONFIG, policy=POLICY)

RESOURCE_TYPES: tuple[ResourceType, ...] = PROVIDER.resource_types
"""One resource type: User, at /Users."""

SCHEMAS: tuple[Schema, ...] = (
    *PROVIDER.schemas,
    ResourceType.to_schema(),
    ServiceProviderConfig.to_schema(),
    Schema.to_schema(),
)
"""The User schema, and the discovery schemas RFC 7643 §7 describes every service with."""
