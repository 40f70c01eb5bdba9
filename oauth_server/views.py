"""Connected apps in account settings: the assistants a person allowed, their history, and revoking them."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.views.decorators.http import require_http_methods

from accounts.http import AuthenticatedRequest
from audit.services import Origin
from oauth_server import selectors, services
from oauth_server.platforms import VERIFIED


@login_required
def connected_apps(request: AuthenticatedRequest) -> HttpResponse:
    context = {
        "rows": selectors.connection_rows(request.user, timezone.now()),
        "history": selectors.revoked_apps_for_user(request.user),
        "verified": VERIFIED,
    }
    return render(request, "oauth_server/connected_apps.html", context)


@login_required
@require_http_methods(["GET", "POST"])
def connected_app_revoke(request: AuthenticatedRequest, connection_id: int) -> HttpResponse:
    """GET: a page naming the assistant and what revoking does; POST: revoke it."""
    connection = selectors.connected_app_for_user(request.user, connection_id)
    if request.method == "GET":
        return render(request, "oauth_server/connected_app_revoke.html", {"connection": connection})
    name = connection.application.name or "the assistant"
    services.connection_revoke(connection=connection, actor=request.user, origin=Origin.of(request))
    messages.success(request, f"Revoked {name}. Its access stopped at once; connecting again asks for consent.")
    return redirect("oauth_server:connected-apps")
