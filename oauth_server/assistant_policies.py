"""An organization's policies for assistants (docs/policies.md): approval of each new OAuth client, and
the lifetimes of what assistants are issued (access token, refresh token, the time before the person
must sign in and allow the assistant again).

The settings are an `AssistantPolicy` row (none: today's behaviour); each client's decision is a
`ClientApproval` row. Both are watched (accounts.watch): a change moves the access epoch. The gates
read them as the grant's facts (`accounts.gates.GrantFacts`: `approval`, `authorized_at`,
`reconsent_days`); the lifetimes are applied where tokens are issued and refreshed (`oauth_server.validator`).
"""

from __future__ import annotations

import datetime as dt
import logging
import re
from dataclasses import asdict, dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.core.exceptions import ValidationError
from django.core.mail import send_mail
from django.db import transaction
from django.db.models import Case, QuerySet, When
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from oauth2_provider.cimd import is_cimd_client_id
from oauth2_provider.models import Application
from oauth2_provider.settings import oauth2_settings

from accounts import refusals
from accounts.models import Membership, Organization, Role, User
from audit.actions import Action
from audit.services import Origin, audit_record
from oauth_server.models import ApprovalStatus, AssistantPolicy, ClientApproval, ConnectedApp, OrganizationClient

logger = logging.getLogger(__name__)

ASSISTANT_REFUSALS = (refusals.ASSISTANT_PENDING, refusals.ASSISTANT_DENIED, refusals.RECONSENT_REQUIRED)
"""The refusals of a grant these policies make (the doctor names them as the assistant's own)."""

MAX_RECONSENT_DAYS = 365
MAX_ALLOWED_ENTRIES = 100
_ENTRY = re.compile(r"^[!-~]{1,255}$")
"""A client ID or a host: printable ASCII without spaces."""


@dataclass(frozen=True)
class AssistantPolicies:
    """An organization's assistant policies, as the console and the management API show and change them."""

    approval_required: bool = False
    allowed_clients: tuple[str, ...] = ()
    """Approved without asking: client IDs, or hosts of client ID metadata documents."""
    access_token_minutes: int | None = None
    """None: the server's (`ACCESS_TOKEN_EXPIRE_SECONDS`)."""
    refresh_token_hours: int | None = None
    """None: the server's (`REFRESH_TOKEN_EXPIRE_SECONDS`), counted from the expiry of the access token
    issued with the refresh token, as the server's is."""
    reconsent_days: int | None = None
    """None: a person never has to allow an assistant again."""

    @classmethod
    def of(cls, organization: Organization) -> AssistantPolicies:
        row = AssistantPolicy.objects.filter(organization=organization).first()
        if row is None:
            return cls()
        return cls(
            row.approval_required,
            tuple(row.allowed),
            row.access_token_minutes,
            row.refresh_token_hours,
            row.reconsent_days,
        )


FIELDS = ("approval_required", "allowed_clients", "access_token_minutes", "refresh_token_hours", "reconsent_days")


def server_access_seconds() -> int:
    """The server's access token lifetime: no organization's is longer."""
    return int(oauth2_settings.ACCESS_TOKEN_EXPIRE_SECONDS)


