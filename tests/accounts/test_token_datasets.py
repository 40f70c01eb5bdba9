"""Creating a token: every dataset of the organization (now and later), or only the ones ticked;
the tokens page says which datasets each token uses right now."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from accounts.models import PersonalAccessToken
from accounts.scopes import TOOLS_SCOPE
from accounts.services import token_create
from audit.models import AuditEvent
from tests.factories import World


def _create(client: Client, world: World, name: str, datasets: str, scopes: list[str]) -> PersonalAccessToken:
    form = {"name": name, "organization": world.acme.pk, "days": 30, "datasets": datasets, "scopes": scopes}
    response = client.post(reverse("accounts:token-create"), form)
    assert response.status_code == 302, response.content.decode()[:2000]
    return PersonalAccessToken.objects.get(name=name)


def test_the_form_offers_every_dataset_or_only_the_ticked_ones(member_client: Client, world: World) -> None:
    page = member_client.get(reverse("accounts:tokens")).content.decode()
    assert "Every dataset the organization has, including ones it is given later" in page
    every = _create(member_client, world, "every", "all", [TOOLS_SCOPE, "dataset:ds-core"])
    chosen = _create(member_client, world, "chosen", "chosen", [TOOLS_SCOPE, "dataset:ds-core"])
    assert (every.all_datasets, every.scopes) == (True, [TOOLS_SCOPE])  # the ticked one is implied
    assert (chosen.all_datasets, chosen.scopes) == (False, ["dataset:ds-core", TOOLS_SCOPE])
    created = AuditEvent.objects.filter(action="token.created").order_by("pk")
    assert [e.detail["all_datasets"] for e in created] == [True, False]


def test_the_tokens_page_says_which_datasets_each_token_uses_now(member_client: Client, world: World) -> None:
    _create(member_client, world, "every", "all", [TOOLS_SCOPE])
    _create(member_client, world, "chosen", "chosen", [TOOLS_SCOPE, "dataset:ds-core"])
    world.acme.datasets.add(world.datasets["ds-gaming"])
    page = member_client.get(reverse("accounts:tokens")).content.decode()
    assert "Every dataset Acme has, including ones added later (now: ds-core, ds-gaming, ds-usa-deep)." in page
    assert "Limited when it was created to: ds-core. Not Acme&#x27;s other datasets: ds-gaming, ds-usa-deep." in page


def test_a_token_asking_for_no_particular_dataset_follows_and_one_naming_some_is_narrowed(world: World) -> None:
    def issue(scopes: list[str]) -> PersonalAccessToken:
        return token_create(user=world.member, organization=world.acme, name="t", days=7, scopes=scopes).token

    assert issue([TOOLS_SCOPE]).all_datasets is True
    assert issue([TOOLS_SCOPE, "dataset:ds-core", "dataset:ds-usa-deep"]).all_datasets is True
    assert issue([TOOLS_SCOPE, "dataset:ds-core"]).all_datasets is False
    with pytest.raises(ValidationError, match="besides the datasets"):
        token_create(
            user=world.member, organization=world.acme, name="t", days=7, scopes=["dataset:ds-core"], all_datasets=True
        )
