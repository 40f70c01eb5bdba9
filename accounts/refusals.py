"""The refusal registry: every code a credential (or the request carrying it) is refused with,
its words, the fix and who can make it, what it means on the wire, and its metric label.

This module is the only place a refusal code is written down (`tests/accounts/test_refusal_registry.py`
greps for codes anywhere else). The gates (`accounts.gates`) return these entries; the MCP endpoint,
the management API, SCIM, the token page, connected apps, people's access and the connection doctor
read the words and codes from them.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class State(StrEnum):
    """A credential's state on every page that lists one."""

    ACTIVE = "active"
    PAUSED = "paused"
    """The credential itself is fine, but a gate refuses it right now; it works again when the gate opens."""
    EXPIRED = "expired"
    REVOKED = "revoked"
    REFUSED = "refused"
    """The request is refused before or beside any credential's state (no header, a malformed or
    unknown token, another resource's token, a missing scope): no page lists a credential so."""


class Who(StrEnum):
    """Who can make a fix (the connection doctor's words: it is read by an organization admin)."""

    NOBODY = ""
    PERSON = "The person themselves"
    ADMIN = "An organization admin (you)"
    STAFF = "Spark Portal's staff"
    CLIENT = "The client's developer"
    IDP_ADMIN = "Your identity provider's admin"
    CLIENT_OR_IDP = "The client's developer, or your identity provider's admin"


@dataclass(frozen=True)
class Refusal:
    code: str
    """Stable: the metric label, the request log's `refusal`, the management API's problem `code`.
    Two entries may share one where only the fix differs (access ended by an admin, or by its date)."""
    words: str
    """What is wrong and whom to ask, written to continue a header or a clause; `{org}`, `{domain}`,
    `{platform}`, `{email}`, `{scope}`, `{days}`, `{hours}`, `{quota}`, `{address}`, `{tool}`, `{dataset}` and
    `{holder}` are filled in by the gate (ASCII: it also travels in WWW-Authenticate)."""
    state: State = State.PAUSED
    fix: str = ""
    """The fix, for the one who can make it (the doctor's words); same fields as `words`."""
    who: Who = Who.NOBODY
    ask: str = ""
    """What the refused person asks their organization admin for, on a refusal page."""
    status: int = 401
    """The HTTP status the MCP endpoint and the management API answer with."""
    challenge: str = "invalid_token"
    """The RFC 6750 `error` of the endpoint's WWW-Authenticate ("": none, for a request without credentials)."""

    @property
    def metric_label(self) -> str:
        return self.code

    def said(self, **fields: str) -> str:
        return self.words.format(**fields)


REGISTRY: list[Refusal] = []


def _entry(refusal: Refusal) -> Refusal:
    REGISTRY.append(refusal)
    return refusal


_NEW_TOKEN = "Create a new token in Access tokens."

# --- The request: what was presented, before any credential is found ---------------------------------
MISSING = _entry(
    Refusal(
        "missing",
        "missing Authorization header; send 'Authorization: Bearer <token>'",
        state=State.REFUSED,
        challenge="",
    )
)
QUERY_TOKEN = _entry(
    Refusal(
        "query_token",
        "tokens in the URL are refused; send 'Authorization: Bearer <token>' instead",
        state=State.REFUSED,
    )
)
MALFORMED = _entry(
    Refusal(
        "malformed",
        "malformed bearer token; expected 'Authorization: Bearer spk_...' with the whole token",
        state=State.REFUSED,
    )
)
UNKNOWN = _entry(
    Refusal(
        "unknown",
        "unknown token; check you copied the whole token, or create a new one in account settings",
        state=State.REFUSED,
    )
)
ROTATED = _entry(
    Refusal(
        "rotated",
        "this token was rotated; use the new secret or rotate it again in account settings",
        state=State.REFUSED,
        fix="Use the token's new secret, or rotate it again.",
        who=Who.PERSON,
    )
)
NOT_PERSONAL = _entry(
    Refusal(
        "not_a_personal_token",
        "the management API takes personal access tokens (spk_…) of organization admins with org:read or "
        "org:admin; OAuth access tokens are for Spark Portal",
        state=State.REFUSED,
    )
)

