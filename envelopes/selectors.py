"""Read queries for envelope pages: who may see and act on what, filtered, with constant
query counts.

Seeing: a sender sees their own envelopes, an in-app signer or host the envelopes they sign
in, team members with `view_team_envelopes` their teams' envelopes, and `view_all_envelopes`
every envelope (being staff alone grants nothing). Acting (void, send a draft, download) on an
envelope one did not send needs `act_on_team_envelopes` as well as seeing it as a team member
(or seeing all).
"""

from dataclasses import dataclass
from datetime import date, timedelta
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Count, Q, QuerySet
from django.utils import timezone

from connections.models import ApiCall, Connection
from envelopes.models import DocumentTemplate, Envelope, Recipient
from envelopes.tracking import stuck


def can_see_all(user: User | AnonymousUser) -> bool:
    return bool(user.is_active and user.has_perm("envelopes.view_all_envelopes"))


def _team_ids(user: User | AnonymousUser) -> list[int]:
    return list(user.teams.values_list("pk", flat=True)) if user.is_authenticated else []


def visible_envelopes(user: User | AnonymousUser) -> QuerySet[Envelope]:
    envelopes = Envelope.objects.select_related("connection", "sender")
    if not user.is_authenticated or not user.is_active:
        return envelopes.none()
    if can_see_all(user):
        return envelopes
    signing = Recipient.objects.filter(Q(user=user) | Q(host=user)).values("envelope_id")
    mine = Q(sender_id=user.pk) | Q(pk__in=signing)
    if user.has_perm("envelopes.view_team_envelopes"):
        mine |= Q(team_id__in=_team_ids(user))
    return envelopes.filter(mine)


def can_act(user: User | AnonymousUser, envelope: Envelope) -> bool:
    """Void, send a draft, download: the sender, or a team actor (seeing is not enough)."""
    if not user.is_authenticated or not user.is_active:
        return False
    if envelope.sender_id == user.pk:
        return True
    if not user.has_perm("envelopes.act_on_team_envelopes"):
        return False
    return can_see_all(user) or (
        envelope.team_id is not None
        and user.has_perm("envelopes.view_team_envelopes")
        and envelope.team_id in _team_ids(user)
    )


def usable_document_templates(user: User | AnonymousUser) -> QuerySet[DocumentTemplate]:
    """Templates of no team, or of one of the user's teams."""
    return DocumentTemplate.objects.filter(
        Q(team__isnull=True) | Q(team_id__in=_team_ids(user))
    ).order_by("name")


def filtered_envelopes(user: User | AnonymousUser, filters: dict[str, Any]) -> QuerySet[Envelope]:
    envelopes = visible_envelopes(user)
    if filters.get("status"):
        envelopes = envelopes.filter(status=filters["status"])
    if filters.get("connection"):
        envelopes = envelopes.filter(connection=filters["connection"])
    if filters.get("template"):
        template = filters["template"]
        envelopes = envelopes.filter(docusign_template_name__icontains=template) | envelopes.filter(
            document_template__name__icontains=template
        )
    if filters.get("sender"):
        envelopes = envelopes.filter(sender__username__icontains=filters["sender"])
    since: date | None = filters.get("since")
    until: date | None = filters.get("until")
    if since:
        envelopes = envelopes.filter(created_at__date__gte=since)
    if until:
        envelopes = envelopes.filter(created_at__date__lte=until)
    return envelopes.order_by("-created_at")


# --- DocuSign calls per completed envelope (the connection's tracking page) --------------

_CALL_KINDS = [
    # (method, path template prefix or exact, label); first match wins
    ("POST", "/envelopes", "create envelope (send)"),
    ("GET", "/envelopes", "listStatusChanges (polling, look-ups after a timeout)"),
    ("GET", "/envelopes/{envelopeId}", "get envelope (unsigned Connect hints, refresh)"),
    ("GET", "/envelopes/{envelopeId}/documents/{documentId}", "document download"),
    ("PUT", "/envelopes/{envelopeId}", "void, send a draft"),
    ("POST", "/envelopes/{envelopeId}/views/recipient", "embedded signing session"),
    ("POST", "/envelopes/{envelopeId}/views/sender", "sending view (drafts)"),
]


def call_kind(method: str, path: str) -> str:
    for kind_method, kind_path, label in _CALL_KINDS:
        if method == kind_method and path == kind_path:
            return label
    return f"{method} {path or '/'}"


@dataclass(frozen=True)
class CallsPerEnvelope:
    label: str
    calls: int
    completed: int
    kinds: list[tuple[str, int]]  # (what the calls were, how many), most first

    @property
    def per_envelope(self) -> float | None:
        return self.calls / self.completed if self.completed else None


def calls_per_completed_envelope(connection: Connection, days: int) -> CallsPerEnvelope:
    """DocuSign calls this connection made over the last `days`, per envelope completed in
    that time (from ApiCall), and which kinds of call they were."""
    since = timezone.now() - timedelta(days=days)
    # Token requests go to the account server and are not eSignature API calls.
    calls = ApiCall.objects.filter(connection=connection, created_at__gte=since).exclude(
        path__startswith="/oauth"
    )
    by_kind: dict[str, int] = {}
    for row in calls.values("method", "path").annotate(n=Count("id")):
        label = call_kind(row["method"], row["path"])
        by_kind[label] = by_kind.get(label, 0) + row["n"]
    completed = Envelope.objects.filter(
        connection=connection, status=Envelope.Status.COMPLETED, completed_at__gte=since
    ).count()
    kinds = sorted(by_kind.items(), key=lambda item: -item[1])
    label = "last day" if days == 1 else f"last {days} days"
    return CallsPerEnvelope(label, sum(by_kind.values()), completed, kinds)


# --- Stuck work: one definition in envelopes.tracking.stuck (status page, metrics, sweep) ---
WAITING = (Envelope.Status.QUEUED, Envelope.Status.SENDING)
stuck_envelopes = stuck.stuck_envelopes
stuck_connect_events = stuck.stuck_connect_events
