"""An organization's audit policies (docs/policies.md, "Every call audited, and streamed"): whether
every MCP tool call is recorded (and with its prompt), and how long its audit events are kept.
Kept apart from the other policies (`accounts.policies`): they stop nobody, so they need no gate and
warn no token owner. The stream to a SIEM is `audit.stream_services`."""

from __future__ import annotations

from dataclasses import asdict, dataclass

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Organization, User
from accounts.policies import policy_changes, policy_changes_apply
from audit.actions import Action
from audit.services import Origin

RETENTION_MAX_DAYS = 3650
"""The longest an organization may keep its audit events (ten years)."""


@dataclass(frozen=True)
class AuditPolicies:
    call_audit: bool = False
    """Every tool call is an audit event: who, credential, tool, dataset, outcome, duration, request ID."""
    call_audit_prompts: bool = False
    """Those events also keep the prompt (only with `call_audit`)."""
    audit_retention_days: int | None = None
    """None: Spark Portal's own retention (SPARK_RETAIN_AUDIT_DAYS)."""

    @classmethod
    def of(cls, organization: Organization) -> AuditPolicies:
        return cls(organization.call_audit, organization.call_audit_prompts, organization.audit_retention_days)


AUDIT_FIELDS = tuple(asdict(AuditPolicies()))


def _check(wanted: AuditPolicies) -> None:
    days = wanted.audit_retention_days
    if days is not None and not 1 <= days <= RETENTION_MAX_DAYS:
        raise ValidationError(
            f"Audit events are kept 1 to {RETENTION_MAX_DAYS} days (or as long as Spark Portal keeps them)."
        )
    if wanted.call_audit_prompts and not wanted.call_audit:
        raise ValidationError("Prompts are kept only in the events of audited tool calls: turn those on too.")


def _describe(changes: dict[str, list[object]]) -> str:
    words = []
    if "call_audit" in changes:
        words.append("every tool call audited" if changes["call_audit"][1] else "tool calls not audited")
    if "call_audit_prompts" in changes:
        words.append("with their prompts" if changes["call_audit_prompts"][1] else "without their prompts")
    if "audit_retention_days" in changes:
        days = changes["audit_retention_days"][1]
        words.append(
            f"audit events kept {days} days" if days else "audit events kept as long as Spark Portal keeps them"
        )
    return "; ".join(words)


@transaction.atomic
def organization_audit_policies_set(
    *, organization: Organization, wanted: AuditPolicies, actor: User | None, origin: Origin | None
) -> bool:
    """Change the organization's audit policies (audited); returns whether anything changed. A change
    reaches every worker on its next request (the columns are watched by the access epoch)."""
    _check(wanted)
    current = AuditPolicies.of(organization)
    changes = policy_changes(current, wanted, AUDIT_FIELDS)
    if not changes:
        return False
    policy_changes_apply(
        organization=organization,
        changes=changes,
        action=Action.AUDIT_POLICIES_CHANGED,
        summary=f"the audit policies: {_describe(changes)}",
        actor=actor,
        origin=origin,
    )
    return True
