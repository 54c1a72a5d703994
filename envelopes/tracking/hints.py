"""Unsigned Connect messages: hints that cost a DocuSign call each, so they are rationed.

A connection without HMAC keys cannot tell DocuSign's messages from anyone's who knows its
webhook URL, so each message only says "look at this envelope", and looking costs a GET.
Hints are coalesced per envelope (at most one look per envelope per
ENVELOPES_UNSIGNED_COALESCE_SECONDS, by default DocuSign's own 15-minute polling rule) and
capped per connection at ENVELOPES_UNSIGNED_BUDGET_SHARE of the hourly budget; the polling
that such connections run anyway picks up whatever a skipped hint was about.
"""

import logging
import math
from collections.abc import Callable
from typing import Any

from django.conf import settings
from django.core.cache import cache
from django.utils import timezone

from connections.docusign import esignature
from connections.services import get_client
from envelopes.models import ConnectEvent, Envelope

logger = logging.getLogger("countersign.connect")

Fetch = Callable[[Envelope], dict[str, Any] | None]


def hourly_allowance() -> int:
    share = float(settings.ENVELOPES_UNSIGNED_BUDGET_SHARE)
    return math.floor(int(settings.DOCUSIGN_HOURLY_LIMIT) * share)


def may_look(envelope: Envelope) -> bool:
    """Take one look from the ration, or say no (coalesced, or the hour's share is spent)."""
    window = settings.ENVELOPES_UNSIGNED_COALESCE_SECONDS
    if window > 0 and not cache.add(f"envelopes:unsigned-look:{envelope.pk}", 1, timeout=window):
        return False
    hour = timezone.now().strftime("%Y%m%d%H")
    key = f"envelopes:unsigned-budget:{envelope.connection_id}:{hour}"
    cache.add(key, 0, timeout=3600)
    if cache.incr(key) > hourly_allowance():
        logger.warning(
            "Unsigned Connect hints for connection %s are over their hourly share; "
            "polling will catch up",
            envelope.connection_id,
        )
        return False
    return True


def _fetch(envelope: Envelope) -> dict[str, Any]:

    return esignature.get_envelope(
        get_client(envelope.connection), envelope.docusign_envelope_id, include="recipients"
    )


def fetch_for(event: ConnectEvent) -> Fetch:
    """How the drain asks DocuSign about this event's envelope: freely for a signed message
    without a summary, rationed for an unsigned hint."""
    if event.verified:
        return _fetch
    return lambda envelope: _fetch(envelope) if may_look(envelope) else None
