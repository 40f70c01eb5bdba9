"""The management API's endpoints: thin edges over the services the portal's pages call, so every
rule and every audit record is the portal's own (docs/api.md). Here: what every area's views share and
the catch-all 404; each area's views are in api/<area>_views.py (tokens, members, organizations,
domains, clients, usage, audit, assistant)."""

from __future__ import annotations

from typing import Any, NoReturn

from django.http import HttpRequest, HttpResponse, JsonResponse
from django.views.decorators.csrf import csrf_exempt
from rest_framework import serializers
from rest_framework.exceptions import NotFound
from rest_framework.request import Request

from api.problems import PROBLEM
from audit.services import Origin


def _origin(request: Request) -> Origin:
    return Origin.of(request._request)


def _valid(serializer: type[serializers.Serializer], data: Any, *, partial: bool = False) -> dict[str, Any]:
    """The input checked against its serializer (400 with each field's messages), as a dict."""
    checked = serializer(data=data, partial=partial)
    checked.is_valid(raise_exception=True)
    return dict(checked.validated_data)


def raise_not_found(detail: str) -> NoReturn:
    raise NotFound(detail)


@csrf_exempt
def not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    """Anything under /api/ that is no endpoint: a problem, like every other error here."""
    body = {
        "type": "about:blank",
        "title": "Not found",
        "status": 404,
        "detail": "no such endpoint",
        "code": "not_found",
    }
    return JsonResponse(body, status=404, content_type=PROBLEM)
