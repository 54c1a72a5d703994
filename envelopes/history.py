"""An envelope's history: one EnvelopeEvent per thing that happened to it."""

from django.contrib.auth.models import User

from envelopes.models import Envelope, EnvelopeEvent


def record_event(
    envelope: Envelope,
    kind: str,
    detail: str = "",
    *,
    source: str = EnvelopeEvent.Source.APP,
    actor: User | None = None,
) -> None:
    EnvelopeEvent.objects.create(
        envelope=envelope,
        kind=kind,
        status=envelope.status,
        detail=detail,
        source=source,
        actor=actor,
    )
