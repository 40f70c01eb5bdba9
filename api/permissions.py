"""What a caller may do: token callers need `org:read` to read and `org:admin` to change anything
(the MCP scopes open nothing here); session callers act as themselves. Which organization they may
manage is `api.selectors.organization_for_caller`'s question."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request

from accounts import refusals
from accounts.scopes import ORG_ADMIN_SCOPE, ORG_READ_SCOPE
from api.authentication import token_principal


class ManagementScope(BasePermission):
    def has_permission(self, request: Request, view: Any) -> bool:
        if request.user is None or not request.user.is_authenticated:
            raise exceptions.NotAuthenticated(
                "send 'Authorization: Bearer spk_…' with a personal access token holding org:read or org:admin"
            )
        principal = token_principal(request)
        if principal is None:
            return True
        reading = request.method in SAFE_METHODS
        if principal.has_scope(ORG_ADMIN_SCOPE) or (reading and principal.has_scope(ORG_READ_SCOPE)):
            return True
        needed = ORG_READ_SCOPE if reading else ORG_ADMIN_SCOPE
        raise exceptions.PermissionDenied(refusals.ORG_SCOPE.said(scope=needed), code=refusals.ORG_SCOPE.code)
