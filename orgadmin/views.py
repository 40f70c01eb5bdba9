"""The organization admin console: connectors, access, email domains, confidential clients, saved
audiences, audit trail.

Each page composes the services of the app that owns the concept; every change is a POST to its
own URL and is audited by that service.
"""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.defaultfilters import pluralize
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts.decorators import org_admin_required
from accounts.forms import EmailDomainForm
from accounts.http import AuthenticatedRequest
from accounts.members import organization_contact_set
from accounts.mfa import organization_mfa_require
from accounts.models import AccessStatus, EmailDomain, Organization
from accounts.selectors import organization_domains
from accounts.services import (
    domain_add,
    domain_member_count,
    domain_set_enabled,
    organization_access_set,
)
from accounts.services import domain_remove as remove_domain
from accounts.services import domain_verify as verify_domain
from accounts.shown_once import no_store
from administration.services import Impact, domain_impact, mfa_impact, organization_impact, platform_impact
from administration.services import connector_remove as remove_connector
from audit.selectors import audit_events
from audit.services import Origin
from insights.forms import SavedAudienceForm
from insights.selectors import saved_audiences
from insights.services import saved_audience_create
from oauth_server import selectors as oauth_selectors
from oauth_server import services as oauth_services
from oauth_server.forms import OrganizationClientForm
from oauth_server.platforms import SPECS, Platform
from spark_portal.public_url import mcp_resource_url, public_base_url


