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
