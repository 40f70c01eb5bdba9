"""Two-factor authentication on django-allauth's `allauth.mfa`: TOTP authenticator apps and
recovery codes. This module adds what allauth leaves to the project:

- `MFAAdapter`: secrets encrypted at rest (keyed by `SECRET_KEY`, rotation through
  `SECRET_KEY_FALLBACKS`); the last second factor of someone whose organization requires one
  cannot be removed.
- `RequireMFAMiddleware`: a member of an organization with `require_mfa` whose session has not met
  that organization's requirement is sent to give a second factor (or, without one, to enrol)
  before any other page (sign-out, the MFA pages and re-authentication stay reachable); the page
  they were going to is kept and offered afterwards. A requirement is met by a second factor given
  in this session, or by a sign-in through *that* organization's identity provider: the session
  records which organization's connection asserted an SSO sign-in (`sso_sign_in_record`), and
  another organization's IdP never counts.
- TOTP codes work once: the time step of the last code accepted (at enrolment too) is kept on the
  authenticator, and a code of that step or an earlier one is refused (`AuthenticateForm`,
  `ReauthenticateForm`).
- Services (`organization_mfa_require`, `member_mfa_reset`) and selectors (`mfa_required_by`,
  `mfa_enabled`), and the audit trail of enrolment, removal, recovery codes and refused codes
  (allauth's signals).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import cache
from typing import Any

from allauth.account import app_settings as account_settings
from allauth.account.authentication import get_authentication_records
from allauth.account.internal.flows.login import record_authentication
from allauth.core.internal.cryptokit import compare_user_code
from allauth.mfa import signals
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.adapter import get_adapter as get_mfa_adapter
from allauth.mfa.base import forms as allauth_forms
from allauth.mfa.models import Authenticator
from allauth.mfa.stages import AuthenticateStage
from allauth.mfa.totp.internal.auth import format_hotp_value, hotp_value, yield_hotp_counters_from_time
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.views import redirect_to_login
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import Membership, Organization, User
from accounts.sealing import Sealer
from audit.actions import Action
from audit.services import Origin, audit_record

PRIMARY_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
"""Second factors in their own right (recovery codes only stand in for one)."""

RESUME_SESSION_KEY = "spark.mfa.resume"
"""The page a member was going to when they were sent to enrol."""

SSO_SESSION_KEY = "spark.sso.asserted_by"
"""Which organization's identity provider asserted this session's SSO sign-in: {"user": pk, "organization": pk}."""

LAST_STEP = "spark_last_step"
"""In a TOTP authenticator's data: the time step of the last code it accepted (or was set up with)."""

MFA_SECRETS = Sealer(purpose=b"spark-portal mfa secret")
"""TOTP keys and recovery-code seeds (older `fernet1:` values still open: accounts.sealing)."""


# --- Reads -------------------------------------------------------------------------------------


def mfa_required_by(user: User) -> QuerySet[Organization]:
    """The user's organizations that require a second factor for password sign-ins."""
    return Organization.objects.filter(memberships__user=user, require_mfa=True).order_by("name")


def mfa_enabled(user: User) -> bool:
    """Whether the user has a second factor (an authenticator app or a security key)."""
    return Authenticator.objects.filter(user_id=user.pk, type__in=PRIMARY_TYPES).exists()


def signed_in_through_sso(request: HttpRequest, user: User) -> bool:
    """Whether this session's sign-in went through an identity provider (allauth records it)."""
    return any(record.get("method") == "socialaccount" for record in get_authentication_records(request, user))


def sso_organization_id(request: HttpRequest, user: User) -> int | None:
    """The organization whose identity provider asserted this session's sign-in; None when it was not
    an SSO sign-in, or no organization was recorded for it (sessions from before it was)."""
    if not signed_in_through_sso(request, user):
        return None
    found = request.session.get(SSO_SESSION_KEY)
    if not isinstance(found, dict) or found.get("user") != user.pk:
        return None
    organization = found.get("organization")
    return organization if isinstance(organization, int) else None


def second_factor_given(request: HttpRequest, user: User) -> bool:
    """Whether a second factor was given in this session: a code at sign-in, a code or recovery code
    to confirm it was them, or the first code of an authenticator set up in this session."""
    return any(record.get("method") == "mfa" for record in get_authentication_records(request, user))


def mfa_unmet(request: HttpRequest) -> list[Organization]:
    """The signed-in person's organizations that require a second factor and whose requirement this
    session has not met ([] if none). A sign-in through an organization's own identity provider meets
    that organization's requirement (its IdP runs its own MFA), never another's."""
    user = request.user
    if not isinstance(user, User):
        return []
    required = list(mfa_required_by(user))
    if not required or second_factor_given(request, user):
        return []
    asserted_by = sso_organization_id(request, user)
    return [organization for organization in required if organization.pk != asserted_by]


