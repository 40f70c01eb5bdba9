"""Account settings and personal access tokens. Every change is a POST to its own URL."""

from __future__ import annotations

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from accounts import selectors, services
from accounts.forms import TokenCreateForm
from accounts.http import AuthenticatedRequest
from accounts.services import IssuedToken
from spark_portal.public_url import mcp_resource_url


@login_required
def account_settings(request: AuthenticatedRequest) -> HttpResponse:
    return render(
        request,
        "accounts/settings.html",
        {
            "memberships": selectors.user_memberships(request.user),
            "mcp_url": mcp_resource_url(request),
        },
    )


@login_required
def token_list(request: AuthenticatedRequest) -> HttpResponse:
    form = TokenCreateForm(user=request.user)
    return _token_list(request, form)


def _token_list(request: AuthenticatedRequest, form: TokenCreateForm, status: int = 200) -> HttpResponse:
    context = {
        "tokens": selectors.tokens_for_user(request.user),
        "form": form,
        "mcp_url": mcp_resource_url(request),
    }
    return render(request, "accounts/tokens.html", context, status=status)


def _show_secret(request: AuthenticatedRequest, issued: IssuedToken, *, rotated: bool) -> HttpResponse:
    # Rendered in the POST response itself, never stored or redirected through: shown once.
    context = {
        "issued": issued.token,
        "secret": issued.secret,
        "rotated": rotated,
        "mcp_url": mcp_resource_url(request),
    }
    response = render(request, "accounts/token_created.html", context)
    response["Cache-Control"] = "no-store"
    return response


@never_cache
@login_required
@require_POST
def token_create(request: AuthenticatedRequest) -> HttpResponse:
    form = TokenCreateForm(request.POST, user=request.user)
    if not form.is_valid():
        return _token_list(request, form, status=400)
    try:
        issued = services.token_create(
            user=request.user,
            organization=form.cleaned_data["organization"],
            name=form.cleaned_data["name"],
            days=form.cleaned_data["days"],
            scopes=form.cleaned_data["scopes"],
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _token_list(request, form, status=400)
    return _show_secret(request, issued, rotated=False)


@never_cache
@login_required
@require_POST
def token_rotate(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = selectors.token_for_user(request.user, token_id)
    try:
        issued = services.token_rotate(token=token)
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:tokens")
    return _show_secret(request, issued, rotated=True)


@login_required
@require_POST
def token_revoke(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    token = selectors.token_for_user(request.user, token_id)
    services.token_revoke(token=token)
    messages.success(
        request,
        f"Token “{token.name}” ({token.display_prefix}…) is revoked. It stopped working at once.",
    )
    return redirect("accounts:tokens")


def admin_login(request: HttpRequest, extra_context: dict[str, object] | None = None) -> HttpResponse:
    """The Django admin's sign-in, replaced: everyone signs in through the portal's sign-in page,
    whose failed-attempt limits then cover staff too. A POST of credentials here is never checked."""
    target = request.GET.get("next") or reverse("admin:index")
    if not url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()}):
        target = reverse("admin:index")
    if not request.user.is_authenticated:
        return redirect_to_login(target, settings.LOGIN_URL)
    if request.user.is_staff:
        return redirect(target)
    return render(request, "accounts/admin_refused.html", status=403)
