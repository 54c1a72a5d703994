"""Every URL pattern, walked with hostile values: no 500 anywhere (issue 21).

One test per route, generated from the URL resolver. Each route's path converters are filled
with hostile values (NUL, huge numbers, unknown UUIDs, 2,000-character strings, markup) and
with real objects; the real page is then fetched with hostile query strings, and every form
field it shows (plus the usual names) is posted hostile values. As a staff superuser and as
an app user who may send. DocuSign is never reached (`responses` refuses every call, which
the app must survive as "DocuSign unreachable"); tasks run inline.
"""

import re
import uuid
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
import responses
from django.contrib.auth.models import Permission
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from django.urls.resolvers import RegexPattern, RoutePattern
from django.utils import timezone

from envelopes.models import ConnectEvent, DocumentTemplate, Envelope, Recipient
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db

HUGE = "9" * 30
LONG = "x" * 2000
HOSTILE_SEGMENTS = ["\x00", HUGE, "-1", LONG, "<svg onload=alert(1)>", "..%2F..%2Fetc"]
HOSTILE_VALUES = ["a\x00b", LONG, HUGE, "-1", "<script>x</script>", "%ff"]
QUERY_NAMES = [
    "q", "o", "p", "page", "e", "status", "connection", "template", "document_template",
    "docusign_template", "event", "since", "before", "after", "cursor", "last", "next",
    "email", "recipient", "document", "environment", "all", "_changelist_filters",
]  # fmt: skip
# Sent on their own: the query guard refuses any out-of-range date part before the page runs.
DATE_NAMES = ["created_at__year", "created_at__month", "created_at__day"]
POST_NAMES = ["name", "subject", "message", "email", "reason", "role_name", "action", "body"]
_FIELD = re.compile(r'name="([^"]{1,100})"')


def _routes() -> Iterator[tuple[str, list[tuple[str, str]], Any]]:
    """(route text with <conv:name> markers, [(name, converter kind)], callback)."""

    def walk(patterns: Any, prefix: str, params: list[tuple[str, str]]) -> Iterator[Any]:
        for entry in patterns:
            route, found = _route_of(entry.pattern)
            if isinstance(entry, URLResolver):
                yield from walk(entry.url_patterns, prefix + route, params + found)
            elif isinstance(entry, URLPattern):
                yield prefix + route, params + found, entry.callback

    yield from walk(get_resolver().url_patterns, "/", [])


def _route_of(pattern: Any) -> tuple[str, list[tuple[str, str]]]:
    if isinstance(pattern, RoutePattern):
        text = str(pattern)
        return text, [(name, type(conv).__name__) for name, conv in pattern.converters.items()]
    assert isinstance(pattern, RegexPattern)
    text = str(pattern).lstrip("^").rstrip("$").replace("\\.", ".")
    found: list[tuple[str, str]] = []
    for match in re.finditer(r"\(\?P<(\w+)>([^)]*)\)", text):
        found.append((match.group(1), "Regex:" + match.group(2)))
    text = re.sub(r"\(\?P<(\w+)>[^)]*\)", r"<regex:\1>", text)
    return text, found


ROUTES = {f"{route}": (route, params, callback) for route, params, callback in _routes()}


@pytest.fixture
def world(db, docusign_hosts):
    sender = UserFactory(username="sender")
    for codename in ("add_envelope",):
        sender.user_permissions.add(Permission.objects.get(codename=codename))
    staff = UserFactory(username="staff", is_staff=True, is_superuser=True)
    # A view-only admin role (the connection admin assumed every field was editable).
    rotator = UserFactory(username="rotator", is_staff=True)
    for codename in ("view_connection", "rotate_keys"):
        rotator.user_permissions.add(Permission.objects.get(codename=codename))
    connection = ConnectionFactory(is_default=True)
    template = DocumentTemplate.objects.create(
        name="Offer", body="<p>Offer for {{ name }} /sig1/</p>", fields=[{"name": "name"}]
    )
    envelopes = {}
    for status in ("sent", "failed", "completed"):
        envelope = Envelope.objects.create(
            connection=connection,
            sender=sender,
            subject=f"S {status}",
            source="uploads",
            status=status,
            docusign_envelope_id=str(uuid.uuid4()),
        )
        Recipient.objects.create(
            envelope=envelope, name="A", email="a@example.com", recipient_id="1", status="sent"
        )
        envelopes[status] = envelope
    event = ConnectEvent.objects.create(
        connection=connection,
        identity="i" * 64,
        event="envelope-sent",
        docusign_envelope_id=envelopes["sent"].docusign_envelope_id,
        body={"data": {}},
        verified=True,
        parked_at=timezone.now(),
    )
    return {
        "staff": staff,
        "rotator": rotator,
        "sender": sender,
        "connection": connection,
        "template": template,
        "envelopes": envelopes,
        "event": event,
    }


