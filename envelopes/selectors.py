"""Read queries for envelope pages: who may see and act on what, filtered, with constant
query counts.

Seeing: a sender sees their own envelopes, an in-app signer or host the envelopes they sign
in, team members with `view_team_envelopes` their teams' envelopes, and `view_all_envelopes`
every envelope (being staff alone grants nothing). Acting (void, send a draft, download) on an
envelope one did not send needs `act_on_team_envelopes` as well as seeing it as a team member
(or seeing all).
"""

from datetime import date, datetime
from typing import Any

from django.contrib.auth.models import AnonymousUser, User
from django.db.models import Q, QuerySet
from django.utils import timezone

from envelopes.models import ConnectEvent, DocumentTemplate, Envelope, Recipient
from envelopes.sending import send_lease


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


# --- Stuck work (the status page, metrics and sweeps share these definitions) -----------
WAITING = (Envelope.Status.QUEUED, Envelope.Status.SENDING)


def stuck_envelopes(now: datetime | None = None) -> QuerySet[Envelope]:
    """Envelopes no worker is moving: queued and untouched, or claimed by a sender whose
    lease ran out (it died, or lost its connection, mid-send)."""
    since = (now or timezone.now()) - send_lease()  # a claim older than the lease is dead
    return Envelope.objects.filter(
        Q(status=Envelope.Status.QUEUED, updated_at__lt=since)
        | Q(status=Envelope.Status.SENDING, claimed_at__lt=since)
    )


def stuck_connect_events(now: datetime | None = None) -> QuerySet[ConnectEvent]:
    """Connect messages stored but not applied for longer than a drain should take."""
    since = (now or timezone.now()) - send_lease()  # a claim older than the lease is dead
    return ConnectEvent.objects.filter(processed_at__isnull=True, received_at__lt=since)
