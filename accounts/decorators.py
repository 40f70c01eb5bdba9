from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from typing import Any

from django.contrib.auth.decorators import login_required
from django.http import HttpResponseBase
from django.shortcuts import render

from accounts.http import AuthenticatedRequest
from accounts.selectors import admin_organizations, user_organizations

View = Callable[..., HttpResponseBase]


def org_admin_required(view: View) -> View:
    """Resolve `slug` to an organization the user administers as `organization`; anyone else gets a
    403 saying they are not its admin. It names the organization only to its members: to everyone
    else a slug that exists reads as one that does not."""

    @login_required
    @wraps(view)
    def wrapper(request: AuthenticatedRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponseBase:
        organization = admin_organizations(request.user).filter(slug=slug).first()
        if organization is None:
            return _not_admin(request, slug)
        return view(request, organization, *args, **kwargs)

    return wrapper


def _not_admin(request: AuthenticatedRequest, slug: str) -> HttpResponseBase:
    context = {
        "slug": slug,
        "member_of": user_organizations(request.user).filter(slug=slug).first(),
        "administered": admin_organizations(request.user),
    }
    return render(request, "accounts/not_admin.html", context, status=403)
