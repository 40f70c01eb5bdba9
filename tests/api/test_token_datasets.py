"""The management API's tokens say whether they follow the organization's datasets, and their
dataset scopes are the ones they use now."""

from __future__ import annotations

from accounts.models import PersonalAccessToken
from tests.api.conftest import Api
from tests.factories import World


def test_a_token_for_every_dataset_lists_the_ones_the_organization_has_now(admin_api: Api, published: World) -> None:
    made = admin_api.call("POST", "/me/tokens", {"name": "every", "scopes": ["insights:read"], "all_datasets": True})
    assert made.status_code == 201, made.content
    assert made.json()["all_datasets"] is True
    assert made.json()["scopes"] == ["insights:read", "dataset:ds-core", "dataset:ds-usa-deep"]
    published.acme.datasets.add(published.datasets["ds-gaming"])
    [listed] = [t for t in admin_api.get("/me/tokens").json() if t["name"] == "every"]
    assert listed["scopes"] == ["insights:read", "dataset:ds-core", "dataset:ds-gaming", "dataset:ds-usa-deep"]


def test_a_token_narrowed_to_some_datasets_keeps_them(admin_api: Api, published: World) -> None:
    body = {"name": "some", "scopes": ["insights:read", "dataset:ds-core"], "all_datasets": False}
    made = admin_api.call("POST", "/me/tokens", body).json()
    assert (made["all_datasets"], made["scopes"]) == (False, ["dataset:ds-core", "insights:read"])
    named = {"name": "named", "scopes": ["insights:read", "dataset:ds-core"]}  # not said: naming some narrows
    assert admin_api.call("POST", "/me/tokens", named).json()["all_datasets"] is False
    assert PersonalAccessToken.objects.get(name="some").all_datasets is False


def test_all_datasets_must_be_a_json_boolean(admin_api: Api, published: World) -> None:
    body = {"name": "x", "scopes": ["insights:read"], "all_datasets": "yes"}
    assert admin_api.call("POST", "/me/tokens", body).status_code == 400
