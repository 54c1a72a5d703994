"""Refuse, with a 400 that says why, request values no page can use: the NUL character
(PostgreSQL text cannot hold it, so any lookup with it was a 500) in the path or the query
string, and date filters out of range (the admin's `created_at__year=99999999999` overflowed
while the page rendered)."""

from collections.abc import Callable

from django.http import HttpRequest, HttpResponse, HttpResponseBadRequest

# Admin date filters (`<field>__year`, `__month`, `__day`): the range each must fall in.
_DATE_PARTS = {"__year": (1, 9999), "__month": (1, 12), "__day": (1, 31)}


def query_problem(request: HttpRequest) -> str:
    """What is wrong with the request's path or query string ("" when nothing is)."""
    if "\x00" in request.path:
        return "The address contains the NUL character (%00); remove it."
    for key, values in request.GET.lists():
        if "\x00" in key or any("\x00" in v for v in values):
            return f"The query parameter {key!r} contains the NUL character (%00); remove it."
        for suffix, (low, high) in _DATE_PARTS.items():
            if key.endswith(suffix) and not all(
                v.isascii() and v.isdigit() and low <= int(v) <= high for v in values
            ):
                part = suffix.removeprefix("__")
                return f"The {part} in {key!r} must be a number from {low} to {high}."
    return ""


class HostileQueryMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        problem = query_problem(request)
        if problem:
            return HttpResponseBadRequest(problem, content_type="text/plain; charset=utf-8")
        return self.get_response(request)
