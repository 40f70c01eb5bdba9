"""Rate limits per token (or per signed-in person), counted in the shared cache so every worker
and host sees the same budget (`SPARK_API_RATE`, 600 requests a minute by default)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.throttling import SimpleRateThrottle

from api.authentication import token_principal


class PerCaller(SimpleRateThrottle):
    scope = "caller"

    def get_cache_key(self, request: Request, view: Any) -> str | None:
        principal = token_principal(request)
        if principal is not None:
            ident = f"token-{principal.token_id}"
        elif request.user is not None and request.user.is_authenticated:
            ident = f"user-{request.user.pk}"
        else:
            ident = f"address-{self.get_ident(request)}"
        return self.cache_format % {"scope": self.scope, "ident": ident}