# --- The credential itself --------------------------------------------------------------------------
REVOKED = _entry(
    Refusal(
        "revoked",
        "token revoked; create a new one in account settings",
        state=State.REVOKED,
        fix=_NEW_TOKEN,
        who=Who.PERSON,
    )
)
UNKNOWN_OAUTH = _entry(
    Refusal(
        "unknown_oauth",
        "unknown or revoked access token; reconnect the assistant to Spark Portal",
        state=State.REVOKED,
        fix="Connect the assistant again.",
        who=Who.PERSON,
    )
)
"""An assistant's revoked grant: its tokens are gone, so the endpoint cannot tell it from one never issued."""
EXPIRED = _entry(
    Refusal(
        "expired",
        "token expired; create a new one in account settings",
        state=State.EXPIRED,
        fix=_NEW_TOKEN,
        who=Who.PERSON,
    )
)
EXPIRED_OAUTH = _entry(
    Refusal(
        "expired_oauth",
        "access token expired; refresh it or reconnect the assistant",
        state=State.EXPIRED,
        fix="The assistant refreshes it by itself; else connect it again.",
        who=Who.PERSON,
    )
)

# --- The person and their organization --------------------------------------------------------------
USER_INACTIVE = _entry(
    Refusal(
        "user_inactive",
        "the account is deactivated; ask your organization admin",
        fix="Reactivate the account in the Django admin.",
        who=Who.STAFF,
        ask="Ask them to reactivate your account.",
    )
)
NOT_MEMBER = _entry(
    Refusal(
        "not_member",
        "the account is no longer a member of {org}; ask your {org} admin",
        fix="Invite {email} on the Members page.",
        who=Who.ADMIN,
        ask="Ask them to add you to the organization again.",
    )
)
DOMAIN_NOT_ENABLED = _entry(
    Refusal(
        "domain_not_enabled",
        "your email domain {domain} is not enabled for {org}; ask your {org} admin",
        fix="Enable {domain} on the Email domains page.",
        who=Who.ADMIN,
        ask="Ask them to enable your email domain under Email domains in Spark Portal.",
    )
)
_ACCESS_ENDED = "{org}'s MCP access has ended; ask your {org} admin"
_RESTORE = "Ask them to restore the organization's MCP access."
ACCESS_ENDED = _entry(
    Refusal("access_ended", _ACCESS_ENDED, fix="Restore access on the organization page.", who=Who.ADMIN, ask=_RESTORE)
)
"""Ended by an admin (or staff) on the organization page."""
ACCESS_PAST_END = _entry(
    Refusal("access_ended", _ACCESS_ENDED, fix="Extend the end date.", who=Who.STAFF, ask=_RESTORE)
)
"""Its end date has passed."""
ACCESS_NOT_STARTED = _entry(
    Refusal(
        "access_not_started",
        "{org}'s MCP access has not started yet; ask your {org} admin",
        fix="Move the start date.",
        who=Who.STAFF,
        ask="Ask them when the organization's MCP access starts.",
    )
)

# --- The organization's policies (docs/policies.md) ----------------------------------------------------
TOKENS_NOT_ALLOWED = _entry(
    Refusal(
        "personal_tokens_not_allowed",
        "{org} does not allow personal access tokens; ask an admin of {org} to allow personal access tokens",
        fix="Allow personal access tokens on the Policies page.",
        who=Who.ADMIN,
        ask="Ask them to allow personal access tokens under Policies in Spark Portal.",
    )
)
TOKEN_TOO_OLD = _entry(
    Refusal(
        "token_lifetime_exceeded",
        "this token is older than {org} allows ({days} days); rotate it or create a new one in account settings",
        fix="Rotate the token in Access tokens (its new lifetime fits the limit), or raise the maximum lifetime "
        "on the Policies page.",
        who=Who.PERSON,
        ask="Ask them to raise the maximum token lifetime under Policies in Spark Portal.",
    )
)
"""Past its organization's maximum lifetime, counted from its creation or last rotation: paused, not
shortened, so raising the limit brings it back."""

