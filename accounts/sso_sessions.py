"""Sessions of people whose organization requires single sign-on.

"Require SSO" refuses password sign-in for an organization's domains (accounts/adapters.py). A
session opened otherwise before it was turned on (a password sign-in, an invitation's new account)
would keep working, and could mint personal access tokens for up to 365 days: such a session ends at
its next request, and the person is sent to sign in, through the organization's identity provider.
A session that organization's IdP signed in (accounts.mfa records which one) goes on. Spark Portal staff
are exempt, as they are from the rule itself.
"""

from __future__ import annotations

from collections.abc import Callable

from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.http import HttpRequest, HttpResponseBase
from django.urls import reverse

from accounts.adapters import sso_required_message, sso_required_organization
from accounts.mfa import sso_organization_id
from accounts.models import User


class RequireSsoMiddleware:
    """Ends a session that the identity provider of an organization requiring SSO for the person's
    address did not sign in (after AuthenticationMiddleware and MessageMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        user = request.user
        if not isinstance(user, User) or not user.is_authenticated:
            return self.get_response(request)
        organization = sso_required_organization(user.email)
        if organization is None or sso_organization_id(request, user) == organization.pk:
            return self.get_response(request)
        page = request.method == "GET" and "text/html" in request.headers.get("Accept", "")
        target = request.get_full_path() if page else reverse("accounts:settings")
        logout(request)
        messages.error(request, sso_required_message(organization, user.email))
        return redirect_to_login(target)
