"""Connected apps in account settings: the assistants a person allowed, and revoking them."""

from __future__ import annotations

from itertools import groupby

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST

from accounts.http import AuthenticatedRequest
from audit.services import Origin
from oauth_server import selectors, services
from oauth_server.platforms import Platform


@login_required
def connected_apps(request: AuthenticatedRequest) -> HttpResponse:
    apps = list(selectors.connected_apps_for_user(request.user))
    groups = [(Platform(p), list(items)) for p, items in groupby(apps, key=lambda a: a.platform)]
    return render(request, "oauth_server/connected_apps.html", {"groups": groups})


@login_required
@require_POST
def connected_app_revoke(request: AuthenticatedRequest, connection_id: int) -> HttpResponse:
    connection = selectors.connected_app_for_user(request.user, connection_id)
    name = connection.application.name or "the assistant"
    services.connection_revoke(connection=connection, actor=request.user, origin=Origin.of(request))
    messages.success(request, f"Revoked {name}. Its access stopped at once; connecting again asks for consent.")
    return redirect("oauth_server:connected-apps")
