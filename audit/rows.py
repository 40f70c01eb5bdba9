"""Many rows written with one statement per chunk, without the ORM's per-object work: the per-call
audit events and their stream deliveries are written this way (Django's `bulk_create` costs hundreds
of microseconds a row on SQLite, more than the tool call it records). JSON, times and UUIDs are
prepared by their field (`get_db_prep_save`), as the ORM would; a multi-row INSERT … RETURNING (SQLite 3.35 or later,
PostgreSQL) gives the new keys in the order of the rows."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from django.db import DEFAULT_DB_ALIAS, connections
from django.db.models import Model

CHUNK = 100
"""Rows per statement (SQLite allows 999 parameters in one on older builds)."""
PREPARED = frozenset({"JSONField", "DateTimeField", "UUIDField"})
"""The field types whose values the database needs converted; the others (numbers, text, addresses)
are given as they are."""


def insert_rows(model: type[Model], names: Sequence[str], rows: Sequence[Sequence[Any]]) -> list[int]:
    """Insert `rows` (values in the order of the field `names`, attnames for foreign keys) into
    `model`'s table; returns their primary keys, in order."""
    db = connections[DEFAULT_DB_ALIAS]  # the wrapper itself: the proxy costs a lookup per use
    by_name = {field.attname: field for field in model._meta.concrete_fields}
    fields = [by_name[name] for name in names]
    kinds = [kind if (kind := field.get_internal_type()) in PREPARED else None for field in fields]
    quote = db.ops.quote_name
    columns = ", ".join(quote(str(field.column)) for field in fields)
    row_sql = "(" + ", ".join(["%s"] * len(fields)) + ")"
    # Every name is the model's own (quoted), never input; the values go as parameters.
    head = f"INSERT INTO {quote(model._meta.db_table)} ({columns}) VALUES "  # noqa: S608
    tail = f" RETURNING {quote(str(by_name[model._meta.pk.attname].column))}"
    keys: list[int] = []
    times: dict[Any, Any] = {}  # each distinct time prepared once (a batch's rows often share one)

    def prepared(field: Any, kind: str, value: Any) -> Any:
        if kind != "DateTimeField":
            return field.get_db_prep_save(value, db)
        if (found := times.get(value)) is None:
            found = times[value] = field.get_db_prep_save(value, db)
        return found

    with db.cursor() as cursor:
        for start in range(0, len(rows), CHUNK):
            chunk = rows[start : start + CHUNK]
            params = [
                value if kind is None else prepared(field, kind, value)
                for row in chunk
                for field, kind, value in zip(fields, kinds, row, strict=True)
            ]
            cursor.execute(head + ", ".join([row_sql] * len(chunk)) + tail, params)
            keys += [int(found[0]) for found in cursor.fetchall()]
    return keys
