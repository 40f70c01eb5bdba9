from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBase

from accounts.http import AuthenticatedRequest
from accounts.selectors import organization_for_admin

View = Callable[..., HttpResponseBase]


def org_admin_required(view: View) -> View:
    """Resolve `slug` to an organization the user administers (404 otherwise) as `organization`."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        organization = organization_for_admin(request.user, slug)
        return view(request, organization, *args, **kwargs)

    return wrapper
