"""What the management API sends and accepts. Output serializers read model rows; input ones only
check shape: every rule (who may, what is valid) is the service's, as in the portal. Here: the strict
fields every input serializer uses and the answers several areas share; each area's serializers are
in api/<area>_serializers.py (tokens, members, organizations, domains, clients, usage, audit, assistant)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import OpenApiExample, extend_schema_serializer
from rest_framework import serializers


class StrictCharField(serializers.CharField):
    """A JSON string only (DRF's CharField also turns numbers into text, which the schema does not
    promise), taken as sent: the service trims and says what is wrong with it, in the portal's words
    (so a blank name is the portal's refusal, not a surprise the schema did not announce)."""

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("trim_whitespace", False)
        super().__init__(**kwargs)

    def to_internal_value(self, data: object) -> str:
        if not isinstance(data, str):
            self.fail("invalid")
        return str(super().to_internal_value(data))


class StrictBooleanField(serializers.BooleanField):
    """JSON true or false only (DRF's BooleanField also takes 0, 1, "yes"…, which the schema does not promise)."""

    def to_internal_value(self, data: object) -> bool:
        if isinstance(data, bool):
            return data
        self.fail("invalid", input=data)
        raise AssertionError  # fail() raises


class StrictIntegerField(serializers.IntegerField):
    """A JSON integer only (DRF's IntegerField also takes "30" and 30.0, which the schema does not promise)."""

    def to_internal_value(self, data: object) -> int:
        if isinstance(data, bool) or not isinstance(data, int):
            self.fail("invalid")
        return int(super().to_internal_value(data))


@extend_schema_serializer(
    examples=[
        OpenApiExample("What a removal ended", value={"people": 1, "tokens": 2, "assistants": 1}, response_only=True)
    ]
)
class ImpactSerializer(serializers.Serializer):
    people = serializers.IntegerField()
    tokens = serializers.IntegerField(help_text="Personal access tokens revoked.")
    assistants = serializers.IntegerField(help_text="Connected assistants revoked.")
