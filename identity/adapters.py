"""allauth's social account adapter: the rules every SSO sign-in passes.

The identity provider's word decides who someone is; these rules decide whether Spark Portal lets them in:
the connection is on, the email is at one of the connection's organization's enabled domains, the
sign-in never lands on an account of another organization (or a staff account), and the first
sign-in of a new person makes their account and membership. Refusals are pages that say why.
"""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

import requests
from allauth.core.exceptions import ImmediateHttpResponse
from allauth.socialaccount.adapter import DefaultSocialAccountAdapter
from allauth.socialaccount.models import SocialAccount
from allauth.socialaccount.providers.base.constants import AuthError, AuthProcess
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.urls import reverse

from accounts.mfa import sso_sign_in_record
from accounts.models import User
from accounts.sealing import Unreadable
from accounts.selectors import organization_contacts
from audit.services import Origin
from identity.idp import guarded_session
from identity.models import IdentityConnection
from identity.refusals import Facts, SsoRefusal, SsoRefused, refusal
from identity.sealing import CLIENT_SECRETS
from identity.selectors import connection_for_provider
from identity.sign_in import Identity, sso_admit, sso_refusal_count, sso_refusal_record

IDENTITY_ATTRIBUTE = "spark_identity"
"""Where populate_user leaves what the IdP said (email, name) on the allauth SocialLogin."""


def _full_name(data: dict[str, Any]) -> str:
    name = str(data.get("name") or "").strip()
    if name:
        return name
    return " ".join(str(data.get(k) or "").strip() for k in ("first_name", "last_name")).strip()


def refused_page(
    request: HttpRequest, found: SsoRefusal, connection: IdentityConnection | None, next_url: str | None = None
) -> HttpResponse:
    organization = connection.organization if connection else None
    login = reverse("account_login") + (f"?{urlencode({'next': next_url})}" if next_url else "")
    context = {
        "refusal": found,
        "connection": connection,
        "organization": organization,
        "contacts": organization_contacts(organization) if organization else [],
        "fix": found.fix,
        "login_url": login,
    }
    return render(request, "identity/refused.html", context, status=403)


def _oidc_claims(extra_data: dict[str, Any]) -> dict[str, Any]:
    found = extra_data.get("userinfo") or extra_data.get("id_token") or {}
    return found if isinstance(found, dict) else {}


def _email_verified(claims: dict[str, Any]) -> bool:
    """Whether the IdP let the email stand: `email_verified` absent (Entra ID and SAML send none; the
    connection's domains still decide), or true. Some IdPs send it as a string, so "true" counts and
    "false" (or anything else: "0", "no", 0) is not verified."""
    value = claims.get("email_verified")
    if value is None or value is True:
        return True
    return isinstance(value, str) and value.strip().lower() == "true"


def _error_reason(error: str | None, exception: BaseException | None, extra: dict[str, Any]) -> tuple[str, str]:
    """(refusal code, technical detail) for an authentication error allauth reports."""
    if extra.get("saml_errors"):
        return "saml_invalid", str(extra.get("saml_last_error_reason") or "")[:300]
    if error == AuthError.CANCELLED:
        return "cancelled", ""
    if isinstance(exception, requests.RequestException):
        return "idp_unreachable", exception.__class__.__name__
    words = str(exception or "")
    if "invalid_client" in words or "unauthorized_client" in words:
        return "idp_rejected_client", "the token endpoint answered invalid_client"
    if "id_token" in words or "token already used" in words:
        return "invalid_id_token", words[:200]
    return "idp_error", exception.__class__.__name__ if exception else ""


def on_signed_in(sender: object, request: HttpRequest, user: Any, sociallogin: Any = None, **kwargs: Any) -> None:
    """Once an SSO sign-in is complete (allauth's `user_logged_in`), the session records which
    organization's connection asserted it: that organization's two-factor requirement is met by it,
    no other's (accounts.mfa)."""
    if sociallogin is None or not isinstance(user, User):
        return
    connection = connection_for_provider(sociallogin.account.provider)
    if connection is not None:
        sso_sign_in_record(request, user=user, organization=connection.organization)


def _unreadable_secret_page(request: HttpRequest, provider_id: str) -> HttpResponse:
    """The refusal when the connection's sealed client secret no key opens (SECRET_KEY rotated without
    the old key kept): counted for the organization's admins, who must enter the secret again."""
    connection = connection_for_provider(provider_id)
    facts = Facts(connection.organization.name, connection.name) if connection else Facts()
    found = refusal("secret_unreadable", facts)
    sso_refusal_count(connection=connection, reason=found.reason)
    return refused_page(request, found, connection)


