"""A separate process asking for one connection's token from several threads.

Started with the 'spawn' method so it shares no sockets, locks or threads with its parent:
like a real web process or Celery worker.
"""

import os
import threading
from multiprocessing.queues import Queue
from typing import Any


def ask_for_tokens(
    *,
    db_name: str,
    connection_pk: int,
    auth_url: str,
    threads: int,
    asks: int,
    out: "Queue[Any]",
    naive: bool = False,
) -> None:
    """`naive=True` is the baseline: a cache per process (what each worker would do alone)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")
    import django
    from django.conf import settings

    django.setup()
    settings.DATABASES["default"]["NAME"] = db_name  # the parent's (test) database
    settings.DOCUSIGN_DEMO_AUTH_SERVER = auth_url
    from django.db import connections

    from connections import tokens
    from connections.models import Connection

    conn = Connection.objects.get(pk=connection_pk)
    seen: set[str] = set()
    local: dict[str, str] = {}
    local_lock = threading.Lock()

    def naive_token() -> str:
        with local_lock:
            if "token" not in local:
                local["token"] = tokens.mint_token(conn).access_token
            return local["token"]

    def work() -> None:
        try:
            for _ in range(asks):
                seen.add(naive_token() if naive else tokens.get_access_token(conn))
        finally:
            connections.close_all()

    pool = [threading.Thread(target=work) for _ in range(threads)]
    for t in pool:
        t.start()
    for t in pool:
        t.join()
    connections.close_all()
    out.put(sorted(seen))
