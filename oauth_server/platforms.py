"""Assistant platforms, recognised by the redirect URIs their OAuth clients register.

Assistants register a fresh client on every connect, so access is gated on the platform a
client belongs to, never on its client id. A redirect URI that belongs to no platform is
refused at registration.

`PLATFORMS` below is the whole list: each platform's name, the redirect URIs that are its own,
whether its clients may add a loopback callback (RFC 8252 §7.3), and how far the redirect URIs
prove who the client is. Adding a platform is a row here, a `Platform` member, and a migration
for the model fields' choices; a private-use scheme (RFC 8252 §7.1) must also be in
`OAUTH2_PROVIDER["ALLOWED_REDIRECT_URI_SCHEMES"]` (tests/oauth_server/test_platforms.py checks).
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from dataclasses import dataclass
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models


class Platform(models.TextChoices):
    CLAUDE = "claude", "Claude"
    CHATGPT = "chatgpt", "ChatGPT"
    COPILOT = "copilot", "Copilot Studio"
    VSCODE = "vscode", "VS Code"
    CURSOR = "cursor", "Cursor"
    CLAUDE_CODE = "claude_code", "Claude Code"
    CUSTOM = "custom", "Custom & local tools"


class Verification(models.TextChoices):
    """How far a client's redirect URIs prove it is the platform it appears to be."""

    CALLBACK_HOST = "callback_host", "Verified: the callback host is the platform's own"
    PRIVATE_SCHEME = (
        "private_scheme",
        "Not verified: an app scheme and a loopback callback, which any local app can claim",
    )
    LOOPBACK = "loopback", "Not verified: a callback on the person's own computer, which any local program can use"
    CLIENT_NAME = "client_name", "Not verified: a loopback callback and the name the client gives itself"


@dataclass(frozen=True)
class PlatformSpec:
    platform: Platform
    verification: Verification
    redirects: tuple[str, ...] = ()
    """Redirect URIs that are the platform's own, matched exactly."""
    redirect_prefixes: tuple[str, ...] = ()
    """Redirect URI prefixes that are the platform's own (the host must match too)."""
    loopback: bool = False
    """Its clients may also register loopback callbacks (`http://127.0.0.1:<any port>/…`)."""
    client_names: tuple[str, ...] = ()
    """For loopback-only clients: the names (prefixes of `client_name`) the platform's clients give."""
    summary: str = ""
    """What the console says the platform registers."""
    metadata_hosts: tuple[str, ...] = ()
    """Hosts that serve the platform's client ID metadata documents (Django's `ALLOWED_HOSTS` syntax:
    `.example.com` is the domain and its subdomains): the default of `SPARK_CIMD_ALLOWED_HOSTS`."""


PLATFORMS: tuple[PlatformSpec, ...] = (
    PlatformSpec(
        Platform.CLAUDE,
        Verification.CALLBACK_HOST,
        redirects=("https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"),
        summary="claude.ai and claude.com connectors",
        metadata_hosts=("claude.ai", "claude.com", ".anthropic.com"),
    ),
    PlatformSpec(
        Platform.CHATGPT,
        Verification.CALLBACK_HOST,
        redirect_prefixes=("https://chatgpt.com/connector_platform_oauth_redirect", "https://chatgpt.com/aip/"),
        summary="ChatGPT connectors (chatgpt.com)",
        metadata_hosts=("chatgpt.com", ".chatgpt.com", "openai.com", ".openai.com"),
    ),
    PlatformSpec(
        Platform.COPILOT,
        Verification.CALLBACK_HOST,
        redirect_prefixes=("https://global.consent.azure-apim.net/redirect/",),
        summary="Copilot Studio custom connectors (Power Platform consent redirect)",
        metadata_hosts=(".microsoft.com", ".cloud.microsoft"),
    ),
    PlatformSpec(
        Platform.VSCODE,
        Verification.LOOPBACK,
        redirects=("https://vscode.dev/redirect", "https://insiders.vscode.dev/redirect"),
        loopback=True,
        summary="VS Code and VS Code Insiders (vscode.dev redirect plus a loopback callback)",
    ),
    PlatformSpec(
        Platform.CURSOR,
        Verification.PRIVATE_SCHEME,
        redirects=(
            "cursor://anysphere.cursor-mcp/oauth/callback",
            "https://www.cursor.com/agents/mcp/oauth/callback",
        ),
        loopback=True,
        summary="Cursor (cursor:// app scheme, cursor.com callback, loopback)",
    ),
    PlatformSpec(
        Platform.CLAUDE_CODE,
        Verification.CLIENT_NAME,
        loopback=True,
        client_names=("Claude Code",),
        summary="Claude Code in a terminal (loopback callback, any port, client named “Claude Code…”)",
    ),
    PlatformSpec(
        Platform.CUSTOM,
        Verification.LOOPBACK,
        loopback=True,
        summary="Any other local tool (loopback callback), and redirect URIs this server's operator added",
    ),
)

