"""The staff page for a connection's status tracking: Connect setup, last messages, budget.

It lives in envelopes because it shows envelopes' Connect traffic (envelopes may import
connections, never the reverse)."""

from typing import Any

from django import forms
from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from connections import golive, selectors, services
from connections.forms import WriteOnlyTextarea
from connections.installation import installation_id
from connections.models import Connection
from envelopes import selectors as envelope_selectors
from envelopes.models import ConnectEvent, SyncCursor
from envelopes.tracking import hints
from envelopes.tracking import parked as connect_parked
from envelopes.tracking.polling import polling_interval


class ConnectKeysForm(forms.Form):
    hmac_secrets = forms.CharField(
        label="Connect HMAC keys",
        widget=WriteOnlyTextarea(attrs={"rows": 3, "autocomplete": "off"}),
        help_text="One key per line, as DocuSign shows them under Connect → Connect Keys "
        "(keep the old key here until DocuSign signs with the new one). Never shown again.",
    )

    def clean_hmac_secrets(self) -> str:
        keys = [k.strip() for k in self.cleaned_data["hmac_secrets"].splitlines() if k.strip()]
        if any(len(k) < 16 for k in keys):
            raise forms.ValidationError(
                "That does not look like a DocuSign Connect key (too short)."
            )
        return "\n".join(keys)


@permission_required("connections.view_connection", raise_exception=True)
def connection_detail(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    form = ConnectKeysForm(request.POST if request.method == "POST" else None)
    if request.method == "POST":
        if not request.user.has_perm("connections.change_connection"):
            return HttpResponse(status=403)
        if form.is_valid():
            services.set_connect_keys(connection=connection, keys=form.cleaned_data["hmac_secrets"])
            messages.success(
                request, "Connect keys saved; messages are checked against them within 30 s."
            )
            return redirect("envelopes:connection", pk=pk)
    context: dict[str, Any] = {
        "connection": connection,
        "form": form,
        "connect_url": request.build_absolute_uri(
            reverse("envelopes:connect", args=[connection.connect_token])
        ),
        "has_keys": bool(connection.hmac_secrets()),
        "max_message_mb": settings.ENVELOPES_CONNECT_MAX_BYTES // (1024 * 1024),
        "unsigned_minutes": settings.ENVELOPES_UNSIGNED_COALESCE_SECONDS // 60,
        "unsigned_allowance": hints.hourly_allowance(),
        "events": ConnectEvent.objects.filter(connection=connection)[:20],
        "parked": connect_parked.parked(connection)[:100],
        "parked_total": connect_parked.parked(connection).count(),
        "budget": selectors.api_budget(connection),
        "shared": selectors.shared_budget(connection),
        "per_envelope": [
            envelope_selectors.calls_per_completed_envelope(connection, days) for days in (1, 7)
        ],
        "golive": golive.readiness(connection) if connection.is_demo else None,
        "cursor": SyncCursor.objects.filter(connection=connection).first(),
        "installation_id": installation_id(),
        "poll_minutes": int(polling_interval().total_seconds() // 60),
    }
    return render(request, "envelopes/connection.html", context)


@require_POST
@permission_required("connections.change_connection", raise_exception=True)
def parked_message(request: HttpRequest, pk: int, event_pk: int, action: str) -> HttpResponse:
    """Retry or discard one parked Connect message (seeing the page is not acting on it)."""
    event = get_object_or_404(ConnectEvent, pk=event_pk, connection_id=pk)
    if action == "retry":
        done = connect_parked.retry(event=event)
        text = "Message put back in line; it is applied within seconds."
    elif action == "discard":
        done = connect_parked.discard(event=event, user=request.user)
        text = "Message discarded: it is kept, marked, and never applied."
    else:
        raise Http404("Unknown action.")
    if done:
        messages.success(request, text)
    else:
        messages.warning(request, "That message is no longer parked (someone acted on it).")
    return redirect(f"{reverse('envelopes:connection', args=[pk])}#parked")
