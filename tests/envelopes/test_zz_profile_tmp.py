import cProfile, pstats, time, io
import pytest
from django.db import connection as db
from django.test.utils import CaptureQueriesContext
from envelopes.models import ConnectEvent, Envelope, Recipient
from envelopes import tracking
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db(transaction=True)

def test_profile(docusign_hosts, monkeypatch):
    monkeypatch.setattr(tracking, "keep_signed_documents_later", lambda e: None)
    c = ConnectionFactory(connect_hmac_secrets="k" * 20)
    u = UserFactory()
    envs = []
    for n in range(50):
        e = Envelope.objects.create(connection=c, sender=u, subject="S", source="uploads", status="sent",
            docusign_envelope_id=f"e1e1e1e1-0000-0000-0000-{n:012d}")
        Recipient.objects.create(envelope=e, name="A", email="a@example.com", recipient_id="1", status="sent")
        envs.append(e)
    statuses = ["delivered", "completed"]
    N = 400
    for n in range(N):
        e = envs[n % 50]
        st = statuses[(n // 50) % 2] if n < 100 else "completed"
        ConnectEvent.objects.create(connection=c, identity=f"{n:064d}", event="envelope-"+st,
            docusign_envelope_id=e.docusign_envelope_id, verified=True,
            body={"event": "envelope-"+st, "data": {"envelopeId": e.docusign_envelope_id,
                "envelopeSummary": {"status": st, "recipients": {"signers": [{"recipientId": "1", "status": "completed" if st=="completed" else "delivered"}]}}}})
    pr = cProfile.Profile()
    with CaptureQueriesContext(db) as q:
        t = time.perf_counter(); pr.enable()
        tracking.drain_connect_events(c.pk)
        pr.disable(); el = time.perf_counter() - t
    print(f"\nAPPLIED {N} in {el:.2f}s = {N/el:.1f}/s; queries {len(q)} = {len(q)/N:.1f}/msg")
    s = io.StringIO(); pstats.Stats(pr, stream=s).sort_stats("cumulative").print_stats(35); print(s.getvalue()[:9000])
    from collections import Counter
    print(Counter(x["sql"].split(" ")[0] + " " + x["sql"][:60] for x in q.captured_queries).most_common(15))
