"""Sending at scale: 500 envelopes through 2 Celery workers against the simulator (served by
gunicorn), then the same with 5% of creates failing (503) or timing out after DocuSign made
the envelope. Counts DocuSign calls, token mints, duplicates and losses. Then the envelope
list page with 10,000 envelopes. Needs PostgreSQL and Redis on loopback.

    .venv/bin/python benchmarks/send.py
"""

import re
import statistics
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

COUNT = 500
PDF = b"%PDF-1.4\n/sig1/\n%%EOF"


def run(label: str, *, faults: bool) -> dict[str, object]:
    from django.core.files.uploadedfile import SimpleUploadedFile

    from connections.models import ApiCall
    from envelopes.composing.prepare import RecipientInput
    from envelopes.models import Envelope
    from simulator.esign.api import inject_fault
    from simulator.models import SimEnvelope
    from tests.factories import UserFactory

    connection = _connection()
    sender = UserFactory(username=f"bench-{label}")
    SimEnvelope.objects.all().delete()
    ApiCall.objects.all().delete()
    Envelope.objects.all().delete()
    cache.clear()
    if faults:
        # 5% of creates: half answer 503, half time out after DocuSign has made the envelope.
        inject_fault(status=503, count=COUNT // 40, path_contains="/envelopes")
        inject_fault(status=200, count=COUNT // 40, path_contains="/envelopes", delay_ms=3000)
    started = time.monotonic()
    for n in range(COUNT):
        prepare.prepare_envelope(
            connection=connection,
            sender=sender,
            subject=f"Benchmark {n}",
            recipients=[RecipientInput(f"Signer {n}", f"signer{n}@example.com")],
            uploads=[SimpleUploadedFile(f"doc{n}.pdf", PDF)],
        )
    deadline = time.monotonic() + 600
    while Envelope.objects.filter(status__in=["queued", "sending"]).exists():
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    ids = list(SimEnvelope.objects.values_list("custom_fields", flat=True))
    countersign_ids = [f.get("countersign_id") for f in ids]
    return {
        "label": label,
        "sent": Envelope.objects.filter(status="sent").count(),
        "lost": Envelope.objects.exclude(status="sent").count(),
        "at_docusign": len(ids),
        "duplicates": len(countersign_ids) - len(set(countersign_ids)),
        "creates": ApiCall.objects.filter(method="POST", path="/envelopes").count(),
        "lookups": ApiCall.objects.filter(method="GET", path="/envelopes").count(),
        "mints": ApiCall.objects.filter(path="/oauth/token").count(),
        "per_second": COUNT / elapsed,
    }


def _connection():  # type: ignore[no-untyped-def]
    from connections.models import Connection
    from simulator.seed import CONNECTION_NAME, seed_simulator

    seed_simulator(site_url=settings.SITE_URL)
    return Connection.objects.get(name=CONNECTION_NAME)


def list_page() -> float:
    from connections.models import Connection
    from envelopes.models import Envelope, Recipient
    from tests.factories import UserFactory

    user = UserFactory(username="lister", is_staff=True)
    connection = Connection.objects.first()
    Envelope.objects.bulk_create(
        Envelope(
            connection=connection, sender=user, subject=f"E{n}", source="uploads", status="sent"
        )
        for n in range(10_000)
    )
    Recipient.objects.bulk_create(
        Recipient(envelope=e, name="A", email="a@example.com", recipient_id="1")
        for e in Envelope.objects.all()[:1000]
    )
    client = Client()
    client.force_login(user)
    samples, query = [], {}
    for _ in range(30):  # follow the "Older" links (keyset cursors) through 30 pages
        started = time.perf_counter()
        response = client.get("/envelopes/", query)
        samples.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200
        found = re.search(r'after=([\w-]+)"', response.content.decode())
        query = {"after": found.group(1)} if found else {}
    return statistics.median(samples)


def main() -> None:
    port, site = serve_simulator_locally()
    with bench_database() as database_url:
        env = child_env(
            database_url,
            SITE_URL=site,
            DOCUSIGN_READ_TIMEOUT="2",
            SIMULATOR_HOURLY_LIMIT="100000",
            SIMULATOR_BURST_LIMIT="100000",
        )
        with gunicorn(env, port, workers=2), celery_workers(env, concurrency=2):
            results = [run("no faults", faults=False), run("5% 503s and timeouts", faults=True)]
        median_ms = list_page()
    print(
        "| run | envelopes sent | lost | at DocuSign | duplicates | creates | lookups "
        "| tokens minted | envelopes/s |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['label']} | {r['sent']} | {r['lost']} | {r['at_docusign']} "
            f"| {r['duplicates']} | "
            f"{r['creates']} | {r['lookups']} | {r['mints']} | {r['per_second']:.1f} |"
        )
    print(f"\nEnvelope list page, 10,000 envelopes: median {median_ms:.1f} ms per page (25 rows)")


if __name__ == "__main__":
    main()