def fresh_sso_sign_in(request: HttpRequest, user: User) -> bool:
    """Whether this session was signed in through an identity provider moments ago (within allauth's
    re-authentication window): the confirmation someone without a password or second factor gives."""
    records = get_authentication_records(request, user)
    if not records or records[-1].get("method") != "socialaccount":
        return False
    at = records[-1].get("at")
    return isinstance(at, int | float) and time.time() - at < account_settings.REAUTHENTICATION_TIMEOUT


def fresh_password_sign_in(request: HttpRequest, user: User) -> bool:
    """Whether this session's person typed their password to sign in (or to create their account from
    an invitation) moments ago, within allauth's re-authentication window. allauth counts only a
    confirmation given after the sign-in ("Confirm it's you"); asking for the password again right
    after it was given proves nothing more."""
    window = account_settings.REAUTHENTICATION_TIMEOUT
    return any(
        record.get("method") == "password"
        and isinstance(at := record.get("at"), int | float)
        and time.time() - at < window
        for record in get_authentication_records(request, user)
    )


def password_sign_in_record(request: HttpRequest, *, user: User) -> None:
    """Record a sign-in with a password that did not go through allauth's sign-in form (an invitation's
    new account), as allauth records its own: it counts as this session's recent confirmation."""
    record_authentication(request, user, "password", email=user.email)


@dataclass(frozen=True)
class MFAState:
    """What the MFA pages and account settings show about the signed-in person."""

    enabled: bool
    required_by: list[Organization]
    resume_url: str | None
    unmet: list[Organization] = field(default_factory=list)
    """The organizations whose requirement this session has yet to meet (they are named on the step-up page)."""


def mfa_state(request: HttpRequest) -> MFAState:
    user = request.user
    if not isinstance(user, User):
        return MFAState(enabled=False, required_by=[], resume_url=None)
    resume = request.session.get(RESUME_SESSION_KEY)
    safe = isinstance(resume, str) and url_has_allowed_host_and_scheme(resume, allowed_hosts=None)
    return MFAState(
        enabled=mfa_enabled(user),
        required_by=list(mfa_required_by(user)),
        resume_url=resume if safe else None,
        unmet=mfa_unmet(request),
    )


# --- Writes ------------------------------------------------------------------------------------


@transaction.atomic
def organization_mfa_require(
    *, organization: Organization, required: bool, actor: User | None, origin: Origin | None
) -> Organization:
    """Require (or stop requiring) a second factor for its members' password sign-ins.

    Takes effect on each member's next page: one without an authenticator is sent to enrol.
    Personal tokens and connected assistants are not affected (they are not password sign-ins).
    """
    if organization.require_mfa == required:
        return organization
    organization.require_mfa = required
    organization.save(update_fields=["require_mfa"])
    without = Membership.objects.filter(organization=organization).exclude(user__authenticator__type__in=PRIMARY_TYPES)
    who = actor.email if actor is not None else "an operator"
    audit_record(
        action=Action.ORGANIZATION_MFA_REQUIRED if required else Action.ORGANIZATION_MFA_NOT_REQUIRED,
        summary=(
            f"{who} required two-factor authentication for password sign-ins"
            if required
            else f"{who} stopped requiring two-factor authentication"
        ),
        organization=organization,
        actor=actor,
        origin=origin,
        detail={"require_mfa": required, "members_without_mfa": without.distinct().count()},
    )
    return organization


@transaction.atomic
def member_mfa_reset(*, organization: Organization, member: User, actor: User, origin: Origin | None) -> int:
    """Remove a member's authenticators and recovery codes (lost phone); returns how many.

    If the organization requires MFA, the member is asked to enrol again at their next sign-in.
    """
    if not Membership.objects.filter(organization=organization, user=member).exists():
        raise ValueError(f"{member.email} is not a member of {organization.name}")
    types = sorted(Authenticator.objects.filter(user=member).values_list("type", flat=True))
    removed, _ = Authenticator.objects.filter(user=member).delete()
    if removed:
        audit_record(
            action=Action.MFA_RESET,
            summary=f"{actor.email} reset the two-factor authentication of {member.email}",
            organization=organization,
            actor=actor,
            origin=origin,
            detail={"member": member.email, "removed": types},
        )
    return int(removed)


def sso_sign_in_record(request: HttpRequest, *, user: User, organization: Organization) -> None:
    """Remember which organization's identity provider signed this session in (called once the SSO
    sign-in is complete): its requirement, and only its, is met by that sign-in."""
    request.session[SSO_SESSION_KEY] = {"user": user.pk, "organization": organization.pk}


