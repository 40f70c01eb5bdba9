"""Rate limits per token (or per signed-in person), counted in the database at once and atomically
(`usage.services.rate_limited`), so every worker and host shares one exact budget: a limit of N
lets N requests through however many arrive together (`SPARK_API_RATE`, 600 a minute by default)."""

from __future__ import annotations

from typing import Any

from rest_framework.request import Request
from rest_framework.settings import api_settings
from rest_framework.throttling import BaseThrottle

from api.authentication import token_principal
from spark_portal.client_address import client_address
from usage.services import Rate, rate_limited


class PerCaller(BaseThrottle):
    scope = "caller"
    THROTTLE_RATES = api_settings.DEFAULT_THROTTLE_RATES

    def __init__(self) -> None:
        self.retry_after: int | None = None

    def allow_request(self, request: Request, view: Any) -> bool:
        rate = Rate.parse(str(self.THROTTLE_RATES[self.scope]))  # text like 600/min (the stubs say a number)
        self.retry_after = rate_limited(key=f"api:{_caller(request)}", rate=rate)
        return self.retry_after is None

    def wait(self) -> float | None:
        return self.retry_after


def _caller(request: Request) -> str:
    principal = token_principal(request)
    if principal is not None:
        return f"token-{principal.token_id}"
    if request.user is not None and request.user.is_authenticated:
        return f"user-{request.user.pk}"
    return f"address-{client_address(request._request)}"
