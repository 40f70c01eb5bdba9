"""The refusal registry (`accounts/refusals.py`) is the only place a refusal code is written down."""

from __future__ import annotations

import ast
from pathlib import Path

from accounts import refusals
from accounts.refusals import REGISTRY, State, Who, metric_labels
from spark_portal import metrics

ROOT = Path(__file__).resolve().parents[2]
REGISTRY_MODULE = Path("accounts/refusals.py")
SKIPPED = {".venv", "tools", "tests", "node_modules", "migrations", "var", "static"}

ALLOWED: dict[str, set[str]] = {
    # Single sign-on's own refusal reasons (a sign-in, not a credential): identity/refusals.py has their words.
    "identity/refusals.py": {"not_member", "user_inactive"},
    "identity/sign_in.py": {"not_member", "user_inactive"},
    "doctor/checks.py": {"not_member", "user_inactive"},  # SSO_FIXED_BY, by those reasons
    # States of other things, which share a word with a code.
    "accounts/models.py": {"revoked", "expired"},  # PersonalAccessToken.status, Invitation.state
    "accounts/members.py": {"revoked", "expired"},  # an invitation's state
    "accounts/views.py": {"rotated"},  # the token page's session flag and template variable
    "accounts/management/commands/revoke_access_token.py": {"revoked"},  # a word of its output
    "ops/status.py": {"unknown"},  # a version nobody declared
    "survey/importer.py": {"missing"},  # a survey variable's missing values
}
"""Literals that equal a code but mean something else, by file."""


def _python_files() -> list[Path]:
    return [
        path.relative_to(ROOT)
        for path in ROOT.rglob("*.py")
        if not SKIPPED & set(path.relative_to(ROOT).parts[:-1]) and path.relative_to(ROOT) != REGISTRY_MODULE
    ]


def _literals(path: Path) -> set[str]:
    tree = ast.parse((ROOT / path).read_text(), filename=str(path))
    return {node.value for node in ast.walk(tree) if isinstance(node, ast.Constant) and isinstance(node.value, str)}


def test_refusal_codes_are_written_only_in_the_registry() -> None:
    codes = {refusal.code for refusal in REGISTRY}
    found = {
        str(path): sorted(hits)
        for path in _python_files()
        if (hits := (_literals(path) & codes) - ALLOWED.get(str(path), set()))
    }
    assert found == {}, "refusal codes belong in accounts/refusals.py: use its entries (refusals.X.code)"


def test_the_scan_sees_the_project() -> None:
    files = {str(p) for p in _python_files()}
    assert {"bearer/auth.py", "orgadmin/access.py", "accounts/gates.py", "api/authentication.py"} <= files
    assert not any(f.startswith(("tests/", ".venv/")) for f in files)
    # A code written outside the registry is seen: the MCP endpoint's own module names none.
    assert "connector_unpublished" in _literals(REGISTRY_MODULE)
    assert not _literals(Path("bearer/auth.py")) & {r.code for r in REGISTRY}


def test_every_credential_refusal_says_the_fix_and_who_makes_it() -> None:
    for refusal in REGISTRY:
        if refusal.state in (State.PAUSED, State.EXPIRED, State.REVOKED):
            assert refusal.fix and refusal.who != Who.NOBODY, refusal
    paused = [r for r in REGISTRY if r.state == State.PAUSED and r.who == Who.ADMIN]
    assert all(r.ask for r in paused if r is not refusals.NO_PLATFORM)


def test_the_metric_labels_are_the_registrys_codes() -> None:
    assert metric_labels() == sorted({r.code for r in REGISTRY})
    before = _refusals("client_of_another_organization")
    metrics.mcp_refusal(refusals.CLIENT_ELSEWHERE.metric_label)
    assert _refusals("client_of_another_organization") == before + 1


def _refusals(reason: str) -> float:
    return metrics.MCP_REFUSALS.labels(reason=reason)._value.get()
