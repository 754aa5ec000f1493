"""/metrics: the console in the Prometheus exposition format.

prometheus-client itself, not django-prometheus: the figures that matter here are the
domain's (console/domain_metrics.py), read from the database at scrape time, so
every web process answers the same; only the request counters and latencies are per
process. prometheus-client's multiprocess mode adds those up across gunicorn's
workers: when PROMETHEUS_MULTIPROC_DIR is set (the launcher and deploy/ set it; it must
be empty when the web service starts), each worker writes its samples to files there
and /metrics reads them all. django-prometheus would add per-process database and
cache instrumentation by swapping the database and cache backends, which we do not
want to trade for the backends we configure (docs/operations.md).

Who may read it: a client presenting `Authorization: Bearer <METRICS_TOKEN>`, or one
whose address (REMOTE_ADDR, never a forwarded header) is in METRICS_ALLOWED_NETWORKS;
everyone else gets a 403. Neither set: nobody.
"""

from __future__ import annotations

import hmac
import ipaddress
import os
from collections.abc import Iterable

from django.conf import settings
from django.http import HttpRequest, HttpResponse
from django.views.decorators.http import require_safe
from prometheus_client import (
    REGISTRY,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)
from prometheus_client.exposition import CONTENT_TYPE_PLAIN_0_0_4
from prometheus_client.metrics_core import Metric

from console.domain_metrics import DomainCollector

REQUESTS = Counter(
    "icc_http_requests",
    "HTTP requests answered, by view (URL pattern name), method and status code.",
    ["view", "method", "status"],
)
LATENCY = Histogram(
    "icc_http_request_duration_seconds",
    "Time to answer an HTTP request, by view (URL pattern name) and method.",
    ["view", "method"],
    buckets=(0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0),
)
UNMATCHED = "<unmatched>"
_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


def observe_request(request: HttpRequest, status: int, seconds: float) -> None:
    """Count and time one answered request, labelled by the view that answered it.

    Called by the request log's middleware (console/request_logs.py), first in
    MIDDLEWARE, which times each request once for both. The label is the URL
    pattern's name (never the path, which holds ids), `<unmatched>` when no pattern
    matched; an unknown method is counted as `other`, so nobody can add series.
    """
    match = request.resolver_match
    view = match.view_name if match is not None else UNMATCHED
    method = request.method if request.method in _METHODS else "other"
    REQUESTS.labels(view, method, str(status)).inc()
    LATENCY.labels(view, method).observe(seconds)


def allowed(request: HttpRequest) -> bool:
    """The bearer token matches METRICS_TOKEN, or the peer is in METRICS_ALLOWED_NETWORKS."""
    token: str = settings.METRICS_TOKEN
    if token:
        scheme, _, presented = request.headers.get("Authorization", "").partition(" ")
        if scheme.lower() == "bearer" and hmac.compare_digest(
            presented.strip().encode(), token.encode()
        ):
            return True
    networks = settings.METRICS_ALLOWED_NETWORKS
    if networks:
        try:
            peer = ipaddress.ip_address(request.META.get("REMOTE_ADDR", ""))
        except ValueError:
            return False
        if isinstance(peer, ipaddress.IPv6Address) and peer.ipv4_mapped:
            peer = peer.ipv4_mapped
        return any(peer in network for network in networks)
    return False


def registry() -> CollectorRegistry:
    """This process's metrics, or every web worker's in multiprocess mode, plus the domain."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        found = CollectorRegistry()
        multiprocess.MultiProcessCollector(found)
    else:
        found = CollectorRegistry()
        found.register(_ThisProcess())
    found.register(DomainCollector())
    return found


class _ThisProcess:
    """The default registry's families (ours, and the process and platform collectors)."""

    def collect(self) -> Iterable[Metric]:
        return REGISTRY.collect()


@require_safe
def metrics(request: HttpRequest) -> HttpResponse:
    if not allowed(request):
        return HttpResponse(
            "Forbidden: send Authorization: Bearer <METRICS_TOKEN>, or scrape from an address "
            "in METRICS_ALLOWED_NETWORKS.\n",
            status=403,
            content_type="text/plain; charset=utf-8",
        )
    # The classic text format (0.0.4) that generate_latest writes, which every Prometheus reads.
    response = HttpResponse(generate_latest(registry()), content_type=CONTENT_TYPE_PLAIN_0_0_4)
    response["Cache-Control"] = "no-store"
    return response