_QUOTA_FIX = "Raise the quota on the Policies page, or wait: it starts again at midnight UTC."
_QUOTA_ASK = "Ask them to raise the daily quota under Policies in Spark Portal, or try again after midnight UTC."
QUOTA_PERSON = _entry(
    Refusal(
        "daily_quota_person",
        "you have made today's {quota} MCP tool calls, {org}'s daily quota per person; try again after "
        "midnight UTC or ask your {org} admin",
        fix=_QUOTA_FIX,
        who=Who.ADMIN,
        ask=_QUOTA_ASK,
        status=429,
        challenge="",
    )
)
QUOTA_ORGANIZATION = _entry(
    Refusal(
        "daily_quota_organization",
        "{org} has made today's {quota} MCP tool calls, its daily quota; try again after midnight UTC or ask "
        "your {org} admin",
        fix=_QUOTA_FIX,
        who=Who.ADMIN,
        ask=_QUOTA_ASK,
        status=429,
        challenge="",
    )
)
"""A quota refuses tool calls only (`tools/call`, counted at the MCP endpoint), until midnight UTC: the
endpoint answers 429 with a JSON-RPC error and `Retry-After`."""

# --- What the organization lets a connection use, and from where (docs/policies.md) --------------------
_NETWORK_FIX = "Add the address, or its range, to the allow-list on the Policies page."
NETWORK_TOKEN = _entry(
    Refusal(
        "network_not_allowed",
        "{org} allows personal access tokens and the management API only from its own networks, and this "
        "request came from {address}; ask an admin of {org} to add your network under Policies in Spark Portal",
        fix=_NETWORK_FIX + " (Personal access tokens and the management API)",
        who=Who.ADMIN,
        ask="Ask them to add your network ({address}) to the allow-list under Policies in Spark Portal.",
        status=403,
        challenge="",
    )
)
NETWORK_ASSISTANT = _entry(
    Refusal(
        "assistant_network_not_allowed",
        "{org} allows assistants to call Spark Portal only from the networks it lists, and this call came from "
        "{address}; ask an admin of {org} to add the assistant's network under Policies in Spark Portal",
        fix=_NETWORK_FIX + " (Assistants): assistants call from their vendor's ranges, not your own network.",
        who=Who.ADMIN,
        ask="Ask them to add your assistant's network ({address}) to the allow-list under Policies in Spark Portal.",
        status=403,
        challenge="",
    )
)
"""Outside an organization's IP allow-list: paused while the request comes from there (403, no challenge:
connecting again would not help)."""
TOOL_OFF = _entry(
    Refusal(
        "tool_turned_off",
        "{org} turned off the {tool} tool; ask an admin of {org} to turn it on under Policies in Spark Portal",
        state=State.REFUSED,
        fix="Turn {tool} on again on the Policies page.",
        who=Who.ADMIN,
        ask="Ask them to turn the {tool} tool on under Policies in Spark Portal.",
        status=403,
        challenge="",
    )
)
"""A `tools/call` of a tool the organization turned off: a JSON-RPC error (`tools/list` omits the tool)."""
DATASET_NOT_ALLOWED = _entry(
    Refusal(
        "dataset_not_allowed",
        "{org} does not let {holder} use the {dataset} dataset; ask an admin of {org} to allow it under Policies "
        "in Spark Portal, or call list_datasets for the datasets you may use",
        state=State.REFUSED,
        fix="Allow {dataset} for {holder} on the Policies page.",
        who=Who.ADMIN,
        ask="Ask them to allow the {dataset} dataset for {holder} under Policies in Spark Portal.",
        status=403,
        challenge="",
    )
)
"""A dataset of the organization outside its limit for the assistant's platform or the token: the tool
answers with these words (a tool error), never from another dataset."""

# --- An assistant's grant ---------------------------------------------------------------------------
CLIENT_ELSEWHERE = _entry(
    Refusal(
        "client_of_another_organization",
        "this client belongs to another organization; ask your {org} admin for your own",
        fix="Create a confidential client for your organization, or connect through the assistant's own connector.",
        who=Who.ADMIN,
        ask=(
            "This client was set up by another organization's admin. Ask your own organization admin "
            "to create a client for you, or connect through your assistant's own Spark Portal connector."
        ),
    )
)
CONNECTOR_UNPUBLISHED = _entry(
    Refusal(
        "connector_unpublished",
        "the {platform} connector is not published for {org}; ask your {org} admin to publish it in Spark Portal",
        fix="Publish its connector on the organization page.",
        who=Who.ADMIN,
        ask="Ask them to publish the {platform} connector under Connectors in Spark Portal.",
    )
)
NO_PLATFORM = _entry(
    Refusal(
        "no_platform",
        "this client's redirect address belongs to no supported assistant platform",
        fix="Register the client with a supported assistant's redirect address.",
        who=Who.CLIENT,
    )
)

