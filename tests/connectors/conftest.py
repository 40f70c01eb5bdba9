from __future__ import annotations

import pytest
from django.test import Client

from tests.conftest import World
from tests.connectors.oauth_helpers import publish


@pytest.fixture
def published(world: World) -> World:
    publish(world.acme)
    return world


@pytest.fixture
def browser(published: World) -> Client:
    client = Client()
    client.force_login(published.member)
    return client
