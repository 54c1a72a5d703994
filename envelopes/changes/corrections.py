"""Changes to an envelope out for signature: resend, correct a recipient, change reminders
and expiration, and DocuSign's own correct page for the rest.

A person asks (`request_*`: checked here, recorded as an EnvelopeChange and in the history,
then handed to a worker); the worker applies it (`apply_change`): DocuSign first, ours only
once DocuSign accepted. A refusal leaves ours as it was and is shown with DocuSign's reason
and the fix. The act permission is checked by the views (`envelope_to_act_on`).
"""

import logging

from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.core.validators import validate_email
from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common.dispatch import enqueue_on_commit
from connections.docusign import esignature
from connections.docusign.client import DocuSignClient
from connections.docusign.errors import ApiError, DocuSignError
from connections.schedules import Schedule, check_schedule
from connections.services import get_client, is_connection_problem
from envelopes.composing.prepare import app_user_for
from envelopes.failures import describe
from envelopes.history import record_event
from envelopes.models import Envelope, EnvelopeChange, EnvelopeEvent, Recipient
from envelopes.sending import waiting
from envelopes.tracking.apply import apply_envelope_summary

logger = logging.getLogger("countersign.envelopes")

# DocuSign corrects and resends only envelopes out for signature (not drafts, not finished).
CHANGEABLE = Envelope.OUT_FOR_SIGNATURE
# Recipients who have finished cannot be corrected.
FINISHED = frozenset(
    {Recipient.Status.SIGNED, Recipient.Status.COMPLETED, Recipient.Status.DECLINED}
)


def why_not_changeable(envelope: Envelope) -> str:
    """Why the envelope cannot be resent or corrected now ("" when it can)."""
    if envelope.status not in CHANGEABLE or not envelope.docusign_envelope_id:
        return (
            f"Only an envelope out for signature can be resent or corrected; this one is "
            f"{envelope.get_status_display().lower()}."
            + (
                " Edit it and send it again instead."
                if envelope.status == Envelope.Status.FAILED
                else ""
            )
        )
    if envelope.void_requested_at is not None:
        return "The envelope is being voided."
    return ""


def _check_changeable(envelope: Envelope) -> None:
    why = why_not_changeable(envelope)
    if why:
        raise ValidationError(why, code="not_in_flight")


def why_not_correctable(recipient: Recipient) -> str:
    """Why Countersign cannot correct this recipient itself ("" when it can)."""
    if recipient.status in FINISHED:
        return (
            f"{recipient.name} has already {recipient.get_status_display().lower()}; only "
            "recipients who have not finished can be corrected."
        )
    if recipient.kind == Recipient.Kind.IN_PERSON:
        return (
            "An in-person signer is corrected on DocuSign's correct page (the host and the "
            "signer's name are set there)."
        )
    if recipient.corrections.filter(status=EnvelopeChange.Status.PENDING).exists():
        return f"A correction of {recipient.name} is still waiting for DocuSign."
    return ""


def _start(change: EnvelopeChange) -> None:
    enqueue_on_commit("envelopes.tasks.apply_envelope_change", change.pk)


@transaction.atomic
def request_resend(*, envelope: Envelope, actor: User) -> EnvelopeChange:
    """Ask DocuSign to send the notification again to those whose turn it is."""
    _check_changeable(envelope)
    waiting = [r for r in envelope.recipients.all() if r.awaiting_signature]
    if not waiting:
        raise ValidationError("Nobody is waiting for this envelope's email: nothing to resend.")
    change = EnvelopeChange.objects.create(
        envelope=envelope, kind=EnvelopeChange.Kind.RESEND, actor=actor
    )
    names = ", ".join(r.name for r in waiting)
    record_event(envelope, "resend-requested", f"To {names}.", actor=actor)
    _start(change)
    return change


@transaction.atomic
def request_correction(
    *, recipient: Recipient, actor: User, name: str, email: str
) -> EnvelopeChange:
    """Ask DocuSign to correct a recipient's name and email. An in-app signer must stay an
    app user: the email names the app user who will sign (that user's session, same
    clientUserId at DocuSign, so embedded signing keeps working)."""

    envelope = recipient.envelope
    _check_changeable(envelope)
    why = why_not_correctable(recipient)
    if why:
        raise ValidationError(why, code="not_correctable")
    name, email = name.strip(), email.strip()
    if not name or len(name) > 100:
        raise ValidationError({"name": "Give the recipient's name (at most 100 characters)."})
    try:
        validate_email(email)
    except ValidationError:
        raise ValidationError({"email": f"{email!r} is not an email address."}) from None
    if len(email) > 100:
        raise ValidationError({"email": "DocuSign takes emails of at most 100 characters."})
    if name == recipient.name and email.lower() == recipient.email.lower():
        raise ValidationError("That is what the recipient already is: nothing to correct.")
    payload: dict[str, object] = {"name": name, "email": email}
    if recipient.embedded and recipient.user_id is not None:
        try:
            payload["user_id"] = app_user_for(email).pk
        except ValidationError as exc:
            raise ValidationError({"email": exc.messages[0]}) from None
    change = EnvelopeChange.objects.create(
        envelope=envelope,
        kind=EnvelopeChange.Kind.CORRECT,
        recipient=recipient,
        payload=payload,
        actor=actor,
    )
    record_event(
        envelope,
        "correction-requested",
        f"{recipient.name} <{recipient.email}> to {name} <{email}>.",
        actor=actor,
    )
    _start(change)
    return change