# --- The organization's policies for assistants (docs/policies.md) -----------------------------------
_APPROVALS_PAGE = "Policies, Assistant policies"
ASSISTANT_PENDING = _entry(
    Refusal(
        "assistant_approval_pending",
        "{org} approves each new assistant, and this one is waiting for an admin of {org} to approve it",
        fix=f"Approve the assistant under {_APPROVALS_PAGE} (or add its client ID or host to the allow-list).",
        who=Who.ADMIN,
        ask="Ask them to approve this assistant under Policies, Assistant policies in Spark Portal.",
    )
)
ASSISTANT_DENIED = _entry(
    Refusal(
        "assistant_denied",
        "an admin of {org} denied this assistant; ask your {org} admin",
        fix=f"Approve the assistant under {_APPROVALS_PAGE}, if it should be allowed after all.",
        who=Who.ADMIN,
        ask="Ask them to approve this assistant under Policies, Assistant policies in Spark Portal, if you need it.",
    )
)
"""Until an admin approves the client (or after one denied it), consent shows a page saying so, the
assistant gets `access_denied`, the token endpoint `invalid_grant` and the MCP endpoint 401."""
RECONSENT_REQUIRED = _entry(
    Refusal(
        "reconsent_required",
        "{org} asks you to sign in and allow an assistant again every {days} days; reconnect the assistant to "
        "Spark Portal",
        fix=f"Connect the assistant again (sign in and allow it), or raise the days under {_APPROVALS_PAGE}.",
        who=Who.PERSON,
        ask="Ask them to raise the days before signing in again under Policies, Assistant policies in Spark Portal.",
    )
)
"""Past it, a refresh is refused (`invalid_grant`) and so is the MCP endpoint: a new consent renews the grant."""
REFRESH_IDLE = _entry(
    Refusal(
        "refresh_token_idle",
        "this refresh token went unused longer than {org} allows ({hours} hours); reconnect the assistant to "
        "Spark Portal",
        state=State.EXPIRED,
        fix=f"Connect the assistant again, or lengthen the refresh token lifetime under {_APPROVALS_PAGE}.",
        who=Who.PERSON,
    )
)
"""The token endpoint's only (`invalid_grant`): the organization's refresh token lifetime, counted like the
server's, from the expiry of the access token issued with it."""

# --- This request, for this credential --------------------------------------------------------------
WRONG_AUDIENCE = _entry(
    Refusal(
        "wrong_audience",
        "this access token was issued for another resource; reconnect to this URL",
        state=State.REFUSED,
        fix="Connect the assistant to this URL.",
        who=Who.PERSON,
    )
)
INSUFFICIENT_SCOPE = _entry(
    Refusal(
        "insufficient_scope",
        "this token lacks the scope this call needs (the challenge's scope names every one); connect again "
        "allowing it, or create a token with it",
        state=State.REFUSED,
        status=403,
        challenge="insufficient_scope",
    )
)
ORG_SCOPE = _entry(
    Refusal(
        "insufficient_scope",
        "this token lacks the {scope} scope; an organization admin creates a token with it",
        state=State.REFUSED,
        status=403,
        challenge="insufficient_scope",
    )
)
"""The management API's: a token without `org:read` (reads) or `org:admin` (changes)."""

# --- SCIM tokens (/scim/v2): sentences, as SCIM's `detail` ---------------------------------------------
SCIM_MISSING = _entry(
    Refusal("missing", "Send the organization's SCIM token as 'Authorization: Bearer spkscim_…'.", state=State.REFUSED)
)
SCIM_MALFORMED = _entry(
    Refusal(
        "malformed",
        "This is not a Spark Portal SCIM token (spkscim_…); check you copied the whole token.",
        state=State.REFUSED,
    )
)
SCIM_UNKNOWN = _entry(
    Refusal(
        "unknown",
        "Unknown SCIM token; check you copied the whole token, or create a new one in the organization console.",
        state=State.REFUSED,
    )
)
SCIM_REVOKED = _entry(
    Refusal(
        "revoked",
        "This SCIM token was revoked; create a new one in the organization console.",
        state=State.REVOKED,
        fix="Create a new SCIM token and paste it into the identity provider.",
        who=Who.ADMIN,
    )
)


def metric_labels() -> list[str]:
    """Every refusal code, once: the label values `spark_mcp_refusals` may carry."""
    return sorted({r.metric_label for r in REGISTRY})
