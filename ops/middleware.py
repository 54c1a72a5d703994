"""Middleware: health endpoints answered before host and HTTPS checks, and Connect
rejections counted for the metrics."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from common.request_id import HEADER, current_request_id
from ops import views
from ops.metrics import count_connect_rejection

PROBES: dict[str, Callable[[HttpRequest], HttpResponse]] = {
    "/healthz": views.healthz,
    "/readyz": views.readyz,
}


class ProbeMiddleware:
    """First in the chain: a load balancer probes by IP over plain HTTP, which
    ALLOWED_HOSTS and SECURE_SSL_REDIRECT would otherwise refuse or redirect."""

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        probe = PROBES.get(request.path_info.rstrip("/"))
        if probe is not None and request.method in ("GET", "HEAD"):
            response = probe(request)
            response[HEADER] = current_request_id()
            return response
        return self.get_response(request)


class ConnectRejectionMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        match = request.resolver_match
        refused = 400 <= response.status_code < 500 and response.status_code != 404
        if refused and match is not None and match.view_name == "envelopes:connect":
            count_connect_rejection(response.status_code)
        return response
