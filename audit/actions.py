"""The registry of audited actions: every action the trail records, its stored name and the detail
fields it keeps. `audit_record` and `audit_tally` take only these members; a detail key an action
does not declare is refused (ValueError), so the trail's shape is written down here and nowhere else.

The values are the strings stored in `AuditEvent.action` since before the registry: rows, exports,
the console's filter and the docs read them unchanged. Add a member (and its line in
docs/architecture.md) before recording something new; never rename a value (stored rows keep it)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum, unique


@dataclass(frozen=True)
class Machine:
    """Who acted when no person did: a credential of some `kind`, named by the detail field `field`."""

    kind: str
    field: str


TALLIED = ("window", "count", "last_at")
"""What `audit_tally` adds to a counted event's detail (the hour it counts, how many, the last when)."""

_TOKEN = ("token", "prefix", "name", "owner", "scopes", "all_datasets", "expires_at")
_INTEGRATION_TOKEN = ("scim_token", "name", "prefix")
_PROVISIONED = ("scim_token", "scim_token_name", "email", "user")
_CONNECTION = ("connection", "kind")
_GRANT = ("client_id", "platform", "scope", "all_datasets")
_PROVISIONER = Machine("SCIM token", "scim_token_name")
ACTING_MACHINES = (_PROVISIONER,)
"""The machines that act through services shared with people (an `audit.actors.Actor` with detail):
any action's event names one of these when its detail holds the machine's field."""


