"""insights.services: a chat and the insights it stated are stored together or not at all."""

from __future__ import annotations

import ast

import pytest
from django.db import IntegrityError

from insights import services
from insights.models import ChatRecord, InsightRecord
from tests.factories import World
from tests.test_code_shape import _modules


def test_an_insight_row_is_a_plain_named_tuple() -> None:
    row = services.InsightRow("Half use TikTok.", {"question": "social_weekly"}, {"audience_pct": 50.0})
    assert isinstance(services.InsightRow, type) and isinstance(row, services.InsightRow)
    assert row.text == "Half use TikTok." and tuple(row) == row


def test_a_chat_whose_insights_cannot_be_stored_is_not_stored_either(
    world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    def refuse(*args: object, **kwargs: object) -> None:
        raise IntegrityError("the insights could not be written")

    monkeypatch.setattr(InsightRecord.objects, "bulk_create", refuse)
    with pytest.raises(IntegrityError):
        services.chat_save(
            organization_id=world.acme.pk,
            user_id=world.member.pk,
            chat_id=None,
            context={"dataset": "ds-core"},
            stated=[services.InsightRow("Half use TikTok.", {}, {})],
        )
    assert not ChatRecord.objects.exists()


def test_no_class_is_decorated_as_a_transaction() -> None:
    """`@transaction.atomic` over a class turns the class into a function that opens a transaction
    each time a value is made (and leaves the function it was meant for without one)."""
    found = []
    for path in _modules():
        for node in ast.walk(ast.parse(path.read_text())):
            if isinstance(node, ast.ClassDef):
                for decorator in node.decorator_list:
                    target = decorator.func if isinstance(decorator, ast.Call) else decorator
                    if ast.unparse(target).split(".")[-1] == "atomic":
                        found.append(f"{path.name}:{node.lineno} {node.name}")
    assert found == []
