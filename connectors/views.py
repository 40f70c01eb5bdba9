"""Connected apps in account settings, and the organization admin pages (connectors, access,
confidential clients, audit trail). Every change is a POST to its own URL."""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps
from itertools import groupby
from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.models import AccessStatus
from connectors import selectors, services
from connectors.forms import OrganizationClientForm
from connectors.platforms import Platform
from spark_portal.public_url import mcp_resource_url, public_base_url

View = Callable[..., HttpResponse]


def org_admin_required(view: View) -> View:
    """Resolve `slug` to an organization the user administers (404 otherwise) as `organization`."""

    @login_required
    @wraps(view)
    def wrapper(request: HttpRequest, slug: str, *args: Any, **kwargs: Any) -> HttpResponse:
        organization = selectors.organization_for_admin(request.user, slug)
        return view(request, organization, *args, **kwargs)

    return wrapper


@login_required
def connected_apps(request: HttpRequest) -> HttpResponse:
    apps = list(selectors.connected_apps_for_user(request.user))
    groups = [(Platform(p), list(items)) for p, items in groupby(apps, key=lambda a: a.platform)]
    return render(request, "connectors/connected_apps.html", {"groups": groups})


@login_required
@require_POST
def connected_app_revoke(request: HttpRequest, connection_id: int) -> HttpResponse:
    connection = selectors.connected_app_for_user(request.user, connection_id)
    name = connection.application.name or "the assistant"
    services.connection_revoke(connection=connection, actor=request.user, request=request)
    messages.success(request, f"Revoked {name}. Its access stopped at once; connecting again asks for consent.")
    return redirect("connectors:connected-apps")


@org_admin_required
def organization_home(request: HttpRequest, organization: Any) -> HttpResponse:
    context = {
        "organization": organization,
        "publications": selectors.publications(organization),
        "clients": selectors.organization_clients(organization),
        "recent_events": selectors.audit_events(organization)[:8],
        "mcp_url": mcp_resource_url(request),
        "base_url": public_base_url(request),
        "access_choices": [AccessStatus.TRIAL, AccessStatus.CONTRACT],
    }
    return render(request, "connectors/organization.html", context)


def _platform(value: str) -> Platform:
    if value not in Platform.values:
        raise Http404("No such platform")
    return Platform(value)


def _publication(request: HttpRequest, organization: Any, platform: str, published: bool) -> HttpResponse:
    chosen = _platform(platform)
    services.publication_set(
        organization=organization, platform=chosen, published=published, actor=request.user, request=request
    )
    if published:
        messages.success(request, f"The {chosen.label} connector is published for {organization.name}.")
    else:
        messages.success(
            request,
            f"The {chosen.label} connector is unpublished for {organization.name}; its assistants lost access at once.",
        )
    return redirect("connectors:organization", slug=organization.slug)


@org_admin_required
@require_POST
def connector_publish(request: HttpRequest, organization: Any, platform: str) -> HttpResponse:
    return _publication(request, organization, platform, published=True)


@org_admin_required
@require_POST
def connector_unpublish(request: HttpRequest, organization: Any, platform: str) -> HttpResponse:
    return _publication(request, organization, platform, published=False)


@org_admin_required
@require_POST
def access_end(request: HttpRequest, organization: Any) -> HttpResponse:
    services.organization_access_set(
        organization=organization, status=AccessStatus.ENDED, actor=request.user, request=request
    )
    messages.success(request, f"Spark MCP access for {organization.name} has ended. Every token stopped working.")
    return redirect("connectors:organization", slug=organization.slug)


@org_admin_required
@require_POST
def access_restore(request: HttpRequest, organization: Any) -> HttpResponse:
    status = request.POST.get("status", AccessStatus.CONTRACT)
    if status not in (AccessStatus.TRIAL, AccessStatus.CONTRACT):
        status = AccessStatus.CONTRACT
    services.organization_access_set(organization=organization, status=status, actor=request.user, request=request)
    messages.success(request, f"Spark MCP access for {organization.name} is restored ({status}).")
    return redirect("connectors:organization", slug=organization.slug)


@never_cache
@org_admin_required
def client_create(request: HttpRequest, organization: Any) -> HttpResponse:
    form = OrganizationClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = services.organization_client_create(
                organization=organization,
                name=form.cleaned_data["name"],
                redirect_uri=form.cleaned_data["redirect_uri"],
                actor=request.user,
                request=request,
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            base = public_base_url(request)
            response = render(
                request,
                "connectors/client_created.html",
                {
                    "organization": organization,
                    "issued": issued,
                    "base_url": base,
                    "mcp_url": mcp_resource_url(request),
                },
            )
            response["Cache-Control"] = "no-store"
            return response
    status = 400 if request.method == "POST" else 200
    return render(request, "connectors/client_form.html", {"organization": organization, "form": form}, status=status)


@org_admin_required
@require_POST
def client_delete(request: HttpRequest, organization: Any, client_id: int) -> HttpResponse:
    client = get_object_or_404(selectors.organization_clients(organization), pk=client_id)
    name = client.application.name
    services.organization_client_delete(client=client, actor=request.user, request=request)
    messages.success(request, f"Deleted the client {name}; its tokens stopped working.")
    return redirect("connectors:organization", slug=organization.slug)


@org_admin_required
def audit_log(request: HttpRequest, organization: Any) -> HttpResponse:
    page = Paginator(selectors.audit_events(organization), 50).get_page(request.GET.get("page"))
    return render(request, "connectors/audit.html", {"organization": organization, "page": page})
