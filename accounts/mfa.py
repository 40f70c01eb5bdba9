"""Two-factor authentication on django-allauth's `allauth.mfa`: TOTP authenticator apps and
recovery codes. This module adds what allauth leaves to the project:

- `MFAAdapter`: secrets encrypted at rest (keyed by `SECRET_KEY`, rotation through
  `SECRET_KEY_FALLBACKS`); the last second factor of someone whose organization requires one
  cannot be removed.
- `RequireMFAMiddleware`: a member of an organization with `require_mfa` who signed in with a
  password and has no authenticator is sent to enrol before any other page (sign-out, the MFA
  pages and re-authentication stay reachable); the page they were going to is kept and offered
  once they are enrolled. SSO sign-ins are left to the identity provider.
- Services (`organization_mfa_require`, `member_mfa_reset`) and selectors (`mfa_required_by`,
  `mfa_enabled`), and the audit trail of enrolment, removal, recovery codes and refused codes
  (allauth's signals).
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from allauth.account.authentication import get_authentication_records
from allauth.mfa import signals
from allauth.mfa.adapter import DefaultMFAAdapter
from allauth.mfa.models import Authenticator
from allauth.mfa.stages import AuthenticateStage
from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.http import HttpRequest, HttpResponse, HttpResponseBase
from django.shortcuts import redirect
from django.urls import reverse
from django.utils.crypto import salted_hmac
from django.utils.http import url_has_allowed_host_and_scheme

from accounts.models import Membership, Organization, User
from audit.services import Origin, audit_record

PRIMARY_TYPES = (Authenticator.Type.TOTP, Authenticator.Type.WEBAUTHN)
"""Second factors in their own right (recovery codes only stand in for one)."""

RESUME_SESSION_KEY = "spark.mfa.resume"
"""The page a member was going to when they were sent to enrol."""

_ENCRYPTED = "fernet1:"


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


@dataclass(frozen=True)
class MFAState:
    """What the MFA pages and account settings show about the signed-in person."""

    enabled: bool
    required_by: list[Organization]
    resume_url: str | None


def mfa_state(request: HttpRequest) -> MFAState:
    user = request.user
    if not isinstance(user, User):
        return MFAState(enabled=False, required_by=[], resume_url=None)
    resume = request.session.get(RESUME_SESSION_KEY)
    safe = isinstance(resume, str) and url_has_allowed_host_and_scheme(resume, allowed_hosts=None)
    return MFAState(
        enabled=mfa_enabled(user), required_by=list(mfa_required_by(user)), resume_url=resume if safe else None
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
        action="organization.mfa_required" if required else "organization.mfa_not_required",
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
            action="mfa.reset",
            summary=f"{actor.email} reset the two-factor authentication of {member.email}",
            organization=organization,
            actor=actor,
            origin=origin,
            detail={"member": member.email, "removed": types},
        )
    return int(removed)


# --- allauth's adapter --------------------------------------------------------------------------


@cache
def _key_for(secret: str) -> bytes:
    return base64.urlsafe_b64encode(salted_hmac("accounts.mfa", "fernet", secret=secret, algorithm="sha256").digest())


def _fernet() -> MultiFernet:
    secrets = [settings.SECRET_KEY, *getattr(settings, "SECRET_KEY_FALLBACKS", [])]
    return MultiFernet([Fernet(_key_for(secret)) for secret in secrets])


class MFAAdapter(DefaultMFAAdapter):
    error_messages = {
        **DefaultMFAAdapter.error_messages,
        "cannot_delete_authenticator": (
            "Your organization requires two-factor authentication for password sign-ins, so you cannot turn off "
            "your last second factor. If you lost it, ask your organization admin to reset it."
        ),
    }

    def encrypt(self, text: str) -> str:
        """TOTP secrets and recovery-code seeds are stored encrypted (Fernet, key from SECRET_KEY)."""
        return _ENCRYPTED + _fernet().encrypt(text.encode()).decode("ascii")

    def decrypt(self, encrypted_text: str) -> str:
        if not encrypted_text.startswith(_ENCRYPTED):
            return encrypted_text  # stored before encryption was turned on
        try:
            return _fernet().decrypt(encrypted_text.removeprefix(_ENCRYPTED).encode("ascii")).decode()
        except InvalidToken:
            raise InvalidToken(
                "An MFA secret cannot be decrypted: SECRET_KEY changed without the old key in SECRET_KEY_FALLBACKS"
            ) from None

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


def enrolment_required(request: HttpRequest) -> list[Organization]:
    """The organizations that require this signed-in person to enrol before going on ([] if none)."""
    user = request.user
    if not isinstance(user, User) or signed_in_through_sso(request, user):
        return []
    required_by = list(mfa_required_by(user))
    if not required_by or mfa_enabled(user):
        return []
    return required_by


class RequireMFAMiddleware:
    """Sends members of organizations that require MFA to enrol (after AuthenticationMiddleware)."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponseBase]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info.startswith(_exempt_prefixes()):
            return self.get_response(request)
        required_by = enrolment_required(request) if request.user.is_authenticated else []
        if required_by:
            return self._to_enrolment(request)
        if RESUME_SESSION_KEY in request.session:
            request.session.pop(RESUME_SESSION_KEY)  # enrolled, and gone on
        return self.get_response(request)

    def _to_enrolment(self, request: HttpRequest) -> HttpResponse:
        page = request.method == "GET" and "text/html" in request.headers.get("Accept", "")
        if page and RESUME_SESSION_KEY not in request.session:
            request.session[RESUME_SESSION_KEY] = request.get_full_path()
        return redirect("mfa_activate_totp")


