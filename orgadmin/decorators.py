from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse

from accounts.selectors import organization_for_admin

View = Callable[..., HttpResponse]


def org_admin_required(view: View) -> View:
    """Resolve `slug` to an organization the user administers (404 otherwise) as `organization`."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        organization = organization_for_admin(request.user, slug)  # type: ignore[arg-type]
        return view(request, organization, *args, **kwargs)

    return wrapper
