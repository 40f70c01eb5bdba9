"""Backup and restore on PostgreSQL, end to end: deploy/backup.sh dumps a database holding
organizations, members, personal access tokens, an OAuth grant (access and refresh token), a SCIM
token, an authenticator app, a sealed SSO client secret, sessions and the audit trail; the dump is
restored with pg_restore into fresh databases (docs/operations.md, Backups and restore) and a
real gunicorn server is started on each.

With the same SECRET_KEY everything works as before. With a different SECRET_KEY exactly what is
keyed on it stops: personal access tokens and SCIM tokens (HMAC digests), sessions (signed), the
authenticator app's secret and the SSO client secret (encrypted); OAuth tokens (plain SHA-256,
django-oauth-toolkit) and passwords do not depend on it. Runs in scripts/test.sh's PostgreSQL phase
(SPARK_E2E_USE_DATABASE_URL=1); without PostgreSQL it is skipped."""

from __future__ import annotations

import base64
import hashlib
import os
import re
import secrets
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlencode

import httpx2
import psycopg
import pytest

from tests.e2e.conftest import DEMO_PASSWORD, ROOT, LiveServer, live_server, own_database_url
from tests.e2e.oauth_browser import Browser

pytestmark = pytest.mark.e2e

CALLBACK = "http://127.0.0.1:33419/callback"
PUBLIC_URL = "http://spark.backup.test"  # a restored deployment keeps its public URL (token audiences)
PAT_OWNERS = ["member@acme.example", "admin@acme.example", "analyst@globex.example"]
TOTP_SECRET = "JBSWY3DPEHPK3PXP"
# Explicit, generous timeouts: a restored server on a loaded machine answers slowly (httpx's default 5 s failed once).
HTTP = httpx2.Client(timeout=httpx2.Timeout(60.0))
SSO_SECRET = "idp-client-secret-4711"
DB_PASSWORD = "not-a-real-password-7dd1"  # the trust-auth test server ignores it; it must never be printed
SETUP = f"""
from allauth.mfa.totp.internal.auth import TOTP
from allauth.socialaccount.models import SocialApp
from accounts.models import User
from identity.sealing import CLIENT_SECRETS
TOTP.activate(User.objects.get(email="admin@acme.example"), "{TOTP_SECRET}")
SocialApp.objects.create(provider="openid_connect", provider_id="backup-check", name="Backup check",
                         client_id="spark", secret=CLIENT_SECRETS.seal("{SSO_SECRET}"))
"""
CHECK = """
from allauth.mfa.models import Authenticator
from allauth.mfa.utils import decrypt
from allauth.socialaccount.models import SocialApp
from identity.sealing import CLIENT_SECRETS
totp = Authenticator.objects.get(user__email="admin@acme.example", type="totp")
try:
    print("totp:", decrypt(totp.data["secret"]))
except Exception as exc:
    print("totp:", exc)
try:
    print("sso:", repr(CLIENT_SECRETS.unseal(SocialApp.objects.get(provider_id="backup-check").secret)))
except Exception as exc:
    print("sso:", exc)
"""


@dataclass
class Credentials:
    """What people held when the backup was taken."""

    personal: list[str] = field(default_factory=list)
    scim: str = ""
    client_id: str = ""
    access: str = ""
    refresh: str = ""
    session: str = ""


@pytest.fixture(scope="module")
def postgres() -> str:
    given = os.environ.get("DATABASE_URL", "")
    if os.environ.get("SPARK_E2E_USE_DATABASE_URL") != "1" or not given.startswith("postgres"):
        pytest.skip(
            "backup and restore need PostgreSQL (pg_dump/pg_restore): scripts/test.sh runs this test under "
            "scripts/with-postgres.sh with SPARK_E2E_USE_DATABASE_URL=1"
        )
    return given


def _pg_tool(name: str) -> str:
    """The newest installed PostgreSQL's tool (the version scripts/with-postgres.sh starts)."""
    found = sorted(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), key=lambda p: int(p.parts[-3]))
    return str(found[-1]) if found else name


def _env(key: str) -> dict[str, str]:
    return {"SECRET_KEY": key, "SPARK_PUBLIC_URL": PUBLIC_URL, "OAUTH_ACCESS_TOKEN_SECONDS": "3600"}


def _pkce() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    return verifier, base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()