@transaction.atomic
def request_notification_change(
    *, envelope: Envelope, actor: User, schedule: Schedule
) -> EnvelopeChange:
    """Ask DocuSign to change the envelope's reminders and expiration."""
    _check_changeable(envelope)
    check_schedule(schedule)
    if schedule == Schedule.of(envelope):
        raise ValidationError("These are the envelope's settings already: nothing to change.")
    change = EnvelopeChange.objects.create(
        envelope=envelope,
        kind=EnvelopeChange.Kind.NOTIFICATION,
        payload=schedule.as_payload(),
        actor=actor,
    )
    record_event(envelope, "notification-change-requested", schedule.describe(), actor=actor)
    _start(change)
    return change


# --- the worker's side ----------------------------------------------------------------


def apply_change(*, change_id: int) -> EnvelopeChange | None:
    """Do the change at DocuSign, then in our rows. Retryable DocuSign errors raise (the
    task retries); a refusal ends the change as failed, visibly, with ours unchanged."""
    change = (
        EnvelopeChange.objects.select_related("envelope__connection", "recipient", "actor")
        .filter(pk=change_id, status=EnvelopeChange.Status.PENDING)
        .first()
    )
    if change is None:
        return None
    envelope = change.envelope
    why = why_not_changeable(envelope)
    if why:  # e.g. signed or voided since it was asked for: do not touch DocuSign
        return _finish(change, EnvelopeChange.Status.FAILED, why)
    try:
        client = get_client(envelope.connection)
        if change.kind == EnvelopeChange.Kind.RESEND:
            esignature.resend_envelope(client, envelope.docusign_envelope_id)
            detail = "DocuSign sent the notification again."
        elif change.kind == EnvelopeChange.Kind.CORRECT:
            detail = _correct(client, change)
        else:
            schedule = Schedule.from_payload(change.payload)
            esignature.update_notification(
                client, envelope.docusign_envelope_id, schedule.to_docusign()
            )
            schedule.apply_to(envelope)
            envelope.save()
            detail = schedule.describe()
    except DocuSignError as exc:
        if is_connection_problem(exc):
            return _wait_for_connection(change, exc)
        if exc.retryable:
            raise
        return _refused(change, exc)
    return _finish(change, EnvelopeChange.Status.DONE, detail)


def _wait_for_connection(change: EnvelopeChange, error: DocuSignError) -> EnvelopeChange:
    """Pending still, without a task, until the connection works (envelopes.sending.waiting)."""
    envelope = change.envelope
    was_waiting = change.waiting_since is not None
    change.waiting_since = change.waiting_since or timezone.now()
    change.waiting_reason = waiting.reason(envelope.connection, error)
    change.save(update_fields=["waiting_since", "waiting_reason"])
    if not was_waiting:
        record_event(envelope, f"{change.kind}-waiting", change.waiting_reason, actor=change.actor)
    waiting.start_waiting(connection=envelope.connection, error=error, sender=change.actor)
    return change


def count_attempt(*, change_id: int) -> int:
    """One more retryable answer from DocuSign; returns how many so far."""
    EnvelopeChange.objects.filter(pk=change_id).update(attempts=F("attempts") + 1)
    return int(
        EnvelopeChange.objects.filter(pk=change_id).values_list("attempts", flat=True).first() or 0
    )


def _correct(client: DocuSignClient, change: EnvelopeChange) -> str:
    recipient = change.recipient
    if recipient is None:  # the recipient row went away (envelope edited): nothing to do
        raise ValidationError("The recipient to correct no longer exists.")
    name, email = str(change.payload["name"]), str(change.payload["email"])
    item: dict[str, str] = {"recipientId": recipient.recipient_id, "name": name}
    if email.lower() != recipient.email.lower():
        item["email"] = email  # any email sent counts as a new address: only when it changed
    # clientUserId is left out: DocuSign keeps it, so the embedded session keeps working.
    kind = Recipient.DOCUSIGN_LISTS[Recipient.Kind(recipient.kind)]
    results = esignature.update_recipients(
        client,
        change.envelope.docusign_envelope_id,
        {kind: [item]},
        resend="email" in item,
    )
    for result in results:
        details = result.get("errorDetails") or {}
        if details and details.get("errorCode") not in (None, "", "SUCCESS"):
            raise ApiError(
                str(details.get("message") or ""),
                status=200,
                error_code=str(details.get("errorCode") or ""),
                advice="DocuSign refused to correct this recipient. If they have finished "
                "meanwhile, there is nothing to correct; otherwise use DocuSign's correct "
                "page from the envelope's page.",
            )
    before = f"{recipient.name} <{recipient.email}>"
    recipient.name, recipient.email = name, email
    if "user_id" in change.payload:
        recipient.user_id = int(str(change.payload["user_id"]))
    recipient.save()
    return f"{before} is now {name} <{email}>."


