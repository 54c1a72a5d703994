"""Envelope page actions for envelopes in flight (resend, correct, reminders, DocuSign's
correct page) and for failed ones (edit and send again). Thin: envelopes/changes/corrections.py
and envelopes/changes/resubmit.py hold the rules. Every action needs the act permission."""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.views.decorators.http import require_POST

from common.dispatch import enqueue_on_commit
from connections.docusign.errors import DocuSignError
from envelopes.changes import corrections
from envelopes.changes.forms import (
    CorrectRecipientForm,
    NotificationForm,
    ResubmitForm,
    recipient_initial,
)
from envelopes.changes.resubmit import may_resubmit, resubmit_envelope
from envelopes.composing.forms import RecipientFormSet
from envelopes.history import record_event
from envelopes.views.access import envelope_to_act_on
from envelopes.views.params import bad_parameter, return_event


def _first_message(exc: ValidationError) -> str:
    return " ".join(exc.messages)


@login_required
@require_POST
def resend(request: HttpRequest, pk: Any) -> HttpResponse:
    envelope = envelope_to_act_on(request, pk)
    try:
        corrections.request_resend(envelope=envelope, actor=request.user)  # type: ignore[arg-type]
    except ValidationError as exc:
        messages.error(request, _first_message(exc))
    else:
        messages.info(request, "Resending at DocuSign…")
    return redirect("envelopes:detail", pk=envelope.pk)


@login_required
def correct_recipient(request: HttpRequest, pk: Any, recipient_pk: int) -> HttpResponse:
    envelope = envelope_to_act_on(request, pk)
    recipient = get_object_or_404(envelope.recipients, pk=recipient_pk)
    refusal = corrections.why_not_changeable(envelope) or corrections.why_not_correctable(recipient)
    form = CorrectRecipientForm(
        request.POST if request.method == "POST" else None,
        initial={"name": recipient.name, "email": recipient.email},
    )
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            corrections.request_correction(
                recipient=recipient,
                actor=request.user,  # type: ignore[arg-type]
                name=form.cleaned_data["name"],
                email=form.cleaned_data["email"],
            )
        except ValidationError as exc:
            if hasattr(exc, "error_dict"):
                for field, errors in exc.message_dict.items():
                    for error in errors:
                        form.add_error(field if field in form.fields else None, error)
            else:
                form.add_error(None, _first_message(exc))
        else:
            messages.info(request, f"Correcting {recipient.name} at DocuSign…")
            return redirect("envelopes:detail", pk=envelope.pk)
    status = 400 if request.method == "POST" else 200
    return render(
        request,
        "envelopes/correct_recipient.html",
        {"envelope": envelope, "recipient": recipient, "form": form, "refusal": refusal},
        status=status,
    )


@login_required
def notification(request: HttpRequest, pk: Any) -> HttpResponse:
    envelope = envelope_to_act_on(request, pk)
    refusal = corrections.why_not_changeable(envelope)
    form = NotificationForm.for_envelope(
        envelope, request.POST if request.method == "POST" else None
    )
    if request.method == "POST" and not refusal and form.is_valid():
        try:
            corrections.request_notification_change(
                envelope=envelope,
                actor=request.user,  # type: ignore[arg-type]
                schedule=form.schedule(),
            )
        except ValidationError as exc:
            form.add_error(None, _first_message(exc))
        else:
            messages.info(request, "Changing reminders and expiration at DocuSign…")
            return redirect("envelopes:detail", pk=envelope.pk)
    return render(
        request,
        "envelopes/notification.html",
        {"envelope": envelope, "form": form, "refusal": refusal},
        status=400 if request.method == "POST" else 200,
    )


@login_required
@require_POST
def open_correct_view(request: HttpRequest, pk: Any) -> HttpResponse:
    """DocuSign's correct page, for changes Countersign does not offer itself."""
    envelope = envelope_to_act_on(request, pk)
    return_url = request.build_absolute_uri(
        reverse("envelopes:correct-view-return", args=[envelope.pk])
    )
    try:
        url = corrections.correct_view_url(
            envelope=envelope,
            actor=request.user,  # type: ignore[arg-type]
            return_url=return_url,
        )
    except ValidationError as exc:
        messages.error(request, _first_message(exc))
    except DocuSignError as exc:
        messages.error(request, f"DocuSign's correct page could not open: {exc.with_advice}")
    else:
        return HttpResponseRedirect(url)
    return redirect("envelopes:detail", pk=envelope.pk)


CORRECT_OUTCOMES = {
    "send": "Corrected at DocuSign. The page shows the change once DocuSign reports it.",
    "save": "Saved at DocuSign.",
    "cancel": "Nothing was changed.",
    "sessionEnd": "DocuSign's correct page expired. Open it again.",
    "error": "DocuSign's correct page reported an error. Try again.",
}


@login_required
def correct_view_return(request: HttpRequest, pk: Any) -> HttpResponse:
    """Where DocuSign sends the sender back; `event` is a hint, DocuSign's record the truth."""
    envelope = envelope_to_act_on(request, pk)
    try:
        event = return_event(request)
    except ValueError as exc:
        return bad_parameter(str(exc))
    record_event(
        envelope,
        "correct-view-closed",
        event or "no outcome given",
        actor=request.user,  # type: ignore[arg-type]
    )
    enqueue_on_commit("envelopes.tasks.learn_corrections", str(envelope.pk))
    messages.info(request, CORRECT_OUTCOMES.get(event, "DocuSign's correct page closed."))
    return redirect("envelopes:detail", pk=envelope.pk)


@login_required
def edit_failed(request: HttpRequest, pk: Any) -> HttpResponse:
    """Edit a failed envelope (subject, message, recipients) and send it again."""
    envelope = envelope_to_act_on(request, pk)
    if not may_resubmit(envelope):
        # 409: the envelope's state, not the request, is what is wrong.
        return render(request, "envelopes/not_editable.html", {"envelope": envelope}, status=409)
    posted = request.method == "POST"
    form = ResubmitForm(
        request.POST if posted else None,
        initial={"subject": envelope.subject, "message": envelope.message},
    )
    recipients = RecipientFormSet(
        request.POST if posted else None,
        prefix="r",
        initial=None if posted else [recipient_initial(r) for r in envelope.recipients.all()],
        form_kwargs={"user": request.user},
    )
    if posted and form.is_valid() and recipients.is_valid():
        try:
            resubmit_envelope(
                envelope=envelope,
                actor=request.user,  # type: ignore[arg-type]
                subject=form.cleaned_data["subject"],
                message=form.cleaned_data["message"],
                recipients=[f.as_input() for f in recipients.forms if f.cleaned_data],
            )
        except ValidationError as exc:
            for message in exc.messages:
                form.add_error(None, message)
        else:
            messages.info(request, "Sending again…")
            return redirect("envelopes:detail", pk=envelope.pk)
    return render(
        request,
        "envelopes/edit_failed.html",
        {"envelope": envelope, "form": form, "recipients": recipients},
        status=400 if posted else 200,
    )
