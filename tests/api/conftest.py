"""Calling the management API as a script would: a personal access token in the header."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import pytest
from django.test import Client

from accounts.scopes import ORG_ADMIN_SCOPE, ORG_READ_SCOPE, TOOLS_SCOPE
from accounts.services import token_create
from tests.factories import World


@dataclass
class Api:
    secret: str
    client: Client

    def call(self, method: str, path: str, body: Any = None, **headers: str) -> Any:
        extra = {f"HTTP_{k.upper().replace('-', '_')}": v for k, v in headers.items()}
        return getattr(self.client, method.lower())(
            f"/api/v1{path}",
            data=body,
            content_type="application/json",
            HTTP_AUTHORIZATION=f"Bearer {self.secret}",
            **extra,
        )

    def get(self, path: str, **params: Any) -> Any:
        return self.client.get(f"/api/v1{path}", params, HTTP_AUTHORIZATION=f"Bearer {self.secret}")


def api_for(user: Any, organization: Any, *scopes: str) -> Api:
    issued = token_create(user=user, organization=organization, name="api", days=30, scopes=list(scopes))
    return Api(issued.secret, Client())


@pytest.fixture
def admin_api(published: World) -> Api:
    """Acme's admin with a token that may change things."""
    return api_for(published.admin, published.acme, ORG_ADMIN_SCOPE)


@pytest.fixture
def reader_api(published: World) -> Api:
    return api_for(published.admin, published.acme, ORG_READ_SCOPE)


@pytest.fixture
def mcp_only_api(published: World) -> Api:
    """Acme's admin with an MCP token: it opens nothing here."""
    return api_for(published.admin, published.acme, TOOLS_SCOPE)


def problem(response: Any, status: int) -> dict[str, Any]:
    assert response.status_code == status, response.content[:600]
    assert response["Content-Type"] == "application/problem+json", response["Content-Type"]
    body = response.json()
    assert body["status"] == status and body["title"] and body["detail"] and body["code"]
    return body