def _totp_step(secret: str, code: str) -> int | None:
    """The time step whose code this is, among those allauth accepts now (None: not a current code)."""
    for counter in sorted(yield_hotp_counters_from_time(), reverse=True):
        if compare_user_code(actual=code, expected=format_hotp_value(hotp_value(secret, counter))):
            return counter
    return None


@transaction.atomic
def totp_step_claim(*, authenticator: Authenticator, code: str) -> bool:
    """Accept a right code once: False when its time step is the one of a code already accepted (at
    enrolment too), or an earlier one. The step is kept on the authenticator, so every worker and
    host sees it (allauth's own used-code mark lives in the cache and misses the enrolment code)."""
    row = Authenticator.objects.select_for_update().get(pk=authenticator.pk)
    step = _totp_step(get_mfa_adapter().decrypt(row.data["secret"]), code)
    last = row.data.get(LAST_STEP)
    if step is None or (isinstance(last, int) and step <= last):
        return False
    row.data = {**row.data, LAST_STEP: step}
    row.save(update_fields=["data"])
    authenticator.data = row.data
    return True


def totp_enrolled(request: HttpRequest, *, user: User, code: str) -> None:
    """After an authenticator app was set up with `code`: that code is used (it cannot sign in again),
    and it is the second factor of this session (the person just proved they hold the new key)."""
    authenticator = Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.TOTP).first()
    if authenticator is None:
        return
    totp_step_claim(authenticator=authenticator, code=code)
    record_authentication(request, user, "mfa", id=authenticator.pk, type=str(authenticator.type), enrolled=True)


# --- allauth's adapter --------------------------------------------------------------------------


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": (
            "Your organization requires two-factor authentication for password sign-ins, so you cannot turn off "
            "your last second factor. If you lost it, ask your organization admin to reset it."
        ),
    }

    def encrypt(self, text: str) -> str:
        """TOTP secrets and recovery-code seeds are stored sealed (accounts.sealing)."""
        return MFA_SECRETS.seal(text)

    def decrypt(self, encrypted_text: str) -> str:
        """The secret; `accounts.sealing.Unreadable` when SECRET_KEY changed without the old key kept."""
        return MFA_SECRETS.unseal(encrypted_text)

    def can_delete_authenticator(self, authenticator: Authenticator) -> bool:
        if authenticator.type not in PRIMARY_TYPES:
            return True
        others = Authenticator.objects.filter(user_id=authenticator.user_id, type__in=PRIMARY_TYPES).exclude(
            pk=authenticator.pk
        )
        return others.exists() or not mfa_required_by(authenticator.user).exists()


# --- The organization requirement -------------------------------------------------------------


class PasswordSignInAuthenticateStage(AuthenticateStage):
    """allauth's second-factor step, for password sign-ins only. A sign-in through an organization's
    identity provider is that provider's to secure (its own MFA policy), so someone who also enrolled
    an authenticator app here is not asked for a code after it."""

    def _should_handle(self, request: HttpRequest) -> bool:
        if (self.login.signal_kwargs or {}).get("sociallogin") is not None:
            return False
        return super()._should_handle(request)


STAGE_REPLACED = f"{AuthenticateStage.__module__}.{AuthenticateStage.__qualname__}"
STAGE = f"{PasswordSignInAuthenticateStage.__module__}.{PasswordSignInAuthenticateStage.__qualname__}"


@cache
def _exempt_prefixes() -> tuple[str, ...]:
    """Pages a person who must enrol can still reach: the MFA pages, re-authentication, sign-out."""
    return (reverse("mfa_index"), reverse("account_reauthenticate"), reverse("account_logout"))


def _names(organizations: list[Organization]) -> str:
    return ", ".join(organization.name for organization in organizations)


