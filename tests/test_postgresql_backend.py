"""The PostgreSQL backend's health check (spark_portal/postgresql/base.py): no `SELECT 1` for a healthy
connection, and a connection the server ended is replaced before the request's first query."""

from __future__ import annotations

import time

import psycopg
import pytest
from django.db import close_old_connections, connection

from tests.postgresql import observer as _observer
from tests.postgresql import only

pytestmark = only


def _last_statement(observer: psycopg.Connection, pid: int) -> str:
    row = observer.execute("SELECT query FROM pg_stat_activity WHERE pid = %s", [pid]).fetchone()
    return str(row[0]) if row else ""


@pytest.mark.django_db(transaction=True)
def test_a_healthy_connection_is_checked_without_a_round_trip() -> None:
    with connection.cursor() as cursor:
        cursor.execute("SELECT 'the last statement'")
    with _observer() as observer:
        pid = connection.connection.info.backend_pid
        assert connection.is_usable()
        assert _last_statement(observer, pid) == "SELECT 'the last statement'"


@pytest.mark.django_db(transaction=True)
def test_a_connection_the_server_ended_is_replaced_before_the_next_query() -> None:
    assert connection.health_check_enabled  # CONN_HEALTH_CHECKS, as settings.py sets it
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    ended = connection.connection.info.backend_pid
    with _observer() as observer:
        observer.execute("SELECT pg_terminate_backend(%s)", [ended])
        for _ in range(100):  # the server's FATAL message reaches the socket
            if not connection.is_usable():
                break
            time.sleep(0.02)
    assert not connection.is_usable()
    close_old_connections()  # what a new request does first
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        (pid,) = cursor.fetchone()
    assert pid != ended
