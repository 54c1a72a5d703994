"""Make the simulated DocuSign slow, limited or unreliable: one small API for tests,
benchmarks and scripts; the same switches are in the admin (Sim behaviour, Sim faults).

    from simulator import control

    control.configure(search_lag_seconds=5, burst_limit=10, token_lifetime_seconds=2)
    control.slow_creates(seconds=6)              # the next create answers after 6 s
    control.drop_connections(operation="Envelopes_PostEnvelopes")
    control.inject_fault(status=503, count=2, operation="Envelopes_GetEnvelope")
    control.expire_tokens()                      # every issued access token dies now
    control.exhaust_limit(account_id, burst=False)  # other apps spent this hour: 429s
    control.fault_taken(fault)                   # has a call taken it yet, and for what?
    control.text_messages(phone="+44 7700900123")  # phone-authentication codes "sent"
    control.reset()                              # back to a prompt, unlimited DocuSign
    control.change_template(template_id, roles=...)  # someone edits a template at DocuSign

State lives in the database, so it reaches every process serving the simulator (gunicorn
workers, live_server threads). Operation names are DocuSign's operationIds.
"""

import base64
from typing import Any

from django.utils import timezone

from simulator.esign import limits
from simulator.esign.envelopes import create_envelope
from simulator.models import (
    SimAccessToken,
    SimAccount,
    SimBehaviour,
    SimFault,
    SimTemplate,
    SimTextMessage,
)

CREATE = "Envelopes_PostEnvelopes"


def behaviour() -> SimBehaviour:
    """The current behaviour (defaults when nothing was configured)."""
    return SimBehaviour.objects.filter(pk=1).first() or SimBehaviour(pk=1)


def configure(**changes: Any) -> SimBehaviour:
    """Set SimBehaviour fields, e.g. `configure(search_lag_seconds=5, hourly_limit=100)`."""
    current = behaviour()
    for name, value in changes.items():
        if not hasattr(current, name) or name in ("id", "pk"):
            raise TypeError(f"SimBehaviour has no setting '{name}'.")
        setattr(current, name, value)
    current.full_clean()
    current.save()
    return current


def reset() -> None:
    """Forget every behaviour change and pending fault."""
    SimBehaviour.objects.all().delete()
    SimFault.objects.all().delete()


def inject_fault(
    *,
    status: int = 503,
    count: int = 1,
    operation: str = "",
    path_contains: str = "",
    delay_ms: int = 0,
    drop_connection: bool = False,
) -> SimFault:
    """The next `count` matching API calls wait `delay_ms`, then fail with `status` (≥ 400),
    or go through and lose their connection mid-answer (`drop_connection`), or go through."""
    return SimFault.objects.create(
        status=status,
        remaining=count,
        operation=operation,
        path_contains=path_contains,
        delay_ms=delay_ms,
        drop_connection=drop_connection,
    )


def slow_creates(*, seconds: float, count: int = 1) -> SimFault:
    """The next `count` envelope creates take `seconds`; each envelope exists only once its
    create has finished (set the client's read timeout below `seconds` to see a timeout
    whose create still succeeds)."""
    return inject_fault(status=200, count=count, operation=CREATE, delay_ms=int(seconds * 1000))


def drop_connections(*, count: int = 1, operation: str = "", path_contains: str = "") -> SimFault:
    """The next `count` matching calls do their work, then the connection closes half-way
    through the answer (the client sees a broken response, not DocuSign's verdict)."""
    return inject_fault(
        status=200,
        count=count,
        operation=operation,
        path_contains=path_contains,
        drop_connection=True,
    )


def expire_tokens() -> int:
    """Every access token issued so far stops working now; returns how many."""
    return SimAccessToken.objects.filter(expires_at__gt=timezone.now()).update(
        expires_at=timezone.now()
    )


def advance_clock(*, days: float = 0, seconds: float = 0) -> SimBehaviour:
    """Move the simulator's clock ahead (expiry happens on it), e.g. past an expiry date."""
    current = behaviour()
    return configure(clock_offset_seconds=current.clock_offset_seconds + days * 86400 + seconds)


def exhaust_limit(account_id: str, *, burst: bool = False) -> int:
    """Other apps on the account spend the rest of its hourly limit (or, with `burst`, its
    30-second burst window): every call answers DocuSign's 429 with its headers until the
    window ends. Returns the Unix time it ends (`configure(hourly_window_seconds=60)` makes
    the hour short enough to wait for)."""
    account = SimAccount.objects.get(account_id=account_id.lower())
    return limits.exhaust(account.account_id, behaviour(), burst=burst)


def fault_taken(fault: SimFault) -> SimFault | None:
    """The fault as it is now if a call has taken it (its `taken_at`, `taken_for`), else None.
    A slow create's fault is taken as the create starts, so this says one is in flight."""
    fresh = SimFault.objects.filter(pk=fault.pk, taken_at__isnull=False).first()
    return fresh


def text_messages(*, phone: str = "") -> list[SimTextMessage]:
    """Text messages DocuSign would have sent (phone authentication codes), newest first."""
    messages = SimTextMessage.objects.all()
    return list(messages.filter(phone=phone) if phone else messages)


def change_template(template_id: str, **changes: Any) -> SimTemplate:
    """Edit a template as someone at DocuSign would (e.g. `roles=[...]`, `documents=[...]`):
    its `lastModified` moves on, so callers caching it by that notice."""
    template = SimTemplate.objects.get(template_id=template_id.lower())
    for name, value in changes.items():
        if name not in ("name", "description", "email_subject", "documents", "roles"):
            raise TypeError(f"A template has no editable '{name}'.")
        setattr(template, name, value)
    template.save()  # `modified` (lastModified) is now
    return template


def create_outside_envelope(
    *, account_id: str, subject: str, signer_name: str, signer_email: str
) -> str:
    """An envelope sent from DocuSign itself (not through Countersign): no countersign_id.
    Returns its envelopeId."""
    account = SimAccount.objects.get(account_id=account_id)
    envelope = create_envelope(
        account=account,
        sender=account.users.first(),  # type: ignore[arg-type]
        body={
            "status": "sent",
            "emailSubject": subject,
            "documents": [
                {
                    "documentId": "1",
                    "name": "Sent from DocuSign",
                    "fileExtension": "txt",
                    "documentBase64": base64.b64encode(b"Sent outside Countersign.").decode(),
                }
            ],
            "recipients": {
                "signers": [{"recipientId": "1", "name": signer_name, "email": signer_email}]
            },
        },
    )
    return envelope.envelope_id
