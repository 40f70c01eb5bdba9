"""The registry of audited actions (audit/actions.py): the only way to name an action, with the detail
each keeps declared. Literal action strings anywhere in the code, undeclared detail keys, or
a registry the docs do not list fail here."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from audit.actions import Action
from audit.services import audit_record, audit_tally
from tests.factories import World

ROOT = Path(__file__).resolve().parents[2]
APPS = ["accounts", "api", "audit", "catalog", "demo", "identity", "insights", "mcp_api", "oauth_server", "ops"]
APPS += ["orgadmin", "scim", "spark_portal", "survey", "usage"]
PREFIXES = sorted({action.value.split(".")[0] for action in Action})
LOOKS_LIKE_ACTION = re.compile(rf"^({'|'.join(PREFIXES)})\.[a-z_]*$")


def _sources() -> list[Path]:
    return [
        path
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if "migrations" not in path.parts and path != ROOT / "audit" / "actions.py"
    ]


def _spelled_out(node: ast.AST) -> str | None:
    """An action written as text: a literal equal to a registry value, or an f-string or concatenation
    that starts like one (`f"domain.{verb}"`, `"sso.id_jag_" + …`)."""
    values = {action.value for action in Action}
    if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in values:
        return node.value
    first = node.values[0] if isinstance(node, ast.JoinedStr) and node.values else None
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.Add):
        first = node.left
    if isinstance(first, ast.Constant) and isinstance(first.value, str) and LOOKS_LIKE_ACTION.match(first.value):
        return first.value
    return None


def test_no_code_spells_an_action_out() -> None:
    found = [
        f"{path.relative_to(ROOT)}:{node.lineno}: {text!r}"
        for path in _sources()
        for node in ast.walk(ast.parse(path.read_text()))
        if (text := _spelled_out(node))
    ]
    assert found == [], "name actions by audit.actions.Action members:\n" + "\n".join(found)


def _detail_literals() -> list[tuple[str, Action, list[str]]]:
    """Each `audit_record(action=Action.X, detail={...})` call with a literal detail: where, which, its keys."""
    calls = []
    for path in _sources():
        for node in ast.walk(ast.parse(path.read_text())):
            if not (isinstance(node, ast.Call) and getattr(node.func, "id", "") in ("audit_record", "audit_tally")):
                continue
            args = {k.arg: k.value for k in node.keywords}
            detail, action = args.get("detail", args.get("key")), args.get("action")
            members = [n for n in ast.walk(action) if isinstance(n, ast.Attribute)] if action else []
            names = [n.attr for n in members if isinstance(n.value, ast.Name) and n.value.id == "Action"]
            if isinstance(detail, ast.Dict):
                keys = [k.value for k in detail.keys if isinstance(k, ast.Constant)]
                calls += [(f"{path.relative_to(ROOT)}:{node.lineno}", Action[name], keys) for name in names]
    return calls


def test_literal_details_keep_to_what_their_action_declares() -> None:
    calls = _detail_literals()
    assert len(calls) > 30  # the scan sees the call sites
    wrong = [f"{where}: {action} {sorted(set(keys) - action.detail)}" for where, action, keys in calls]
    assert [w for w in wrong if not w.endswith("[]")] == []


def test_the_values_are_the_stored_strings() -> None:
    assert Action.SSO_REFUSED == "sso.refused" and Action("scim.user_deactivated") is Action.SCIM_USER_DEACTIVATED
    assert all(re.fullmatch(r"[a-z_]+\.[a-z_]+", action.value) for action in Action)
    assert all(len(action.value) <= 64 for action in Action)  # AuditEvent.action's max_length


@pytest.mark.django_db
def test_a_plain_string_is_refused() -> None:
    with pytest.raises(TypeError):
        audit_record(action="member.invited", summary="x")  # type: ignore[arg-type]


@pytest.mark.django_db
def test_an_undeclared_detail_key_is_refused(world: World) -> None:
    with pytest.raises(ValueError, match="password"):
        audit_record(action=Action.MEMBER_INVITED, summary="x", detail={"email": "a@b.example", "password": "x"})
    with pytest.raises(ValueError, match="address"):
        audit_tally(action=Action.SSO_REFUSED, organization=world.acme, key={"address": "x"}, summary=lambda n, w: "")


def test_the_docs_list_every_action() -> None:
    docs = (ROOT / "docs" / "architecture.md").read_text()
    assert [action.value for action in Action if f"`{action.value}`" not in docs] == []


def test_the_audit_code_knows_nothing_of_scim() -> None:
    """Who acted for a SCIM action is registry data (`Action.by`); no audit code reads SCIM's detail."""
    code = [p for p in (ROOT / "audit").rglob("*.py") if p.name != "actions.py" and "migrations" not in p.parts]
    assert [str(p.relative_to(ROOT)) for p in code if "scim" in p.read_text().lower()] == []
