"""Which envelope a request may reach: seeing it (404 for the others: their existence is
not revealed) or acting on it (403: seeing is never acting)."""

from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import (
    HttpRequest,
)
from django.shortcuts import get_object_or_404

from envelopes import selectors
from envelopes.models import Envelope


def envelope_for(request: HttpRequest, pk: Any) -> Envelope:
    """An envelope the user may see (404 for the others: their existence is not revealed)."""
    return get_object_or_404(selectors.visible_envelopes(request.user), pk=pk)


def envelope_to_act_on(request: HttpRequest, pk: Any) -> Envelope:
    """An envelope the user may act on: seeing it is not enough (403)."""
    envelope = envelope_for(request, pk)
    if not selectors.can_act(request.user, envelope):
        raise PermissionDenied("You may see this envelope but not act on it.")
    return envelope
