"""For the tests that run on PostgreSQL only (scripts/with-postgres.sh)."""

from __future__ import annotations

import psycopg
import pytest
from django.db import connection

only = pytest.mark.skipif(connection.vendor != "postgresql", reason="PostgreSQL only (scripts/with-postgres.sh)")


def observer() -> psycopg.Connection:
    """A connection of its own to the test database, in autocommit: another process, or another host."""
    params = connection.get_connection_params()
    params.pop("cursor_factory", None)
    params.pop("context", None)
    return psycopg.connect(**params, autocommit=True)
