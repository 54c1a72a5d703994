"""Query parameters the views read by hand (not through a form): hostile values get a 400
that says what was expected, never a 500 from the database (NUL, non-numbers, huge ids)."""

import re

from django.http import HttpRequest, HttpResponseBadRequest

_ID = re.compile(r"[0-9]{1,18}")  # ASCII digits only ("²".isdigit() is True), fits bigint
# DocuSign's return events are words such as signing_complete, Send, Save, cancel.
_RETURN_EVENT = re.compile(r"[A-Za-z_]{1,40}")


def bad_parameter(message: str) -> HttpResponseBadRequest:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


def query_id(request: HttpRequest, name: str) -> int | None:
    """The query parameter as an id; None when absent. ValueError when it is not one."""
    value = request.GET.get(name, "")
    if not value:
        return None
    if not _ID.fullmatch(value):
        raise ValueError(f"'{name}' must be a number from the list (at most 18 digits).")
    return int(value)


def return_event(request: HttpRequest) -> str:
    """The `event` DocuSign adds to a return URL ("" when absent). ValueError for anything
    DocuSign never sends, so no arbitrary text reaches the envelope's history."""
    event = request.GET.get("event", "")
    if event and not _RETURN_EVENT.fullmatch(event):
        raise ValueError(
            "'event' must be DocuSign's outcome word, such as signing_complete (letters and "
            "underscores, at most 40)."
        )
    return event