class RequireMFAMiddleware:
    """Holds a session to the requirement of each of the person's organizations that requires a
    second factor (after AuthenticationMiddleware): one not met sends the person to give their code
    (`mfa_reauthenticate`) or, without an authenticator, to set one up, before any other page."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info.startswith(_exempt_prefixes()):
            return self.get_response(request)
        unmet = mfa_unmet(request) if request.user.is_authenticated else []
        if unmet:
            return self._step_up(request, unmet)
        if RESUME_SESSION_KEY in request.session:
            request.session.pop(RESUME_SESSION_KEY)  # enrolled, and gone on
        return self.get_response(request)

    def _step_up(self, request: HttpRequest, unmet: list[Organization]) -> HttpResponse:
        user = request.user
        assert isinstance(user, User)
        page = request.method == "GET" and "text/html" in request.headers.get("Accept", "")
        if mfa_enabled(user):
            return (
                redirect_to_login(request.get_full_path(), reverse("mfa_reauthenticate"))
                if page
                else redirect("mfa_reauthenticate")
            )
        if not user.has_usable_password() and not fresh_sso_sign_in(request, user):
            # Setting up a factor needs a fresh confirmation; without a password, signing in again is it.
            target = request.get_full_path() if page else reverse("accounts:settings")
            logout(request)
            messages.info(
                request,
                f"{_names(unmet)} {'requires' if len(unmet) == 1 else 'require'} two-factor authentication: "
                "sign in again, then set up an authenticator app.",
            )
            return redirect_to_login(target)
        if page and RESUME_SESSION_KEY not in request.session:
            request.session[RESUME_SESSION_KEY] = request.get_full_path()
        return redirect("mfa_activate_totp")


# --- Codes work once ------------------------------------------------------------------------------


class _CodeOnce:
    """allauth's code check, then: an authenticator app's code is accepted once (`totp_step_claim`)."""

    authenticator: Authenticator

    def clean_code(self) -> str:
        code = str(super().clean_code())  # type: ignore[misc]
        if self.authenticator.type == Authenticator.Type.TOTP and not totp_step_claim(
            authenticator=self.authenticator, code=code
        ):
            self._emit_authentication_failed(self.authenticator)  # type: ignore[attr-defined]
            raise get_mfa_adapter().validation_error("incorrect_code")
        return code


class AuthenticateForm(_CodeOnce, allauth_forms.AuthenticateForm):
    """The sign-in's second step (MFA_FORMS["authenticate"])."""


class ReauthenticateForm(_CodeOnce, allauth_forms.ReauthenticateForm):
    """Confirming it is them, or giving an organization's required second factor (MFA_FORMS["reauthenticate"])."""


# --- The audit trail -----------------------------------------------------------------------------

_KIND = {
    Authenticator.Type.TOTP: "an authenticator app",
    Authenticator.Type.WEBAUTHN: "a security key",
    Authenticator.Type.RECOVERY_CODES: "recovery codes",
}


def _record(request: HttpRequest | None, user: User, action: Action, summary: str, detail: dict[str, Any]) -> None:
    """One event in each of the person's organizations (their admins see it), or one without any."""
    origin = Origin.of(request) if request is not None else None
    organizations: list[Organization | None] = [*Organization.objects.filter(memberships__user=user)] or [None]
    for organization in organizations:
        audit_record(
            action=action,
            summary=f"{user.email} {summary}",
            organization=organization,
            actor=user,
            origin=origin,
            detail=detail,
        )


def _unused_codes(user: User) -> int:
    codes = Authenticator.objects.filter(user_id=user.pk, type=Authenticator.Type.RECOVERY_CODES).first()
    return len(codes.wrap().get_unused_codes()) if codes is not None else 0


def on_added(sender: object, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any) -> None:
    kind = str(authenticator.type)
    if kind == Authenticator.Type.RECOVERY_CODES:
        _record(request, user, Action.MFA_RECOVERY_CODES_CREATED, "created recovery codes", {"type": kind})
        return
    _record(
        request, user, Action.MFA_ENABLED, f"turned on two-factor authentication with {_KIND[kind]}", {"type": kind}
    )


def on_removed(sender: object, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any) -> None:
    kind = str(authenticator.type)
    _record(request, user, Action.MFA_REMOVED, f"removed {_KIND[kind]} (two-factor authentication)", {"type": kind})


def on_reset(sender: object, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any) -> None:
    _record(
        request, user, Action.MFA_RECOVERY_CODES_REGENERATED, "generated new recovery codes", {"type": "recovery_codes"}
    )


def on_used(sender: object, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any) -> None:
    if authenticator.type != Authenticator.Type.RECOVERY_CODES:
        return  # signing in with an authenticator app is the normal case, not an event
    left = _unused_codes(user)
    purpose = "to confirm their identity" if kwargs.get("reauthenticated") else "to sign in"
    detail = {"unused_codes_left": left, "reauthenticated": bool(kwargs.get("reauthenticated"))}
    _record(request, user, Action.MFA_RECOVERY_CODE_USED, f"used a recovery code {purpose} ({left} left)", detail)


def on_failed(sender: object, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any) -> None:
    reauthentication = bool(kwargs.get("reauthentication"))
    what = "confirming their identity" if reauthentication else "signing in (the password was right)"
    detail = {"reauthentication": reauthentication}
    _record(request, user, Action.MFA_CODE_REFUSED, f"gave a wrong two-factor code while {what}", detail)


signals.authenticator_added.connect(on_added, dispatch_uid="spark-mfa-added")
signals.authenticator_removed.connect(on_removed, dispatch_uid="spark-mfa-removed")
signals.authenticator_reset.connect(on_reset, dispatch_uid="spark-mfa-reset")
signals.authenticator_used.connect(on_used, dispatch_uid="spark-mfa-used")
signals.authentication_failed.connect(on_failed, dispatch_uid="spark-mfa-failed")
