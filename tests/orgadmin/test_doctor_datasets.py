"""The connection doctor shows the datasets each token and assistant uses right now: every one the
organization has (it follows the organization), or the ones it was narrowed to, and how to widen it."""

from __future__ import annotations

from django.test import Client

from accounts.scopes import TOOLS_SCOPE
from tests.factories import World, issue
from tests.oauth_server.oauth_helpers import Flow, code_from, connect, consent, exchange, new_flow
from tests.orgadmin.test_doctor import _doctor, _gate


def test_the_doctor_shows_each_tokens_datasets_now(org_admin: Client, world: World) -> None:
    every = issue(world.member, world.acme).token
    narrowed = issue(world.member, world.acme, scopes=[TOOLS_SCOPE, "dataset:ds-core"]).token
    world.acme.datasets.add(world.datasets["ds-gaming"])
    page = _doctor(org_admin, "member@acme.example")
    following = _gate(page, f"Datasets of token test token ({every.display_prefix}")
    assert "passes" in following
    assert "Every dataset Acme has, including ones added later (now: ds-core, ds-gaming, ds-usa-deep)." in following
    limited = _gate(page, f"Datasets of token test token ({narrowed.display_prefix}")
    assert "Limited when it was created to: ds-core. Not Acme&#x27;s other datasets: ds-gaming, ds-usa-deep." in limited
    assert "To use ds-gaming, ds-usa-deep too: create a token for every dataset of Acme." in limited
    assert "The person themselves" in limited


def test_a_token_narrowed_to_datasets_the_organization_no_longer_has_is_refused(
    org_admin: Client, world: World
) -> None:
    token = issue(world.member, world.acme, scopes=[TOOLS_SCOPE, "dataset:ds-core"]).token
    world.acme.datasets.remove(world.datasets["ds-core"])
    check = _gate(_doctor(org_admin, token.display_prefix), "Datasets of token")
    assert "refuses" in check and "Limited when it was created to: none yet." in check
    assert "Create a token for every dataset of Acme." in check


def test_the_doctor_shows_an_assistants_datasets_now(org_admin: Client, browser: Client, world: World) -> None:
    connect(browser, new_flow(browser))  # the helper's flow names ds-core and ds-usa-deep: narrowed
    connect_with_scope(browser, new_flow(browser), "insights:read")  # no particular dataset: follows
    world.acme.datasets.add(world.datasets["ds-gaming"])
    page = _doctor(org_admin, "member@acme.example")
    assert "Every dataset Acme has, including ones added later (now: ds-core, ds-gaming, ds-usa-deep)." in page
    assert "Limited when it was created to: ds-core, ds-usa-deep. Not Acme&#x27;s other datasets: ds-gaming." in page
    assert "To use ds-gaming too: connect the assistant again, asking for no particular dataset." in page


def connect_with_scope(browser: Client, flow: Flow, scope: str) -> str:
    response = exchange(browser, flow, code_from(consent(browser, flow.authorize_url(scope=scope))))
    assert response.status_code == 200, response.content
    return str(response.json()["access_token"])
