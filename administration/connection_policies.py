"""An organization's tool, dataset and network policies (docs/policies.md, "Tools and datasets" and
"Network"): what they are, the checks when they are saved, and the one service that changes them.

They are enforced by gates of `accounts.gates` (`network`, `tool_allowed`, `dataset_allowed`), read
from the organization's fields with the rest of the bearer facts (`accounts.gates.ConnectionFacts`).
They live here, above the rooms that know the tools (`mcp_api`) and the assistant platforms
(`oauth_server`), which saving them checks against.
"""

from __future__ import annotations

import ipaddress
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction

from accounts.models import Organization, PersonalAccessToken, User
from accounts.networks import address_within, networks_of
from accounts.policies import policy_changes, policy_changes_apply
from accounts.scopes import MCP_TOOL_NAMES
from audit.actions import Action
from audit.services import Origin
from oauth_server.platforms import Platform

MAX_RANGES = 100
"""The most CIDR ranges one allow-list holds."""
OWN_ADDRESS_OUTSIDE = "own_address_outside"
"""The problem code of a change whose management-API allow-list leaves out the admin's own address."""


@dataclass(frozen=True)
class ConnectionPolicies:
    """What the organization lets its connections use, and from where. Empty: today's behaviour."""

    tools_off: list[str] = field(default_factory=list)
    platform_datasets: dict[str, list[str]] = field(default_factory=dict)
    """Per platform code: the only datasets its assistants may use (absent: every one they hold)."""
    token_datasets: dict[str, list[str]] = field(default_factory=dict)
    """Per personal access token ID: the only datasets it may use (absent: every one it holds)."""
    token_networks: list[str] = field(default_factory=list)
    """CIDR ranges for personal access tokens (Spark Portal and the management API) and the management API."""
    assistant_networks: list[str] = field(default_factory=list)
    """CIDR ranges for assistants' calls to Spark Portal."""

    @classmethod
    def of(cls, organization: Organization) -> ConnectionPolicies:
        return cls(**{name: getattr(organization, name) for name in CONNECTION_FIELDS})


CONNECTION_FIELDS = ("tools_off", "platform_datasets", "token_datasets", "token_networks", "assistant_networks")


def tool_names() -> list[str]:
    """Every tool an organization may turn off (both endpoints')."""
    return list(MCP_TOOL_NAMES)


def live_tokens(organization: Organization) -> list[PersonalAccessToken]:
    """The organization's tokens a dataset limit may be set for (not revoked)."""
    rows = PersonalAccessToken.objects.filter(organization=organization, revoked_at__isnull=True)
    return list(rows.select_related("user").order_by("user__email", "name"))


def parse_networks(ranges: list[str], which: str) -> list[str]:
    """The ranges as networks in their standard form (an address alone is its /32 or /128), or a
    ValidationError naming each that is not one."""
    found: list[str] = []
    problems = []
    for text in (r.strip() for r in ranges):
        if not text:
            continue
        try:
            if "%" in text:
                raise ValueError(text)
            network = ipaddress.ip_network(text, strict=True)
        except ValueError:
            problems.append(_range_problem(text))
            continue
        if str(network) not in found:
            found.append(str(network))
    if len(found) > MAX_RANGES:
        problems.append(f"At most {MAX_RANGES} ranges.")
    if problems:
        raise ValidationError(f"{which}: " + " ".join(problems), code="invalid_network")
    return found


def _range_problem(text: str) -> str:
    shown = text[:60]
    if "%" in text:
        return f"“{shown}” names an interface zone (%…); give the range without it."
    try:
        loose = ipaddress.ip_network(text, strict=False)
    except ValueError:
        return f"“{shown}” is not an IP address or CIDR range (e.g. 203.0.113.0/24 or 2001:db8::/48)."
    return f"“{shown}” has bits set past its /{loose.prefixlen}: did you mean {loose}?"