class SocialAccountAdapter(DefaultSocialAccountAdapter):
    def list_apps(
        self, request: HttpRequest | None, provider: str | None = None, client_id: str | None = None
    ) -> list[Any]:
        """The apps as allauth uses them: client secrets opened (they are sealed at rest). A secret that
        cannot be opened refuses the sign-in (`secret_unreadable`): it is never sent to the IdP empty."""
        apps = super().list_apps(request, provider=provider, client_id=client_id)
        for app in apps:
            try:
                app.secret = CLIENT_SECRETS.unseal(app.secret)
            except Unreadable:
                if request is None:
                    raise
                raise ImmediateHttpResponse(_unreadable_secret_page(request, app.provider_id or app.provider)) from None
        return apps

    def get_requests_session(self) -> requests.Session:
        """Discovery, token, userinfo and JWKS requests: https to public addresses only."""
        return guarded_session()

    def is_open_for_signup(self, request: HttpRequest, sociallogin: Any) -> bool:
        return False  # people are provisioned by pre_social_login's rules, never by a sign-up form

    def populate_user(self, request: HttpRequest, sociallogin: Any, data: dict[str, Any]) -> Any:
        user = super().populate_user(request, sociallogin, data)
        name = _full_name(data)
        user.full_name = name[:150]
        setattr(sociallogin, IDENTITY_ATTRIBUTE, Identity(email=user.email or "", full_name=name))
        return user

    def pre_social_login(self, request: HttpRequest, sociallogin: Any) -> None:
        connection = connection_for_provider(sociallogin.account.provider)
        who = getattr(sociallogin, IDENTITY_ATTRIBUTE, None) or Identity(email=sociallogin.user.email or "")
        try:
            user, link = self._admit(request, sociallogin, connection, who)
        except SsoRefused as refused:
            sso_refusal_record(
                connection=connection,
                reason=refused.refusal.reason,
                email=who.email,
                origin=Origin.of(request),
                detail=refused.refusal.detail,
            )
            page = refused_page(request, refused.refusal, connection, sociallogin.state.get("next"))
            raise ImmediateHttpResponse(page) from None
        if link:
            sociallogin.connect(request, user)
        else:
            sociallogin.user = user

    def _admit(
        self, request: HttpRequest, sociallogin: Any, connection: IdentityConnection | None, who: Identity
    ) -> tuple[Any, bool]:
        if connection is None:
            raise SsoRefused(refusal("connection_unknown", Facts()))
        facts = Facts(connection.organization.name, connection.name, who.email)
        if sociallogin.state.get("process", AuthProcess.LOGIN) != AuthProcess.LOGIN:
            raise SsoRefused(refusal("not_a_sign_in", facts))
        if not _email_verified(_oidc_claims(sociallogin.account.extra_data)):
            raise SsoRefused(refusal("email_unverified", facts))
        linked = sociallogin.user if sociallogin.is_existing else None
        if linked is None and who.email:
            other = SocialAccount.objects.filter(provider=connection.provider_id, user__email__iexact=who.email)
            if other.exists():  # another identity at this IdP already signs in as this address
                raise SsoRefused(refusal("identity_mismatch", facts))
        return sso_admit(connection=connection, linked_user=linked, who=who, origin=Origin.of(request))

    def on_authentication_error(
        self,
        request: HttpRequest,
        provider: Any,
        error: str | None = None,
        exception: BaseException | None = None,
        extra_context: dict[str, Any] | None = None,
    ) -> None:
        """The IdP or its answer failed (bad client secret, invalid token or assertion, cancelled):
        a page saying which. Nobody's sign-in completed, and anyone can send such a callback, so it
        is counted in the organization's audit trail, never recorded one by one."""
        extra = extra_context or {}
        app = getattr(provider, "app", None)
        connection = connection_for_provider(app.provider_id) if app is not None else None
        reason, detail = _error_reason(error, exception, extra)
        facts = Facts(connection.organization.name, connection.name) if connection else Facts()
        found = refusal(reason, facts, detail)
        sso_refusal_count(connection=connection, reason=reason)
        state = extra.get("state") or {}
        raise ImmediateHttpResponse(refused_page(request, found, connection, state.get("next")))