@org_admin_required
def home(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    context = {
        "organization": organization,
        "publications": [
            (SPECS[platform], publication, platform_impact(organization, platform))
            for platform, publication in oauth_selectors.publications(organization)
        ],
        "clients": oauth_selectors.organization_clients(organization),
        "recent_events": audit_events(organization)[:8],
        "mcp_url": mcp_resource_url(request),
        "base_url": public_base_url(request),
        "access_impact": organization_impact(organization),
    }
    return render(request, "orgadmin/home.html", context)


@org_admin_required
def mfa_requirement(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """Require (or stop requiring) a second factor for members' password sign-ins. GET says first who
    must set one up (the admin asking too); stopping needs no confirmation."""
    if request.method != "POST":
        context = {"organization": organization, "impact": mfa_impact(organization, request.user)}
        return render(request, "orgadmin/mfa_require.html", context)
    required = request.POST.get("required") == "1"
    organization_mfa_require(
        organization=organization, required=required, actor=request.user, origin=Origin.of(request)
    )
    if required:
        messages.success(
            request,
            f"{organization.name} requires two-factor authentication: members without it set it up on their next page.",
        )
    else:
        messages.success(request, f"{organization.name} no longer requires two-factor authentication.")
    return redirect("orgadmin:home", slug=organization.slug)


@org_admin_required
@require_POST
def contact_set(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """Where refusal pages send the organization's members for help."""
    try:
        organization_contact_set(
            organization=organization,
            contact_email=request.POST.get("contact_email", "")[:254],
            actor=request.user,
            origin=Origin.of(request),
        )
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        who = organization.contact_email or f"{organization.name}'s admins"
        messages.success(request, f"Members refused access are now sent to {who}.")
    return redirect("orgadmin:home", slug=organization.slug)


def _platform(platform: str) -> Platform:
    if platform not in Platform.values:
        raise Http404("No such platform")
    return Platform(platform)


@org_admin_required
@require_POST
def connector_publish(request: AuthenticatedRequest, organization: Organization, platform: str) -> HttpResponse:
    chosen = _platform(platform)
    oauth_services.publication_set(
        organization=organization, platform=chosen, published=True, actor=request.user, origin=Origin.of(request)
    )
    messages.success(request, f"The {chosen.label} connector is published for {organization.name}.")
    return redirect("orgadmin:home", slug=organization.slug)


@org_admin_required
def connector_unpublish(request: AuthenticatedRequest, organization: Organization, platform: str) -> HttpResponse:
    """Pause a platform: GET says whom it affects; POST unpublishes (grants are kept, and work again on
    republishing)."""
    chosen = _platform(platform)
    impact = platform_impact(organization, chosen)
    if request.method != "POST":
        context = {"organization": organization, "platform": chosen, "impact": impact, "remove": False}
        return render(request, "orgadmin/connector_confirm.html", context)
    oauth_services.publication_set(
        organization=organization, platform=chosen, published=False, actor=request.user, origin=Origin.of(request)
    )
    messages.success(
        request,
        f"Unpublished the {chosen.label} connector: {impact.assistants} connected "
        f"assistant{pluralize(impact.assistants)}"
        f" of {impact.people} {pluralize(impact.people, 'person,people')} "
        f"{pluralize(impact.assistants, 'is,are')} paused until you publish it again.",
    )
    return redirect("orgadmin:home", slug=organization.slug)


@org_admin_required
def connector_remove(request: AuthenticatedRequest, organization: Organization, platform: str) -> HttpResponse:
    """Remove a platform: GET says whom it affects; POST unpublishes and revokes every grant of it."""
    chosen = _platform(platform)
    if request.method != "POST":
        impact = platform_impact(organization, chosen)
        context = {"organization": organization, "platform": chosen, "impact": impact, "remove": True}
        return render(request, "orgadmin/connector_confirm.html", context)
    impact = remove_connector(organization=organization, platform=chosen, actor=request.user, origin=Origin.of(request))
    messages.success(
        request,
        f"Removed the {chosen.label} connector: revoked {impact.assistants} connected assistant"
        f"{pluralize(impact.assistants)} of {impact.people} {pluralize(impact.people, 'person,people')}; each must "
        "connect and consent again once it is published.",
    )
    return redirect("orgadmin:home", slug=organization.slug)


@org_admin_required
def access_end(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """GET says what ending access stops; POST ends it."""
    impact = organization_impact(organization)
    if request.method != "POST":
        return render(request, "orgadmin/access_end.html", {"organization": organization, "impact": impact})
    organization_access_set(
        organization=organization, status=AccessStatus.ENDED, actor=request.user, origin=Origin.of(request)
    )
    messages.success(
        request,
        f"MCP access for {organization.name} has ended: {_counted(impact)} are paused from their next "
        "request. Nothing is revoked: restoring access brings everything back.",
    )
    return redirect("orgadmin:home", slug=organization.slug)


def _counted(impact: Impact) -> str:
    """ "2 personal access tokens and 1 connected assistant of 2 people", in the confirm pages' words."""
    return (
        f"{impact.tokens} personal access token{pluralize(impact.tokens)} and {impact.assistants} connected "
        f"assistant{pluralize(impact.assistants)} of {impact.people} {pluralize(impact.people, 'person,people')}"
    )


@org_admin_required
@require_POST
def access_restore(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """Restore access to what Spark Portal's staff set (the service refuses anything else, a forged
    `status` included)."""
    asked = request.POST.get("status", "")
    chosen = asked if asked in (AccessStatus.TRIAL, AccessStatus.CONTRACT) else None
    try:
        organization_access_set(organization=organization, status=chosen, actor=request.user, origin=Origin.of(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("orgadmin:home", slug=organization.slug)
    label = organization.get_access_status_display().lower()
    ends = organization.access_ends_on
    if ends is not None and ends < timezone.localdate():
        messages.warning(
            request,
            f"MCP access for {organization.name} is restored ({label}), but it ended on {ends}, the date "
            f"Spark Portal's staff set: ask them to extend it.",
        )
    else:
        messages.success(request, f"MCP access for {organization.name} is restored ({label}).")
    return redirect("orgadmin:home", slug=organization.slug)


@never_cache
@org_admin_required
def client_create(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    form = OrganizationClientForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            issued = oauth_services.organization_client_create(
                organization=organization,
                name=form.cleaned_data["name"],
                redirect_uri=form.cleaned_data["redirect_uri"],
                actor=request.user,
                origin=Origin.of(request),
            )
        except ValidationError as exc:
            form.add_error(None, exc)
        else:
            context = {
                "organization": organization,
                "issued": issued,
                "base_url": public_base_url(request),
                "mcp_url": mcp_resource_url(request),
            }
            return no_store(render(request, "orgadmin/client_created.html", context))  # the secret, once
    status = 400 if request.method == "POST" else 200
    return render(request, "orgadmin/client_form.html", {"organization": organization, "form": form}, status=status)


@org_admin_required
def client_delete(request: AuthenticatedRequest, organization: Organization, client_id: int) -> HttpResponse:
    """GET names the client and how many people connected through it; POST deletes it."""
    client = get_object_or_404(oauth_selectors.organization_clients(organization), pk=client_id)
    if request.method != "POST":
        people = oauth_selectors.connected_only(client.application.connections.filter(revoked_at__isnull=True)).count()
        context = {"organization": organization, "client": client, "people": people}
        return render(request, "orgadmin/client_delete.html", context)
    name = client.application.name
    oauth_services.organization_client_delete(client=client, actor=request.user, origin=Origin.of(request))
    messages.success(request, f"Deleted the client {name}; its tokens stopped working.")
    return redirect("orgadmin:home", slug=organization.slug)


@org_admin_required
def audiences(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """The organization's saved audiences, and a form to save one."""
    form = SavedAudienceForm(request.POST or None, organization=organization)
    if request.method == "POST" and form.is_valid():
        audience = saved_audience_create(
            organization=organization,
            dataset=form.cleaned_data["dataset"],
            name=form.cleaned_data["name"],
            description=form.cleaned_data["description"],
            expression=form.cleaned_data["built_expression"],
            actor=request.user,
            origin=Origin.of(request),
        )
        messages.success(
            request, f"Saved “{audience.name}”. Members can dock it in chat_gwi with the ID {audience.id}."
        )
        return redirect("orgadmin:audiences", slug=organization.slug)
    status = 400 if request.method == "POST" else 200
    context = {"organization": organization, "form": form, "saved": saved_audiences(organization)}
    return render(request, "orgadmin/audiences.html", context, status=status)


@org_admin_required
def domains(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """The organization's email domains, and a form to add one."""
    form = EmailDomainForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            added = domain_add(
                organization=organization,
                domain=form.cleaned_data["domain"],
                actor=request.user,
                origin=Origin.of(request),
            )
        except ValidationError as exc:
            form.add_error("domain", exc)
        else:
            messages.success(
                request,
                f"{added.domain} is enabled: its members can use Spark Portal for {organization.name}. Verify it "
                "(on Email domains) before your identity provider creates accounts there or sign-in is routed to it.",
            )
            return _back(request, organization)
    context = {"organization": organization, "form": form, "domains": organization_domains(organization)}
    return render(request, "orgadmin/domains.html", context, status=400 if form.errors else 200)


def _domain_switch(
    request: AuthenticatedRequest, organization: Organization, domain_id: int, enabled: bool
) -> HttpResponse:
    domain = get_object_or_404(EmailDomain, pk=domain_id, organization=organization)
    try:
        domain_set_enabled(domain=domain, enabled=enabled, actor=request.user, origin=Origin.of(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        state = "enabled" if enabled else "disabled; its members' tokens and assistants stopped at once"
        messages.success(request, f"{domain.domain} is {state}.")
    return _back(request, organization)


def _back(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """After a domain change: back to Members when it was made from there (its "Not enabled" fixes)."""
    page = "orgadmin:members" if request.POST.get("back") == "members" else "orgadmin:domains"
    return redirect(page, slug=organization.slug)


@org_admin_required
@require_POST
def domain_enable(request: AuthenticatedRequest, organization: Organization, domain_id: int) -> HttpResponse:
    return _domain_switch(request, organization, domain_id, enabled=True)


@org_admin_required
def domain_disable(request: AuthenticatedRequest, organization: Organization, domain_id: int) -> HttpResponse:
    """GET says whom disabling stops (the admin asking too, when it is their domain); POST disables."""
    if request.method == "POST":
        return _domain_switch(request, organization, domain_id, enabled=False)
    domain = get_object_or_404(EmailDomain, pk=domain_id, organization=organization)
    context = {
        "organization": organization,
        "domain": domain,
        "impact": domain_impact(domain),
        "yours": request.user.email_domain.lower() == domain.domain,
    }
    return render(request, "orgadmin/domain_disable.html", context)


@org_admin_required
@require_POST
def domain_verify(request: AuthenticatedRequest, organization: Organization, domain_id: int) -> HttpResponse:
    """Look the domain's TXT record up now; say what DNS answered when it is not the expected one."""
    domain = get_object_or_404(EmailDomain, pk=domain_id, organization=organization)
    try:
        verify_domain(domain=domain, actor=request.user, origin=Origin.of(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
    else:
        messages.success(
            request,
            f"{domain.domain} is verified: {organization.name}'s identity provider may now create accounts at it, "
            "and its people are sent to single sign-on from the sign-in page.",
        )
    return redirect("orgadmin:domains", slug=organization.slug)


@org_admin_required
def domain_remove(request: AuthenticatedRequest, organization: Organization, domain_id: int) -> HttpResponse:
    """GET asks for confirmation, naming how many members it affects; POST removes."""
    domain = get_object_or_404(EmailDomain, pk=domain_id, organization=organization)
    if request.method != "POST":
        context = {"organization": organization, "domain": domain, "affected": domain_member_count(domain)}
        return render(request, "orgadmin/domain_remove.html", context)
    affected = remove_domain(domain=domain, actor=request.user, origin=Origin.of(request))
    messages.success(
        request,
        f"Removed {domain.domain}. {affected} member{pluralize(affected)} at that domain lost MCP access at once.",
    )
    return redirect("orgadmin:domains", slug=organization.slug)
