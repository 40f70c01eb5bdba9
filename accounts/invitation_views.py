"""Opening an invitation link: accept it signed in, or create the invited account and accept."""

from __future__ import annotations

from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth import login
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.views.decorators.cache import never_cache
from django.views.decorators.debug import sensitive_post_parameters

from accounts.adapters import sso_required_organization
from accounts.forms import InvitedAccountForm
from accounts.members import invitation_accept, invitation_by_key, invitation_refusal, invited_account_create
from accounts.mfa import password_sign_in_record
from accounts.models import Invitation, User
from audit.services import Origin

_BACKEND = "django.contrib.auth.backends.ModelBackend"


def _refused(request: HttpRequest, invitation: Invitation | None, problem: str) -> HttpResponse:
    status = 404 if invitation is None else 403 if invitation.state() == "pending" else 410
    return render(request, "accounts/invitation.html", {"problem": problem, "invitation": invitation}, status=status)


@never_cache
@sensitive_post_parameters("password1", "password2")
def invitation_open(request: HttpRequest, key: str) -> HttpResponse:
    invitation = invitation_by_key(key)
    user = request.user if request.user.is_authenticated else None
    problem = invitation_refusal(invitation, user)
    if problem or invitation is None:
        return _refused(request, invitation, problem or "")
    if user is not None:
        return _accept_signed_in(request, invitation, user)
    sign_in = f"{reverse('account_login')}?{urlencode({'next': request.path, 'email': invitation.email})}"
    if User.objects.filter(email__iexact=invitation.email).exists():
        return render(request, "accounts/invitation.html", {"invitation": invitation, "sign_in": sign_in})
    if organization := sso_required_organization(invitation.email):
        # No password account at a domain whose organization requires SSO: its IdP signs the person in
        # (making their account), and this link brings them back to accept.
        context = {"invitation": invitation, "sign_in": sign_in, "sso_required": organization}
        return render(request, "accounts/invitation.html", context, status=403 if request.method == "POST" else 200)
    return _create_account(request, invitation)


def _accept_signed_in(request: HttpRequest, invitation: Invitation, user: User) -> HttpResponse:
    if request.method != "POST":
        return render(request, "accounts/invitation.html", {"invitation": invitation, "accept": True})
    try:
        invitation_accept(invitation=invitation, user=user, origin=Origin.of(request))
    except ValidationError as exc:
        return _refused(request, invitation, " ".join(exc.messages))
    messages.success(request, f"You joined {invitation.organization.name}.")
    return redirect("accounts:settings")


def _create_account(request: HttpRequest, invitation: Invitation) -> HttpResponse:
    form = InvitedAccountForm(request.POST or None, email=invitation.email)
    if request.method == "POST" and form.is_valid():
        try:
            user = invited_account_create(
                invitation=invitation,
                full_name=form.cleaned_data["full_name"],
                password=form.cleaned_data["password1"],
                origin=Origin.of(request),
            )
        except ValidationError as exc:
            return _refused(request, invitation, " ".join(exc.messages))
        login(request, user, backend=_BACKEND)
        password_sign_in_record(request, user=user)  # they just chose it: no "Confirm it's you" next
        messages.success(request, f"Welcome to Spark Portal: you joined {invitation.organization.name}.")
        return redirect("accounts:settings")
    context = {"invitation": invitation, "form": form}
    return render(request, "accounts/invitation.html", context, status=400 if form.errors else 200)
