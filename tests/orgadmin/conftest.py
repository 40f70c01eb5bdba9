from __future__ import annotations

import pytest
from django.test import Client

from tests.factories import World
from tests.oauth_server.oauth_helpers import connect, new_flow


@pytest.fixture
def org_admin(published: World) -> Client:
    """Acme's admin, signed in; every connector published."""
    client = Client()
    client.force_login(published.admin)
    return client


def connect_assistant(browser: Client) -> str:
    """Connect an assistant as the signed-in `browser` user (a loopback client: "Custom & local tools");
    returns its access token."""
    return connect(browser, new_flow(browser))["access_token"]
