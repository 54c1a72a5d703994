"""Reconciliation: link an envelope a row lost track of, void a proven duplicate of a row.

It reads the listing the status poll already makes (envelopes.tracking.polling; one
listing per account and interval serves both), never lists on its own. Several connections,
and several installations of Countersign, can share one DocuSign account, so an envelope is acted on
only when it is proven ours: it carries this installation's id (connections.installation)
beside its `countersign_id`, and that id names a row of ours on this account. Everything
else is left alone, counted and shown on the connection page, never voided:
- another installation's envelopes, and those of older code (no installation id): we
  cannot prove them ours (a row of ours that lost track of one may still link it);
- ours naming no row here (a row deleted, or a database restored from before the send).
A bulk send's copies each carry their own row's id and their batch's id; a copy is a
duplicate only of a row in that very batch.
"""

import logging
import uuid
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from django.db.models import Q
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from connections.docusign import esignature
from connections.docusign.client import DocuSignClient
from connections.docusign.errors import DocuSignError
from connections.installation import installation_id
from connections.models import Connection
from connections.services import get_client
from envelopes import retries
from envelopes.bulk.batches import BATCH_FIELD
from envelopes.history import record_event
from envelopes.models import Envelope
from envelopes.sending.create import CLAIMS, linked_fields, mark_first_routing_order_sent
from envelopes.sending.definitions import CUSTOM_FIELD, INSTALLATION_FIELD

logger = logging.getLogger("countersign.envelopes")

VOID_REASON = "Sent twice by mistake; the other copy is the one to sign."


@dataclass
class Outcome:
    """What one reconciliation pass did, and what it left alone (counted, never touched)."""

    actions: list[str] = field(default_factory=list)
    # Carrying another installation's id, or none (older code): not provably ours.
    not_ours: int = 0
    # Carrying our installation's id, but naming no row (or bulk batch) of ours here.
    no_row: int = 0


def account_connections(connection: Connection) -> list[int]:
    """The ids of our connections on the same DocuSign account as `connection`."""
    return list(
        Connection.objects.filter(
            environment=connection.environment, account_id__iexact=connection.account_id
        ).values_list("pk", flat=True)
    )


def created_at(summary: dict[str, Any]) -> datetime:
    value = parse_datetime(str(summary.get("createdDateTime") or ""))
    return value if value is not None else datetime.max.replace(tzinfo=UTC)


def reconcile(
    connection: Connection, summaries: Iterable[dict[str, Any]], *, now: datetime
) -> Outcome:
    """Reconcile the envelopes a listing of `connection`'s account found (with their custom
    fields). Envelopes younger than the settle window are skipped: a send may still be
    deciding about them (the next listing overlaps far enough to see them again)."""
    young = now - retries.settle_window()
    groups: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for summary in summaries:
        owner = esignature.text_custom_field(summary, CUSTOM_FIELD)
        if owner and created_at(summary) < young:
            groups[owner].append(summary)
    outcome = Outcome()
    if not groups:
        return outcome
    pass_ = _Pass(ours=installation_id(), account=account_connections(connection))
    for owner, found in groups.items():
        pass_.one(owner, sorted(found, key=created_at), outcome)
    if outcome.not_ours or outcome.no_row:
        logger.info(
            "Reconciliation of account %s left alone %d envelope(s) of another installation "
            "or older code and %d naming no row of ours",
            connection.account_id,
            outcome.not_ours,
            outcome.no_row,
        )
    return outcome


@dataclass
class _Pass:
    ours: str
    account: list[int]
    clients: dict[int, DocuSignClient] = field(default_factory=dict)

    def one(self, owner: str, found: list[dict[str, Any]], outcome: Outcome) -> None:
        proven = [s for s in found if _installation(s) == self.ours]
        row = self._row(owner)
        if row is None:
            outcome.no_row += len(proven)
            outcome.not_ours += len(found) - len(proven)
            return
        if row.status == Envelope.Status.BATCHED:
            return  # bulk tracking links the row's copy (envelopes.bulk.batches)
        # Older code set no installation id: such an envelope may still be linked to the
        # row it names (the row is ours and on this account), never voided.
        legacy = [s for s in found if not _installation(s)]
        keep = row.docusign_envelope_id
        if not keep:
            candidates = sorted(proven + legacy, key=created_at)
            if not candidates:
                outcome.not_ours += len(found)
                return
            if not _link_found(row, candidates[0]):
                return  # a live send owns the row: it will find the envelope itself
            keep = _envelope_id(candidates[0])
        proven_ids = {_envelope_id(s) for s in proven}
        outcome.not_ours += sum(1 for s in found if _envelope_id(s) not in proven_ids | {keep})
        for summary in proven:
            envelope_id = _envelope_id(summary)
            if envelope_id == keep or summary.get("status") not in Envelope.IN_PROGRESS_AT_DOCUSIGN:
                continue
            if not _same_batch(row, summary):
                outcome.no_row += 1
                continue
            outcome.actions.append(self._void(row, envelope_id))

    def _row(self, owner: str) -> Envelope | None:
        try:
            pk = uuid.UUID(owner)
        except ValueError:
            return None
        return (
            Envelope.objects.select_related("connection")
            .filter(pk=pk, connection_id__in=self.account)
            .first()
        )

    def _void(self, row: Envelope, envelope_id: str) -> str:
        """Void a duplicate of `row`, as the row's own connection (whose user sent it)."""
        client = self.clients.get(row.connection_id)
        try:
            if client is None:
                client = self.clients[row.connection_id] = get_client(row.connection)
            esignature.void_envelope(client, envelope_id, VOID_REASON)
        except DocuSignError as exc:
            what = f"duplicate DocuSign envelope {envelope_id} of row {row.pk}"
            action = f"Could not void {what}: {exc}"
        else:
            action = f"Voided duplicate DocuSign envelope {envelope_id} of row {row.pk}."
        logger.warning("Reconciliation: %s", action)
        record_event(row, "duplicate", action)
        return action


def _installation(summary: dict[str, Any]) -> str:
    return esignature.text_custom_field(summary, INSTALLATION_FIELD)


def _envelope_id(summary: dict[str, Any]) -> str:
    return str(summary.get("envelopeId") or "").lower()


def _same_batch(row: Envelope, summary: dict[str, Any]) -> bool:
    """A bulk copy is a duplicate only of a row of its own batch; a single envelope (no
    batch field) only of a row it names."""
    batch = esignature.text_custom_field(summary, BATCH_FIELD)
    return not batch or batch == str(row.bulk_batch_id or "")


def _link_found(row: Envelope, summary: dict[str, Any]) -> bool:
    """Link a row that lost track of its envelope (queued, failed, or a dead claim)."""
    now = timezone.now()
    envelope_id = _envelope_id(summary)
    status = str(summary.get("status") or "sent")
    linked = (
        Envelope.objects.filter(pk=row.pk, docusign_envelope_id="")
        .filter(
            Q(status__in=[Envelope.Status.QUEUED, Envelope.Status.FAILED])
            | CLAIMS.abandoned_before(now)
        )
        .update(**linked_fields(envelope_id, status=status, now=now))
    )
    if not linked:
        return False
    row.refresh_from_db()
    if row.status == Envelope.Status.SENT:
        mark_first_routing_order_sent(row)
    record_event(
        row,
        "reconciled",
        f"Linked DocuSign envelope {envelope_id}, which an earlier attempt created.",
    )
    logger.warning("Reconciliation linked envelope %s to DocuSign %s", row.pk, envelope_id)
    return True
