"""The token policies at consent, token and refresh: they are about personal access tokens, so an
assistant's OAuth grant passes them, and the policy gates never run for it (the gate list is one)."""

from __future__ import annotations

from django.test import Client

from tests.factories import World, issue
from tests.mcp_api.helpers import call_tool
from tests.oauth_server.oauth_helpers import code_from, consent, exchange, new_flow, refresh


def test_an_assistant_connects_calls_and_refreshes_under_every_token_policy(browser: Client, published: World) -> None:
    mine = issue(published.member, published.acme)
    published.acme.personal_tokens_allowed = False
    published.acme.token_max_days = 1
    published.acme.save()
    assert call_tool(Client(), mine.secret, "list_datasets").status_code == 401  # the policy is on
    flow = new_flow(browser)
    page = consent(browser, flow.authorize_url())  # consent: the person's gates only
    first = exchange(browser, flow, code_from(page))  # token
    assert first.status_code == 200, first.content
    assert call_tool(Client(), first.json()["access_token"], "list_datasets").status_code == 200
    second = refresh(browser, flow, first.json()["refresh_token"])  # refresh re-checks the gates
    assert second.status_code == 200, second.content
    assert call_tool(Client(), second.json()["access_token"], "list_datasets").status_code == 200


def test_an_assistants_tool_calls_count_against_the_quota_but_consent_and_refresh_do_not(
    browser: Client, published: World
) -> None:
    published.acme.daily_calls_per_person = 1
    published.acme.save()
    flow = new_flow(browser)
    first = exchange(browser, flow, code_from(consent(browser, flow.authorize_url())))
    access = first.json()["access_token"]
    assert call_tool(Client(), access, "list_datasets").status_code == 200
    over = call_tool(Client(), access, "list_datasets")
    assert over.status_code == 429 and over.json()["error"]["data"]["code"] == "daily_quota_person"
    second = refresh(browser, flow, first.json()["refresh_token"])  # the quota is on tool calls only
    assert second.status_code == 200, second.content
    assert call_tool(Client(), second.json()["access_token"], "list_datasets").status_code == 429
    mine = issue(published.member, published.acme)  # the same person with a token: one quota per person
    assert call_tool(Client(), mine.secret, "list_datasets").status_code == 429
