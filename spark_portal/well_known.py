"""Answers for `/.well-known/` paths this server does not serve: JSON, never the HTML 404 page.

Clients probe several discovery paths in turn (RFC 8414, RFC 9728, OpenID Connect Discovery) and
read each answer as JSON; an HTML page breaks the ones that do not look at the status first.
"""

from __future__ import annotations

from django.http import HttpRequest, JsonResponse
from django.views.decorators.csrf import csrf_exempt

AUTHORIZATION_SERVER_METADATA_PATH = "/.well-known/oauth-authorization-server"

_OPENID = (
    "this server is an OAuth 2.0 authorization server, not an OpenID provider; "
    f"its metadata is at {AUTHORIZATION_SERVER_METADATA_PATH} (RFC 8414)"
)


def not_found_response(description: str) -> JsonResponse:
    response = JsonResponse({"error": "not_found", "error_description": description}, status=404)
    response["Access-Control-Allow-Origin"] = "*"
    response["Cache-Control"] = "public, max-age=300"
    return response


@csrf_exempt
def well_known_not_found(request: HttpRequest, rest: str = "") -> JsonResponse:
    """Any discovery path not served here: a JSON 404 that says where the metadata is."""
    if "openid-configuration" in request.path_info:
        return not_found_response(_OPENID)
    return not_found_response(
        f"no metadata document at {request.path_info}; the authorization server's is at "
        f"{AUTHORIZATION_SERVER_METADATA_PATH}, the MCP endpoint's at /.well-known/oauth-protected-resource/mcp"
    )
