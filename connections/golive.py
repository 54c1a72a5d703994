"""Go-Live readiness of a demo connection, from the ApiCall audit log.

DocuSign's Go-Live review looks at the integration key's most recent API calls: at least
20, all successful, and no status polling more often than every 15 minutes (login and
userinfo calls do not count). Reference: https://www.docusign.com/blog/developers/the-trenches-go-live-failures
"""

import itertools
from collections import Counter
from dataclasses import dataclass, field
from datetime import timedelta

from connections.models import ApiCall, Connection

REVIEWED_CALLS = 20
POLL_INTERVAL = timedelta(minutes=15)


@dataclass(frozen=True)
class Readiness:
    successful_calls: int
    recent_failures: int
    areas: dict[str, int]
    fast_polls: int
    checklist: list[tuple[str, bool]] = field(default_factory=list)

    @property
    def ready(self) -> bool:
        return all(ok for _, ok in self.checklist)


# DocuSign's API areas by the first segment of the path after the account.
AREAS = {
    "": "Account",
    "envelopes": "Envelopes",
    "templates": "Templates",
    "views": "Embedded views",
    "connect": "Connect",
    "users": "Users",
    "brands": "Brands",
    "folders": "Folders",
}


def area_name(path: str) -> str:
    first = path.strip("/").split("/")[0]
    return AREAS.get(first, first.replace("_", " ").capitalize())


def readiness(connection: Connection) -> Readiness:
    calls = ApiCall.objects.filter(integration_key=connection.integration_key).exclude(
        path__startswith="/oauth/"
    )
    recent = list(calls.order_by("-created_at")[:REVIEWED_CALLS])
    successful = calls.filter(status_code__gte=200, status_code__lt=300).count()
    failures = sum(1 for c in recent if not c.succeeded)
    areas = Counter(area_name(c.path) for c in calls.only("path"))
    polls = list(
        calls.filter(method="GET", path="/envelopes")
        .order_by("created_at")
        .values_list("created_at", flat=True)
    )
    fast = sum(1 for a, b in itertools.pairwise(polls) if b - a < POLL_INTERVAL)
    checklist = [
        (f"At least {REVIEWED_CALLS} successful API calls", successful >= REVIEWED_CALLS),
        (
            f"The {REVIEWED_CALLS} most recent calls all succeeded",
            len(recent) > 0 and failures == 0,
        ),
        ("No status polling more often than every 15 minutes", fast == 0),
        ("The connection check passes", connection.status == Connection.Status.CONNECTED),
    ]
    return Readiness(successful, failures, dict(areas.most_common()), fast, checklist)
