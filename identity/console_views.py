"""The organization console's Single sign-on pages (/org/<slug>/sso/…: connections, their URLs,
"Require SSO"), beside the console's other pages in `orgadmin/` as SCIM's are in
`scim/console_views.py`. Sign-in itself is `identity/views.py`."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.defaultfilters import pluralize
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.decorators import org_admin_required
from accounts.http import AuthenticatedRequest
from accounts.models import Organization
from audit.services import Origin
from identity import services
from identity.forms import OidcConnectionForm, SamlConnectionForm
from identity.models import ConnectionKind, IdentityConnection
from identity.selectors import (
    connection_for_admin,
    connection_urls,
    id_jag_clients,
    linked_people,
    next_provider_id,
    organization_connections,
    require_sso_impact,
    sso_domains,
)
from spark_portal.public_url import public_base_url


def _connection_rows(request: HttpRequest, organization: Organization) -> list[tuple[IdentityConnection, object]]:
    base = public_base_url(request)
    return [(c, connection_urls(base, c.kind, c.provider_id)) for c in organization_connections(organization)]


@org_admin_required
def sso_settings(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """The organization's connections with the URLs to give each IdP, and "Require SSO"."""
    rows = _connection_rows(request, organization)
    context = {
        "organization": organization,
        "rows": rows,
        "any_enabled": any(c.enabled for c, _ in rows),
        "domains": sso_domains(organization),
        "unverified": organization.email_domains.filter(enabled=True, verified_at__isnull=True),
        "id_jag_on": any(c.id_jag_enabled for c, _ in rows),
        "id_jag_clients": id_jag_clients(organization),
    }
    return render(request, "identity/sso.html", context)


def _new_form(request: AuthenticatedRequest, kind: str) -> OidcConnectionForm | SamlConnectionForm:
    data = request.POST if request.method == "POST" else None
    return OidcConnectionForm(data) if kind == ConnectionKind.OIDC else SamlConnectionForm(data)


def _fields(request: AuthenticatedRequest, kind: str, data: dict[str, str]) -> dict[str, Any]:
    """A connection form's fields as the services take them, creating or changing alike, with who and
    from where. A blank client secret: creating, the form requires one; changing, it keeps the stored one."""
    given: dict[str, Any] = {"name": data["name"], "actor": request.user, "origin": Origin.of(request)}
    if kind == ConnectionKind.OIDC:
        client = {"issuer": data["issuer"], "client_id": data["client_id"]}
        return {**given, **client, "client_secret": data.get("client_secret") or ""}
    return {**given, "metadata_url": data.get("metadata_url") or "", "metadata_xml": data.get("metadata_xml") or ""}


def _create(
    request: AuthenticatedRequest, organization: Organization, kind: str, data: dict[str, str]
) -> IdentityConnection:
    if kind == ConnectionKind.OIDC:
        return services.connection_create_oidc(organization=organization, **_fields(request, kind, data))
    return services.connection_create_saml(organization=organization, **_fields(request, kind, data))


