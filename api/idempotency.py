"""Idempotent creates: a POST with an `Idempotency-Key` header is carried out once. Sending it again
(a retry after a lost answer) replays the first answer, from the shared cache, for 24 hours, on
any worker or host. The same key with a different request is refused (409), and so is a key whose
first request is still running.

Secrets are never kept and never shown twice. A retried create whose answer carried a secret (a
token, a client) is refused with a pointer to what was created: rotate it for a new secret."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from functools import wraps
from typing import Any

from django.core.cache import cache
from rest_framework import exceptions
from rest_framework.request import Request
from rest_framework.response import Response

from api.authentication import token_principal
from api.problems import Refused

REMEMBER_SECONDS = 24 * 3600
RUNNING_SECONDS = 60
SECRETS = ("secret", "client_secret")

View = Callable[..., Response]


def _digest(*parts: str) -> str:
    return hashlib.sha256("\x1f".join(parts).encode()).hexdigest()


def _key(request: Request) -> str | None:
    key = request.headers.get("Idempotency-Key")
    if key is None:
        return None
    if not 1 <= len(key) <= 255 or not key.isprintable():
        raise exceptions.ValidationError({"Idempotency-Key": ["1 to 255 printable characters, e.g. a UUID."]})
    principal = token_principal(request)
    who = f"token:{principal.token_id}" if principal else f"user:{request.user.pk}"
    return "spark-idempotency:" + _digest(who, key)


def _replay(stored: dict[str, Any], fingerprint: str) -> Response:
    if stored["fingerprint"] != fingerprint:
        raise Refused(
            "this Idempotency-Key was used for a different request; use a new key for a new request",
            code="idempotency_key_reused",
        )
    if stored["had_secret"]:
        raise Refused(
            f"this Idempotency-Key already created {stored['what']}; its secret was shown once, in the first "
            "answer: rotate it for a new secret",
            code="already_created",
        )
    response = Response(stored["body"], status=stored["status"])
    response["Idempotent-Replayed"] = "true"
    return response


def idempotent(view: View) -> View:
    """Wrap an APIView's `post`."""

    @wraps(view)
    def wrapper(self: Any, request: Request, *args: Any, **kwargs: Any) -> Response:
        key = _key(request)
        if key is None:
            return view(self, request, *args, **kwargs)
        fingerprint = _digest(request.get_full_path(), json.dumps(request.data, sort_keys=True, default=str))
        if (stored := cache.get(key)) is not None:
            return _replay(stored, fingerprint)
        if not cache.add(key + ":running", 1, RUNNING_SECONDS):
            raise Refused("a request with this Idempotency-Key is still running; retry in a moment", code="in_progress")
        try:
            response = view(self, request, *args, **kwargs)
            if 200 <= response.status_code < 300 and isinstance(response.data, dict):
                body = {k: v for k, v in response.data.items() if k not in SECRETS}
                what = f"{body.get('prefix') or body.get('client_id') or body.get('id')}"
                had_secret = any(k in response.data for k in SECRETS)
                remembered = {"fingerprint": fingerprint, "status": response.status_code, "body": body}
                cache.set(key, {**remembered, "had_secret": had_secret, "what": what}, REMEMBER_SECONDS)
            return response
        finally:
            cache.delete(key + ":running")

    return wrapper
