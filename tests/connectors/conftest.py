from __future__ import annotations

import pytest
from django.test import Client

from tests.connectors.oauth_helpers import publish
from tests.factories import World


@pytest.fixture
def published(world: World) -> World:
    publish(world.acme)
    return world


@pytest.fixture
def browser(published: World) -> Client:
    client = Client()
    client.force_login(published.member)
    return client