def _check_datasets(
    limits: dict[str, list[str]], keys: dict[str, str], codes: set[str], kind: str
) -> dict[str, list[str]]:
    checked = {}
    for key, chosen in limits.items():
        if key not in keys:
            raise ValidationError(f"Unknown {kind} “{str(key)[:60]}”; known: {', '.join(keys) or 'none'}.")
        unknown = sorted(set(chosen) - codes)
        if unknown:
            raise ValidationError(
                f"{keys[key]}: {', '.join(c[:40] for c in unknown)} is not among the organization's datasets "
                f"({', '.join(sorted(codes))})."
            )
        checked[key] = sorted(set(chosen))
    return checked


def checked(organization: Organization, wanted: ConnectionPolicies) -> ConnectionPolicies:
    """`wanted` in its stored form, or a ValidationError saying what is wrong."""
    unknown = sorted(set(wanted.tools_off) - set(tool_names()))
    if unknown:
        raise ValidationError(f"Unknown tool {', '.join(unknown)}; tools: {', '.join(tool_names())}.")
    codes = set(organization.datasets.values_list("code", flat=True))
    platforms = {p.value: str(p.label) for p in Platform}
    tokens = {str(t.pk): f"Token {t.name} ({t.user.email})" for t in live_tokens(organization)}
    return ConnectionPolicies(
        tools_off=sorted(set(wanted.tools_off)),
        platform_datasets=_check_datasets(wanted.platform_datasets, platforms, codes, "platform"),
        token_datasets=_check_datasets(wanted.token_datasets, tokens, codes, "token"),
        token_networks=parse_networks(wanted.token_networks, "Personal access tokens and the management API"),
        assistant_networks=parse_networks(wanted.assistant_networks, "Assistants"),
    )


def leaves_out(networks: list[str], address: str | None) -> bool:
    """Whether an allow-list would refuse `address` (an address not known is left out)."""
    return bool(networks) and not address_within(address or "", networks_of(networks))


def lockout_words(address: str | None) -> str:
    where = f"your current address ({address})" if address else "your current address (not known here)"
    return (
        f"The allow-list for personal access tokens and the management API leaves out {where}: your tokens "
        "and the management API would refuse you from here. Add your range, or confirm to save it anyway."
    )


@transaction.atomic
def organization_connection_policies_set(
    *,
    organization: Organization,
    wanted: ConnectionPolicies,
    actor: User | None,
    origin: Origin | None,
    confirmed: bool = False,
) -> ConnectionPolicies:
    """Change the organization's tool, dataset and network policies (audited). A management-API allow-list
    that leaves out the admin's own address (`origin`) is refused unless `confirmed`."""
    wanted = checked(organization, wanted)
    current = ConnectionPolicies.of(organization)
    address = origin.ip_address if origin else None
    changes = policy_changes(current, wanted, CONNECTION_FIELDS)
    if not changes:
        return current
    if "token_networks" in changes and leaves_out(wanted.token_networks, address) and not confirmed:
        raise ValidationError(lockout_words(address), code=OWN_ADDRESS_OUTSIDE)
    policy_changes_apply(
        organization=organization,
        changes=changes,
        action=Action.ORGANIZATION_POLICIES_CHANGED,
        summary=f"the policies: {describe(changes)}",
        actor=actor,
        origin=origin,
    )
    return wanted


def _limits(limits: dict[str, list[str]], name: str) -> str:
    if not limits:
        return f"no dataset limit per {name}"
    return f"datasets per {name}: " + "; ".join(f"{k} {', '.join(v) or 'none'}" for k, v in sorted(limits.items()))


def describe(changes: dict[str, list[Any]]) -> str:
    words = []
    if "tools_off" in changes:
        off = changes["tools_off"][1]
        words.append(f"tools turned off: {', '.join(off)}" if off else "every tool on")
    for name, whose in (("platform_datasets", "platform"), ("token_datasets", "token")):
        if name in changes:
            words.append(_limits(changes[name][1], whose))
    for name, whose in (("token_networks", "tokens and the management API"), ("assistant_networks", "assistants")):
        if name in changes:
            ranges = changes[name][1]
            words.append(f"{whose} from {', '.join(ranges)} only" if ranges else f"{whose} from anywhere")
    return "; ".join(words)
