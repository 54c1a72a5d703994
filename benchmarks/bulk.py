"""Bulk send at scale: 1,000 recipients through DocuSign's Bulk Send against the simulator
(gunicorn, Connect on) with 2 Celery workers. Counts the DocuSign calls the send used (against
1,000 creates for one create per envelope), the calls tracking used, the time until every
envelope is linked to its row, and lost and duplicated envelopes. A second run loses the
send's answer (the connection drops after DocuSign queued the batch): still one batch.

    .venv/bin/python benchmarks/bulk.py
"""

import time

from harness import (
    bench_database,
    celery_workers,
    child_env,
    gunicorn,
    serve_simulator_locally,
    setup_django,
)

from envelopes.bulk import compose

setup_django()

from django.conf import settings
from django.core.cache import cache

COUNT = 1000
SEND_PATHS = ("/envelopes", "/bulk_send_lists", "/bulk_send_lists/{bulkSendListId}/send")


def run(label: str, *, drop_send_answer: bool) -> dict[str, object]:
    from connections.models import ApiCall, Connection
    from envelopes.bulk import rows as bulk_csv
    from envelopes.models import BulkBatch, DocumentTemplate, Envelope
    from simulator import control
    from simulator.models import SimBulkBatch, SimEnvelope
    from simulator.seed import CONNECTION_NAME, seed_simulator
    from tests.factories import UserFactory

    seed_simulator(site_url=settings.SITE_URL)
    connection = Connection.objects.get(name=CONNECTION_NAME)
    SimEnvelope.objects.all().delete()
    SimBulkBatch.objects.all().delete()
    ApiCall.objects.all().delete()
    cache.clear()
    template, _ = DocumentTemplate.objects.get_or_create(
        name="Bench offer",
        defaults={
            "body": "<h1>Offer for {{ name }}</h1><p>/sig1/ /date1/</p>",
            "fields": [{"name": "name", "label": "Name"}],
        },
    )
    layout = compose.layout_for_document(template)
    text = "Signer::Name,Signer::Email,name\n" + "".join(
        f"Person {n},person{n}@example.com,Person {n}\n" for n in range(COUNT)
    )
    parsed = bulk_csv.parse(text, layout)
    assert parsed.ok, parsed.errors[:3]
    if drop_send_answer:
        control.drop_connections(operation="BulkSendV2Send_PostBulkSendRequest")
    started = time.monotonic()
    batch = compose.prepare_bulk_send(
        compose.BulkRequest(
            connection=connection,
            sender=UserFactory(username=f"bench-{label[:20]}"),
            name="bench.csv",
            subject="Your offer",
            layout=layout,
            rows=parsed.rows,
            document_template=template,
        )
    )
    deadline = time.monotonic() + 600
    while batch.envelopes.filter(status=Envelope.Status.BATCHED).exists():
        if time.monotonic() > deadline:
            break
        time.sleep(0.5)
    elapsed = time.monotonic() - started
    batch.refresh_from_db()
    owners = [
        f.get("countersign_id") for f in SimEnvelope.objects.values_list("custom_fields", flat=True)
    ]
    owners = [o for o in owners if o]  # the draft carries none
    calls = ApiCall.objects.exclude(path="/oauth/token")
    send_calls = calls.filter(method="POST").count()
    return {
        "label": label,
        "tracked": batch.envelopes.exclude(docusign_envelope_id="").count(),
        "lost": batch.envelopes.exclude(status=Envelope.Status.SENT).count(),
        "duplicates": len(owners) - len(set(owners)),
        "batches": SimBulkBatch.objects.count(),
        "send_calls": send_calls,
        "other_calls": calls.count() - send_calls,
        "seconds": elapsed,
        "status": BulkBatch.objects.get(pk=batch.pk).status,
    }


def main() -> None:
    port, site = serve_simulator_locally()
    with bench_database() as database_url:
        env = child_env(
            database_url,
            SITE_URL=site,
            DOCUSIGN_READ_TIMEOUT="10",
            ENVELOPES_BULK_TRACK_SECONDS="2",
            SIMULATOR_HOURLY_LIMIT="100000",
            SIMULATOR_BURST_LIMIT="100000",
        )
        with gunicorn(env, port, workers=2), celery_workers(env, concurrency=2):
            results = [
                run("1,000 rows", drop_send_answer=False),
                run("1,000 rows, send's answer lost", drop_send_answer=True),
            ]
    print(
        "| run | DocuSign calls to send (POST) | calls to track (GET) | batches at DocuSign "
        "| envelopes tracked | lost | duplicated | seconds until all tracked |"
    )
    print("| --- | --- | --- | --- | --- | --- | --- | --- |")
    for r in results:
        print(
            f"| {r['label']} | {r['send_calls']} | {r['other_calls']} | {r['batches']} "
            f"| {r['tracked']} | {r['lost']} | {r['duplicates']} | {r['seconds']:.1f} |"
        )
    print(f"\nOne create per envelope would use {COUNT} POSTs for the same send.")


if __name__ == "__main__":
    main()
