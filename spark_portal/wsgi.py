"""WSGI entry point: gunicorn serves `spark_portal.wsgi:application`.

The MCP endpoint skips Django's middleware stack: it uses no session, cookie, CSRF token,
message or allauth state, and on this path the stack would cost more than the endpoint's own
work. It still gets host validation (DNS-rebinding protection), Django's exception-to-response
handling, the same security headers and the request log (request ID, one JSON line); everything
else goes through the full stack.
"""

from __future__ import annotations

import atexit
import gc
import os
from typing import cast

import django
from django.core.handlers.exception import convert_exception_to_response
from django.core.handlers.wsgi import WSGIHandler
from django.http import HttpRequest, HttpResponseBase
from django.urls import set_urlconf

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "spark_portal.settings")


class SparkWSGIHandler(WSGIHandler):
    def __init__(self) -> None:
        super().__init__()
        from mcp_api.views import lean_mcp_endpoint
        from ops.middleware import GetResponse, RequestLogMiddleware
        from spark_portal.public_url import MCP_PATH_VARIANTS

        self._mcp_paths = frozenset(MCP_PATH_VARIANTS)  # `/mcp` and `/mcp/`: clients add the slash
        self._mcp_chain = convert_exception_to_response(
            RequestLogMiddleware(cast(GetResponse, convert_exception_to_response(lean_mcp_endpoint)))
        )

    def get_response(self, request: HttpRequest) -> HttpResponseBase:
        if request.path_info not in self._mcp_paths:
            return super().get_response(request)
        set_urlconf(None)
        response = cast(HttpResponseBase, self._mcp_chain(request))
        response._resource_closers.append(request.close)  # type: ignore[attr-defined]
        return response


def get_application() -> SparkWSGIHandler:
    django.setup(set_prefix=False)
    from audit.calls import call_audit_flush
    from usage.quotas import quota_flush
    from usage.services import usage_flush

    atexit.register(usage_flush)  # a worker writes its pending tool-call counts as it exits
    atexit.register(quota_flush)  # and the calls it has not yet added to the daily quotas' counts
    atexit.register(call_audit_flush)  # and the tool calls it has not yet written to the audit trail
    handler = SparkWSGIHandler()
    _preload()
    # What the worker made at its start (Django, the app's modules, prompt understanding's words and
    # the catalog index: some 200,000 objects) lives as long as the worker. Frozen, the collector no
    # longer walks it on each full collection, which otherwise paused a request for ~0.1 s every
    # 70,000 allocations or so (docs/benchmarks.md, "Pauses of the garbage collector").
    gc.freeze()
    return handler


def _preload() -> None:
    """Each gunicorn worker imports this module after it is forked (no `preload_app`), so the survey
    data is mapped and prompt understanding made here, at the worker's start and after a SIGHUP,
    rather than in its first answer (~0.25 s). A failure is logged and left to the first request,
    which reports it as it always has."""
    import logging

    from insights.chat import preload

    try:
        preload()
    except Exception:
        logging.getLogger("spark.preload").exception("preloading the survey data failed; the first answer will")


application = get_application()
