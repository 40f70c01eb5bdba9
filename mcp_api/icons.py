"""The tools' icons, for directories and clients that show them: small SVGs sent as data: URIs.

A data: URI keeps `tools/list` the same on every deployment (no host in it, so it stays cacheable
and deterministic) and needs no request to this server, which a client may not be allowed to make
before it is authorized. Each is a 24×24 line drawing in one colour, readable on light and dark.
"""

from __future__ import annotations

import base64

import mcp_types as types

_FRAME = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#2563eb" '
    'stroke-width="2" stroke-linecap="round" stroke-linejoin="round">{}</svg>'
)
CHAT = '<path d="M4 5h16v11H9l-5 4z"/><path d="M8 10h8M8 13h5"/>'
EXPLORE = '<path d="M4 20V10M9 20V4M14 20v-7M19 20v-4"/><path d="M3 20h18"/>'
DATASETS = (
    '<ellipse cx="12" cy="5" rx="8" ry="3"/><path d="M4 5v14c0 1.7 3.6 3 8 3s8-1.3 8-3V5"/>'
    '<path d="M4 12c0 1.7 3.6 3 8 3s8-1.3 8-3"/>'
)
SEARCH = '<circle cx="10" cy="10" r="6"/><path d="M14.5 14.5 20 20"/>'
LOOKUP = '<circle cx="9" cy="9" r="5"/><path d="M12.5 12.5 16 16"/><path d="M15 4h6M17 8h4M19 20h2M15 20h1"/>'
QUERY = '<rect x="3" y="4" width="18" height="16" rx="2"/><path d="M3 10h18M9 10v10"/><path d="M13 16l2 2 4-4"/>'
DOCUMENT = '<path d="M6 3h8l4 4v14H6z"/><path d="M14 3v4h4M9 12h6M9 16h6"/>'


def icon(drawing: str) -> types.Icon:
    """One drawing as an MCP icon (an SVG data: URI, any size)."""
    svg = _FRAME.format(drawing).encode()
    return types.Icon(
        src="data:image/svg+xml;base64," + base64.b64encode(svg).decode(), mime_type="image/svg+xml", sizes=["any"]
    )
