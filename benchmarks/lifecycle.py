"""DocuSign calls per completed envelope, over the whole life of an envelope: sent to two
remote signers by a real Celery worker against the simulator (served by gunicorn, which also
serves Countersign's Connect webhook), signed by both, completed, then every document the
envelope page offers downloaded three times by its sender. Three set-ups:

(a) Connect whose completed message includes the documents and the certificate;
(b) Connect without documents (Countersign fetches them once);
(c) no Connect: status by polling (listStatusChanges cycles, counted apart).

    .venv/bin/python benchmarks/lifecycle.py
"""

import re
import time

from harness import (
    bench_database,
    celery_workers,
    child_env,
    gunicorn,
    serve_simulator_locally,
    setup_django,
)

from envelopes.composing import prepare

setup_django()

from django.conf import settings
from django.core.cache import cache
from django.test import Client

ENVELOPES = 10
KEY = "lifecycle-connect-hmac-key-0001"
PDF = b"%PDF-1.4\n/sig1/ /sig2/\n%%EOF"
DOCUMENTS_WAIT = "3"  # seconds a Connect completion waits for documents before fetching


def wait_until(predicate, timeout: float, what: str) -> None:  # type: ignore[no-untyped-def]
    deadline = time.monotonic() + timeout
    while not predicate():
        if time.monotonic() > deadline:
            raise RuntimeError(f"timed out waiting for {what}")
        time.sleep(0.25)


def scenario(site: str, label: str, *, connect: bool, documents: bool) -> dict[str, object]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from connections import services
    from connections.models import ApiCall, Connection
    from envelopes.composing.prepare import RecipientInput
    from envelopes.models import ConnectEvent, Envelope, SignedDocument
    from envelopes.tracking.polling import poll_connection
    from simulator.esign.lifecycle import sign
    from simulator.models import SimAccount, SimConnectConfig, SimEnvelope, SimRecipient
    from simulator.seed import CONNECTION_NAME
    from tests.factories import UserFactory

    connection = Connection.objects.get(name=CONNECTION_NAME)
    connection.connect_hmac_secrets = KEY if connect else ""
    connection.save()
    SimConnectConfig.objects.all().delete()
    if connect:
        SimConnectConfig.objects.create(
            account=SimAccount.objects.get(account_id=connection.account_id),
            url=f"{site}/envelopes/connect/{connection.connect_token}/",
            hmac_secrets=KEY,
            include_documents=documents,
            include_certificate_of_completion=documents,
        )
    for model in (SignedDocument, ConnectEvent, Envelope, SimEnvelope, ApiCall):
        model.objects.all().delete()
    cache.clear()

    sender = UserFactory(username=f"sender-{label[:20]}")
    for n in range(ENVELOPES):
        prepare.prepare_envelope(
            connection=connection,
            sender=sender,
            subject=f"Lifecycle {n}",
            recipients=[
                RecipientInput(f"Signer {n}a", f"a{n}@example.com"),
                RecipientInput(f"Signer {n}b", f"b{n}@example.com", routing_order=2),
            ],
            uploads=[SimpleUploadedFile(f"contract{n}.pdf", PDF)],
        )
    wait_until(lambda: Envelope.objects.filter(status="sent").count() == ENVELOPES, 300, "sends")
    polling_calls = 0
    for _ in range(2):  # routing order 1, then 2: remote signers sign at DocuSign
        for recipient in SimRecipient.objects.filter(status__in=["sent", "delivered"]):
            sign(recipient, {})
        if not connect:  # one listStatusChanges cycle, as beat would start
            polling_calls += poll_connection(connection, services.get_client(connection)).calls
    wait_until(
        lambda: Envelope.objects.filter(status="completed").count() == ENVELOPES, 300, "completion"
    )
    wait_until(
        lambda: (
            SignedDocument.objects.values("docusign_envelope_id").distinct().count() == ENVELOPES
        ),
        300,
        "documents kept",
    )
    client = Client()
    client.force_login(sender)
    downloads = 0
    for envelope in Envelope.objects.all():
        page = client.get(f"/envelopes/{envelope.pk}/").content.decode()
        links = sorted(set(re.findall(rf"/envelopes/{envelope.pk}/documents/[^/]+/", page)))
        for _ in range(3):
            for link in links:
                response = client.get(link)
                assert response.status_code == 200, (link, response.status_code)
                assert b"".join(response.streaming_content).startswith(b"%PDF-")
                downloads += 1
    calls = ApiCall.objects.exclude(path__startswith="/oauth")
    polls = calls.filter(method="GET", path="/envelopes").count()
    assert polls == polling_calls
    others = calls.count() - polls
    kinds: dict[str, int] = {}
    for method, path in calls.exclude(method="GET", path="/envelopes").values_list(
        "method", "path"
    ):
        kinds[f"{method} {path}"] = kinds.get(f"{method} {path}", 0) + 1
    return {
        "label": label,
        "per_envelope": others / ENVELOPES,
        "polls": polls,
        "downloads": downloads,
        "kinds": kinds,
    }


def main() -> None:
    from simulator.seed import seed_simulator

    port, site = serve_simulator_locally()
    settings.ENVELOPES_CONNECT_MAX_BYTES = 64 * 1024 * 1024
    with bench_database() as database_url:
        env = child_env(
            database_url,
            SITE_URL=site,
            SIMULATOR_HOURLY_LIMIT="100000",
            SIMULATOR_BURST_LIMIT="100000",
            ENVELOPES_DOCUMENTS_CONNECT_WAIT=DOCUMENTS_WAIT,
        )
        seed_simulator(site_url=site)
        with gunicorn(env, port, workers=2), celery_workers(env, concurrency=2):
            results = [
                scenario(site, "(a) Connect with documents", connect=True, documents=True),
                scenario(site, "(b) Connect without documents", connect=True, documents=False),
                scenario(site, "(c) polling only", connect=False, documents=False),
            ]
    print(
        f"| set-up ({ENVELOPES} envelopes, 2 remote signers each, every offered document "
        "downloaded 3×) | DocuSign calls per completed envelope | polling calls (whole run) "
        "| downloads served | calls by kind | target |"
    )
    print("| --- | --- | --- | --- | --- | --- |")
    targets = ["1.0", "2.0", "2.0 + polling"]
    for result, target in zip(results, targets, strict=True):
        kinds = "; ".join(f"{k}: {v}" for k, v in sorted(result["kinds"].items()))  # type: ignore[attr-defined]
        print(
            f"| {result['label']} | {result['per_envelope']:.1f} | {result['polls']} "
            f"| {result['downloads']} | {kinds} | {target} |"
        )


if __name__ == "__main__":
    main()
