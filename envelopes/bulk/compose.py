"""Preparing a bulk send: the CSV layout a template or document expects, every row checked,
the batch and its rows stored, then queued."""

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from django.contrib.auth.models import User
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction

from accounts.models import Team
from connections.models import Connection
from connections.selectors import usable_connections
from envelopes.bulk import rows as bulk_csv
from envelopes.bulk.lifecycle import start_bulk_send
from envelopes.composing.prepare import check_can_send, check_in_person_host
from envelopes.models import BulkBatch, DocumentTemplate, Envelope, Recipient

logger = logging.getLogger("countersign.envelopes")


def layout_for_template(roles: list[dict[str, Any]]) -> bulk_csv.Layout:
    """The CSV layout of a DocuSign template (envelopes.composing.prepare.template_roles)."""
    return bulk_csv.Layout(
        roles=tuple(
            bulk_csv.Role(
                name=str(r["roleName"]),
                recipient_id=str(r.get("recipientId") or n),
                routing_order=int(r.get("routingOrder") or 1),
                tab_labels=tuple(str(t) for t in r.get("textTabs") or [] if t),
                kind=str(r.get("kind") or Recipient.Kind.SIGNER),
            )
            for n, r in enumerate(roles, start=1)
            if r.get("roleName")
        )
    )


def layout_for_document(template: DocumentTemplate) -> bulk_csv.Layout:
    """A generated document: one role per signer anchor (`/sig1/` → Signer, `/sig2/` →
    Signer2, …) and the template's fields (a field with "type": "date" takes YYYY-MM-DD)."""
    signers = max([n for n in range(1, 10) if f"/sig{n}/" in template.body] or [1])
    roles = tuple(
        bulk_csv.Role(name="Signer" if n == 1 else f"Signer{n}", recipient_id=str(n))
        for n in range(1, signers + 1)
    )
    fields = tuple(
        bulk_csv.Field(
            name=str(f["name"]),
            label=str(f.get("label") or f["name"]),
            required=bool(f.get("required", True)),
            is_date=f.get("type") == "date",
        )
        for f in template.fields
    )
    return bulk_csv.Layout(roles=roles, fields=fields)


@dataclass(frozen=True)
class BulkRequest:
    connection: Connection
    sender: User
    name: str
    subject: str
    layout: bulk_csv.Layout
    rows: list[bulk_csv.Row]
    message: str = ""
    docusign_template_id: str = ""
    docusign_template_name: str = ""
    document_template: DocumentTemplate | None = None
    team: Team | None = None


@transaction.atomic
def prepare_bulk_send(request: BulkRequest) -> BulkBatch:
    """Save the batch and one row (status `batched`) per CSV row; a worker sends on commit.
    Only rows that passed every check come here (bulk_csv.parse)."""

    sender, connection = request.sender, request.connection
    if not usable_connections(sender).filter(pk=connection.pk).exists():
        raise PermissionDenied(f"{sender} may not send with the connection {connection.name}.")
    if request.team is not None and not request.team.members.filter(pk=sender.pk).exists():
        raise PermissionDenied(f"{sender} is not a member of the team {request.team.name}.")
    check_can_send(connection)
    if any(r.kind == Recipient.Kind.IN_PERSON for r in request.layout.roles):
        check_in_person_host(connection)
    if not request.rows:
        raise ValidationError("There are no rows to send.", code="empty")
    if len(request.rows) > bulk_csv.MAX_ROWS:
        raise ValidationError(f"At most {bulk_csv.MAX_ROWS} rows in one bulk send.", code="size")
    if bool(request.docusign_template_id) == (request.document_template is not None):
        raise ValidationError("Choose a DocuSign template or a document template.")
    source = (
        BulkBatch.Source.TEMPLATE if request.docusign_template_id else (BulkBatch.Source.GENERATED)
    )
    batch = BulkBatch.objects.create(
        connection=connection,
        sender=sender,
        team=request.team,
        name=request.name[:100] or "Bulk send",
        subject=request.subject.strip()[:100],
        message=request.message,
        source=source,
        docusign_template_id=request.docusign_template_id,
        docusign_template_name=request.docusign_template_name,
        document_template=request.document_template,
        roles=[
            {
                "role": r.name,
                "recipient_id": r.recipient_id,
                "routing_order": r.routing_order,
                "tab_labels": list(r.tab_labels),
                "kind": r.kind,
            }
            for r in request.layout.roles
        ],
        size=len(request.rows),
    )
    envelopes = Envelope.objects.bulk_create(
        Envelope(
            connection=connection,
            sender=sender,
            team=request.team,
            subject=batch.subject,
            message=batch.message,
            source=source,
            docusign_template_id=batch.docusign_template_id,
            docusign_template_name=batch.docusign_template_name,
            document_template=batch.document_template,
            template_data=_row_data(source, row),
            status=Envelope.Status.BATCHED,
            bulk_batch=batch,
            bulk_row=row.number,
        )
        for row in request.rows
    )
    Recipient.objects.bulk_create(
        Recipient(
            envelope=envelope,
            name=row.people[role.name].name,
            email=row.people[role.name].email,
            role_name=role.name,
            routing_order=role.routing_order,
            recipient_id=role.recipient_id,
            kind=role.kind,
            # In-person: the sender hosts (DocuSign's host is the connection's user).
            host=sender if role.kind == Recipient.Kind.IN_PERSON else None,
            embedded=role.kind == Recipient.Kind.IN_PERSON,
        )
        for envelope, row in zip(envelopes, request.rows, strict=True)
        for role in request.layout.roles
    )
    logger.info("Bulk batch %s queued: %d rows via %s", batch.pk, batch.size, connection.name)
    transaction.on_commit(partial(start_bulk_send, str(batch.pk)))
    return batch


def _row_data(source: str, row: bulk_csv.Row) -> dict[str, Any]:
    if source == BulkBatch.Source.GENERATED:
        return {"fields": row.values}
    prefill = {role: person.tabs for role, person in row.people.items() if person.tabs}
    return {"prefill": prefill} if prefill else {}
