"""RFC 9728 protected resource metadata for the MCP endpoints, on django-oauth-toolkit's view."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest, HttpResponse
from oauth2_provider.views import OAuthProtectedResourceMetadataView

from spark_portal.public_url import MCP_PATH, MCP_PATHS, mcp_resource_url
from spark_portal.well_known import not_found_response


class ProtectedResourceMetadataView(OAuthProtectedResourceMetadataView):
    """Root form describes the canonical `/mcp`; the path form describes the resource at that path."""

    resource_path = MCP_PATH

    def get_resource(self, request: HttpRequest) -> str:
        return mcp_resource_url(request, self.resource_path)

    def get(self, request: HttpRequest, *args: Any, resource_path: str = "", **kwargs: Any) -> HttpResponse:
        if resource_path:
            path = "/" + resource_path.strip("/")
            if path not in MCP_PATHS:
                return not_found_response(f"no protected resource at {path}; this server's are {', '.join(MCP_PATHS)}")
            self.resource_path = path
        response = super().get(request, *args, **kwargs)
        response["Access-Control-Allow-Origin"] = "*"
        response["Cache-Control"] = "public, max-age=300"
        return response
