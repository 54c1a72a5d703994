"""The envelope list at 10,000 and 1,000,000 envelopes: the first, a middle and the last
page (keyset pagination, capped count), through the real view with a logged-in staff user,
against PostgreSQL. Rows are made with generate_series in a throw-away database (IDs in
insertion order, so making a million rows takes seconds, not minutes; ties in created_at are
not made here, so the ID only orders, never filters). For
contrast, the OFFSET/COUNT(*) paginator the list used before, on the same rows.

    .venv/bin/python benchmarks/envelope_list.py
"""

import statistics
import time
from collections.abc import Callable

from harness import bench_database, setup_django

setup_django()

from django.core.paginator import Paginator
from django.db import connection
from django.test import Client

SIZES = (10_000, 1_000_000)
REPEAT = 15


def fill(count: int, connection_id: int, sender_id: int) -> None:
    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE envelopes_envelope CASCADE")
        cursor.execute(
            """
            INSERT INTO envelopes_envelope
                (id, connection_id, sender_id, subject, message, source, as_draft,
                 docusign_template_id, docusign_template_name, template_data,
                 docusign_envelope_id, status, error_code, error_detail, voided_reason,
                 send_attempts, created_at, updated_at)
            SELECT lpad(to_hex(n), 32, '0')::uuid, %s, %s, 'Envelope ' || n, '', 'uploads', false,
                   '', '', '{}'::jsonb, '', 'sent', '', '', '', 0,
                   now() - n * interval '1 second', now()
            FROM generate_series(1, %s) AS n
            """,
            [connection_id, sender_id, count],
        )
        cursor.execute("ANALYZE envelopes_envelope")


def median_ms(action: Callable[[], object], repeat: int = REPEAT) -> float:
    action()  # warm the cache and the plan
    samples = []
    for _ in range(repeat):
        started = time.perf_counter()
        action()
        samples.append((time.perf_counter() - started) * 1000)
    return statistics.median(samples)


def measure(client: Client, count: int) -> dict[str, float]:
    from envelopes.models import Envelope
    from envelopes.views.pagination import encode_cursor

    middle = Envelope.objects.order_by("-created_at", "-id")[count // 2]  # untimed
    cursor = encode_cursor(middle)

    def get(**query: str) -> None:
        response = client.get("/envelopes/", query)
        assert response.status_code == 200, response.status_code

    everything = Envelope.objects.select_related("connection", "sender").order_by("-created_at")

    def offset_last() -> None:
        paginator = Paginator(everything, 25)
        list(paginator.page(paginator.num_pages).object_list)

    def offset_middle() -> None:
        paginator = Paginator(everything, 25)
        list(paginator.page(paginator.num_pages // 2).object_list)

    return {
        "first": median_ms(lambda: get()),
        "middle": median_ms(lambda: get(after=cursor)),
        "last": median_ms(lambda: get(last="1")),
        "offset_middle": median_ms(offset_middle, 5),
        "offset_last": median_ms(offset_last, 5),
    }


def main() -> None:
    from tests.factories import ConnectionFactory, UserFactory

    with bench_database():
        user = UserFactory(username="lister", is_staff=True, is_superuser=True)
        owner = ConnectionFactory()
        client = Client()
        client.force_login(user)
        results = {}
        for count in SIZES:
            started = time.monotonic()
            fill(count, owner.pk, user.pk)
            print(f"  ({count:,} rows made in {time.monotonic() - started:.1f} s)", flush=True)
            results[count] = measure(client, count)
    small, large = (results[n] for n in SIZES)
    print("| page (25 rows, whole view) | 10,000 envelopes | 1,000,000 envelopes | ratio |")
    print("| --- | --- | --- | --- |")
    for key, label in (("first", "first"), ("middle", "middle"), ("last", "last")):
        ratio = large[key] / small[key]
        print(f"| {label} | {small[key]:.1f} ms | {large[key]:.1f} ms | {ratio:.2f} |")
    for key, label in (("offset_middle", "middle"), ("offset_last", "last")):
        print(
            f"| before: OFFSET + COUNT(*), {label} page (query only) | {small[key]:.1f} ms "
            f"| {large[key]:.1f} ms | {large[key] / small[key]:.1f} |"
        )


if __name__ == "__main__":
    main()
