"""Root URLs: portal pages, sign-in (django-allauth), the MCP endpoint and its metadata, admin."""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import admin
from django.db import connection
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.templatetags.static import static
from django.urls import include, path
from django.views.decorators.csrf import csrf_exempt
from django.views.generic import RedirectView

from accounts.views import TotpActivateView, admin_login


def _not_found(request: HttpRequest, rest: str = "") -> HttpResponse:
    raise Http404


# Staff sign in through the portal's sign-in page and its rate limits, like everyone else.
admin.site.login = admin_login  # type: ignore[method-assign]

urlpatterns = [
    path("", lambda request: redirect("accounts:settings"), name="home"),
    # Browsers ask for /favicon.ico on pages that name no icon (and before reading the page).
    path("favicon.ico", RedirectView.as_view(url=static("favicon.svg"), permanent=True)),
    path("settings/", include("accounts.urls")),
    path("invitations/", include("accounts.invitation_urls")),
    # allauth's email management is not served: the sign-in address changes only through a link mailed
    # to the new one, and never for people whose organization's identity provider owns it (accounts/email_change.py).
    path("auth/email/", RedirectView.as_view(pattern_name="accounts:email", permanent=False)),
    # allauth's authenticator set-up, plus: its first code is used up and is this session's second factor.
    path("auth/2fa/totp/activate/", TotpActivateView.as_view(), name="mfa_activate_totp"),
    # allauth.usersessions tells Spark Portal whose sessions are whose (accounts/user_sessions.py); its page is
    # not served.
    path("auth/sessions/", _not_found),
    path("auth/sessions/<path:rest>", _not_found),
    path("auth/", include("allauth.urls")),
    path("", include("identity.urls")),  # single sign-on: email-first sign-in, the console's SSO pages
    path("admin/", admin.site.urls),
    path("", include("mcp_api.urls")),
    path("", include("oauth_server.urls")),
    path("", include("orgadmin.urls")),
    path("", include("insights.urls")),
    path("", include("scim.urls")),
    path("api/", include("api.urls")),  # the management API (docs/api.md)
    path("", include("ops.urls")),  # /metrics and the staff System status page (/healthz, /readyz: ops.middleware)
    path("", include("oauth_server.oauth_urls")),
]


# The 500 page names the request ID (ops/views.py); otherwise it is Django's.
handler500 = "ops.views.server_error"

if settings.SPARK_BENCH_VIEWS:

    @csrf_exempt
    def bench_bare(request: HttpRequest) -> JsonResponse:
        """The baseline for bench/mcp_endpoint.py: Django's cost for a JSON answer, nothing else."""
        return JsonResponse({"jsonrpc": "2.0", "id": 1, "result": {}})

    class _Statements:
        """What this worker asked of its database since the first /bench/queries (bench/mcp_endpoint.py):
        statements through Django's cursors, and connection health checks, which bypass them."""

        statements = checks = 0

        def __call__(self, execute: Any, sql: str, params: Any, many: bool, context: Any) -> Any:
            self.statements += 1
            return execute(sql, params, many, context)

        def counting(self, is_usable: Any) -> Any:
            def checked() -> bool:
                self.checks += 1
                return bool(is_usable())

            return checked

    _statements = _Statements()

    def bench_queries(request: HttpRequest) -> JsonResponse:
        """What this worker has asked of its database since counting began (the first call starts it)."""
        if _statements not in connection.execute_wrappers:
            connection.execute_wrappers.append(_statements)
            connection.is_usable = _statements.counting(connection.is_usable)  # type: ignore[method-assign]
        return JsonResponse({"statements": _statements.statements, "health_checks": _statements.checks})

    urlpatterns.append(path("bench/bare", bench_bare))
    urlpatterns.append(path("bench/queries", bench_queries))
