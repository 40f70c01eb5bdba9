"""The organization console's SCIM page (/org/<slug>/scim/): the base URL and SCIM tokens to give
the identity provider. A token is shown once (POST → redirect → GET, like personal access tokens),
and revoking one asks for confirmation first."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import Http404, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods

from accounts.decorators import org_admin_required
from accounts.http import AuthenticatedRequest
from accounts.models import Organization
from accounts.shown_once import ShownOnce, no_store
from audit.services import Origin
from scim.forms import ScimTokenForm
from scim.models import ScimToken
from scim.selectors import organization_scim_tokens, scim_token_for_admin
from scim.services import scim_token_create, scim_token_revoke
from spark_portal.public_url import public_base_url

TOKEN_SECRETS = ShownOnce("scim.token_secret")
"""Just-issued SCIM token secrets (by token ID), until their page takes them out."""


def _page(request: AuthenticatedRequest, organization: Organization, form: ScimTokenForm, status: int) -> HttpResponse:
    context = {
        "organization": organization,
        "form": form,
        "tokens": organization_scim_tokens(organization),
        "scim_url": public_base_url(request) + "/scim/v2",
    }
    return render(request, "scim/tokens.html", context, status=status)


@never_cache
@org_admin_required
@require_http_methods(["GET", "POST"])
def tokens(request: AuthenticatedRequest, organization: Organization) -> HttpResponse:
    """The SCIM base URL, the organization's SCIM tokens, and a form to create one."""
    if request.method != "POST":
        TOKEN_SECRETS.forget(request.session)  # a secret whose page was never opened does not wait
        return _page(request, organization, ScimTokenForm(), 200)
    form = ScimTokenForm(request.POST)
    if form.is_valid():
        try:
            issued = scim_token_create(
                organization=organization, name=form.cleaned_data["name"], actor=request.user, origin=Origin.of(request)
            )
        except ValidationError as exc:
            form.add_error("name", exc)
        else:
            TOKEN_SECRETS.keep(request.session, issued.token.pk, {"secret": issued.secret})
            return redirect("scim:token-created", slug=organization.slug, token_id=issued.token.pk)
    return _page(request, organization, form, 400)


def _token(organization: Organization, token_id: int) -> ScimToken:
    token = scim_token_for_admin(organization, token_id)
    if token is None:
        raise Http404("No such SCIM token.")
    return token


@never_cache
@org_admin_required
@require_GET
def token_created(request: AuthenticatedRequest, organization: Organization, token_id: int) -> HttpResponse:
    """Shows a new token's secret once; reloading says it was already shown (and creates nothing)."""
    token = _token(organization, token_id)
    mine = TOKEN_SECRETS.take(request.session, token.pk)
    secret = str(mine["secret"]) if mine else None
    context = {
        "organization": organization,
        "token": token,
        "secret": secret,
        "scim_url": public_base_url(request) + "/scim/v2",
    }
    return no_store(render(request, "scim/token_created.html", context))


@never_cache
@org_admin_required
@require_http_methods(["GET", "POST"])
def token_revoke(request: AuthenticatedRequest, organization: Organization, token_id: int) -> HttpResponse:
    """GET names the token and what stops; POST revokes it."""
    token = _token(organization, token_id)
    if token.revoked_at is not None:
        messages.info(request, f"The SCIM token “{token.name}” is already revoked.")
        return redirect("scim:tokens", slug=organization.slug)
    if request.method != "POST":
        return render(request, "scim/token_revoke.html", {"organization": organization, "token": token})
    scim_token_revoke(token=token, actor=request.user, origin=Origin.of(request))
    messages.success(
        request,
        f"Revoked the SCIM token “{token.name}”: its identity provider can no longer provision "
        f"{organization.name}'s people until it is given a new token.",
    )
    return redirect("scim:tokens", slug=organization.slug)
