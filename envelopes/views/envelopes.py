"""Pages for app users: compose, preview, list, detail with live status, sign, void, download.

Pages read our database; DocuSign is only called where a person waits for DocuSign itself
(opening embedded signing, streaming a download) or for a cached template list.
"""

import logging
from typing import Any
from urllib.parse import urlencode

from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import (
    FileResponse,
    Http404,
    HttpRequest,
    HttpResponse,
    HttpResponseBadRequest,
    HttpResponseRedirect,
    StreamingHttpResponse,
)
from django.http.response import HttpResponseBase
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from common.dispatch import enqueue_on_commit
from common.infrastructure import INFRASTRUCTURE_ERRORS
from connections.docusign.errors import DocuSignError
from connections.models import Connection
from connections.selectors import usable_connections
from envelopes import history, selectors, signing
from envelopes.changes import corrections
from envelopes.composing import prepare
from envelopes.composing import templates as template_compose
from envelopes.composing.forms import (
    ComposeForm,
    DocumentFieldsQuery,
    EnvelopeFilters,
    RecipientFormSet,
    TemplateFieldsQuery,
    VoidForm,
    parse_prefill,
)
from envelopes.composing.generation import render_document
from envelopes.documents import kept
from envelopes.models import Envelope
from envelopes.sending import voids
from envelopes.views.pagination import BadCursor, keyset_page

PAGE_SIZE = 25
PAGE_KEYS = {"after", "before", "last", "page"}
logger = logging.getLogger("countersign.envelopes")


def _envelope_for(request: HttpRequest, pk: Any) -> Envelope:
    """An envelope the user may see (404 for the others: their existence is not revealed)."""
    return get_object_or_404(selectors.visible_envelopes(request.user), pk=pk)


def envelope_to_act_on(request: HttpRequest, pk: Any) -> Envelope:
    """An envelope the user may act on: seeing it is not enough (403)."""
    envelope = _envelope_for(request, pk)
    if not selectors.can_act(request.user, envelope):
        raise PermissionDenied("You may see this envelope but not act on it.")
    return envelope


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


def _templates(connection: Connection | None) -> tuple[list[dict[str, Any]], str]:
    if connection is None or not connection.is_ready:
        return [], ""
    try:
        return prepare.list_templates(connection=connection), ""
    except DocuSignError as exc:
        return [], f"DocuSign templates are unavailable: {exc.with_advice}"
    except INFRASTRUCTURE_ERRORS as exc:  # e.g. Redis restarting: the page still works
        logger.warning("DocuSign templates unavailable: %s", type(exc).__name__)
        return [], "DocuSign templates are unavailable for a moment; reload the page to retry."


@login_required
@permission_required("envelopes.add_envelope", raise_exception=True)
def compose(request: HttpRequest) -> HttpResponse:
    posted = request.method == "POST"  # an empty POST is still validated
    form = ComposeForm(
        request.POST if posted else None, request.FILES if posted else None, user=request.user
    )
    recipients = RecipientFormSet(
        request.POST if posted else None, prefix="r", form_kwargs={"user": request.user}
    )
    preview, template_panel, template_preview = "", dict[str, Any](), dict[str, Any]()
    from_template = posted and request.POST.get("source") == Envelope.Source.TEMPLATE
    if from_template and form.is_valid() and request.POST.get("action") == "preview":
        template_panel, template_preview = template_compose.preview(request, form)
    elif from_template and form.is_valid():
        # A template's roles are the recipients (envelopes.composing.templates).
        envelope, template_panel = template_compose.send(request, form)
        if envelope is not None:
            return redirect("envelopes:detail", pk=envelope.pk)
    elif request.method == "POST" and form.is_valid() and recipients.is_valid():
        if request.POST.get("action") == "preview":
            preview = _preview(form)
        else:
            envelope = _send(request, form, recipients)
            if envelope is not None:
                return redirect("envelopes:detail", pk=envelope.pk)
    connection = _chosen_connection(form)
    if from_template and not template_panel:
        template_panel = template_compose.panel(
            connection=connection,
            template_id=str(request.POST.get("docusign_template", "")),
            data=request.POST,
        )
    templates, templates_error = _templates(connection)
    return render(
        request,
        "envelopes/compose.html",
        {
            "form": form,
            "recipients": recipients,
            "preview": preview,
            "templates": templates,
            "templates_error": templates_error,
            "panel": template_panel,
            "template_preview": template_preview,
        },
    )


