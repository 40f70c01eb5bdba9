"""The staff takeover through SCIM (issue 20, item 1), replayed end to end against gunicorn: an
organization admin adds the staff's email domain, has the organization's SCIM client provision the
staff address, renames the account into a domain whose mail they read, and asks for a password
reset there. Each step must fail, and neither /admin/ nor /status/ is ever reached.

The SCIM side is `scim2-client` (the library under the `scim2` CLI) speaking HTTP to /scim/v2 with
the organization's SCIM token, as an identity provider does; the admin's side is the management API
with an `org:admin` token and the portal's own forms. Domain verification asks the DNS server the
live server fixture runs (`LiveServer.dns`, dnslib on a loopback port)."""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx2
import pytest
import requests
from scim2_client.engines.httpx2 import SyncSCIMClient
from scim2_models import Error, PatchOp, PatchOperation, User

from tests.e2e.conftest import DEMO_PASSWORD, LiveServer, live_server

pytestmark = pytest.mark.e2e

STAFF = "root@sparkhq.example"  # Spark Portal's superuser, in no organization
HELPER = "helper@sparkhq.example"  # Spark Portal's superuser, also an Acme member (helping them)
MALLORY = "mallory@acme.example"  # an address at Acme's domain: Acme's admin reads its mail

SETUP = f"""
from accounts.models import Membership, Organization, User
root = User.objects.create_superuser({STAFF!r}, {DEMO_PASSWORD!r})
helper = User.objects.create_superuser({HELPER!r}, {DEMO_PASSWORD!r})
Membership.objects.create(user=helper, organization=Organization.objects.get(slug="acme"))
print(root.pk, helper.pk)
"""

EMAILS = """
from accounts.models import User
print(",".join(User.objects.filter(is_staff=True).order_by("pk").values_list("email", flat=True)))
"""


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[LiveServer]:
    """A server of this module's own: its superusers and Acme's extra domain stay out of the others' way."""
    data = tmp_path_factory.mktemp("takeover")
    with live_server(data, database_url=f"sqlite:///{data / 'takeover.sqlite3'}", insights=False) as live:
        yield live


def _api(server: LiveServer, token: str, method: str, path: str, body: Any = None) -> requests.Response:
    return requests.request(
        method,
        f"{server.url}/api/v1/organizations/acme{path}",
        json=body,
        headers={"Authorization": f"Bearer {token}"},
        timeout=15,
    )


def _scim(server: LiveServer) -> SyncSCIMClient:
    token = server.manage("create_scim_token", "--org", "acme", "--name", "Attacker's IdP").strip().splitlines()[-1]
    http = httpx2.Client(base_url=f"{server.url}/scim/v2", headers={"Authorization": f"Bearer {token}"})
    client = SyncSCIMClient(http)
    client.discover()
    return client


def _signed_in(server: LiveServer, email: str) -> requests.Session:
    """A browser-like session that signed in with a password on the portal's form (or tried to)."""
    session = requests.Session()
    page = session.get(f"{server.url}/auth/login/", timeout=15).text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf is not None
    session.post(
        f"{server.url}/auth/login/",
        data={"csrfmiddlewaretoken": csrf.group(1), "login": email, "password": DEMO_PASSWORD},
        timeout=15,
    )
    return session


def _reset(server: LiveServer, email: str) -> None:
    session = requests.Session()
    page = session.get(f"{server.url}/auth/password/reset/", timeout=15).text
    csrf = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page)
    assert csrf is not None
    answer = session.post(
        f"{server.url}/auth/password/reset/",
        data={"csrfmiddlewaretoken": csrf.group(1), "email": email},
        timeout=15,
    )
    assert answer.status_code in (200, 302)


def _mail_to(server: LiveServer, address: str) -> list[str]:
    folder = Path(server.env["EMAIL_FILE_PATH"])
    messages = [p.read_text() for p in folder.glob("*.log")] if folder.exists() else []
    return [m for m in messages if f"To: {address}" in m]


def _kept_out(session: requests.Session, server: LiveServer) -> None:
    for path in ("/admin/", "/status/"):
        answer = session.get(f"{server.url}{path}", allow_redirects=False, timeout=15)
        assert answer.status_code in (302, 403, 404), (path, answer.status_code)  # never the page itself


def test_an_org_admin_cannot_take_over_a_staff_account_through_scim(server: LiveServer) -> None:
    assert server.dns is not None
    root_id, helper_id = server.manage("shell", "-c", SETUP).strip().splitlines()[-1].split()
    made = server.manage(
        "create_access_token", "--email", "admin@acme.example", "--name", "attack", "--scope", "org:admin"
    )
    token = made.strip().splitlines()[-1]

    # 1. The admin adds Spark Portal's own domain: allowed, and shown unverified with the record to publish.
    added = _api(server, token, "POST", "/domains", {"domain": "sparkhq.example"})
    assert added.status_code == 201 and added.json()["verified"] is False
    name = added.json()["verification"]["name"]
    assert name == "_spark-verification.sparkhq.example"
    refused = _api(server, token, "POST", "/domains/sparkhq.example/verify")
    assert refused.status_code == 409 and refused.json()["code"] == "txt_record_missing"
    assert name in server.dns.queries  # Spark Portal asked DNS, and DNS holds no proof

    # 2. SCIM POST /Users for the staff address: a conflict, nothing linked, and nothing to find.
    scim = _scim(server)
    created = scim.create(User(user_name=STAFF, display_name="Root"), raise_scim_errors=False)
    assert isinstance(created, Error) and created.status == 409 and created.scim_type == "uniqueness"
    assert "staff" not in (created.detail or "")
    found = scim.query(User, query_parameters={"filter": f'userName eq "{STAFF}"'}, raise_scim_errors=False)
    assert found.total_results == 0  # type: ignore[union-attr]

    # 3. PATCH userName into Acme's domain: the unlinked superuser is not there to patch; the
    #    superuser who is an Acme member is there, and may not be renamed (or managed at all).
    rename = PatchOp[User](operations=[PatchOperation(op=PatchOperation.Op.replace_, path="userName", value=MALLORY)])
    for person_id, status in ((root_id, 404), (helper_id, 400)):
        answer = scim.modify(User, person_id, rename, raise_scim_errors=False)
        assert isinstance(answer, Error) and answer.status == status, (person_id, answer)

    # Even with the domain proven (here: the test's DNS publishes the record), staff stay out of reach.
    server.dns.records[name] = [added.json()["verification"]["value"]]
    assert _api(server, token, "POST", "/domains/sparkhq.example/verify").json()["verified"] is True
    again = scim.create(User(user_name=STAFF), raise_scim_errors=False)
    assert isinstance(again, Error) and again.status == 409

    # 4. A password reset to the address the admin reads finds no account; no mail goes out.
    _reset(server, MALLORY)
    assert _mail_to(server, MALLORY) == []
    assert server.manage("shell", "-c", EMAILS).strip().splitlines()[-1] == f"{STAFF},{HELPER}"

    # 5. Neither the address nor the admin's own sign-in reaches the admin site or the status page.
    _kept_out(_signed_in(server, MALLORY), server)
    attacker = _signed_in(server, "admin@acme.example")
    assert attacker.get(f"{server.url}/settings/", allow_redirects=False, timeout=15).status_code == 200
    _kept_out(attacker, server)
