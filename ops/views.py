"""The operations views: Prometheus metrics, the staff System status page, and the 500 page.

`/healthz` and `/readyz` are answered by `ops.middleware.ProbeMiddleware`, before the stack.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterator
from typing import Any

from django.conf import settings
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse, HttpResponseServerError, JsonResponse
from django.shortcuts import render
from django.template import loader
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

from accounts.http import AuthenticatedRequest
from insights import store
from ops import status
from ops.logs import current_request_id
from spark_portal.client_address import client_address
from survey import versions


class DataVersionCollector:
    """The data version each dataset serves on this server, read from its `current` pointer at scrape time."""

    def collect(self) -> Iterator[Metric]:
        info = GaugeMetricFamily(
            "spark_dataset_data_version_info",
            "The current data version of each dataset (value 1).",
            labels=["dataset", "version"],
        )
        made = GaugeMetricFamily(
            "spark_dataset_data_version_timestamp_seconds",
            "When the current data version was made.",
            labels=["dataset"],
        )
        for code in store.codes():
            live = versions.current(store.folder(code))
            if live is not None:
                info.add_metric([code, live], 1)
                made.add_metric([code], versions.made_at(live).timestamp())
        yield info
        yield made


class _Scrape:
    """What one scrape reports: every worker's values (multiprocess mode) or this process's, plus the data versions."""

    def collect(self) -> Iterator[Metric]:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            yield from MultiProcessCollector(None).collect()
        else:
            yield from REGISTRY.collect()
        yield from DataVersionCollector().collect()


def _address_allowed(address: str | None, allowed: list[str]) -> bool:
    if not allowed:
        return True
    try:
        ip = ipaddress.ip_address((address or "").split("%", 1)[0])
    except ValueError:
        return False
    return any(ip in ipaddress.ip_network(item, strict=False) for item in allowed)


def _metrics_refusal(request: HttpRequest) -> HttpResponse | None:
    """403 for an address outside SPARK_METRICS_ALLOWED_IPS, 401 without the right SPARK_METRICS_TOKEN."""
    if not _address_allowed(client_address(request), settings.SPARK_METRICS_ALLOWED_IPS):
        return JsonResponse(
            {"error": "forbidden", "error_description": "metrics are not served to this address"}, status=403
        )
    expected = settings.SPARK_METRICS_TOKEN
    if expected:
        scheme, _, given = request.META.get("HTTP_AUTHORIZATION", "").partition(" ")
        if scheme.lower() != "bearer" or not hmac.compare_digest(given.strip().encode(), expected.encode()):
            response = JsonResponse(
                {"error": "invalid_token", "error_description": "send the metrics bearer token"}, status=401
            )
            response["WWW-Authenticate"] = 'Bearer realm="spark-metrics"'
            return response
    return None


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Prometheus text format. 404 when SPARK_METRICS is off."""
    if not settings.SPARK_METRICS:
        raise Http404("metrics are off")
    refused = _metrics_refusal(request)
    if refused is not None:
        return refused
    return HttpResponse(generate_latest(_Scrape()), content_type=CONTENT_TYPE_LATEST)


@never_cache
@login_required
def system_status(request: AuthenticatedRequest) -> HttpResponse:
    """The staff System status page; anyone else signed in gets 404, like any page that is not theirs."""
    if not request.user.is_staff:
        raise Http404("No such page")
    context: dict[str, Any] = {
        "app_version": status.app_version(),
        "libraries": status.library_versions(),
        "datasets": status.datasets(),
        "data_store": status.data_store(),
        "database": status.database(),
        "backup": status.last_backup(),
        "backup_file": settings.SPARK_LAST_BACKUP_FILE,
        "metrics_on": settings.SPARK_METRICS,
    }
    return render(request, "ops/status.html", context)


def server_error(request: HttpRequest) -> HttpResponse:
    """Django's 500 page with one thing added: the request ID, to quote when reporting the error.
    Rendered without request context, the database or the session (they may be what failed)."""
    template = loader.get_template("500.html")
    return HttpResponseServerError(template.render({"request_id": current_request_id()}))
