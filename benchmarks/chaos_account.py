"""The account-level part of the chaos run (benchmarks/chaos.py): a second connection on the
same DocuSign account, envelopes of another installation and of older code on it, a signed
Connect message about an envelope purged at DocuSign, a consent withdrawal and a "not ready"
window; and what is measured about them. Imported after Django is set up."""

import base64
import hashlib
import hmac
import json
import re
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from email import message_from_string
from pathlib import Path

import requests
from django.urls import reverse
from django.utils import timezone

from connections.installation import installation_id
from connections.models import Connection
from envelopes.models import ConnectEvent, Envelope, EnvelopeEvent
from envelopes.sending.definitions import CUSTOM_FIELD, INSTALLATION_FIELD
from simulator import control
from simulator.esign.envelopes import create_envelope
from simulator.models import SimAccount, SimApp, SimConsent, SimEnvelope, SimMembership, SimUser
from simulator.oauth.services import grant_consent

SECOND_NAME = "Chaos second user"
SECOND_EMAIL = "sam.second@example.com"
SCOPES = "impersonation signature"
WAITING_SUBJECT = re.compile(r"^DocuSign connection (.+) needs attention; work is waiting")


def second_connection(first: Connection) -> Connection:
    """A second connection on the first one's account, as a second user of the account (its
    own listing: DocuSign lists the whole account to either), polling only (no Connect)."""
    account = SimAccount.objects.get(account_id=first.account_id)
    user, _ = SimUser.objects.get_or_create(email=SECOND_EMAIL, defaults={"name": "Sam Second"})
    SimMembership.objects.get_or_create(user=user, account=account, defaults={"is_default": True})
    app = SimApp.objects.get(integration_key=first.integration_key)
    grant_consent(user=user, app=app, scopes=SCOPES)
    second = Connection(
        name=SECOND_NAME,
        environment=first.environment,
        integration_key=first.integration_key,
        user_id=user.user_id,
        user_email=user.email,
        user_name=user.name,
        user_profile_email=user.email,
        account_id=first.account_id,
        base_uri=first.base_uri,
        private_key=first.private_key,
        key_fingerprint=first.key_fingerprint,
    )
    second.full_clean()
    second.save()
    return second


@dataclass
class Foreign:
    """Envelopes on the account that are not provably ours: none may ever be voided."""

    other_installation: list[str] = field(default_factory=list)
    older_code: list[str] = field(default_factory=list)
    named_rows: int = 0  # of each kind, naming a row of ours (the rest name none)


def _sim_envelope(account: SimAccount, n: int, fields: dict[str, str]) -> str:
    sender = account.users.order_by("pk").first()
    assert sender is not None
    envelope = create_envelope(
        account=account,
        sender=sender,
        body={
            "status": "sent",
            "emailSubject": f"Not provably ours {n}",
            "documents": [
                {
                    "documentId": "1",
                    "name": "Elsewhere",
                    "fileExtension": "txt",
                    "documentBase64": base64.b64encode(b"Made elsewhere.").decode(),
                }
            ],
            "recipients": {
                "signers": [
                    {"recipientId": "1", "name": f"Other {n}", "email": f"other{n}@example.com"}
                ]
            },
            "customFields": {
                "textCustomFields": [
                    {"name": k, "value": v, "show": "false"} for k, v in fields.items()
                ]
            },
        },
    )
    return envelope.envelope_id


