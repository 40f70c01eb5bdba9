from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from accounts.selectors import admin_organizations


def navigation(request: HttpRequest) -> dict[str, Any]:
    """Organizations the signed-in user administers, for the header links."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    return {"nav_admin_orgs": list(admin_organizations(user))}
