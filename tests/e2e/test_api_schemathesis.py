"""Schemathesis (not written here) generates requests from the management API's OpenAPI schema and
sends them to a real gunicorn server with an org admin's token: no answer may be a 5xx, and every
answer must match the schema (status codes, content types, bodies, headers).

It runs on a server of its own (its writes would disturb the other end-to-end tests)."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from accounts.tokens import PREFIX_LEN
from tests.e2e.conftest import ARTIFACTS, ROOT, LiveServer, live_server, require_tool

pytestmark = pytest.mark.e2e
SCHEMATHESIS = ROOT / ".venv" / "bin" / "schemathesis"
EXAMPLE = ROOT / "docs" / "examples" / "onboard_and_export.py"
ADMIN = "admin@acme.example"
EXAMPLES = 30  # per operation and phase
OWN_IDS = """
from accounts.models import PersonalAccessToken
token = PersonalAccessToken.objects.get(prefix="{prefix}")
print(token.pk, token.user_id)
"""
# Two assistants to revoke (the admin's own and a member's), as if each had clicked Allow: without
# them every DELETE of a connected app could only answer 404 and never reach the revoke.
CONNECTIONS = """
from accounts.models import EmailDomain, Organization, User
from oauth2_provider.models import Application
from oauth_server.platforms import Platform
from oauth_server.services import connection_record
acme = Organization.objects.get(slug="acme")
ids = []
for email in ("{admin}", "member@acme.example"):
    client = Application.objects.create(
        name=f"Claude for {{email}}", client_type="public", authorization_grant_type="authorization-code",
        redirect_uris="https://claude.ai/api/mcp/auth_callback",
    )
    user = User.objects.get(email=email)
    made = connection_record(
        user=user, organization=acme, application=client, platform=Platform.CLAUDE, scope="insights:read", origin=None
    )
    ids.append(made.pk)
# A domain added and never proven, so "verify" reaches its DNS lookup (and finds no record: a 409).
EmailDomain.objects.get_or_create(organization=acme, domain="{unproven}")
print(*ids)
"""
# Schemathesis's own settings: the seeded IDs for the two routes nothing in the schema creates, and
# its warnings (an operation only ever answering 404, a schema that is hard to satisfy...) fail the run.
CONFIG = """
[warnings]
fail-on = true

[[operations]]
include-name = "DELETE /api/v1/me/connected-apps/{{connection_id}}"
parameters = {{ connection_id = {own} }}

[[operations]]
include-name = "DELETE /api/v1/organizations/{{slug}}/connected-apps/{{connection_id}}"
parameters = {{ connection_id = {member} }}

[[operations]]
include-name = "POST /api/v1/organizations/{{slug}}/domains/{{domain}}/verify"
parameters = {{ slug = "acme", domain = "{unproven}" }}
"""
UNPROVEN = "unproven.acme-research.example"
# An audit stream (to a host that resolves nowhere), so the stream's operations have one to act on.
STREAM = (
    "from accounts.models import Organization; from audit.stream_services import stream_set; "
    "stream_set(organization=Organization.objects.get(slug='acme'), url='https://siem.invalid/spark', "
    "enabled=True, actor=None, origin=None)"
)


@pytest.fixture(scope="module")
def api_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    data = tmp_path_factory.mktemp("api")
    # The fuzz sends thousands of requests a minute: the rate limit has its own unit test.
    unlimited = {"SPARK_API_RATE": "1000000/min"}
    with live_server(
        data, database_url=f"sqlite:///{data / 'api.sqlite3'}", insights=False, extra_env=unlimited
    ) as server:
        yield server


def test_the_example_script_onboards_creates_a_token_and_exports(api_server: LiveServer, tmp_path: Path) -> None:
    """docs/examples/onboard_and_export.py, run as a reader of docs/api.md would run it."""
    token = _admin_token(api_server, "example script")
    out = tmp_path / "audit.jsonl"
    command = [sys.executable, str(EXAMPLE), "--url", api_server.url, "--org", "acme"]
    command += ["--invite", "new.hire@acme.example", "--job", "weekly report", "--out", str(out)]
    result = subprocess.run(
        command, capture_output=True, text=True, timeout=120, env={**os.environ, "SPARK_TOKEN": token}
    )
    assert result.returncode == 0, result.stdout + result.stderr
    lines = result.stdout.splitlines()
    assert "Invited new.hire@acme.example (emailed)" in result.stdout
    secret = lines[lines.index(next(line for line in lines if line.startswith("Created token"))) + 1]
    assert secret.startswith("spk_") and api_server.call_tool(secret, "list_datasets") == 200
    events = [json.loads(line) for line in out.read_text().splitlines()]
    assert {"member.invited", "token.created"} <= {e["action"] for e in events}
    assert f"Wrote {len(events)} audit events" in result.stdout


def _admin_token(server: LiveServer, name: str) -> str:
    scopes = ("--scope", "org:admin", "--scope", "org:read")
    made = server.manage("create_access_token", "--email", ADMIN, "--org", "acme", "--name", name, *scopes)
    return made.strip().splitlines()[-1]


def test_schemathesis_finds_no_server_error_and_no_schema_violation(api_server: LiveServer, tmp_path: Path) -> None:
    require_tool(SCHEMATHESIS, "schemathesis")
    token = _admin_token(api_server, "fuzz")
    own = api_server.manage("shell", "-c", OWN_IDS.format(prefix=token[4 : 4 + PREFIX_LEN]))
    token_id, user_id = own.strip().splitlines()[-1].split()
    made = api_server.manage("shell", "-c", CONNECTIONS.format(admin=ADMIN, unproven=UNPROVEN))
    api_server.manage("shell", "-c", STREAM)
    own_app, member_app = made.strip().splitlines()[-1].split()
    config = tmp_path / "schemathesis.toml"
    config.write_text(CONFIG.format(own=own_app, member=member_app, unproven=UNPROVEN))
    env = {
        **os.environ,
        "SCHEMATHESIS_HOOKS": str(Path(__file__).with_name("schemathesis_hooks.py")),
        "SPARK_SCHEMATHESIS_TOKEN_ID": token_id,
        "SPARK_SCHEMATHESIS_USER_ID": user_id,
        "SPARK_SCHEMATHESIS_DOMAIN": ADMIN.partition("@")[2],
    }
    command = [str(SCHEMATHESIS), "--config-file", str(config), "run", f"{api_server.url}/api/schema/?format=json"]
    command += ["--header", f"Authorization: Bearer {token}", "--checks", "all", "--max-examples", str(EXAMPLES)]
    command += ["--seed", "20261128", "--workers", "1", "--no-color"]
    result = subprocess.run(command, capture_output=True, text=True, timeout=900, cwd=tmp_path, env=env)
    ARTIFACTS.mkdir(exist_ok=True)
    (ARTIFACTS / "schemathesis.txt").write_text(result.stdout + result.stderr)
    summary = [line for line in result.stdout.splitlines() if re.search(r"test cases|passed|failed", line)]
    print("\n".join(summary[-6:]))
    assert result.returncode == 0, result.stdout[-8000:]
