"""Two refreshes with one refresh token at the same moment, on PostgreSQL (row locks): one pair is
minted, and both get it. Run by scripts/test.sh (scripts/with-postgres.sh); skipped on SQLite."""

from __future__ import annotations

import threading
import time
from typing import Any

import pytest
from django.db import connection, transaction
from django.test import Client
from oauth2_provider.models import AccessToken, RefreshToken

from tests.factories import World
from tests.oauth_server.oauth_helpers import connect, new_flow, refresh

pytestmark = pytest.mark.django_db(transaction=True)


def test_two_concurrent_refreshes_mint_one_pair(browser: Client, published: World) -> None:
    if connection.vendor != "postgresql":
        pytest.skip("needs PostgreSQL's row locks: scripts/with-postgres.sh")
    flow = new_flow(browser)
    tokens = connect(browser, flow)
    answers: list[Any] = []

    def refresh_once() -> None:
        try:
            answers.append(refresh(Client(), flow, tokens["refresh_token"]))
        finally:
            connection.close()

    threads = [threading.Thread(target=refresh_once) for _ in range(2)]
    with transaction.atomic():
        # Hold the refresh token's row: both requests validate it, then queue on its lock.
        RefreshToken.objects.select_for_update().get(revoked__isnull=True)
        for thread in threads:
            thread.start()
        time.sleep(2)
    for thread in threads:
        thread.join(30)
    assert [a.status_code for a in answers] == [200, 200]
    assert answers[0].json()["refresh_token"] == answers[1].json()["refresh_token"]
    assert RefreshToken.objects.filter(revoked__isnull=True).count() == 1
    assert AccessToken.objects.filter(user__isnull=False).count() == 1
