"""Account settings and personal access tokens. Every change is a POST to its own URL."""

from __future__ import annotations

import datetime as dt
from typing import Any

from allauth.account.decorators import reauthentication_required
from allauth.decorators import rate_limit
from allauth.mfa.totp.views import ActivateTOTPView
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import redirect_to_login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from accounts import selectors, services
from accounts.email_change import (
    LINK_LIFETIME,
    email_change_check,
    email_change_confirm,
    email_change_read,
    email_change_request,
    identity_managed_by,
    managed_message,
)
from accounts.forms import EmailChangeForm, TokenCreateForm
from accounts.http import AuthenticatedRequest
from accounts.mfa import totp_enrolled
from accounts.models import PersonalAccessToken, User
from accounts.services import IssuedToken
from accounts.shown_once import ShownOnce, no_store
from audit.services import Origin
from spark_portal.public_url import mcp_resource_url, public_base_url


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


TOKEN_SECRETS = ShownOnce("accounts.token_secret")
"""Session key holding just-issued secrets (by token ID) until their show-once pages take them out."""


@login_required
def token_list(request: AuthenticatedRequest) -> HttpResponse:
    # A secret whose page was never opened does not wait in the session: it is dropped here.
    TOKEN_SECRETS.forget(request.session)
    return _token_list(request, TokenCreateForm(user=request.user))


def _token_list(request: AuthenticatedRequest, form: TokenCreateForm, status: int = 200) -> HttpResponse:
    rows = selectors.token_rows(request.user)
    context = {
        "rows": rows,
        "expiring": [row for row in rows if row.expiring_soon],
        "warning_days": selectors.EXPIRY_WARNING.days,
        "form": form,
        "no_organization": not selectors.user_organizations(request.user).exists(),
        "mcp_url": mcp_resource_url(request),
        "policy_notes": selectors.token_policy_notes(request.user),
    }
    return render(request, "accounts/tokens.html", context, status=status)


def _hand_over(request: AuthenticatedRequest, issued: IssuedToken, *, rotated: bool) -> HttpResponse:
    """POST → redirect → GET: the secret goes into the session once, and its page takes it out."""
    TOKEN_SECRETS.keep(request.session, issued.token.pk, {"secret": issued.secret, "rotated": rotated})
    return redirect("accounts:token-created", token_id=issued.token.pk)


@never_cache
@login_required
@require_GET
def token_created(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    """Shows a new secret once; reloading says it was already shown (and creates nothing)."""
    token = selectors.token_for_user(request.user, token_id)
    secret, rotated = None, token.rotated_at is not None
    if mine := TOKEN_SECRETS.take(request.session, token.pk):
        secret, rotated = str(mine["secret"]), bool(mine["rotated"])
    context = {"issued": token, "secret": secret, "rotated": rotated, "mcp_url": mcp_resource_url(request)}
    return no_store(render(request, "accounts/token_created.html", context))


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
            all_datasets=form.all_datasets,
            actor=request.user,
            origin=Origin.of(request),
        )
    except ValidationError as exc:
        form.add_error(None, exc)
        return _token_list(request, form, status=400)
    return _hand_over(request, issued, rotated=False)