def _oauth_grant(server: LiveServer, held: Credentials) -> None:
    """Register a client, sign in and consent through the real forms, and trade the code for tokens."""
    registered = HTTP.post(
        f"{server.url}/oauth/register/",
        json={"redirect_uris": [CALLBACK], "client_name": "Backup agent", "token_endpoint_auth_method": "none"},
    )
    assert registered.status_code == 201, registered.text
    held.client_id = registered.json()["client_id"]
    verifier, challenge = _pkce()
    query = {
        "response_type": "code",
        "client_id": held.client_id,
        "redirect_uri": CALLBACK,
        "code_challenge": challenge,
        "code_challenge_method": "S256",
        "state": "backup",
        "scope": "insights:read dataset:ds-core dataset:ds-usa-deep",
        "resource": f"{PUBLIC_URL}/mcp",
    }
    browser = Browser(server.url, "member@acme.example", DEMO_PASSWORD, CALLBACK)
    browser.authorize(f"{server.url}/oauth/authorize/?{urlencode(query)}")
    assert browser.callback is not None, browser.last_page[-800:]
    token = HTTP.post(
        f"{server.url}/oauth/token/",
        data={
            "grant_type": "authorization_code",
            "code": browser.callback.code,
            "redirect_uri": CALLBACK,
            "client_id": held.client_id,
            "code_verifier": verifier,
            "resource": f"{PUBLIC_URL}/mcp",
        },
    )
    assert token.status_code == 200, token.text
    held.access, held.refresh = token.json()["access_token"], token.json()["refresh_token"]
    held.session = browser.http.cookies["sessionid"]


def _scim_status(server: LiveServer, token: str) -> int:
    headers = {"Authorization": f"Bearer {token}"}
    return HTTP.get(f"{server.url}/scim/v2/Users", headers=headers).status_code


def _session_status(server: LiveServer, session: str) -> tuple[int, str]:
    """Where the signed-in browser's session cookie gets it: (200, '') or a redirect to sign in."""
    page = HTTP.get(f"{server.url}/settings/", cookies={"sessionid": session}, follow_redirects=False)
    return page.status_code, page.headers.get("location", "")


def _refresh(server: LiveServer, held: Credentials) -> tuple[int, str]:
    answer = HTTP.post(
        f"{server.url}/oauth/token/",
        data={"grant_type": "refresh_token", "refresh_token": held.refresh, "client_id": held.client_id},
    )
    return answer.status_code, answer.json().get("access_token", "") if answer.status_code == 200 else ""


def _row_counts(url: str) -> dict[str, int]:
    with psycopg.connect(url) as connection:
        tables = [
            row[0]
            for row in connection.execute(
                "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY tablename"
            ).fetchall()
        ]
        return {t: connection.execute(f'SELECT count(*) FROM "{t}"').fetchone()[0] for t in tables}  # type: ignore[index]


def _with_password(url: str) -> str:
    scheme, rest = url.split("://", 1)
    user, host = rest.split("@", 1)
    return f"{scheme}://{user}:{DB_PASSWORD}@{host}"


def _restore(dump: Path, data: Path, name: str) -> str:
    """The restore of docs/operations.md: pg_restore into a fresh, empty database."""
    target = own_database_url(data, name)
    subprocess.run(
        [
            _pg_tool("pg_restore"),
            "--no-owner",
            "--exit-on-error",
            "--single-transaction",
            "--dbname",
            target,
            str(dump),
        ],
        check=True,
        capture_output=True,
        timeout=120,
    )
    return target