def _real_values(name: str, kind: str, callback: Any, world: dict[str, Any]) -> list[str]:
    """Values that reach real objects, so the page behind the 404 is exercised too."""
    model_admin = getattr(callback, "model_admin", None)
    if model_admin is not None and name == "object_id":
        first = model_admin.model._default_manager.order_by("pk").first()
        return [quote(str(first.pk))] if first is not None else ["1"]
    envelopes = world["envelopes"]
    if kind == "UUIDConverter":
        return [str(e.pk) for e in envelopes.values()]
    by_name = {
        "pk": [str(world["connection"].pk)],
        "recipient_pk": [str(r.pk) for e in envelopes.values() for r in e.recipients.all()][:1],
        "event_pk": [str(world["event"].pk)],
        "document_id": ["1", "combined"],
        "document_pk": ["1"],
        "action": ["retry", "discard"],
        "token": [world["connection"].connect_token],
        "app_label": ["envelopes"],
    }
    return by_name.get(name, ["1"])


def _hostile_values(kind: str) -> list[str]:
    if kind == "IntConverter":
        return ["0", HUGE]
    if kind == "UUIDConverter":
        return [str(uuid.uuid4())]
    if kind.startswith("Regex:"):
        return ["\x00", LONG]
    return HOSTILE_SEGMENTS


def _fill(route: str, values: dict[str, str]) -> str:
    def one(match: re.Match[str]) -> str:
        value = values[match.group(2)]
        return value if value.isascii() and "\x00" not in value else quote(value, safe="")

    return re.sub(r"<(?:(\w+):)?(\w+)>", one, route)


def _paths(route: str, params: list[tuple[str, str]], callback: Any, world: Any) -> list[str]:
    real = {name: _real_values(name, kind, callback, world) for name, kind in params}
    paths = [_fill(route, {name: values[i % len(values)] for name, values in real.items()})
             for i in range(max((len(v) for v in real.values()), default=1))]  # fmt: skip
    for name, kind in params:  # one hostile converter at a time, the others real
        for bad in _hostile_values(kind):
            paths.append(_fill(route, {**{n: v[0] for n, v in real.items()}, name: bad}))
    return paths


def _request(client: Client, method: str, path: str, **kwargs: Any) -> Any:
    response = getattr(client, method)(path, **kwargs)
    # 502 (DocuSign unreachable: `responses` refuses every call) and 503 (/readyz without a
    # worker) are answers; a 500 is a crash.
    assert response.status_code < 500 or response.status_code in (502, 503), (
        f"{method.upper()} {path[:200]} -> {response.status_code}"
    )
    return response


# The simulator is left out: it is off in production and has its own strictness tests. The
# view-only role (the connection admin once assumed every field was editable) walks the pages
# made for it.
CASES = [
    (route, who)
    for route in sorted(ROUTES)
    if not route.startswith("/simulator/")
    for who in ("staff", "sender", "rotator")
    if who != "rotator" or route.startswith("/admin/connections/")
]


@pytest.mark.parametrize(("route", "who"), CASES)
@responses.activate
def test_no_route_answers_500_to_hostile_values(route, who, world):
    template, params, callback = ROUTES[route]
    client = Client(raise_request_exception=False)
    user = world[who]
    real, *hostile = _paths(template, params, callback, world)
    for path in hostile:
        client.force_login(user)
        _request(client, "get", path)
        _request(client, "post", path, data={"name": "\x00"})
    client.force_login(user)
    page = _request(client, "get", real)
    shown = _FIELD.findall(page.content.decode(errors="replace")) if page.status_code == 200 else []
    names = (set(shown) | set(POST_NAMES)) - {"csrfmiddlewaretoken"}
    for value in HOSTILE_VALUES:
        _request(client, "get", real, data=dict.fromkeys(QUERY_NAMES, value))
        _request(client, "get", real, data=dict.fromkeys(DATE_NAMES, value))
        client.force_login(user)  # a hostile POST to the logout page ends the session
        _request(client, "post", real, data=dict.fromkeys(names, value))
