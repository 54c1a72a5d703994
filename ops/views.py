"""Thin views: probes (JSON), metrics (Prometheus text), the System status page."""

import hmac

from django.conf import settings
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render
from django.views.decorators.cache import never_cache
from prometheus_client import CONTENT_TYPE_LATEST

from ops import health, metrics, selectors


@never_cache
def healthz(request: HttpRequest) -> HttpResponse:
    """The process answers; nothing else is checked (a liveness probe)."""
    return JsonResponse({"status": "ok"})


@never_cache
def readyz(request: HttpRequest) -> HttpResponse:
    ready, body = health.readiness()
    return JsonResponse(body, status=200 if ready else 503)


@never_cache
def metrics_view(request: HttpRequest) -> HttpResponse:
    """Off (404) unless METRICS_TOKEN is set; then only for `Authorization: Bearer <it>`."""
    token = settings.METRICS_TOKEN
    if not token:
        raise Http404("metrics are off: set METRICS_TOKEN")
    given = request.headers.get("Authorization", "")
    if not hmac.compare_digest(given.encode(), f"Bearer {token}".encode()):
        response = HttpResponse("a bearer token is required\n", status=401)
        response["WWW-Authenticate"] = 'Bearer realm="metrics"'
        return response
    return HttpResponse(metrics.exposition(), content_type=CONTENT_TYPE_LATEST)


@never_cache
@permission_required("connections.view_system_status", raise_exception=True)
def system_status(request: HttpRequest) -> HttpResponse:
    checks = health.run_checks()
    context = {
        # Ready as /readyz says; beat's check is shown but does not decide it.
        "ready": all(c.ok for c in checks if c.name in health.READINESS),
        "checks": checks,
        "readiness": health.READINESS,
        "connections": selectors.connection_statuses(),
    }
    return render(request, "ops/status.html", context)
