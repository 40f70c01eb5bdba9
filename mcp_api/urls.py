from __future__ import annotations

from django.urls import path, re_path

from mcp_api.metadata import ProtectedResourceMetadataView
from mcp_api.views import mcp_endpoint

app_name = "mcp_api"

urlpatterns = [
    path("mcp", mcp_endpoint, name="endpoint"),
    path("v1/spark-api/mcp", mcp_endpoint, name="endpoint-reference-path"),
    path("openai/mcp", mcp_endpoint, name="endpoint-openai"),
    # The same endpoints with a trailing slash, which some clients add: served, never redirected
    # (a redirect would drop a POST's body).
    path("mcp/", mcp_endpoint),
    path("v1/spark-api/mcp/", mcp_endpoint),
    path("openai/mcp/", mcp_endpoint),
    path(
        ".well-known/oauth-protected-resource",
        ProtectedResourceMetadataView.as_view(),
        name="resource-metadata",
    ),
    re_path(
        r"^\.well-known/oauth-protected-resource/(?P<resource_path>.+)$",
        ProtectedResourceMetadataView.as_view(),
        name="resource-metadata-path",
    ),
]
