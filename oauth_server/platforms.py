"""Assistant platforms, recognised by the redirect URIs their OAuth clients register.

Assistants register a fresh client on every connect, so access is gated on the platform a
client belongs to, never on its client id. A redirect URI that belongs to no platform is
refused at registration.
"""

from __future__ import annotations

import ipaddress
from collections.abc import Iterable
from urllib.parse import urlsplit

from django.conf import settings
from django.db import models


class Platform(models.TextChoices):
    CLAUDE = "claude", "Claude"
    CHATGPT = "chatgpt", "ChatGPT"
    COPILOT = "copilot", "Copilot Studio"
    CUSTOM = "custom", "Custom & local tools"


# Platforms whose identity the redirect host proves (their callback hosts are theirs alone).
VERIFIED = frozenset({Platform.CLAUDE, Platform.CHATGPT, Platform.COPILOT})

_EXACT: dict[str, Platform] = {
    "https://claude.ai/api/mcp/auth_callback": Platform.CLAUDE,
    "https://claude.com/api/mcp/auth_callback": Platform.CLAUDE,
}
_PREFIXES: tuple[tuple[str, Platform], ...] = (
    ("https://chatgpt.com/connector_platform_oauth_redirect", Platform.CHATGPT),
    ("https://chatgpt.com/aip/", Platform.CHATGPT),
    ("https://global.consent.azure-apim.net/redirect/", Platform.COPILOT),
)


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


def platform_for_redirect_uri(uri: str) -> Platform | None:
    """The platform a redirect URI belongs to, or None when it belongs to none we accept."""
    if "#" in uri:
        return None  # RFC 6749 §3.1.2: no fragments
    try:
        urlsplit(uri).port  # noqa: B018 (parses the whole authority: "http://[::1" or port 99999 raise)
    except ValueError:
        return None
    if uri in _EXACT:
        return _EXACT[uri]
    for prefix, platform in _PREFIXES:
        if uri.startswith(prefix) and urlsplit(uri).netloc == urlsplit(prefix).netloc:
            return platform
    if _is_loopback(uri) or uri in settings.SPARK_EXTRA_REDIRECT_URIS:
        return Platform.CUSTOM
    return None


def platform_for_redirect_uris(uris: Iterable[str]) -> Platform | None:
    """The one platform all of a client's redirect URIs belong to, or None (unknown or mixed)."""
    platforms = {platform_for_redirect_uri(uri) for uri in uris}
    if len(platforms) != 1 or None in platforms:
        return None
    return platforms.pop()


def redirect_policy_problem(uris: list[str]) -> str | None:
    """Why these redirect URIs cannot be registered, in words a developer can act on; None if fine."""
    if not uris:
        return "redirect_uris is required"
    unknown = [uri for uri in uris if platform_for_redirect_uri(uri) is None]
    if unknown:
        return (
            f"redirect URI {unknown[0]!r} belongs to no supported assistant platform (Claude, ChatGPT, "
            "Copilot Studio) and is not a loopback address (http://127.0.0.1:<port>/…) for a local tool"
        )
    if platform_for_redirect_uris(uris) is None:
        return "all redirect URIs of one client must belong to the same assistant platform"
    return None
