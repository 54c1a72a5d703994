"""Pages for app users: the list, the live detail page, sign, void, download, filled values.

Pages read our database; DocuSign is only called where a person waits for DocuSign itself
(opening embedded signing, streaming a download) or for a cached template list.
"""

import logging
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from common.dispatch import enqueue_on_commit
from connections.docusign.errors import DocuSignError
from connections.models import Connection
from envelopes import history, selectors, signing
from envelopes.changes import corrections
from envelopes.composing.forms import (
    EnvelopeFilters,
    VoidForm,
)
from envelopes.documents import kept
from envelopes.models import Envelope
from envelopes.sending import voids
from envelopes.views.access import envelope_for, envelope_to_act_on
from envelopes.views.pagination import BadCursor, keyset_page
from envelopes.views.params import bad_parameter, return_event

PAGE_SIZE = 25
PAGE_KEYS = {"after", "before", "last", "page"}
logger = logging.getLogger("countersign.envelopes")


@login_required
def envelope_list(request: HttpRequest) -> HttpResponse:
    query = EnvelopeFilters(request.GET)
    valid = query.is_valid()
    filters = query.cleaned_data if valid else {}
    envelopes = (
        selectors.filtered_envelopes(request.user, filters) if valid else Envelope.objects.none()
    )
    try:
        page = keyset_page(
            envelopes,
            size=PAGE_SIZE,
            after=request.GET.get("after", ""),
            before=request.GET.get("before", ""),
            last=request.GET.get("last") == "1",
        )
    except BadCursor as exc:
        messages.error(request, str(exc))
        page = keyset_page(envelopes, size=PAGE_SIZE)
    kept = {k: v for k, v in request.GET.items() if k not in PAGE_KEYS and v}
    return render(
        request,
        "envelopes/list.html",
        {
            "page": page,
            "filters": {k: request.GET.get(k, "") for k in EnvelopeFilters.base_fields},
            "problem": "" if valid else query.problem(),
            "statuses": Envelope.Status.choices,
            "connections": Connection.objects.filter(
                pk__in=selectors.visible_envelopes(request.user).values("connection_id")
            ),
            "query": urlencode(kept),
            "filtering": bool(kept),
            "see_all": selectors.can_see_all(request.user),
        },
        status=200 if valid else 400,
    )


@login_required
def detail(request: HttpRequest, pk: Any) -> HttpResponse:
    envelope = envelope_for(request, pk)
    template = "envelopes/partials/status.html" if request.htmx else "envelopes/detail.html"  # type: ignore[attr-defined]
    return render(
        request,
        template,
        {
            "envelope": envelope,
            "recipients": envelope.recipients.all(),
            "events": envelope.events.all(),
            "documents": envelope.documents.all(),
            "signed_documents": kept.stored_documents(envelope),
            "void_form": VoidForm(),
            "can_void": voids.may_void(envelope),
            "live": not envelope.is_final or envelope.void_requested_at is not None,
            "can_act": selectors.can_act(request.user, envelope),
            **corrections.page_context(envelope),
        },
    )


@login_required
@require_POST
def sign(request: HttpRequest, pk: Any, recipient_pk: int) -> HttpResponse:
    """Open a signing session: only for the signer it belongs to (or their in-person host)."""
    envelope = envelope_for(request, pk)
    recipient = get_object_or_404(envelope.recipients, pk=recipient_pk, embedded=True)
    return_url = request.build_absolute_uri(reverse("envelopes:signed", args=[envelope.pk]))
    try:
        url = signing.signing_url(
            recipient=recipient,
            user=request.user,  # type: ignore[arg-type]
            return_url=return_url,
        )
    except signing.NotTheirTurn as exc:
        context = {"envelope": envelope, "recipient": recipient, "waiting": str(exc)}
        return render(request, "envelopes/not_your_turn.html", context, status=409)
    except (DocuSignError, ValidationError) as exc:
        messages.error(request, f"Signing could not start: {exc}")
        return redirect("envelopes:detail", pk=envelope.pk)
    return HttpResponseRedirect(url)


SIGNING_OUTCOMES = {
    "signing_complete": "Thank you: your signature is recorded.",
    "decline": "You declined to sign. The sender is told.",
    "cancel": "You can finish signing later from this page.",
    "ttl_expired": "The signing link expired. Start signing again.",
    "session_timeout": "The signing session timed out. Start signing again.",
    "viewing_complete": "You have viewed the documents.",
    "access_code_failed": "The access code was wrong, so DocuSign ended the session. Start "
    "signing again with the code the sender gave you.",
    "id_check_failed": "The SMS code was wrong, so DocuSign ended the session. Start signing "
    "again to get a new code.",
}


@login_required
def signed(request: HttpRequest, pk: Any) -> HttpResponse:
    """Where DocuSign sends the signer back; `event` is a hint, DocuSign's record the truth."""
    envelope = envelope_for(request, pk)
    try:
        event = return_event(request)
    except ValueError as exc:
        return bad_parameter(str(exc))
    history.record_event(envelope, "signer-returned", event or "no outcome given")
    enqueue_on_commit("envelopes.tasks.refresh_envelope", str(envelope.pk))
    messages.info(request, SIGNING_OUTCOMES.get(event, "Signing ended."))
    return redirect("envelopes:detail", pk=envelope.pk)


