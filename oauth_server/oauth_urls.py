"""The authorization server's URLs, in django-oauth-toolkit's namespace (its views reverse them)."""

from __future__ import annotations

import re

from django.urls import path, re_path

from oauth_server.oauth import AuthorizeView
from oauth_server.registration import RegistrationManagementView, RegistrationView
from oauth_server.token_endpoints import RevokeTokenView, ServerMetadataView, TokenView
from spark_portal.public_url import MCP_PATHS
from spark_portal.well_known import well_known_not_found

app_name = "oauth2_provider"
_MCP_PATHS = "|".join(re.escape(p.lstrip("/")) for p in MCP_PATHS)

urlpatterns = [
    path(
        ".well-known/oauth-authorization-server",
        ServerMetadataView.as_view(),
        name="oauth-server-metadata",
    ),
    # RFC 8414 §3.1 path form, probed by clients that take the MCP URL for the issuer.
    re_path(r"^\.well-known/oauth-authorization-server/(?P<resource_path>.+)$", ServerMetadataView.as_view()),
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
    # Last: every other discovery path, and one appended to an MCP path, is a JSON 404.
    re_path(r"^\.well-known/(?P<rest>.*)$", well_known_not_found),
    re_path(rf"^(?:{_MCP_PATHS})/\.well-known/(?P<rest>.*)$", well_known_not_found),
]
