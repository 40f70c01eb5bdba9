"""The Policies page's tools, datasets and network form: shown to the organization's admins, saved and
audited, CIDR ranges checked with the wrong one named, a token allow-list leaving out the admin's own
address asking for confirmation; and the doctor naming the allow-list that refuses a credential."""

from __future__ import annotations

from django.test import Client
from django.urls import reverse
from django.utils import timezone

from audit.models import AuditEvent
from doctor.diagnosis import diagnose
from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool

PAGE = reverse("orgadmin:policies", args=["acme"])
SAVE = reverse("orgadmin:connection_policies", args=["acme"])
EVERY_TOOL = ["chat_gwi", "explore_insight_gwi", "fetch", "list_datasets", "query_survey", "search", "search_survey"]


def test_the_page_shows_the_form_with_every_tool_on(org_admin: Client, published: World) -> None:
    token = issue(published.member, published.acme).token
    body = org_admin.get(PAGE).content.decode()
    assert 'id="connection-policies-form"' in body and "Claude assistants" in body
    assert f"Token “{token.name}” of member@acme.example" in body
    assert body.count('name="tools_on"') == len(EVERY_TOOL) and body.count('name="tools_on" value="chat_gwi"') == 1
    assert 'value="chat_gwi" id="id_tools_on_0" checked' in body
    assert '<code id="own-address">127.0.0.1</code>' in body


def test_saving_turns_tools_off_limits_datasets_and_is_audited(org_admin: Client, published: World) -> None:
    token = issue(published.member, published.acme).token
    data = {
        "tools_on": [t for t in EVERY_TOOL if t != "fetch"],
        "limit_platform_claude": "on",
        "datasets_platform_claude": ["ds-core"],
        f"limit_token_{token.pk}": "on",
        "datasets_platform_chatgpt": ["ds-core"],  # not limited: ignored
        "assistant_networks": "160.79.104.0/23\n2600:1f18::/32\n",
    }
    assert org_admin.post(SAVE, data).status_code == 302
    published.acme.refresh_from_db()
    assert published.acme.tools_off == ["fetch"]
    assert published.acme.platform_datasets == {"claude": ["ds-core"]}
    assert published.acme.token_datasets == {str(token.pk): []}
    assert published.acme.assistant_networks == ["160.79.104.0/23", "2600:1f18::/32"]
    assert AuditEvent.objects.filter(action="organization.policies_changed", actor=published.admin).count() == 1
    again = org_admin.get(PAGE).content.decode()
    assert 'name="limit_platform_claude" id="id_limit_platform_claude" checked' in again
    assert "160.79.104.0/23\n2600:1f18::/32</textarea>" in again


def test_a_wrong_range_is_named_and_nothing_saved(org_admin: Client, published: World) -> None:
    answer = org_admin.post(SAVE, {"tools_on": EVERY_TOOL, "token_networks": "10.0.0.1/8\nintranet"})
    assert answer.status_code == 400
    body = answer.content.decode()
    assert "did you mean 10.0.0.0/8?" in body and "“intranet” is not an IP address or CIDR range" in body
    published.acme.refresh_from_db()
    assert published.acme.token_networks == []


def test_leaving_out_ones_own_address_asks_first(org_admin: Client, published: World) -> None:
    data = {"tools_on": EVERY_TOOL, "token_networks": "203.0.113.0/24"}
    asked = org_admin.post(SAVE, data)
    assert asked.status_code == 400
    body = asked.content.decode()
    assert "leaves out your current address (127.0.0.1)" in body and 'name="confirm_outside"' in body
    published.acme.refresh_from_db()
    assert published.acme.token_networks == []
    assert org_admin.post(SAVE, {**data, "confirm_outside": "on"}).status_code == 302
    published.acme.refresh_from_db()
    assert published.acme.token_networks == ["203.0.113.0/24"]
    assert org_admin.get(PAGE).status_code == 200  # the console is not behind the list


def test_a_member_cannot_save(browser: Client, published: World) -> None:
    assert browser.post(SAVE, {"tools_on": []}).status_code == 403
    published.acme.refresh_from_db()
    assert published.acme.tools_off == []


def test_the_doctor_names_the_allow_list_refusing_a_tokens_last_use(client: Client, published: World) -> None:
    issued = issue(published.member, published.acme)
    assert call_tool(client, issued.secret, "list_datasets").status_code == 200  # last used from 127.0.0.1
    published.acme.token_networks = ["203.0.113.0/24"]
    published.acme.save()
    report = diagnose(published.acme, "member@acme.example", timezone.now())
    refused = [c for c in report.checks if not c.ok and "only from its own networks" in c.finding]
    assert refused and refused[0].fix.startswith("Add the address, or its range, to the allow-list")
    assert report.credentials[0].code == "network_not_allowed"


def test_the_doctor_shows_a_tokens_dataset_limit(published: World) -> None:
    issued = issue(published.member, published.acme)
    published.acme.token_datasets = {str(issued.token.pk): ["ds-core"]}
    published.acme.save()
    report = diagnose(published.acme, "member@acme.example", timezone.now())
    row = next(c for c in report.checks if c.gate == "Dataset limit for this token")
    assert row.finding == "Acme lets this token use only: ds-core (a dataset policy)."
    assert row.fix == "Change the limit on the Policies page."