@login_required
@require_POST
def prepare_draft(request: HttpRequest, pk: Any) -> HttpResponse:
    """Open DocuSign's sending view for a draft (place fields), coming back here."""
    envelope = envelope_to_act_on(request, pk)
    return_url = request.build_absolute_uri(reverse("envelopes:draft-return", args=[envelope.pk]))
    try:
        return HttpResponseRedirect(signing.sending_url(envelope=envelope, return_url=return_url))
    except (DocuSignError, ValidationError) as exc:
        messages.error(request, f"The sending view could not open: {exc}")
        return redirect("envelopes:detail", pk=envelope.pk)


@login_required
def draft_return(request: HttpRequest, pk: Any) -> HttpResponse:
    envelope = envelope_for(request, pk)
    try:
        event = return_event(request)
    except ValueError as exc:
        return bad_parameter(str(exc))
    history.record_event(envelope, "sending-view-closed", event or "no outcome given")
    enqueue_on_commit("envelopes.tasks.refresh_envelope", str(envelope.pk))
    messages.info(request, "Sent." if event == "Send" else "The draft is saved at DocuSign.")
    return redirect("envelopes:detail", pk=envelope.pk)


@login_required
def filled_values(request: HttpRequest, pk: Any, recipient_pk: int) -> HttpResponse:
    """htmx: what a recipient filled in (one DocuSign call, on request)."""
    envelope = envelope_for(request, pk)
    recipient = get_object_or_404(envelope.recipients, pk=recipient_pk)
    try:
        values, error = signing.tab_values(envelope=envelope, recipient=recipient), ""
    except DocuSignError as exc:
        values, error = {}, exc.with_advice
    return render(request, "envelopes/partials/tab_values.html", {"values": values, "error": error})


@login_required
@require_POST
def refresh(request: HttpRequest, pk: Any) -> HttpResponse:
    """Ask DocuSign once for the envelope's status (a person's click, never a loop)."""
    envelope = envelope_for(request, pk)
    enqueue_on_commit("envelopes.tasks.refresh_envelope", str(envelope.pk))
    messages.info(request, "Asked DocuSign for the latest status.")
    return redirect("envelopes:detail", pk=envelope.pk)


@login_required
@require_POST
def void(request: HttpRequest, pk: Any) -> HttpResponse:
    envelope = envelope_to_act_on(request, pk)
    form = VoidForm(request.POST)
    reason = form.cleaned_data["reason"] if form.is_valid() else ""
    try:
        voids.request_void(envelope=envelope, reason=reason)
    except ValidationError as exc:
        messages.error(request, exc.messages[0])
    else:
        messages.info(request, "Voiding at DocuSign…")
    return redirect("envelopes:detail", pk=envelope.pk)


@login_required
def download(request: HttpRequest, pk: Any, document_id: str) -> HttpResponseBase:
    envelope = envelope_to_act_on(request, pk)
    if not envelope.docusign_envelope_id:
        raise Http404("This envelope is not at DocuSign yet.")
    if document_id not in ("combined", "certificate") and not document_id.isdigit():
        raise Http404("Unknown document.")
    try:
        content_type, chunks = kept.download(envelope=envelope, document_id=document_id)
    except DocuSignError as exc:
        messages.error(request, f"The download failed: {exc.with_advice}")
        return redirect("envelopes:detail", pk=envelope.pk)
    response = StreamingHttpResponse(chunks, content_type=content_type)
    name = {"combined": "signed", "certificate": "certificate"}.get(
        document_id, f"document-{document_id}"
    )
    # Bytes from DocuSign or our storage, never rendered by the browser as a page of ours.
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Disposition"] = f'attachment; filename="{name}-{envelope.pk}.pdf"'
    return _as_inert_document(response)


def _as_inert_document(response: HttpResponseBase) -> HttpResponseBase:
    """A document is never a page of ours: no sniffing, and no script even if opened inline."""
    response["X-Content-Type-Options"] = "nosniff"
    response["Content-Security-Policy"] = "sandbox; default-src 'none'; style-src 'unsafe-inline'"
    return response


@login_required
def local_document(request: HttpRequest, pk: Any, document_pk: int) -> HttpResponseBase:
    """An uploaded document as we stored it (for preview before DocuSign has it).

    Only a PDF (recognised by its content when uploaded) opens in the browser; anything else
    (HTML, text, Word) is a download, so it can never run as a page of this site."""
    envelope = envelope_to_act_on(request, pk)
    document = get_object_or_404(envelope.documents, pk=document_pk)
    is_pdf = document.content_type == "application/pdf"
    response = FileResponse(
        document.file.open("rb"),
        content_type=document.content_type if is_pdf else "application/octet-stream",
        as_attachment=not is_pdf,
        filename=document.name,
    )
    return _as_inert_document(response)