def longest_access_minutes() -> int:
    return max(1, server_access_seconds() // 60)


def longest_refresh_hours() -> int:
    """The server's refresh token idle lifetime, in hours: no organization's is longer."""
    return max(1, int(oauth2_settings.REFRESH_TOKEN_EXPIRE_SECONDS or 365 * 86400) // 3600)


def access_seconds(policies: AssistantPolicies) -> int:
    minutes = policies.access_token_minutes
    return min(minutes * 60 if minutes else server_access_seconds(), server_access_seconds())


def granted_seconds(connection: ConnectedApp, asked: int, now: dt.datetime) -> int:
    """An access token's lifetime for the grant: at most the server's (`asked`), the organization's,
    and the time left before the person must allow the assistant again."""
    policies = AssistantPolicies.of(connection.organization)
    seconds = min(asked or server_access_seconds(), access_seconds(policies))
    if policies.reconsent_days is not None:
        deadline = connection.last_authorized_at + dt.timedelta(days=policies.reconsent_days)
        seconds = min(seconds, max(1, int((deadline - now).total_seconds())))
    return seconds


def refresh_idle_refusal(connection: ConnectedApp, access_expires: dt.datetime, now: dt.datetime) -> str:
    """Why the organization refuses a refresh token whose access token expired at `access_expires` ("": it
    does not): unused for longer than its refresh token lifetime."""
    hours = AssistantPolicies.of(connection.organization).refresh_token_hours
    if hours is None or now < access_expires + dt.timedelta(hours=hours):
        return ""
    return refusals.REFRESH_IDLE.said(org=connection.organization.name, hours=str(hours))


def _check(wanted: AssistantPolicies) -> None:
    bounds = (
        ("access_token_minutes", "An access token lifetime", longest_access_minutes(), "minutes"),
        ("refresh_token_hours", "A refresh token lifetime", longest_refresh_hours(), "hours"),
        ("reconsent_days", "The time before signing in again", MAX_RECONSENT_DAYS, "days"),
    )
    for name, what, high, unit in bounds:
        value = getattr(wanted, name)
        if value is not None and not 1 <= value <= high:
            raise ValidationError(f"{what} is 1 to {high:,} {unit} (or the server's).")
    if len(wanted.allowed_clients) > MAX_ALLOWED_ENTRIES:
        raise ValidationError(f"The allow-list holds at most {MAX_ALLOWED_ENTRIES} client IDs or hosts.")
    for entry in wanted.allowed_clients:
        if not _ENTRY.match(entry):
            raise ValidationError(f"“{entry[:60]}” is no client ID or host (one per line, without spaces).")


def allow_listed(entries: tuple[str, ...] | list[str], client_id: str) -> bool:
    """The client is on the allow-list: by its client ID, or by its metadata document's host."""
    host = (urlsplit(client_id).hostname or "") if is_cimd_client_id(client_id) else ""
    return any(entry == client_id or (host and entry.lower() == host) for entry in entries)


def approval_state(organization: Organization, application: Application, policies: AssistantPolicies) -> str:
    """The organization's decision on the client under its `policies`: "approved" when no approval is
    required, for the organization's own clients and allow-listed ones; else its recorded decision, or
    "pending"."""
    if not policies.approval_required or allow_listed(policies.allowed_clients, application.client_id):
        return ApprovalStatus.APPROVED.value
    if OrganizationClient.objects.filter(application=application, organization=organization).exists():
        return ApprovalStatus.APPROVED.value
    status = ClientApproval.objects.filter(organization=organization, application=application).values_list(
        "status", flat=True
    )
    return str(status.first() or ApprovalStatus.PENDING.value)


@transaction.atomic
def assistant_policies_set(
    *,
    organization: Organization,
    wanted: AssistantPolicies,
    actor: User | None,
    origin: Origin | None,
    now: dt.datetime | None = None,
) -> list[ClientApproval]:
    """Change the organization's assistant policies. Under approval, the clients its members are
    connected to already and no admin decided on are approved (they keep working: turning approval on,
    or taking a client off the allow-list, stops nothing connected); returns those approvals."""
    _check(wanted)
    current = AssistantPolicies.of(organization)
    if wanted == current:
        return []
    now = now or timezone.now()
    values = asdict(wanted)
    values["allowed_clients"] = "\n".join(wanted.allowed_clients)
    AssistantPolicy.objects.update_or_create(organization=organization, defaults=values)
    changes = {
        name: [_plain(getattr(current, name)), _plain(getattr(wanted, name))]
        for name in FIELDS
        if getattr(current, name) != getattr(wanted, name)
    }
    kept = _approve_connected(organization, actor, now) if wanted.approval_required else []
    who = actor.email if actor is not None else "an operator"
    audit_record(
        action=Action.ASSISTANT_POLICIES_CHANGED,
        summary=f"{who} changed the assistant policies: {describe(changes)}",
        organization=organization,
        actor=actor,
        origin=origin,
        detail={"changes": changes, "clients_approved": [a.application.client_id for a in kept]},
    )
    return kept


def _plain(value: object) -> object:
    return list(value) if isinstance(value, tuple) else value


def _approve_connected(organization: Organization, actor: User | None, now: dt.datetime) -> list[ClientApproval]:
    """Record an approval for each client with a live connection in the organization that no admin
    decided on (none recorded, or only asked for): connected while no approval applied to it (approval
    off, or allow-listed), it keeps working; an admin may deny it on the page."""
    connected = set(
        ConnectedApp.objects.filter(organization=organization, revoked_at__isnull=True).values_list(
            "application_id", flat=True
        )
    )
    decided = dict(ClientApproval.objects.filter(organization=organization).values_list("application_id", "status"))
    kept = []
    for application_id in sorted(connected):
        if decided.get(application_id, ApprovalStatus.PENDING) != ApprovalStatus.PENDING:
            continue
        approval, _ = ClientApproval.objects.update_or_create(
            organization=organization,
            application_id=application_id,
            defaults={"status": ApprovalStatus.APPROVED, "decided_by": actor, "decided_at": now},
        )
        kept.append(approval)
    return kept


def describe(changes: dict[str, list[object]]) -> str:
    words = []
    for name, (_, new) in changes.items():
        if name == "approval_required":
            words.append("each new assistant needs approval" if new else "assistants need no approval")
        elif name == "allowed_clients":
            words.append(f"allow-list: {', '.join(map(str, new)) or 'empty'}")  # type: ignore[call-overload]
        else:
            label = name.replace("_", " ")
            words.append(f"{label}: {new if new is not None else 'the server’s'}")
    return "; ".join(words)


def approval_request(
    *, organization: Organization, application: Application, user: User, origin: Origin | None
) -> ClientApproval:
    """The person wants to connect a client the organization has not decided on: ask its admins (once)."""
    with transaction.atomic():
        approval, created = ClientApproval.objects.get_or_create(
            organization=organization, application=application, defaults={"requested_by": user}
        )
        if created:
            audit_record(
                action=Action.ASSISTANT_APPROVAL_REQUESTED,
                summary=f"{user.email} asked to connect {application_label(application)}, which needs approval",
                organization=organization,
                actor=user,
                origin=origin,
                detail={"client_id": application.client_id},
            )
            transaction.on_commit(lambda: _tell_admins(approval))
    return approval


def approval_asked(organization: Organization, application: Application) -> bool:
    """Someone asked the organization to approve the client (or an admin decided on it)."""
    return ClientApproval.objects.filter(organization=organization, application=application).exists()


def application_label(application: Application) -> str:
    return application.name or application.client_id


@transaction.atomic
def approval_decide(
    *, approval: ClientApproval, approved: bool, actor: User, origin: Origin | None, now: dt.datetime | None = None
) -> ClientApproval:
    """Approve or deny a client for the organization. Denied, its grants' tokens stop at once (the gates
    refuse them); approved again, they work again."""
    status = ApprovalStatus.APPROVED if approved else ApprovalStatus.DENIED
    if approval.status == status:
        return approval
    approval.status, approval.decided_by, approval.decided_at = status, actor, now or timezone.now()
    approval.save(update_fields=["status", "decided_by", "decided_at"])
    verb = "approved" if approved else "denied"
    audit_record(
        action=Action.ASSISTANT_APPROVED if approved else Action.ASSISTANT_DENIED,
        summary=f"{actor.email} {verb} the assistant {application_label(approval.application)}",
        organization=approval.organization,
        actor=actor,
        origin=origin,
        detail={"client_id": approval.application.client_id},
    )
    return approval


def organization_approvals(organization: Organization) -> QuerySet[ClientApproval]:
    """The organization's decisions, waiting ones first, then the newest."""
    return (
        ClientApproval.objects.filter(organization=organization)
        .select_related("application", "requested_by", "decided_by")
        .annotate(waiting=Case(When(status=ApprovalStatus.PENDING, then=0), default=1))
        .order_by("waiting", "-requested_at", "-pk")
    )


def waiting_for(organization: Organization, user: User) -> list[ClientApproval]:
    """The clients this person asked to connect that the organization has not approved (under its
    current policies: an allow-listed or own client is approved, whatever its request says)."""
    policies = AssistantPolicies.of(organization)
    asked = organization_approvals(organization).filter(requested_by=user).exclude(status=ApprovalStatus.APPROVED)
    return [a for a in asked if approval_state(organization, a.application, policies) != ApprovalStatus.APPROVED]


def _tell_admins(approval: ClientApproval) -> None:
    """Email the organization's admins that a client waits for their decision (after the commit)."""
    organization = approval.organization
    admins = list(
        Membership.objects.filter(organization=organization, role=Role.ADMIN, user__is_active=True).values_list(
            "user__email", flat=True
        )
    )
    if not admins:
        return
    url = settings.SPARK_PUBLIC_URL + reverse("orgadmin:assistant_policies", args=[organization.slug])
    context = {"approval": approval, "organization": organization, "name": application_label(approval.application)}
    try:
        send_mail(
            subject=f"An assistant waits for your approval in {organization.name}",
            message=render_to_string("oauth_server/approval_request_email.txt", {**context, "url": url}),
            from_email=None,
            recipient_list=admins,
        )
    except Exception:  # the request stands whether or not the mail server took it
        logger.warning("could not email the admins of %s about client %s", organization.slug, approval.application_id)