def _live_token(request: AuthenticatedRequest, token_id: int, verb: str) -> PersonalAccessToken | None:
    """The user's token, unless it is revoked (then a message says so and None is returned)."""
    token = selectors.token_for_user(request.user, token_id)
    if token.revoked_at is not None:
        messages.error(request, f"Token “{token.name}” ({token.display_prefix}…) is revoked; it cannot be {verb}.")
        return None
    return token


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def token_rotate(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    """GET asks for confirmation, naming the token and its renewed expiry; POST rotates."""
    token = _live_token(request, token_id, "rotated")
    if token is None:
        return redirect("accounts:tokens")
    if request.method != "POST":
        days = selectors.token_lifetime_days(token)
        context = {"token": token, "days": days, "renewed_until": timezone.now() + dt.timedelta(days=days)}
        return render(request, "accounts/token_rotate.html", context)
    try:
        issued = services.token_rotate(token=token, actor=request.user, origin=Origin.of(request))
    except ValidationError as exc:
        messages.error(request, " ".join(exc.messages))
        return redirect("accounts:tokens")
    return _hand_over(request, issued, rotated=True)


@login_required
@require_http_methods(["GET", "POST"])
def token_revoke(request: AuthenticatedRequest, token_id: int) -> HttpResponse:
    """GET asks for confirmation, naming the token; POST revokes it."""
    token = _live_token(request, token_id, "revoked again")
    if token is None:
        return redirect("accounts:tokens")
    if request.method != "POST":
        return render(request, "accounts/token_revoke.html", {"token": token})
    services.token_revoke(token=token, actor=request.user, origin=Origin.of(request))
    messages.success(
        request,
        f"Token “{token.name}” ({token.display_prefix}…) is revoked. It stopped working at once.",
    )
    return redirect("accounts:tokens")


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def email_change(request: AuthenticatedRequest) -> HttpResponse:
    """The sign-in address: owned by an organization's identity provider (nothing to change here), or
    changed through a link mailed to the new address (POST asks for it, after a fresh confirmation)."""
    managed = identity_managed_by(request.user)
    if request.method == "POST" and not managed:
        return _email_change_asked(request)
    status = 403 if managed and request.method == "POST" else 200
    return _email_page(request, EmailChangeForm(), managed_message(managed) if managed else None, status)


def _email_page(
    request: AuthenticatedRequest, form: EmailChangeForm, managed: str | None, status: int = 200
) -> HttpResponse:
    context = {"form": form, "managed": managed, "hours": int(LINK_LIFETIME.total_seconds() // 3600)}
    return render(request, "accounts/email.html", context, status=status)


@rate_limit(action="manage_email")
@reauthentication_required
def _email_change_asked(request: AuthenticatedRequest) -> HttpResponse:
    form = EmailChangeForm(request.POST)
    if form.is_valid():
        try:
            change = email_change_request(
                user=request.user,
                new_email=form.cleaned_data["email"],
                base_url=public_base_url(request),
                origin=Origin.of(request),
            )
        except ValidationError as exc:
            form.add_error("email", exc)
        else:
            messages.success(
                request,
                f"We sent a link to {change.to}. Open it within 24 hours, in a browser signed in as {change.previous}: "
                f"{change.to} becomes your sign-in address then. Until then, you sign in with {change.previous}.",
            )
            return redirect("accounts:email")
    return _email_page(request, form, None, status=400)


@never_cache
@login_required
@require_http_methods(["GET", "POST"])
def email_change_confirmed(request: AuthenticatedRequest, token: str) -> HttpResponse:
    """The link mailed to a new address: GET says what it changes, POST changes it."""
    try:
        change = email_change_read(token)
    except ValidationError as exc:
        return render(request, "accounts/email_confirm.html", {"problem": " ".join(exc.messages)}, status=400)
    problem = email_change_check(request.user, change)
    if request.method == "POST" and problem is None:
        try:
            email_change_confirm(user=request.user, token=token, origin=Origin.of(request))
        except ValidationError as exc:
            problem = " ".join(exc.messages)
        else:
            messages.success(request, f"Your sign-in address is {change.to} now.")
            return redirect("accounts:settings")
    context = {"change": change, "problem": problem}
    return render(request, "accounts/email_confirm.html", context, status=400 if problem else 200)


class TotpActivateView(ActivateTOTPView):
    """allauth's authenticator app set-up; then its first code is used up (it cannot sign in again)
    and counts as this session's second factor."""

    def form_valid(self, form: Any) -> HttpResponse:
        response = super().form_valid(form)
        user = self.request.user
        assert isinstance(user, User)
        totp_enrolled(self.request, user=user, code=str(form.cleaned_data["code"]))
        return response


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
