"""An assistant's grant follows the organization's datasets when it asked for none in particular
(no dataset scope, or exactly the catalog's that discovery lists); one that named datasets keeps
those. Asking for a dataset code the organization lacks is answered the same whether the code is
another organization's private dataset or no dataset at all."""

from __future__ import annotations

from django.test import Client

from catalog.models import Dataset
from oauth_server.models import ConnectedApp
from tests.factories import World
from tests.identity.test_id_jag import Setup, jwks, setup  # noqa: F401 (fixtures)
from tests.mcp_api.helpers import call_tool
from tests.oauth_server.oauth_helpers import Flow, code_from, consent, exchange, new_flow

CATALOG = "dataset:ds-core dataset:ds-gaming dataset:ds-usa-deep"


def _connect(browser: Client, flow: Flow, **params: str | None) -> dict[str, str]:
    response = exchange(browser, flow, code_from(consent(browser, flow.authorize_url(**params))))
    assert response.status_code == 200, response.content
    return dict(response.json())


def _codes(access_token: str) -> list[str]:
    result = call_tool(Client(), access_token, "list_datasets").json()["result"]
    return [d["code"] for d in result["structuredContent"]["datasets"]]


def test_asking_for_no_particular_dataset_follows_the_organization(browser: Client, published: World) -> None:
    for scope in ["insights:read", None, f"insights:read {CATALOG}"]:  # None: the defaults, all advertised
        tokens = _connect(browser, new_flow(browser), scope=scope)
        assert tokens["scope"] == "insights:read dataset:ds-core dataset:ds-usa-deep", scope
        assert _codes(tokens["access_token"]) == ["ds-core", "ds-usa-deep"]
    assert set(ConnectedApp.objects.values_list("all_datasets", flat=True)) == {True}
    published.acme.datasets.add(published.datasets["ds-gaming"])
    assert _codes(tokens["access_token"]) == ["ds-core", "ds-gaming", "ds-usa-deep"]


def test_naming_datasets_keeps_the_grant_to_them(browser: Client, published: World) -> None:
    tokens = _connect(browser, new_flow(browser), scope="insights:read dataset:ds-core")
    assert ConnectedApp.objects.get().all_datasets is False
    published.acme.datasets.add(published.datasets["ds-gaming"])
    assert _codes(tokens["access_token"]) == ["ds-core"]


def test_the_consent_page_and_connected_apps_say_the_grant_follows(browser: Client, published: World) -> None:
    flow = new_flow(browser)
    page = browser.get(flow.authorize_url(scope="insights:read")).content.decode()
    assert "Use every dataset Acme has, including ones it is given later (now: ds-core, ds-usa-deep)" in page
    _connect(browser, flow, scope="insights:read")
    apps = browser.get("/settings/connected-apps/").content.decode()
    assert "Use every dataset Acme has, including ones added later" in apps


def test_a_private_code_is_refused_like_a_code_no_dataset_has(browser: Client, published: World) -> None:
    Dataset.objects.create(code="ds-globex-secret", name="Globex secret study", description="")
    granted = []
    for code in ["ds-globex-secret", "ds-nothing-here"]:
        page = browser.get(new_flow(browser).authorize_url(scope=f"insights:read dataset:{code}"))
        assert page.status_code == 200, page.get("Location")  # not an invalid_scope redirect for either
        body = page.content.decode()
        assert f"not granted: dataset:{code}" in body and "Globex secret study" not in body
        granted.append(body[body.index('<ul id="consent-scopes">') : body.index("</ul>", body.index("consent-scopes"))])
    assert granted[0] == granted[1]  # the same access either way: the tools, no dataset
    assert "dataset" not in granted[0]


def test_an_identity_assertion_naming_no_dataset_follows_the_organization(setup: Setup) -> None:  # noqa: F811
    body = setup.exchange(setup.mint(scope=None), scope="insights:read").json()
    assert body["scope"] == "insights:read dataset:ds-core dataset:ds-usa-deep"
    assert ConnectedApp.objects.get().all_datasets is True
    setup.world.acme.datasets.add(setup.world.datasets["ds-gaming"])
    assert _codes(body["access_token"]) == ["ds-core", "ds-gaming", "ds-usa-deep"]