STATE_CHANGED_ADVICE = (
    "The envelope is no longer out for signature at DocuSign (finished or voided "
    "meanwhile). 'Check status with DocuSign' on the envelope's page brings it up to date."
)


def _refused(change: EnvelopeChange, error: DocuSignError) -> EnvelopeChange:
    if error.error_code == "ENVELOPE_INVALID_STATUS":
        error.advice = STATE_CHANGED_ADVICE
    logger.warning("DocuSign refused %s of envelope %s: %s", change.kind, change.envelope_id, error)
    return _finish(change, EnvelopeChange.Status.FAILED, describe(error))


EVENT_KINDS = {
    EnvelopeChange.Kind.RESEND: "resent",
    EnvelopeChange.Kind.CORRECT: "corrected",
    EnvelopeChange.Kind.NOTIFICATION: "notification-changed",
}


def _finish(change: EnvelopeChange, status: str, detail: str) -> EnvelopeChange:
    change.status, change.finished_at = status, timezone.now()
    change.error = detail if status == EnvelopeChange.Status.FAILED else ""
    change.waiting_since, change.waiting_reason = None, ""
    change.save(update_fields=["status", "finished_at", "error", "waiting_since", "waiting_reason"])
    kind = EVENT_KINDS[EnvelopeChange.Kind(change.kind)]
    if status == EnvelopeChange.Status.FAILED:
        kind = f"{change.kind}-refused"
    record_event(change.envelope, kind, detail, actor=change.actor)
    return change


# --- DocuSign's correct page (a person waits for it) -----------------------------------


def correct_view_url(*, envelope: Envelope, actor: User, return_url: str) -> str:
    """DocuSign's correct page, for what Countersign does not offer itself."""
    _check_changeable(envelope)
    url = esignature.correct_view(
        get_client(envelope.connection, interactive=True),
        envelope.docusign_envelope_id,
        return_url=return_url,
    )
    record_event(envelope, "correct-view-opened", "DocuSign's correct page opened.", actor=actor)
    return url


def pending_and_refused(envelope: Envelope) -> list[EnvelopeChange]:
    """What the envelope's page shows: changes waiting for DocuSign and recent refusals."""
    return list(
        envelope.changes.exclude(status=EnvelopeChange.Status.DONE).select_related(
            "recipient", "actor"
        )[:10]
    )


def give_up(*, change_id: int, error: DocuSignError) -> None:
    """DocuSign kept failing (retryable errors, retries used up): end the change visibly."""
    change = EnvelopeChange.objects.filter(
        pk=change_id, status=EnvelopeChange.Status.PENDING
    ).first()
    if change is not None:
        _refused(change, error)


def page_context(envelope: Envelope) -> dict[str, object]:
    """What the envelope's page needs to offer these actions."""
    return {
        "in_flight_refusal": why_not_changeable(envelope),
        "changes": pending_and_refused(envelope),
        "schedule": Schedule.of(envelope).describe(),
        "can_resubmit": envelope.status == Envelope.Status.FAILED
        and not envelope.docusign_envelope_id,
    }


def learn_corrections(*, envelope: Envelope) -> list[str]:
    """After DocuSign's correct page: one GET of the envelope with its recipients; status
    applied as any refresh, and names and emails changed there copied into ours. Returns
    what changed, one line per recipient (also in the history)."""

    summary = esignature.get_envelope(
        get_client(envelope.connection), envelope.docusign_envelope_id, include="recipients"
    )
    apply_envelope_summary(envelope, summary, source=EnvelopeEvent.Source.DOCUSIGN)
    by_id = {r.recipient_id: r for r in envelope.recipients.all()}
    learned = []
    for items in (summary.get("recipients") or {}).values():
        for item in items if isinstance(items, list) else []:
            recipient = by_id.get(str(item.get("recipientId")))
            name, email = str(item.get("name") or ""), str(item.get("email") or "")
            if recipient is None or not name or not email:
                continue
            if (name, email.lower()) == (recipient.name, recipient.email.lower()):
                continue
            line = f"{recipient.name} <{recipient.email}> is now {name} <{email}>."
            if recipient.user_id is not None and email.lower() != recipient.email.lower():
                try:
                    recipient.user = app_user_for(email)
                except ValidationError:
                    line += (
                        f" No app user here has that email: {recipient.user} still signs in "
                        "this app; correct them here to choose another app user."
                    )
            recipient.name, recipient.email = name[:100], email[:100]
            recipient.save()
            record_event(envelope, "corrected", line, source=EnvelopeEvent.Source.DOCUSIGN)
            learned.append(line)
    return learned