def make_foreign(account_id: str, count: int) -> Foreign:
    """`count` envelopes of another installation and `count` of older code (a countersign_id,
    no installation id). Half of each name a row of ours already linked to its own envelope
    (so each looks like a duplicate of it: only the installation id tells), the rest name no
    row of ours. Waits (up to 60 s) until that many rows are linked."""
    account = SimAccount.objects.get(account_id=account_id)
    other = str(uuid.uuid4())
    linked_rows = Envelope.objects.exclude(docusign_envelope_id="").order_by("created_at")
    deadline = time.monotonic() + 60
    while linked_rows.count() < count // 2 and time.monotonic() < deadline:
        time.sleep(0.5)
    linked = [str(pk) for pk in linked_rows.values_list("pk", flat=True)[: count // 2]]
    foreign = Foreign(named_rows=len(linked))
    for n in range(count):
        owner = linked[n] if n < len(linked) else str(uuid.uuid4())
        fields = {CUSTOM_FIELD: owner, INSTALLATION_FIELD: other}
        foreign.other_installation.append(_sim_envelope(account, n, fields))
    for n in range(count):
        owner = linked[n] if n < len(linked) else str(uuid.uuid4())
        foreign.older_code.append(_sim_envelope(account, count + n, {CUSTOM_FIELD: owner}))
    return foreign


def post_signed(connection: Connection, site: str, envelope_id: str, n: int) -> None:
    """A signed Connect message with no summary (so the drain asks DocuSign for it)."""
    body = json.dumps(
        {
            "event": "envelope-sent",
            "apiVersion": "v2.1",
            "retryCount": 0,
            "configurationId": 0,
            "generatedDateTime": (timezone.now() + timedelta(microseconds=n)).isoformat(),
            "data": {"accountId": connection.account_id, "envelopeId": envelope_id},
        }
    ).encode()
    key = connection.hmac_secrets()[0]
    signature = base64.b64encode(hmac.new(key.encode(), body, hashlib.sha256).digest()).decode()
    url = site + reverse("envelopes:connect", args=[connection.connect_token])
    for _ in range(10):  # our web tier may be briefly down too (its database terminated)
        try:
            answer = requests.post(
                url,
                data=body,
                headers={"Content-Type": "application/json", "X-DocuSign-Signature-1": signature},
                timeout=30,
            )
        except requests.RequestException:
            answer = None
        if answer is not None and answer.ok:
            return
        time.sleep(1)
    raise RuntimeError(f"Connect message about {envelope_id} not accepted")


def purge_and_post(connection: Connection, site: str, ordinary: int) -> tuple[str, str]:
    """Purge one of `connection`'s sent envelopes at DocuSign, post a signed message about it
    (its fetch answers ENVELOPE_DOES_NOT_EXIST), then `ordinary` signed messages about live
    envelopes, each needing a fetch too. Returns (the purged row's pk, its envelope id)."""
    deadline = time.monotonic() + 60
    sent = Envelope.objects.filter(
        connection=connection, status=Envelope.Status.SENT, send_attempts=1
    ).exclude(docusign_envelope_id="")
    while not sent.exists() and time.monotonic() < deadline:
        time.sleep(0.5)
    row = sent.order_by("created_at").first()
    if row is None:
        raise RuntimeError("no envelope of the first connection was sent within 60 s")
    SimEnvelope.objects.filter(envelope_id=row.docusign_envelope_id).delete()
    post_signed(connection, site, row.docusign_envelope_id, 0)
    others = sent.exclude(pk=row.pk).order_by("-created_at")[:ordinary]
    for n, other in enumerate(others, start=1):
        post_signed(connection, site, other.docusign_envelope_id, n)
    return str(row.pk), row.docusign_envelope_id


class Window:
    """A fault that lasts a while: opened at a send, closed (once) after `seconds`."""

    def __init__(self, name: str, seconds: float, opened: float | None = None) -> None:
        self.name, self.seconds = name, seconds
        self.opened_at: float | None = opened  # Unix time
        self.closed_at: float | None = None

    @property
    def open(self) -> bool:
        return self.opened_at is not None and self.closed_at is None

    def due(self) -> bool:
        return self.open and time.time() - (self.opened_at or 0) >= self.seconds


def withdraw_consent(app: SimApp) -> int:
    """Every user of the account withdraws consent to the app; their tokens stop working
    (as a revoked grant's would once it expires)."""
    withdrawn = SimConsent.objects.filter(app=app).delete()[0]
    control.expire_tokens()
    return withdrawn


def grant_again(app: SimApp, connections: list[Connection]) -> None:
    """The users consent again (the consent page); the periodic connection check resumes."""
    for connection in connections:
        user = SimUser.objects.get(user_id=connection.user_id)
        grant_consent(user=user, app=app, scopes=SCOPES)


def unready(connection: Connection) -> str:
    """Staff blank the connection's base URI (re-running its setup): not ready."""
    base_uri = Connection.objects.get(pk=connection.pk).base_uri
    Connection.objects.filter(pk=connection.pk).update(base_uri="")
    return base_uri


def resumed(connection: Connection, timeout: float, tick: Callable[[], None]) -> bool:
    """Wait until the connection's earlier outage is over for the product (a check passed and
    its work resumed), so the next window is a new outage, not the same one."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        tick()
        fresh = Connection.objects.get(pk=connection.pk)
        broken = (Connection.Status.AWAITING_CONSENT, Connection.Status.FAILING)
        if fresh.work_waiting_since is None and fresh.status not in broken:
            return True
        time.sleep(0.5)
    return False


def ready_again(connection: Connection, base_uri: str) -> None:
    Connection.objects.filter(pk=connection.pk).update(base_uri=base_uri)


def still_ready(connection: Connection, base_uri: str) -> bool:
    """False if something saved the blanked connection over the restored one."""
    return Connection.objects.get(pk=connection.pk).base_uri == base_uri


@dataclass(frozen=True)
class Measures:
    ours_voided_not_duplicates: int
    duplicates_voided: int
    other_installation_voided: int
    older_code_voided: int
    connect_blocked: int
    connect_parked: int
    purged_parked: bool
    waited: int
    waited_sent: int
    emails: dict[str, int]
    outages_met: dict[str, int]


def _voided_ours(purged_pk: str) -> tuple[int, int]:
    """(voided envelopes of ours that were not duplicates, voided real duplicates): a
    duplicate names a row of ours, carries our installation id, and is not the envelope
    that row links."""
    ours = installation_id()
    links = {str(pk): eid for pk, eid in Envelope.objects.values_list("pk", "docusign_envelope_id")}
    not_duplicates = duplicates = 0
    for envelope_id, fields in SimEnvelope.objects.filter(status="voided").values_list(
        "envelope_id", "custom_fields"
    ):
        if fields.get(INSTALLATION_FIELD) != ours:
            continue  # counted with the foreign ones
        owner = fields.get(CUSTOM_FIELD, "")
        if owner in links and owner != purged_pk and links[owner] not in ("", envelope_id):
            duplicates += 1
        else:
            not_duplicates += 1
    return not_duplicates, duplicates


def _emails(mail_dir: Path) -> dict[str, int]:
    """Emails about waiting work, per connection name (the file backend's messages)."""
    sent: Counter[str] = Counter()
    for path in mail_dir.glob("*"):
        for text in path.read_text(errors="replace").split("\n" + "-" * 79 + "\n"):
            subject = " ".join(str(message_from_string(text.strip()).get("Subject", "")).split())
            match = WAITING_SUBJECT.match(subject)
            if match:
                sent[match.group(1)] += 1
    return dict(sent)


def _outages_met(
    connections: list[Connection], windows: list[tuple[str, Window]]
) -> dict[str, int]:
    """Per connection, the windows during which (or just after which) some work of it began
    waiting: the outages its staff should each be told about once."""
    met: Counter[str] = Counter()
    for name, window in windows:
        if window.opened_at is None:
            continue
        connection = next(c for c in connections if c.name == name)
        start = datetime.fromtimestamp(window.opened_at, tz=UTC)
        end = datetime.fromtimestamp((window.closed_at or time.time()) + 5, tz=UTC)
        if EnvelopeEvent.objects.filter(
            envelope__connection=connection, kind="waiting", at__gte=start, at__lte=end
        ).exists():
            met[name] += 1
    return dict(met)


def measure(
    *,
    foreign: Foreign,
    purged: tuple[str, str],
    connections: list[Connection],
    windows: list[tuple[str, Window]],
    mail_dir: Path,
) -> Measures:
    not_duplicates, duplicates = _voided_ours(purged[0])
    voided = set(SimEnvelope.objects.filter(status="voided").values_list("envelope_id", flat=True))
    unapplied = ConnectEvent.objects.filter(processed_at__isnull=True)
    parked = unapplied.filter(parked_at__isnull=False)
    waited = set(EnvelopeEvent.objects.filter(kind="waiting").values_list("envelope_id", flat=True))
    return Measures(
        ours_voided_not_duplicates=not_duplicates,
        duplicates_voided=duplicates,
        other_installation_voided=len(voided & set(foreign.other_installation)),
        older_code_voided=len(voided & set(foreign.older_code)),
        connect_blocked=unapplied.filter(parked_at__isnull=True).count(),
        connect_parked=parked.count(),
        purged_parked=parked.filter(docusign_envelope_id=purged[1]).exists(),
        waited=len(waited),
        waited_sent=Envelope.objects.filter(pk__in=waited)
        .exclude(
            status__in=[Envelope.Status.QUEUED, Envelope.Status.SENDING, Envelope.Status.FAILED]
        )
        .count(),
        emails=_emails(mail_dir),
        outages_met=_outages_met(connections, windows),
    )


def connect_unsettled() -> int:
    """Connect messages neither applied nor parked (waiting ones included)."""
    return ConnectEvent.objects.filter(processed_at__isnull=True, parked_at__isnull=True).count()
