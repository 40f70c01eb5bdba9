"""Django's PostgreSQL backend, with a connection health check that costs no round trip.

With `CONN_HEALTH_CHECKS`, Django checks a persistent connection before the first query of every
request by sending `SELECT 1` (`is_usable`): on the MCP endpoint, whose warm call otherwise sends
one statement (the access epoch), that doubled the round trips. A connection the server ended
(a restart, a failover, `pg_terminate_backend`, an idle timeout) has something to read on its
socket: the server's FATAL message, or the end of the stream. A healthy idle connection has
nothing, since it never LISTENs (the access epoch's listener has a connection of its own,
accounts/epoch_listener.py). So the socket is polled first, without waiting, and only a
connection with something to read pays for the real check (Django's own). A connection closed
without a word (a host gone, a cable pulled) fails its next query, as it fails `SELECT 1`.
"""

from __future__ import annotations

import select

from django.db.backends.postgresql.base import DatabaseWrapper as PostgreSQLDatabaseWrapper


class DatabaseWrapper(PostgreSQLDatabaseWrapper):
    def is_usable(self) -> bool:
        connection = self.connection
        if connection is None or connection.closed or connection.broken:
            return False
        try:
            pending, _, _ = select.select([connection.fileno()], [], [], 0)
        except (OSError, ValueError):
            return False
        return not pending or bool(super().is_usable())
