"""django-allauth adapter: organizations add people; nobody signs themselves up. Organizations that
require single sign-on get no password sign-in (or password reset) for their email domains.

The sign-in address is `User.email` alone: allauth's `EmailAddress` rows (which can hold addresses
nobody proved) never sign anyone in, never receive a reset link, and are never confirmed into the
sign-in address (accounts/email_change.py is the only way an address changes here)."""

from __future__ import annotations

import datetime as dt
import logging
import smtplib
from dataclasses import dataclass
from typing import Any

from allauth.account.adapter import DefaultAccountAdapter
from allauth.account.auth_backends import AuthenticationBackend
from allauth.account.models import EmailAddress
from django.conf import settings
from django.contrib.auth.base_user import AbstractBaseUser
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse
from django.utils import timezone

from accounts.mfa import STAGE, STAGE_REPLACED, fresh_password_sign_in, fresh_sso_sign_in, mfa_enabled
from accounts.models import EmailDomain, Organization, User
from spark_portal.client_address import client_address
from spark_portal.public_url import public_host, public_link

logger = logging.getLogger(__name__)

SITE_NAME = "Spark Portal"


@dataclass(frozen=True)
class PublicSite:
    """What allauth's mails say the site is (its default is the request's Host)."""

    name: str
    domain: str


def sso_required_organization(email: str) -> Organization | None:
    """The organization that requires SSO for this email's domain, if any.

    Only a verified domain counts: an organization cannot take password sign-in away from the
    people of a domain it has not proven its own. Spark Portal staff accounts are exempt: an
    organization's identity provider never signs them in."""
    domain = email.strip().lower().rpartition("@")[2]
    if not domain:
        return None
    found = EmailDomain.objects.filter(
        domain=domain, enabled=True, verified_at__isnull=False, organization__require_sso=True
    ).first()
    if found is None or User.objects.filter(email__iexact=email.strip(), is_staff=True).exists():
        return None
    return found.organization


def sso_required_message(organization: Organization, email: str) -> str:
    domain = email.strip().lower().rpartition("@")[2]
    return (
        f"{organization.name} requires single sign-on for {domain}: there is no password to use here. "
        "Choose Continue with SSO on the sign-in page."
    )


class AccountAdapter(DefaultAccountAdapter):
    def is_open_for_signup(self, request: HttpRequest) -> bool:
        return False

    def get_login_stages(self) -> list[str]:
        """allauth's stages, with its second-factor step limited to password sign-ins (accounts.mfa)."""
        return [STAGE if stage == STAGE_REPLACED else stage for stage in super().get_login_stages()]

    def pre_authenticate(self, request: HttpRequest, **credentials: Any) -> None:
        """A password sign-in for a domain whose organization requires SSO is refused, saying so."""
        email = str(credentials.get("email") or "")
        if email and (organization := sso_required_organization(email)):
            raise ValidationError(sso_required_message(organization, email), code="sso_required")
        super().pre_authenticate(request, **credentials)

    def is_reauthentication_required(self, *, app: str, **kwargs: Any) -> bool:
        """Setting up a second factor or changing the sign-in address asks for a fresh confirmation (a
        password or a code), except within the same sign-in: a password typed moments ago (signing in,
        or creating the account from an invitation) is that confirmation. Someone with no password,
        signed in by their identity provider moments ago, has just given one for setting up a factor."""
        request = self.request
        user = getattr(request, "user", None)
        if isinstance(user, User) and fresh_password_sign_in(request, user):
            return False  # the password was typed moments ago, in this sign-in
        if app == "allauth.mfa" and isinstance(user, User) and not user.has_usable_password():
            fresh_confirmation = not mfa_enabled(user) and fresh_sso_sign_in(request, user)
            return not fresh_confirmation and bool(super().is_reauthentication_required(app=app, **kwargs))
        return bool(super().is_reauthentication_required(app=app, **kwargs))

    def confirm_email(self, request: HttpRequest, email_address: EmailAddress) -> bool:
        """allauth's address confirmations are not used: a confirmed `EmailAddress` would become the
        sign-in address without the checks accounts/email_change.py makes."""
        logger.warning("an allauth email confirmation link was refused (address changes go through /settings/email/)")
        return False

    def send_password_reset_mail(self, user: Any, email: str, context: dict[str, Any]) -> None:
        """Never a reset link for a domain that requires SSO (the reset form already says why)."""
        if sso_required_organization(email):
            logger.info("password reset mail not sent: the address's organization requires SSO")
            return
        super().send_password_reset_mail(user, email, context)

    def post_login(self, request: HttpRequest, user: Any, **kwargs: Any) -> HttpResponse:
        """A session started by single sign-on ends after SPARK_SSO_SESSION_SECONDS, sending the person
        back through their identity provider (which is where losing access there takes effect)."""
        if (kwargs.get("signal_kwargs") or {}).get("sociallogin") is not None:
            ends = timezone.now() + dt.timedelta(seconds=settings.SPARK_SSO_SESSION_SECONDS)
            request.session.set_expiry(ends)
        return super().post_login(request, user, **kwargs)

    def get_reset_password_from_key_url(self, key: str) -> str:
        """The reset link at SPARK_PUBLIC_URL, never at the host the reset request named."""
        return public_link(super().get_reset_password_from_key_url(key))

    def get_email_confirmation_url(self, request: HttpRequest, emailconfirmation: Any) -> str:
        """Verification links too: at SPARK_PUBLIC_URL."""
        return public_link(super().get_email_confirmation_url(request, emailconfirmation))

    def format_email_subject(self, subject: str) -> str:
        return f"[{SITE_NAME}] {subject}"

    def send_mail(self, template_prefix: str, email: str, context: dict[str, Any]) -> None:
        """A mail server that is down is logged (never the message: it may hold a reset link), and
        the person sees the same page as when mail goes out, instead of a server error. The mail
        names the portal by SPARK_PUBLIC_URL's host, not by the request's (allauth's default)."""
        site = PublicSite(SITE_NAME, public_host(self.request))
        try:
            super().send_mail(template_prefix, email, {"current_site": site, **context})
        except (OSError, smtplib.SMTPException) as exc:
            logger.error("could not send %s mail: %s", template_prefix.rsplit("/", 1)[-1], exc.__class__.__name__)

    def get_client_ip(self, request: HttpRequest) -> str:
        """Rate limits key on the same address the audit trail records (trusted proxies honoured)."""
        return client_address(request) or super().get_client_ip(request)


class SignInAddressBackend(AuthenticationBackend):
    """allauth's authentication backend (rate limits, the inactive-account page), matching the email
    against `User.email` only: never an `EmailAddress` row, verified or not."""

    def _authenticate_by_email(self, email: str, password: str) -> AbstractBaseUser | None:
        user = User.objects.filter(email__iexact=email.strip()).first() if email else None
        return self._check_password(user, password)
