"""The connection doctor: diagnose an email address, a token prefix or a client ID in an organization
(the checks themselves are in `doctor.checks`). A token's or an assistant's verdict is that
credential's, as the MCP endpoint gives it; a person's is their own standing.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

from django.utils import timezone

from accounts import refusals
from accounts.gates import (
    ACTIVE,
    CredentialContext,
    MemberFacts,
    UsageFacts,
    credential_verdict,
    every_refusal,
    member_facts,
    refused,
    token_context,
)
from accounts.models import (
    Organization,
    PersonalAccessToken,
    RetiredTokenPrefix,
    User,
)
from accounts.refusals import State
from accounts.tokens import PREFIX_LEN
from doctor.checks import (
    ENDED_SHOWN,
    IDP_ADMIN,
    Check,
    Diagnosis,
    approval_checks,
    assistant_check,
    assistant_datasets_check,
    assistant_name,
    connector_checks,
    id_jag_check,
    limit_check,
    member_checks,
    mfa_check,
    provisioning_check,
    scim_token_check,
    sso_check,
    token_check,
    token_datasets_check,
)
from oauth_server.models import ConnectedApp
from oauth_server.selectors import connection_context
from scim.tokens import MARKER as SCIM_MARKER
from usage.quotas import quota_use, seconds_to_midnight


def diagnose_person(
    organization: Organization,
    user: User,
    now: dt.datetime,
    *,
    tokens: list[PersonalAccessToken] | None = None,
    connections: list[ConnectedApp] | None = None,
) -> Diagnosis:
    """The person's gates and each of their tokens and assistants here; the verdict is the person's own
    (`Diagnosis.credentials` holds each credential's, in the order given)."""
    member = member_facts(user, organization)
    left_out = 0
    if tokens is None:
        tokens, left_out = _recent_tokens(organization, user, now)
    if connections is None:
        connections = list(
            ConnectedApp.objects.filter(organization=organization, user=user, revoked_at__isnull=True).select_related(
                "application", "organization"
            )
        )
    checks = member_checks(organization, user, timezone.localdate(now))
    checks += [c for c in (sso_check(organization, user.email, user), mfa_check(organization, user)) if c]
    checks += connector_checks(organization) + approval_checks(organization, user)
    usage = usage_today(organization, user, member, now)
    checks += [quota_check(member, usage, now)] if usage is not None else []
    verdicts = []
    for token in tokens:
        # An allow-list is judged at the address the token was last used from.
        context = replace(token_context(token, member, now), usage=usage, address=token.last_used_address)
        verdict = credential_verdict(context)
        live = verdict.state not in (State.REVOKED, State.EXPIRED)
        checks += [token_check(token, verdict)] + ([token_datasets_check(token), *limit_check(context)] if live else [])
        verdicts.append(verdict)
    for connection in connections:
        context = replace(
            connection_context(connection, member, now), usage=usage, address=connection.last_used_address
        )
        found = every_refusal(context)
        checks += [assistant_check(connection, found)] + (
            [] if connection.revoked_at else [assistant_datasets_check(connection), *limit_check(context)]
        )
        verdicts.append(found[0] if found else ACTIVE)
    assistants = zip(connections, verdicts[len(tokens) :], strict=True)
    pending = sum(1 for c, v in assistants if not c.connected and v == ACTIVE)
    diagnosis = Diagnosis(
        subject=user.email, verdict="", checks=checks, credentials=verdicts, left_out=left_out, pending=pending
    )
    return diagnosis.judged(credential_verdict(CredentialContext(member, now, usage=usage)))


def usage_today(organization: Organization, user: User, member: MemberFacts, now: dt.datetime) -> UsageFacts | None:
    """Today's tool calls as the quotas count them, where the organization has one (None: no quota)."""
    if not member.has_quota:
        return None
    use = quota_use(organization, now)
    return UsageFacts(use.people.get(user.pk, 0), use.organization_calls)


def quota_check(member: MemberFacts, usage: UsageFacts, now: dt.datetime) -> Check:
    """The daily quotas, as the next tool call would meet them."""
    parts = []
    if member.person_quota is not None:
        parts.append(f"{usage.person_calls} of {member.person_quota} tool calls today for this person")
    if member.organization_quota is not None:
        parts.append(f"{usage.organization_calls} of {member.organization_quota} for {member.organization_name}")
    finding = "; ".join(parts) + f" (UTC day; {seconds_to_midnight(now) // 60} min to midnight)."
    verdict = credential_verdict(CredentialContext(member, now, usage=usage))
    if verdict.refusal in (refusals.QUOTA_PERSON, refusals.QUOTA_ORGANIZATION):
        return Check("Daily quota", False, f"{verdict.sentence} {finding}", verdict.fix, verdict.who)
    return Check("Daily quota", True, finding[0].upper() + finding[1:])


def _recent_tokens(organization: Organization, user: User, now: dt.datetime) -> tuple[list[PersonalAccessToken], int]:
    """The person's tokens worth a row (live, or ended within `ENDED_SHOWN`), and how many are left out."""
    tokens = PersonalAccessToken.objects.filter(organization=organization, user=user).select_related("user")
    since = now - ENDED_SHOWN
    shown = [
        t
        for t in tokens
        if (t.revoked_at is None or t.revoked_at >= since) and (t.expires_at is None or t.expires_at >= since)
    ]
    return shown, len(tokens) - len(shown)


def diagnose(organization: Organization, subject: str, now: dt.datetime) -> Diagnosis:
    """Diagnose an email address, a token (`spk_…` prefix) or an OAuth client ID in this organization.

    Only people and credentials that belong to the organization are described: anything else is
    "not found", so the doctor tells an admin nothing about other organizations' people. A token's or
    an assistant's verdict is that credential's, as the MCP endpoint would give it now.
    """
    subject = subject.strip()
    if subject.startswith(SCIM_MARKER):
        check = scim_token_check(organization, subject[len(SCIM_MARKER) : len(SCIM_MARKER) + PREFIX_LEN])
        checks = [check] if check is not None else []
        return Diagnosis(subject=subject, verdict="", checks=checks, found=bool(checks), kind="scim")
    if subject.lower().startswith("spk_"):
        return _diagnose_token(organization, subject[4 : 4 + PREFIX_LEN], now)
    if "@" in subject:
        user = User.objects.filter(email__iexact=subject, memberships__organization=organization).first()
        if user is None:
            return _diagnose_outsider(organization, subject)
        return diagnose_person(organization, user, now)
    connections = list(
        ConnectedApp.objects.filter(organization=organization, application__client_id=subject).select_related(
            "application", "organization", "user"
        )
    )
    grant = id_jag_check(organization, subject)
    if not connections:
        found = grant is not None
        return Diagnosis(subject=subject, verdict="", checks=[grant] if grant else [], found=found, kind="assistant")
    first = connections[0]
    own = sorted((c for c in connections if c.user_id == first.user_id), key=lambda c: c.revoked_at is not None)
    diagnosis = diagnose_person(organization, first.user, now, tokens=[], connections=own)
    diagnosis.checks += [grant] if grant else []
    diagnosis.kind = "assistant"
    diagnosis.what = f"the assistant {assistant_name(own[0])}"
    return diagnosis.judged(diagnosis.credentials[0])


def _diagnose_outsider(organization: Organization, email: str) -> Diagnosis:
    """Someone who is not a member: say so, and why, where the organization's own records know
    (its identity provider deactivated them, or refused their single sign-on). An address the
    organization has no record of gets nothing more: the doctor does not describe other
    organizations' people."""
    finding = f"{email} is not a member of {organization.name}."
    deactivated = provisioning_check(organization, email)
    if deactivated is not None:
        membership = Check("Membership", False, finding, "Re-activate them from the identity provider.", IDP_ADMIN)
    else:
        invite = refusals.NOT_MEMBER
        membership = Check("Membership", False, finding, invite.fix.format(email=email), invite.who)
    refused = sso_check(organization, email, None)
    checks = [membership, *(c for c in (deactivated, refused) if c is not None and not c.ok)]
    return Diagnosis(subject=email, verdict=finding, checks=checks, found=False)


def _token_by_prefix(
    organization: Organization, prefix: str
) -> tuple[PersonalAccessToken | None, RetiredTokenPrefix | None, int]:
    """The organization's token whose prefix is `prefix` or, for a shorter one, the only one that starts
    with it (a rotated-away prefix likewise); else None and how many start with it."""
    exact = len(prefix) == PREFIX_LEN
    live = PersonalAccessToken.objects.filter(organization=organization).select_related("user")
    tokens = list(live.filter(prefix=prefix) if exact else live.filter(prefix__startswith=prefix)[:2])
    if len(tokens) == 1:
        return tokens[0], None, 1
    old = RetiredTokenPrefix.objects.filter(token__organization=organization).select_related("token__user")
    retired = list(old.filter(prefix=prefix) if exact else old.filter(prefix__startswith=prefix)[:2])
    if not tokens and len(retired) == 1:
        return None, retired[0], 1
    return None, None, len(tokens) + len(retired)


def _not_found_token(prefix: str, count: int) -> Diagnosis:
    subject = f"spk_{prefix}"
    if count > 1:
        hint = f"Several tokens start with {subject}: type more of the prefix the token page shows."
    elif len(prefix) < PREFIX_LEN:
        hint = (
            f"No token here starts with {subject}. Type the prefix the token page shows: spk_ and "
            f"{PREFIX_LEN} characters (the owner sees it on Access tokens, you on People's access)."
        )
    else:
        hint = ""
    return Diagnosis(subject=subject, verdict="", found=False, kind="token", hint=hint)


def _diagnose_token(organization: Organization, prefix: str, now: dt.datetime) -> Diagnosis:
    token, retired, count = _token_by_prefix(organization, prefix) if prefix else (None, None, 0)
    if token is None and retired is None:
        return _not_found_token(prefix, count)
    if retired is not None:
        token = retired.token
        rotated = refused(refusals.ROTATED)
        finding = f"This secret was replaced when the token was rotated on {retired.retired_at:%Y-%m-%d}."
        check = Check(f"Token spk_{retired.prefix}…", False, finding, rotated.fix, rotated.who, ended=True)
        diagnosis = diagnose_person(organization, token.user, now, tokens=[token], connections=[])
        diagnosis.checks.append(check)
        diagnosis.kind, diagnosis.what = "token", f"the token {token.name} (spk_{retired.prefix}…)"
        return diagnosis.judged(rotated)
    assert token is not None
    diagnosis = diagnose_person(organization, token.user, now, tokens=[token], connections=[])
    diagnosis.kind, diagnosis.what = "token", f"the token {token.name} ({token.display_prefix}…)"
    return diagnosis.judged(diagnosis.credentials[0])