# --- The audit trail -----------------------------------------------------------------------------

_KIND = {
    Authenticator.Type.TOTP: "an authenticator app",
    Authenticator.Type.WEBAUTHN: "a security key",
    Authenticator.Type.RECOVERY_CODES: "recovery codes",
}


def _record(request: HttpRequest | None, user: User, action: str, summary: str, detail: dict[str, Any]) -> None:
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
        _record(request, user, "mfa.recovery_codes_created", "created recovery codes", {"type": kind})
        return
    _record(request, user, "mfa.enabled", f"turned on two-factor authentication with {_KIND[kind]}", {"type": kind})


def on_removed(sender: object, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any) -> None:
    kind = str(authenticator.type)
    _record(request, user, "mfa.removed", f"removed {_KIND[kind]} (two-factor authentication)", {"type": kind})


def on_reset(sender: object, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any) -> None:
    _record(request, user, "mfa.recovery_codes_regenerated", "generated new recovery codes", {"type": "recovery_codes"})


def on_used(sender: object, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any) -> None:
    if authenticator.type != Authenticator.Type.RECOVERY_CODES:
        return  # signing in with an authenticator app is the normal case, not an event
    left = _unused_codes(user)
    purpose = "to confirm their identity" if kwargs.get("reauthenticated") else "to sign in"
    detail = {"unused_codes_left": left, "reauthenticated": bool(kwargs.get("reauthenticated"))}
    _record(request, user, "mfa.recovery_code_used", f"used a recovery code {purpose} ({left} left)", detail)


def on_failed(sender: object, request: HttpRequest, user: User, authenticator: Authenticator, **kwargs: Any) -> None:
    reauthentication = bool(kwargs.get("reauthentication"))
    what = "confirming their identity" if reauthentication else "signing in (the password was right)"
    detail = {"reauthentication": reauthentication}
    _record(request, user, "mfa.code_refused", f"gave a wrong two-factor code while {what}", detail)


signals.authenticator_added.connect(on_added, dispatch_uid="spark-mfa-added")
signals.authenticator_removed.connect(on_removed, dispatch_uid="spark-mfa-removed")
signals.authenticator_reset.connect(on_reset, dispatch_uid="spark-mfa-reset")
signals.authenticator_used.connect(on_used, dispatch_uid="spark-mfa-used")
signals.authentication_failed.connect(on_failed, dispatch_uid="spark-mfa-failed")