def _chosen_connection(form: ComposeForm) -> Connection | None:
    if form.is_bound and hasattr(form, "cleaned_data") and form.cleaned_data.get("connection"):
        return form.cleaned_data["connection"]  # type: ignore[no-any-return]
    key = form.initial.get("connection")
    queryset = form.fields["connection"].queryset  # type: ignore[attr-defined]
    return queryset.filter(pk=key).first() if key else None


def _preview(form: ComposeForm) -> str:
    template = form.cleaned_data.get("document_template")
    if template is None:
        return ""
    try:
        return render_document(template, form.template_data())
    except ValidationError as exc:
        form.add_error(None, exc)
        return ""


def _send(request: HttpRequest, form: ComposeForm, recipients: Any) -> Envelope | None:
    data = form.cleaned_data
    source = data["source"]
    try:
        return prepare.prepare_envelope(
            connection=data["connection"],
            sender=request.user,  # type: ignore[arg-type]
            subject=data["subject"],
            message=data["message"],
            recipients=[f.as_input() for f in recipients.forms if f.cleaned_data],
            uploads=data["uploads"] if source == Envelope.Source.UPLOADS else None,
            document_template=data["document_template"]
            if source == Envelope.Source.GENERATED
            else None,
            template_data=form.template_data(),
            docusign_template_id=data["docusign_template"]
            if source == Envelope.Source.TEMPLATE
            else "",
            docusign_template_name=_template_name(data["connection"], data["docusign_template"])
            if source == Envelope.Source.TEMPLATE
            else "",
            prefill=parse_prefill(request.POST) if source == Envelope.Source.TEMPLATE else None,
            as_draft=data["as_draft"],
            team=data.get("team"),
        )
    except ValidationError as exc:
        for message in exc.messages:
            form.add_error(None, message)
        return None


def _template_name(connection: Connection, template_id: str) -> str:
    templates, _error = _templates(connection)  # cached: no DocuSign call while sending
    return next((t["name"] for t in templates if t["templateId"] == template_id), "")


def _bad_request(message: str) -> HttpResponse:
    return HttpResponseBadRequest(message, content_type="text/plain; charset=utf-8")


@login_required
@permission_required("envelopes.add_envelope", raise_exception=True)
def template_fields(request: HttpRequest) -> HttpResponse:
    """htmx: the roles and prefillable tabs of a DocuSign template."""
    form = TemplateFieldsQuery(request.GET)
    if not form.is_valid():
        return _bad_request(form.problem())
    # Only a connection this user may use (404 for the others).
    connection = get_object_or_404(
        usable_connections(request.user), pk=form.cleaned_data["connection"]
    )
    panel = template_compose.panel(
        connection=connection, template_id=form.cleaned_data["docusign_template"]
    )
    return render(request, "envelopes/partials/template_fields.html", {"panel": panel})


@login_required
@permission_required("envelopes.add_envelope", raise_exception=True)
def document_fields(request: HttpRequest) -> HttpResponse:
    """htmx: the data fields of a document template."""
    query = DocumentFieldsQuery(request.GET)
    if not query.is_valid():
        return _bad_request(query.problem())
    key = query.cleaned_data["document_template"]
    template = selectors.usable_document_templates(request.user).filter(pk=key).first()
    form = ComposeForm(
        initial={"document_template": template.pk if template else None}, user=request.user
    )
    return render(request, "envelopes/partials/document_fields.html", {"form": form})


@login_required
def detail(request: HttpRequest, pk: Any) -> HttpResponse:
    envelope = _envelope_for(request, pk)
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
    envelope = _envelope_for(request, pk)
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
    envelope = _envelope_for(request, pk)
    event = request.GET.get("event", "")
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
    envelope = _envelope_for(request, pk)
    event = request.GET.get("event", "")
    history.record_event(envelope, "sending-view-closed", event or "no outcome given")
    enqueue_on_commit("envelopes.tasks.refresh_envelope", str(envelope.pk))
    messages.info(request, "Sent." if event == "Send" else "The draft is saved at DocuSign.")
    return redirect("envelopes:detail", pk=envelope.pk)


@login_required
def filled_values(request: HttpRequest, pk: Any, recipient_pk: int) -> HttpResponse:
    """htmx: what a recipient filled in (one DocuSign call, on request)."""
    envelope = _envelope_for(request, pk)
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
    envelope = _envelope_for(request, pk)
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
