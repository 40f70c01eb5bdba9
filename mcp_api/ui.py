"""MCP Apps (the `io.modelcontextprotocol/ui` extension): the chart a host draws beside a tool's answer.

A tool that declares `_meta.ui.resourceUri` is shown by a host that speaks MCP Apps with the
`ui://` resource it names: one self-contained HTML document (its script and style inlined, nothing
loaded from anywhere), read with `resources/read` and rendered in the host's sandboxed iframe, where
it is handed the tool's arguments and result by postMessage and draws them. Clients without MCP Apps
ignore the `_meta` and read the text and structured content as before.

The document carries its own Content-Security-Policy (`<meta http-equiv>`): no network at all, and
only its own script and style, by hash. Its resource `_meta.ui.csp` declares no external domain.
"""

from __future__ import annotations

import base64
import hashlib
from dataclasses import dataclass
from functools import cached_property
from typing import Any

import mcp_types as types
from django.conf import settings
from mcp.server.apps import APP_MIME_TYPE, EXTENSION_ID

LEGACY_RESOURCE_URI_KEY = "ui/resourceUri"
"""The flat `_meta` key the extension's first hosts read (the spec keeps it, deprecated, beside `ui`)."""


def _hash(source: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(source.encode()).digest()).decode() + "'"


@dataclass(frozen=True)
class UiResource:
    """One `ui://` view: an HTML template under templates/ with its script and style under static/."""

    uri: str
    name: str
    title: str
    description: str
    template: str
    script: str
    style: str

    def _read(self, relative: str) -> str:
        return (settings.BASE_DIR / relative).read_text()

    @cached_property
    def _parts(self) -> tuple[str, str]:
        return self._read(self.script), self._read(self.style)

    @cached_property
    def csp(self) -> str:
        """The document's own policy: nothing from the network, only its inlined script and style."""
        script, style = self._parts
        return (
            f"default-src 'none'; script-src {_hash(script)}; style-src {_hash(style)}; img-src data:; "
            "connect-src 'none'; font-src 'none'; media-src 'none'; frame-src 'none'; object-src 'none'; "
            "base-uri 'none'; form-action 'none'"
        )

    @cached_property
    def html(self) -> str:
        script, style = self._parts
        return (
            self._read(self.template)
            .replace("{{ csp }}", self.csp)
            .replace("{{ style }}", style)
            .replace("{{ script }}", script)
        )

    @property
    def meta(self) -> dict[str, Any]:
        # No external domain of any kind; a border around the chart in the host's conversation.
        return {"ui": {"csp": {"connectDomains": [], "resourceDomains": []}, "prefersBorder": True}}

    def listing(self) -> types.Resource:
        return types.Resource(
            uri=self.uri,
            name=self.name,
            title=self.title,
            description=self.description,
            mime_type=APP_MIME_TYPE,
            _meta=self.meta,
        )

    def contents(self) -> types.TextResourceContents:
        return types.TextResourceContents(uri=self.uri, mime_type=APP_MIME_TYPE, text=self.html, _meta=self.meta)

    def tool_meta(self) -> dict[str, Any]:
        """What a tool shown with this view carries in its `_meta`."""
        return {"ui": {"resourceUri": self.uri}, LEGACY_RESOURCE_URI_KEY: self.uri}


CHART = UiResource(
    uri="ui://spark/chart.html",
    name="spark_chart",
    title="Spark Portal chart",
    description=(
        "Draws an answer of chat_gwi, query_survey or explore_insight_gwi: shares with index markers for a "
        "profile, sides next to each other for a comparison, lines for a trend, small multiples for a breakdown; "
        "with sample sizes, low-confidence flags and a table of the numbers."
    ),
    template="templates/mcp_app/chart.html",
    script="static/mcp_app/chart.js",
    style="static/mcp_app/chart.css",
)

EXTENSION_SETTINGS = {EXTENSION_ID: {"mimeTypes": [APP_MIME_TYPE]}}
"""How the server names the extension among its capabilities (SEP-2133, protocol 2026-07-28 on)."""
