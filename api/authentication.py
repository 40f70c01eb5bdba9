"""Who calls the management API: a personal access token (`Authorization: Bearer spk_…`), checked
by the very function Spark Portal uses (`bearer.auth.authenticate`: known, not expired, not revoked
or rotated away, user active and a member, domain enabled, organization access active), or the
portal's own signed-in session (DRF's SessionAuthentication, with CSRF)."""

from __future__ import annotations

from typing import Any

from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication
from rest_framework.request import Request

from accounts import refusals, tokens
from accounts.models import User
from bearer.auth import AuthError, Principal, authenticate, bearer_token


class PersonalAccessTokenAuthentication(BaseAuthentication):
    def authenticate(self, request: Request) -> tuple[User, Principal] | None:
        django_request = request._request
        if not django_request.META.get("HTTP_AUTHORIZATION") and "access_token" not in django_request.GET:
            return None  # not a token call: the session may authenticate it
        try:
            if not tokens.looks_like_token(bearer_token(django_request)):
                raise exceptions.AuthenticationFailed(refusals.NOT_PERSONAL.words, code=refusals.NOT_PERSONAL.code)
            principal = authenticate(django_request)
        except AuthError as refused:
            if refused.status == 403:  # the credential is fine, but not from here (an allow-list)
                raise exceptions.PermissionDenied(refused.description, code=refused.reason) from None
            raise exceptions.AuthenticationFailed(refused.description, code=refused.reason) from None
        user = User.objects.filter(pk=principal.user_id, is_active=True).first()
        if user is None:
            raise exceptions.AuthenticationFailed(refusals.USER_INACTIVE.words, code=refusals.USER_INACTIVE.code)
        return user, principal

    def authenticate_header(self, request: Request) -> str:
        return 'Bearer realm="Spark Portal management API"'


def token_principal(request: Request | Any) -> Principal | None:
    """The token a request authenticated with (None for the portal's session)."""
    auth = getattr(request, "auth", None)
    return auth if isinstance(auth, Principal) else None
