"""The usage page (30 days, chart and tables) and the audit trail's filters and CSV export."""

from __future__ import annotations

import csv
import datetime as dt
import io

from django.test import Client
from django.utils import timezone

from audit.models import AuditEvent
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool
from usage.models import UsageDay


def test_usage_shows_calls_per_day_credential_and_tool(org_admin: Client, world: World, settings) -> None:
    settings.SPARK_USAGE_FLUSH_SECONDS = 3600
    issued = issue(world.member, world.acme)
    for _ in range(2):
        call_tool(Client(), issued.secret, "list_datasets")
    today = timezone.now().date()
    UsageDay.objects.create(
        organization=world.acme, user=world.member, credential="pat", credential_id=issued.token.pk,
        tool="chat_gwi", day=today - dt.timedelta(days=3), calls=5,
    )  # fmt: skip
    page = org_admin.get("/org/acme/usage/").content.decode()
    assert "7 calls from" in page and "busiest day 5" in page
    assert page.count('class="bar"') == 30
    key = f"pat-{issued.token.pk}"
    row = page[page.index(f'data-credential="{key}"') :]
    assert f"test token ({issued.token.display_prefix}…)" in row[:400] and ">7<" in row[:600]
    assert 'data-tool="chat_gwi"' in page and 'data-tool="list_datasets"' in page
    one = org_admin.get(f"/org/acme/usage/?credential={key}").content.decode()
    assert "7 calls from" in one and "show everyone" in one
    assert "0 calls from" in org_admin.get("/org/acme/usage/?credential=pat-999999").content.decode()


def test_a_credential_filter_that_is_no_row_id_shows_every_credential(org_admin: Client, world: World) -> None:
    org_admin.raise_request_exception = False
    for credential in ("pat-²", "pat-99999999999999999999", "oauth-", "pat--1"):
        response = org_admin.get("/org/acme/usage/", {"credential": credential})
        assert response.status_code == 200, credential
        assert response.context["chosen"] == "", credential


def test_usage_never_shows_another_organization(org_admin: Client, world: World) -> None:
    UsageDay.objects.create(
        organization=world.globex, user=world.outsider, credential="pat", credential_id=1,
        tool="chat_gwi", day=timezone.now().date(), calls=50,
    )  # fmt: skip
    page = org_admin.get("/org/acme/usage/").content.decode()
    assert "0 calls from" in page and "outsider@" not in page


def _events(world: World) -> None:
    now = timezone.now()
    AuditEvent.objects.create(
        organization=world.acme, actor=world.admin, action="domain.added", summary="added", created_at=now
    )
    AuditEvent.objects.create(
        organization=world.acme, actor=world.member, action="token.created", summary="=HYPERLINK(\"x\")",
        created_at=now - dt.timedelta(days=10),
    )  # fmt: skip
    AuditEvent.objects.create(organization=world.globex, actor=world.outsider, action="domain.added", summary="theirs")


def test_the_audit_trail_filters_by_actor_action_and_date(org_admin: Client, world: World) -> None:
    _events(world)
    by_actor = org_admin.get("/org/acme/audit/?actor=member@").content.decode()
    assert "token.created" in by_actor and "domain.added</td>" not in by_actor
    by_action = org_admin.get("/org/acme/audit/?action=domain.added").content.decode()
    assert "domain.added</td>" in by_action and "token.created</td>" not in by_action and "theirs" not in by_action
    since = (timezone.localdate() - dt.timedelta(days=2)).isoformat()
    recent = org_admin.get(f"/org/acme/audit/?since={since}").content.decode()
    assert "domain.added</td>" in recent and "token.created</td>" not in recent
    assert org_admin.get("/org/acme/audit/?since=not-a-date").status_code == 200  # ignored, not a 500


def test_the_audit_trail_exports_the_filtered_rows_as_csv(org_admin: Client, world: World) -> None:
    _events(world)
    response = org_admin.get("/org/acme/audit.csv?actor=member@")
    assert response["Content-Type"].startswith("text/csv")
    assert 'attachment; filename="acme-audit-' in response["Content-Disposition"]
    rows = list(csv.reader(io.StringIO(b"".join(response.streaming_content).decode())))
    assert rows[0][:3] == ["time (UTC)", "actor", "action"]
    assert [r[2] for r in rows[1:]] == ["token.created"]
    assert rows[1][3] == '\'=HYPERLINK("x")'  # a spreadsheet does not run it


def test_an_identity_providers_changes_name_its_scim_token(org_admin: Client, world: World) -> None:
    AuditEvent.objects.create(
        organization=world.acme, action="scim.user_deactivated", summary="deactivated",
        detail={"scim_token_name": "Okta", "email": world.member.email},
    )  # fmt: skip
    assert "SCIM token “Okta”" in org_admin.get("/org/acme/audit/").content.decode()
    rows = list(csv.reader(io.StringIO(b"".join(org_admin.get("/org/acme/audit.csv").streaming_content).decode())))
    assert rows[1][1] == "SCIM token Okta"
