from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from scim.models import ScimToken
from scim.services import scim_token_create
from tests.factories import World

SCIM_JSON = "application/scim+json"
USER_SCHEMA = "urn:ietf:params:scim:schemas:core:2.0:User"
PATCH_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:PatchOp"
ERROR_SCHEMA = "urn:ietf:params:scim:api:messages:2.0:Error"


@dataclass
class Scim:
    """An identity provider calling /scim/v2 with one organization's SCIM token."""

    secret: str
    token: ScimToken
    client: Client

    def call(self, method: str, path: str, body: Any = None, **extra: Any) -> Any:
        data = json.dumps(body) if body is not None else ""
        return self.client.generic(
            method,
            "/scim/v2" + path,
            data=data,
            content_type=SCIM_JSON,
            HTTP_AUTHORIZATION=f"Bearer {self.secret}",
            **extra,
        )

    def get(self, path: str) -> Any:
        return self.call("GET", path)

    def post(self, path: str, body: Any) -> Any:
        return self.call("POST", path, body)

    def put(self, path: str, body: Any) -> Any:
        return self.call("PUT", path, body)

    def patch(self, path: str, *operations: dict[str, Any]) -> Any:
        return self.call("PATCH", path, {"schemas": [PATCH_SCHEMA], "Operations": list(operations)})

    def delete(self, path: str) -> Any:
        return self.call("DELETE", path)

    def create(self, user_name: str, **attributes: Any) -> dict[str, Any]:
        response = self.post("/Users", {"schemas": [USER_SCHEMA], "userName": user_name, **attributes})
        assert response.status_code == 201, response.content.decode()
        return dict(response.json())


def issue_scim(world: World, org_slug: str = "acme") -> Scim:
    organization = world.acme if org_slug == "acme" else world.globex
    issued = scim_token_create(organization=organization, name=f"{organization.name} IdP", actor=None, origin=None)
    return Scim(secret=issued.secret, token=issued.token, client=Client())


@pytest.fixture
def scim(world: World) -> Scim:
    """Acme's identity provider."""
    return issue_scim(world)


@pytest.fixture
def globex_scim(world: World) -> Scim:
    """Globex's identity provider."""
    return issue_scim(world, "globex")


def scim_error(response: Any, status: int) -> dict[str, Any]:
    """The SCIM error body of a refusal (RFC 7644 §3.12), checked for shape."""
    assert response.status_code == status, response.content.decode()
    assert response["Content-Type"].startswith(SCIM_JSON)
    body = dict(response.json())
    assert body["schemas"] == [ERROR_SCHEMA] and body["status"] == str(status)
    return body
