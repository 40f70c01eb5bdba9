"""Single sign-on at sign-in: where sign-in goes after the email is typed. The organization
console's Single sign-on pages are `identity/console_views.py`."""

from __future__ import annotations

from urllib.parse import urlencode

import requests
from allauth.account.internal.decorators import login_not_required
from allauth.account.utils import get_next_redirect_url
from allauth.socialaccount.adapter import get_adapter
from allauth.socialaccount.providers.base.constants import AuthProcess
from django.contrib import messages
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_POST

from identity.adapters import refused_page
from identity.models import ConnectionKind
from identity.refusals import Facts, refusal
from identity.selectors import (
    email_domain,
    organization_for_email,
    sso_connection_for_email,
)
from identity.sign_in import sso_refusal_count


@login_not_required
@require_GET
@never_cache
def sso_discover(request: HttpRequest) -> JsonResponse:
    """Whether an email's domain signs in with SSO (the sign-in page asks as the email is typed)."""
    email = request.GET.get("email", "")[:254]
    connection = sso_connection_for_email(email)
    organization = organization_for_email(email) if connection else None
    return JsonResponse({"sso": connection is not None, "required": bool(organization and organization.require_sso)})


def _back_to_login(next_url: str | None, email: str) -> HttpResponse:
    query = {k: v for k, v in (("next", next_url), ("email", email)) if v}
    return redirect(reverse("account_login") + (f"?{urlencode(query)}" if query else ""))


@login_not_required
@require_POST
@never_cache
def sso_start(request: HttpRequest) -> HttpResponse:
    """ "Continue with SSO": off to the identity provider of the email's organization, keeping `next`."""
    email = request.POST.get("login", "").strip()[:254]
    next_url = get_next_redirect_url(request)
    connection = sso_connection_for_email(email)
    if connection is None:
        domain = email_domain(email) if "@" in email else ""
        words = f"{domain} has no single sign-on in Spark Portal" if domain else "Enter your work email address first"
        messages.error(request, f"{words}: sign in with your password.")
        return _back_to_login(next_url, email)
    provider = get_adapter(request).get_provider(request, connection.provider_id)
    extra = {"auth_params": {"login_hint": email}} if connection.kind == ConnectionKind.OIDC else {}
    try:
        return provider.redirect(request, process=AuthProcess.LOGIN, next_url=next_url, **extra)
    except requests.RequestException as exc:
        facts = Facts(connection.organization.name, connection.name, email)
        found = refusal("idp_unreachable", facts, exc.__class__.__name__)
        sso_refusal_count(connection=connection, reason=found.reason)  # anyone may type an address: counted
        return refused_page(request, found, connection, next_url)