SPECS: dict[Platform, PlatformSpec] = {spec.platform: spec for spec in PLATFORMS}

# Platforms whose identity the redirect host proves (their callback hosts are theirs alone).
VERIFIED = frozenset(spec.platform for spec in PLATFORMS if spec.verification == Verification.CALLBACK_HOST)

# Where client ID metadata documents are fetched from unless SPARK_CIMD_ALLOWED_HOSTS says otherwise.
METADATA_HOSTS: tuple[str, ...] = tuple(host for spec in PLATFORMS for host in spec.metadata_hosts)

_LOOPBACK = "loopback"


def _is_loopback(uri: str) -> bool:
    parts = urlsplit(uri)
    if parts.scheme != "http" or not parts.hostname or parts.username or parts.password:
        return False
    if parts.hostname == "localhost":
        return True
    try:
        return ipaddress.ip_address(parts.hostname).is_loopback
    except ValueError:
        return False


def _owner(uri: str) -> Platform | str | None:
    """The platform that owns this URI, `_LOOPBACK` for a loopback callback, or None."""
    if "#" in uri:
        return None  # RFC 6749 §3.1.2: no fragments
    try:
        parts = urlsplit(uri)
        parts.port  # noqa: B018 (parses the whole authority: "http://[::1" or port 99999 raise)
    except ValueError:
        return None
    for spec in PLATFORMS:
        if uri in spec.redirects:
            return spec.platform
        for prefix in spec.redirect_prefixes:
            if uri.startswith(prefix) and parts.netloc == urlsplit(prefix).netloc:
                return spec.platform
    if uri in settings.SPARK_EXTRA_REDIRECT_URIS:
        return Platform.CUSTOM
    return _LOOPBACK if _is_loopback(uri) else None


def platform_for_redirect_uri(uri: str) -> Platform | None:
    """The platform a single redirect URI belongs to (a loopback alone: Custom), or None."""
    owner = _owner(uri)
    return Platform.CUSTOM if owner == _LOOPBACK else owner  # type: ignore[return-value]


def platform_for_redirect_uris(uris: Iterable[str], client_name: str = "") -> Platform | None:
    """The one platform a client with these redirect URIs (and name) belongs to, or None.

    A platform's own URIs name it; loopback callbacks may ride along only on platforms whose
    clients register them (VS Code, Cursor). A client with loopback callbacks alone is Claude
    Code when it calls itself so, else a custom tool.
    """
    owners = {_owner(uri) for uri in uris}
    if not owners or None in owners:
        return None
    loopback = _LOOPBACK in owners
    platforms = owners - {_LOOPBACK}
    if len(platforms) > 1:
        return None
    if platforms:
        platform = Platform(str(platforms.pop()))
        return platform if not loopback or SPECS[platform].loopback else None
    for spec in PLATFORMS:
        if any(client_name.startswith(name) for name in spec.client_names):
            return spec.platform
    return Platform.CUSTOM


def redirect_policy_problem(uris: list[str]) -> str | None:
    """Why these redirect URIs cannot be registered, in words a developer can act on; None if fine."""
    if not uris:
        return "redirect_uris is required"
    unknown = [uri for uri in uris if _owner(uri) is None]
    if unknown:
        names = ", ".join(spec.platform.label for spec in PLATFORMS if spec.platform != Platform.CUSTOM)
        return (
            f"redirect URI {unknown[0]!r} belongs to no supported assistant platform ({names}) and is not "
            "a loopback address (http://127.0.0.1:<port>/…) for a local tool"
        )
    if platform_for_redirect_uris(uris) is None:
        with_loopback = ", ".join(spec.platform.label for spec in PLATFORMS if spec.loopback and spec.redirects)
        return (
            "all redirect URIs of one client must belong to the same assistant platform "
            f"(only {with_loopback} clients may add a loopback callback to their own)"
        )
    return None