@unique
class Action(StrEnum):
    """An audited action. `detail` is the set of keys its event's detail may hold; `by` names who
    acted when no person did (shown in the console and exports as the actor)."""

    detail: frozenset[str]
    by: Machine | None

    def __new__(cls, value: str, detail: tuple[str, ...] = (), by: Machine | None = None) -> Action:
        member = str.__new__(cls, value)
        member._value_ = value
        member.detail = frozenset(detail)
        member.by = by
        return member

    # A person's own account
    ACCOUNT_EMAIL_CHANGE_REQUESTED = "account.email_change_requested", ("from", "to")
    ACCOUNT_EMAIL_CHANGED = "account.email_changed", ("from", "to")
    # Personal access tokens
    TOKEN_CREATED = "token.created", _TOKEN
    TOKEN_ROTATED = "token.rotated", (*_TOKEN, "retired_prefix")
    TOKEN_REVOKED = "token.revoked", _TOKEN
    # Two-factor authentication
    MFA_ENABLED = "mfa.enabled", ("type",)
    MFA_REMOVED = "mfa.removed", ("type",)
    MFA_RECOVERY_CODES_CREATED = "mfa.recovery_codes_created", ("type",)
    MFA_RECOVERY_CODES_REGENERATED = "mfa.recovery_codes_regenerated", ("type",)
    MFA_RECOVERY_CODE_USED = "mfa.recovery_code_used", ("unused_codes_left", "reauthenticated")
    MFA_CODE_REFUSED = "mfa.code_refused", ("reauthentication",)
    MFA_RESET = "mfa.reset", ("member", "removed")
    # Members and invitations
    MEMBER_INVITED = "member.invited", ("email", "role", "invitation")
    MEMBER_INVITATION_REVOKED = "member.invitation_revoked", ("email", "invitation")
    MEMBER_JOINED = "member.joined", ("email", "invitation")
    MEMBER_ROLE_CHANGED = "member.role_changed", ("email", "from", "to")
    MEMBER_REMOVED = "member.removed", ("email", "tokens_revoked")
    # The organization
    ORGANIZATION_CONTACT_CHANGED = "organization.contact_changed", ("contact_email",)
    ORGANIZATION_POLICIES_CHANGED = "organization.policies_changed", ("changes", "tokens_stopped", "tokens_shortened")
    ORGANIZATION_MFA_REQUIRED = "organization.mfa_required", ("require_mfa", "members_without_mfa")
    ORGANIZATION_MFA_NOT_REQUIRED = "organization.mfa_not_required", ("require_mfa", "members_without_mfa")
    ORGANIZATION_ACCESS_ENDED = "organization.access_ended", ("from", "to")
    ORGANIZATION_ACCESS_RESTORED = "organization.access_restored", ("from", "to", "restored_previous")
    ORGANIZATION_ACCESS_GRANTED = "organization.access_granted", ("from", "to")
    # Email domains
    DOMAIN_ADDED = "domain.added", ("domain", "txt_name")
    DOMAIN_VERIFIED = "domain.verified", ("domain", "verified_by")
    DOMAIN_ENABLED = "domain.enabled", ("domain", "members")
    DOMAIN_DISABLED = "domain.disabled", ("domain", "members")
    DOMAIN_REMOVED = "domain.removed", ("domain", "members")
    # Connectors, OAuth clients and assistants' grants
    CONNECTOR_PUBLISHED = "connector.published", ("platform",)
    CONNECTOR_UNPUBLISHED = "connector.unpublished", ("platform",)
    CONNECTOR_REMOVED = "connector.removed", ("platform", "people", "assistants")
    CLIENT_REGISTERED = "client.registered", ("client_id", "platform", "redirect_uris")
    CLIENT_CREATED = "client.created", ("client_id", "redirect_uri")
    CLIENT_DELETED = "client.deleted", ("client_id",)
    CLIENT_CLEANUP = "client.cleanup"
    GRANT_CREATED = "grant.created", _GRANT
    GRANT_RENEWED = "grant.renewed", _GRANT
    GRANT_DENIED = "grant.denied", ("client_id",)
    GRANT_REVOKED = "grant.revoked", ("client_id", "platform", "connection", "user")
    GRANT_CODE_REPLAYED = "grant.code_replayed", ("client_id",)
    GRANT_REFRESH_FAMILY_REVOKED = "grant.refresh_family_revoked", ("client_id",)
    # Identity assertion grants (ID-JAG)
    GRANT_ID_JAG = "grant.id_jag", ("client_id", "platform", "scope", "connection", "new_grant")
    GRANT_ID_JAG_REFUSED = "grant.id_jag_refused", ("client_id", "connection", "reason", *TALLIED)
    GRANT_ID_JAG_ENDED = "grant.id_jag_ended", ("connection", "tokens")
    # Single sign-on
    SSO_CONNECTION_ADDED = "sso.connection_added", (*_CONNECTION, "issuer", "client_id", "idp_entity_id")
    SSO_CONNECTION_CHANGED = (
        "sso.connection_changed",
        (
            *_CONNECTION,
            "issuer",
            "client_id",
            "secret_replaced",
            "idp_entity_id",
        ),
    )
    SSO_CONNECTION_ENABLED = "sso.connection_enabled", _CONNECTION
    SSO_CONNECTION_DISABLED = "sso.connection_disabled", _CONNECTION
    SSO_CONNECTION_REMOVED = "sso.connection_removed", (*_CONNECTION, "linked")
    SSO_ID_JAG_ENABLED = "sso.id_jag_enabled", _CONNECTION
    SSO_ID_JAG_DISABLED = "sso.id_jag_disabled", _CONNECTION
    SSO_REQUIRED = "sso.required", ("require_sso",)
    SSO_NOT_REQUIRED = "sso.not_required", ("require_sso",)
    SSO_USER_CREATED = "sso.user_created", (*_CONNECTION, "email")
    SSO_ACCOUNT_LINKED = "sso.account_linked", (*_CONNECTION, "email")
    SSO_EMAIL_CHANGED = "sso.email_changed", (*_CONNECTION, "previous", "email")
    SSO_SIGNED_IN = "sso.signed_in", (*_CONNECTION, "email")
    SSO_REFUSED = "sso.refused", (*_CONNECTION, "reason", "email", "why", *TALLIED)
    # Provisioning (SCIM) and its tokens
    SCIM_TOKEN_CREATED = "scim_token.created", _INTEGRATION_TOKEN
    SCIM_TOKEN_REVOKED = "scim_token.revoked", _INTEGRATION_TOKEN
    SCIM_USER_CREATED = "scim.user_created", (*_PROVISIONED, "active", "external_id"), _PROVISIONER
    SCIM_USER_UPDATED = "scim.user_updated", (*_PROVISIONED, "changed", "previous_email"), _PROVISIONER
    SCIM_USER_DEACTIVATED = (
        "scim.user_deactivated",
        (
            *_PROVISIONED,
            "role",
            "tokens_revoked",
            "clients_revoked",
            "sessions",
        ),
        _PROVISIONER,
    )
    SCIM_USER_REACTIVATED = "scim.user_reactivated", (*_PROVISIONED, "role"), _PROVISIONER
    SCIM_USER_DELETED = "scim.user_deleted", _PROVISIONED, _PROVISIONER
    # Datasets and saved audiences
    DATASET_ASSIGNED = "dataset.assigned", ("dataset", "data_version")
    DATASET_RETIRED = "dataset.retired", ("dataset", "organizations")
    DATASET_RESTORED = "dataset.restored", ("dataset", "organizations")
    DATASET_TAKEN = "dataset.taken", ("dataset", "reason")
    DATASET_REMOVED = "dataset.removed", ("dataset", "name", "taken_from", "saved_audiences")
    AUDIENCE_CREATED = "audience.created", ("id", "dataset", "expression")
    # Assistant policies: approval of new clients, token lifetimes (docs/policies.md)
    ASSISTANT_POLICIES_CHANGED = "organization.assistant_policies_changed", ("changes", "clients_approved")
    ASSISTANT_APPROVAL_REQUESTED = "assistant.approval_requested", ("client_id",)
    ASSISTANT_APPROVED = "assistant.approved", ("client_id",)
    ASSISTANT_DENIED = "assistant.denied", ("client_id",)
    # Per-call audit and the audit stream to an organization's SIEM (docs/policies.md)
    TOOL_CALLED = (
        "mcp.tool_called",
        ("credential", "credential_id", "tool", "dataset", "outcome", "duration_ms", "request_id", "prompt"),
    )
    AUDIT_POLICIES_CHANGED = "organization.audit_policies_changed", ("changes",)
    AUDIT_STREAM_CREATED = "audit_stream.created", ("url", "enabled")
    AUDIT_STREAM_CHANGED = "audit_stream.changed", ("before", "after")
    AUDIT_STREAM_SECRET_ROTATED = "audit_stream.secret_rotated"
    AUDIT_STREAM_REMOVED = "audit_stream.removed", ("url", "undelivered")
    AUDIT_STREAM_TESTED = "audit_stream.tested", ("event_id", "ok", "error")
    AUDIT_STREAM_RESENT = "audit_stream.resent", ("resent",)
    # Operations
    RETENTION_ENFORCED = "retention.enforced", ("retention_days", "deleted", "data_versions")


def registered(value: str) -> Action | None:
    """The member a stored action string names (None for one recorded before the registry knew it)."""
    try:
        return Action(value)
    except ValueError:
        return None


def undeclared(action: Action, detail: dict[str, object]) -> list[str]:
    """The detail keys `action` does not declare (empty when the detail fits the registry)."""
    return sorted(set(detail) - action.detail)
