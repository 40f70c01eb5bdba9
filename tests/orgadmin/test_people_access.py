"""People's access: every token and assistant of the organization, its state, and revoking."""

from __future__ import annotations

import datetime as dt

from django.test import Client
from django.utils import timezone

from accounts.models import EmailDomain, PersonalAccessToken
from audit.models import AuditEvent
from oauth_server.models import ConnectedApp
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool
from tests.orgadmin.conftest import connect_assistant


def _row(page: str, key: str) -> str:
    start = page.index(f'data-credential="{key}"')
    return page[start : page.index("</tr>", start)]


def test_every_credential_is_listed_with_its_state(org_admin: Client, browser: Client, world: World) -> None:
    active = issue(world.member, world.acme).token
    expired = issue(world.member, world.acme, now=timezone.now() - dt.timedelta(days=31)).token
    revoked = issue(world.admin, world.acme).token
    org_admin.post(f"/org/acme/people-access/token-{revoked.pk}/revoke/")
    connect_assistant(browser)
    assistant = ConnectedApp.objects.get(user=world.member)
    issue(world.outsider, world.globex)  # another organization's: never listed
    page = org_admin.get("/org/acme/people-access/").content.decode()
    assert "badge active" in _row(page, f"token-{active.pk}")
    assert "badge expired" in _row(page, f"token-{expired.pk}")
    assert "badge revoked" in _row(page, f"token-{revoked.pk}")
    assert "badge active" in _row(page, f"assistant-{assistant.pk}")
    assert "Ask Spark Portal for audience insights" in _row(page, f"token-{active.pk}")  # scopes in words
    assert "outsider@globex.example" not in page


def test_a_closed_gate_shows_as_paused_with_its_reason(org_admin: Client, world: World) -> None:
    token = issue(world.member, world.acme).token
    EmailDomain.objects.filter(domain="acme.example").update(enabled=False)
    row = _row(org_admin.get("/org/acme/people-access/").content.decode(), f"token-{token.pk}")
    assert "badge paused" in row and "acme.example is not enabled for Acme" in row
    assert f"token-{token.pk}" in org_admin.get("/org/acme/people-access/?state=paused").content.decode()
    assert f"token-{token.pk}" not in org_admin.get("/org/acme/people-access/?state=active").content.decode()


def test_filters_by_person_and_kind(org_admin: Client, browser: Client, world: World) -> None:
    mine, theirs = issue(world.admin, world.acme).token, issue(world.member, world.acme).token
    connect_assistant(browser)
    by_person = org_admin.get(f"/org/acme/people-access/?person={world.admin.pk}").content.decode()
    assert f"token-{mine.pk}" in by_person and f"token-{theirs.pk}" not in by_person
    assistants = org_admin.get("/org/acme/people-access/?kind=custom").content.decode()
    assert "assistant-" in assistants and "token-" not in assistants.replace("csrfmiddlewaretoken", "")


def test_revoking_a_token_asks_first_then_stops_it(org_admin: Client, world: World) -> None:
    issued = issue(world.member, world.acme)
    url = f"/org/acme/people-access/token-{issued.token.pk}/revoke/"
    confirm = org_admin.get(url).content.decode()
    assert "member@acme.example" in confirm and issued.token.display_prefix in confirm
    assert call_tool(Client(), issued.secret, "list_datasets").status_code == 200
    assert org_admin.post(url).status_code == 302
    assert call_tool(Client(), issued.secret, "list_datasets").status_code == 401
    assert AuditEvent.objects.get(action="token.revoked", actor=world.admin).detail["owner"] == world.member.email


def test_revoking_an_assistant_stops_it(org_admin: Client, browser: Client, world: World) -> None:
    token = connect_assistant(browser)
    connection = ConnectedApp.objects.get(user=world.member)
    assert org_admin.post(f"/org/acme/people-access/assistant-{connection.pk}/revoke/").status_code == 302
    assert call_tool(Client(), token, "list_datasets").status_code == 401


def test_revoking_everything_a_person_holds(org_admin: Client, browser: Client, world: World) -> None:
    first, second = issue(world.member, world.acme), issue(world.member, world.acme)
    assistant = connect_assistant(browser)
    url = f"/org/acme/people/{world.member.pk}/revoke/"
    assert "Revoke 3 credentials" in org_admin.get(url).content.decode()
    assert org_admin.post(url).status_code == 302
    for secret in (first.secret, second.secret, assistant):
        assert call_tool(Client(), secret, "list_datasets").status_code == 401
    assert not PersonalAccessToken.objects.filter(user=world.member, revoked_at__isnull=True).exists()


def test_another_organizations_credentials_cannot_be_touched(org_admin: Client, world: World) -> None:
    theirs = issue(world.outsider, world.globex)
    assert org_admin.get(f"/org/acme/people-access/token-{theirs.token.pk}/revoke/").status_code == 404
    assert org_admin.post(f"/org/acme/people-access/token-{theirs.token.pk}/revoke/").status_code == 404
    assert org_admin.post(f"/org/acme/people/{world.outsider.pk}/revoke/").status_code == 404
    assert org_admin.get("/org/acme/people-access/bogus-1/revoke/").status_code == 404
    assert call_tool(Client(), theirs.secret, "list_datasets").status_code == 200


def test_a_person_filter_that_is_no_row_id_filters_nobody_out(org_admin: Client, world: World) -> None:
    """Found by an outside review: a number past the database's integer was a 500 (and so was "²")."""
    token = issue(world.member, world.acme).token
    org_admin.raise_request_exception = False
    for person in ("99999999999999999999", "²", "-1", ""):
        response = org_admin.get("/org/acme/people-access/", {"person": person})
        assert response.status_code == 200, person
        assert f'data-credential="token-{token.pk}"' in response.content.decode(), person


def test_a_credential_key_that_is_no_row_id_is_404(org_admin: Client, world: World) -> None:
    org_admin.raise_request_exception = False
    for key in ("token-²", "token-99999999999999999999", "assistant-١"):
        assert org_admin.get(f"/org/acme/people-access/{key}/revoke/").status_code == 404, key


def test_a_nul_in_the_consoles_text_filters_finds_nothing_instead_of_failing(org_admin: Client, world: World) -> None:
    """On PostgreSQL a NUL in a query was a 500 on each of these pages (it cannot hold one)."""
    org_admin.raise_request_exception = False
    for url in (
        "/org/acme/members/?q=%00&role=%00",
        "/org/acme/people-access/?kind=%00&state=%00",
        "/org/acme/audit/?actor=%00&action=%00",
        "/org/acme/doctor/?subject=spk_%00",
    ):
        assert org_admin.get(url).status_code == 200, url
    exported = org_admin.get("/org/acme/audit.csv?actor=admin%00")  # streamed: it failed half-way through
    assert exported.status_code == 200 and b"".join(exported.streaming_content).startswith(b"time (UTC),actor")
