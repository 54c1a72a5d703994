"""Refuse every request to the simulator unless in development (DJANGO_DEBUG on).

The `countersign.E001` system check stops management commands; a web server such as
gunicorn runs no checks, so the refusal must also happen at request time."""

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

PREFIX = "/simulator/"


class SimulatorGuardMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        if request.path_info.startswith(PREFIX) and not settings.SIMULATOR_ALLOWED:
            return HttpResponse(
                "The DocuSign simulator runs only in development (DJANGO_DEBUG=true). In "
                "production, set DOCUSIGN_SIMULATOR=false and use DocuSign itself.",
                status=404,
                content_type="text/plain; charset=utf-8",
            )
        return self.get_response(request)
