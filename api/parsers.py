"""The management API reads JSON bodies with the portal's one JSON parser (`spark_portal.untrusted`):
at most `MAX_BODY_BYTES`, nested at most `MAX_DEPTH` levels, RFC 8259 JSON in UTF-8; and refuses,
naming the field, a lone surrogate wherever it is (no database, response or log can hold one; an
audience expression is no text field, so DRF's own check never saw it there).

A NUL is left to the field that reads it: every text field refuses one (DRF's CharField, and the
schema says so with a pattern), and an audience expression is checked term by term by its service.
Refusing it here would refuse input the OpenAPI schema calls valid (the keys of an object)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import IO, Any

from rest_framework import exceptions
from rest_framework.parsers import BaseParser

from spark_portal.untrusted import JsonRefused, Unstorable, escaped, parse_json, unstorable_at

MAX_BODY_BYTES = 262_144
"""The largest body an endpoint takes is an audience expression: a few kilobytes."""


class BodyTooLarge(exceptions.APIException):
    status_code = 413
    default_detail = f"The request body is larger than {MAX_BODY_BYTES} bytes."
    default_code = "too_large"


class JsonParser(BaseParser):
    media_type = "application/json"

    def parse(
        self, stream: IO[bytes] | None, media_type: str | None = None, parser_context: Mapping[str, Any] | None = None
    ) -> Any:
        raw = stream.read(MAX_BODY_BYTES + 1) if stream is not None else b""
        if len(raw) > MAX_BODY_BYTES:
            raise BodyTooLarge()
        try:
            data = parse_json(raw, max_bytes=MAX_BODY_BYTES)
        except JsonRefused as refused:
            raise exceptions.ParseError(f"JSON parse error: {refused.reason}") from None
        if (bad := unstorable_at(data, nul=False)) is not None:
            raise exceptions.ValidationError(_errors(bad))
        return data


def _errors(bad: Unstorable) -> dict[str, list[str]]:
    """The field's message, saying where inside it as the API's other errors do (`[1] …`)."""
    field, *inside = bad.path or ("non_field_errors",)
    where = "".join(f"[{escaped(str(part))}] " for part in inside)
    message = f"Surrogate characters are not allowed: U+{ord(bad.character):04X}."  # DRF's words for a text field
    return {escaped(str(field)): [where + message]}
