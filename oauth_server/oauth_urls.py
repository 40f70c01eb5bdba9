"""The authorization server's URLs, in django-oauth-toolkit's namespace (its views reverse them)."""

from __future__ import annotations

from django.urls import path

from oauth_server.oauth import AuthorizeView
from oauth_server.registration import RegistrationManagementView, RegistrationView
from oauth_server.token_endpoints import RevokeTokenView, ServerMetadataView, TokenView

app_name = "oauth2_provider"

urlpatterns = [
    path(
        ".well-known/oauth-authorization-server",
        ServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
    path("oauth/authorize/", AuthorizeView.as_view(), name="authorize"),
    path("oauth/token/", TokenView.as_view(), name="token"),
    path("oauth/revoke/", RevokeTokenView.as_view(), name="revoke-token"),
    path("oauth/register/", RegistrationView.as_view(), name="dcr-register"),
    # Without the slash too: APPEND_SLASH would answer a POST with a redirect that drops its body.
    path("oauth/token", TokenView.as_view()),
    path("oauth/revoke", RevokeTokenView.as_view()),
    path("oauth/register", RegistrationView.as_view()),
    path(
        "oauth/register/<str:client_id>/",
        RegistrationManagementView.as_view(),
        name="dcr-register-management",
    ),
]