@org_admin_required
@never_cache
def connection_new(request: AuthenticatedRequest, organization: Organization, kind: str) -> HttpResponse:
    """Add an OIDC or SAML connection; the page shows first the URLs to register at the IdP."""
    if kind not in ConnectionKind.values:
        raise Http404
    form = _new_form(request, kind)
    if request.method == "POST" and form.is_valid():
        try:
            connection = _create(request, organization, kind, form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Connected {connection.name}. Check the URLs below are the ones the IdP has.")
            return redirect("identity:connection", slug=organization.slug, connection_id=connection.pk)
    urls = connection_urls(public_base_url(request), kind, next_provider_id(organization, kind))
    context = {"organization": organization, "form": form, "kind": kind, "urls": urls}
    return render(request, "identity/connection_new.html", context, status=400 if form.errors else 200)


def _edit_form(
    request: AuthenticatedRequest, connection: IdentityConnection
) -> OidcConnectionForm | SamlConnectionForm:
    data = request.POST if request.method == "POST" else None
    app = connection.app
    if connection.kind == ConnectionKind.OIDC:
        initial = {"name": connection.name, "issuer": app.settings.get("server_url", ""), "client_id": app.client_id}
        return OidcConnectionForm(data, initial=initial, secret_required=False)
    return SamlConnectionForm(data, initial={"name": connection.name, "metadata_url": connection.metadata_url})


def _update(request: AuthenticatedRequest, connection: IdentityConnection, data: dict[str, str]) -> None:
    if connection.kind == ConnectionKind.OIDC:
        services.connection_update_oidc(connection=connection, **_fields(request, connection.kind, data))
    else:
        services.connection_update_saml(connection=connection, **_fields(request, connection.kind, data))


@org_admin_required
@never_cache
def connection_detail(request: AuthenticatedRequest, organization: Organization, connection_id: int) -> HttpResponse:
    """One connection: its URLs for the IdP, its state, and a form to change it."""
    connection = connection_for_admin(organization, connection_id)
    form = _edit_form(request, connection)
    if request.method == "POST" and form.is_valid():
        try:
            _update(request, connection, form.cleaned_data)
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            messages.success(request, f"Saved {connection.name}.")
            return redirect("identity:connection", slug=organization.slug, connection_id=connection.pk)
    context = {
        "organization": organization,
        "connection": connection,
        "urls": connection_urls(public_base_url(request), connection.kind, connection.provider_id),
        "idp": connection.app.settings.get("idp", {}),
        "issuer": connection.app.settings.get("server_url", ""),
        "form": form,
    }
    return render(request, "identity/connection.html", context, status=400 if form.errors else 200)


def _switch(
    request: AuthenticatedRequest, organization: Organization, connection_id: int, *, field: str
) -> HttpResponse:
    connection = connection_for_admin(organization, connection_id)
    on = request.POST.get("on") == "1"
    change = services.connection_set_enabled if field == "enabled" else services.connection_set_id_jag
    try:
        change(connection=connection, enabled=on, actor=request.user, origin=Origin.of(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        what = "Single sign-on through" if field == "enabled" else "Identity assertion grants from"
        messages.success(request, f"{what} {connection.name}: {'on' if on else 'off'}.")
    return redirect("identity:connection", slug=organization.slug, connection_id=connection.pk)


@org_admin_required
@require_POST
def connection_enabled(request: AuthenticatedRequest, organization: Organization, connection_id: int) -> HttpResponse:
    return _switch(request, organization, connection_id, field="enabled")


@org_admin_required
@require_POST
def connection_id_jag(request: AuthenticatedRequest, organization: Organization, connection_id: int) -> HttpResponse:
    return _switch(request, organization, connection_id, field="id_jag_enabled")


@org_admin_required
def connection_delete(request: AuthenticatedRequest, organization: Organization, connection_id: int) -> HttpResponse:
    """GET asks for confirmation, naming how many people it signs in; POST removes."""
    connection = connection_for_admin(organization, connection_id)
    if request.method != "POST":
        context = {"organization": organization, "connection": connection, "linked": linked_people(connection)}
        return render(request, "identity/connection_delete.html", context)
    try:
        count = services.connection_delete(connection=connection, actor=request.user, origin=Origin.of(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("identity:connection", slug=organization.slug, connection_id=connection.pk)
    messages.success(
        request,
        f"Removed {connection.name}. {count} {pluralize(count, 'person,people')} who signed in through it now "
        f"sign in another way.",
    )
    return redirect("identity:sso", slug=organization.slug)


@org_admin_required
def require_sso(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """Turning it on asks first, naming how many members lose password sign-in; turning off does not."""
    required = request.POST.get("required", request.GET.get("required", "1")) == "1"
    if request.method != "POST":
        context = {
            "organization": organization,
            "impact": require_sso_impact(organization),
            "domains": sso_domains(organization),
        }
        return render(request, "identity/require_sso.html", context)
    try:
        services.organization_require_sso_set(
            organization=organization, required=required, actor=request.user, origin=Origin.of(request)
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        words = (
            "requires single sign-on: password sign-in and reset are off for its domains"
            if required
            else ("no longer requires single sign-on: its people may also sign in with a password")
        )
        messages.success(request, f"{organization.name} {words}.")
    return redirect("identity:sso", slug=organization.slug)
