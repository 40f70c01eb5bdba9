"""The rooms' order, as pyproject.toml tells import-linter (`lint-imports` checks the code against it):
the management API stands on the domain rooms, never on the console's pages or the MCP endpoint."""

from __future__ import annotations

import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CONTRACTS = tomllib.loads((ROOT / "pyproject.toml").read_text())["tool"]["importlinter"]["contracts"]


def _layer_of(module: str) -> int:
    layers = next(c["layers"] for c in CONTRACTS if c["type"] == "layers")
    return next(i for i, layer in enumerate(layers) if module in {m.strip() for m in layer.split("|")})


def test_the_api_may_not_import_the_console_or_the_mcp_endpoint() -> None:
    forbidden = [c for c in CONTRACTS if c["type"] == "forbidden" and "api" in c["source_modules"]]
    assert forbidden and {"orgadmin", "mcp_api"} <= set(forbidden[0]["forbidden_modules"])


def test_what_the_console_the_api_and_scim_share_lies_below_them() -> None:
    console, api, mcp = _layer_of("orgadmin"), _layer_of("api"), _layer_of("mcp_api")
    assert console == api == mcp  # siblings: independent of each other
    assert _layer_of("doctor") > console and _layer_of("bearer") > mcp
    assert _layer_of("administration") > _layer_of("scim") > _layer_of("doctor")
