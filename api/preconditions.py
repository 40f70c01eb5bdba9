"""Two admins changing the same thing: `ETag` on what a GET (or a change) returns, `If-Match` on a
change (RFC 9110 §13.1.1). A change whose If-Match no longer matches is refused with 412 and
changes nothing; a change without If-Match goes ahead (last writer wins, as in the console)."""

from __future__ import annotations

import hashlib
import json
from typing import Any

from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response


class PreconditionFailed(exceptions.APIException):
    status_code = 412
    default_detail = "it changed since you read it (If-Match no longer matches its ETag); read it again"
    default_code = "precondition_failed"


def etag(representation: Any) -> str:
    """A strong entity tag of a JSON representation (same content, same tag, on every worker)."""
    canonical = json.dumps(representation, sort_keys=True, separators=(",", ":"), default=str)
    return '"' + hashlib.sha256(canonical.encode()).hexdigest()[:32] + '"'


def check_if_match(request: Request, current: Any) -> None:
    """Refuse the change (412) when If-Match names none of the current representation's tags."""
    header = request.headers.get("If-Match", "").strip()
    if not header or header == "*":
        return
    wanted = {tag.strip().removeprefix("W/") for tag in header.split(",")}
    if etag(current) not in wanted:
        raise PreconditionFailed()


def tagged(data: Any, status: int = 200) -> Response:
    """A response carrying its representation's ETag."""
    response = Response(data, status=status)
    response["ETag"] = etag(data)
    return response