@pytest.fixture(scope="module")
def backup(postgres: str, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, Credentials, dict]]:
    """A populated database on a server with key A, backed up with deploy/backup.sh."""
    data = tmp_path_factory.mktemp("backup")
    key = secrets.token_urlsafe(64)
    source = own_database_url(data, "backup_source")
    held = Credentials()
    with live_server(data, database_url=source, insights=False, extra_env=_env(key)) as server:
        held.personal = [server.create_token(email, name="before backup") for email in PAT_OWNERS]
        held.scim = server.manage("create_scim_token", "--org", "acme", "--name", "Okta").strip().splitlines()[-1]
        server.manage("shell", "-c", SETUP)
        _oauth_grant(server, held)
        assert [server.call_tool(t, "list_datasets") for t in [*held.personal, held.access]] == [200] * 4
        counts = _row_counts(source)
        started = time.time()
        last = data / "status" / "last-backup"
        env = {**os.environ, "DATABASE_URL": _with_password(source), "SPARK_LAST_BACKUP_FILE": str(last)}
        ran = subprocess.run(
            ["bash", str(ROOT / "deploy" / "backup.sh"), str(data / "dumps")],
            env=env,
            capture_output=True,
            text=True,
            timeout=120,
        )
    assert ran.returncode == 0, ran.stderr
    assert DB_PASSWORD not in ran.stdout + ran.stderr
    (dump,) = (data / "dumps").iterdir()
    assert re.fullmatch(r"spark-\d{8}T\d{6}Z\.dump", dump.name) and dump.stat().st_mode & 0o077 == 0
    assert last.read_text().strip() == str(dump) and last.stat().st_mtime >= started - 1
    yield dump, held, {"key": key, "counts": counts, "data": data}


def test_the_backup_holds_everything_and_restores_whole(backup: tuple[Path, Credentials, dict]) -> None:
    dump, _, facts = backup
    counts = facts["counts"]
    restored = _row_counts(_restore(dump, facts["data"], "backup_whole"))
    assert restored == counts
    for table in (
        "accounts_organization",
        "accounts_membership",
        "accounts_personalaccesstoken",
        "oauth2_provider_accesstoken",
        "oauth2_provider_refreshtoken",
        "connectors_auditevent",
        "mfa_authenticator",
        "socialaccount_socialapp",
        "django_session",
    ):
        assert counts[table] > 0, table
    assert counts["accounts_personalaccesstoken"] == len(PAT_OWNERS)


def test_with_the_same_secret_key_everything_works(backup: tuple[Path, Credentials, dict]) -> None:
    dump, held, facts = backup
    data = facts["data"] / "same"
    data.mkdir()
    restored = _restore(dump, facts["data"], "backup_same")
    with live_server(data, database_url=restored, insights=False, seed=False, extra_env=_env(facts["key"])) as server:
        assert [server.call_tool(token, "list_datasets") for token in held.personal] == [200] * len(PAT_OWNERS)
        assert server.call_tool(held.access, "list_datasets") == 200
        status, access = _refresh(server, held)
        assert status == 200 and server.call_tool(access, "list_datasets") == 200
        assert _scim_status(server, held.scim) == 200
        assert _session_status(server, held.session) == (200, "")
        checked = server.manage("shell", "-c", CHECK)
    assert f"totp: {TOTP_SECRET}" in checked and f"sso: {SSO_SECRET!r}" in checked


def test_with_another_secret_key_exactly_the_keyed_secrets_stop(backup: tuple[Path, Credentials, dict]) -> None:
    dump, held, facts = backup
    data = facts["data"] / "other"
    data.mkdir()
    restored = _restore(dump, facts["data"], "backup_other")
    other = secrets.token_urlsafe(64)
    with live_server(data, database_url=restored, insights=False, seed=False, extra_env=_env(other)) as server:
        # Stop: HMAC digests keyed by SECRET_KEY, signed sessions, encrypted secrets.
        assert [server.call_tool(token, "list_datasets") for token in held.personal] == [401] * len(PAT_OWNERS)
        assert _scim_status(server, held.scim) == 401
        status, location = _session_status(server, held.session)
        assert status == 302 and location.startswith("/auth/login/")
        checked = server.manage("shell", "-c", CHECK)
        assert "totp: A sealed secret cannot be opened: SECRET_KEY changed" in checked
        assert "sso: A sealed secret cannot be opened: SECRET_KEY changed" in checked
        # Keep working: OAuth tokens are stored as plain SHA-256 digests, passwords as password hashes.
        assert server.call_tool(held.access, "list_datasets") == 200
        refreshed, access = _refresh(server, held)
        assert refreshed == 200 and server.call_tool(access, "list_datasets") == 200
        browser = Browser(server.url, "member@acme.example", DEMO_PASSWORD, CALLBACK)
        assert (
            browser.sign_in().status_code == 302
            and _session_status(server, browser.http.cookies["sessionid"])[0] == 200
        )
        # What people do then: sign in again and create new tokens, which work.
        assert server.call_tool(server.create_token(name="after restore"), "list_datasets") == 200
