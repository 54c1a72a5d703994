"""The default database from DATABASE_URL: connection reuse and health checks, SQLite's
locking for development and tests, PostgreSQL's connect timeout."""

import os
import tempfile
from pathlib import Path
from typing import Any

from config.environment import BASE_DIR, env


def database_from_env() -> dict[str, Any]:
    default = f"sqlite:///{BASE_DIR / 'db.sqlite3'}"
    database: dict[str, Any] = env.db("DATABASE_URL", default=default)
    database["ATOMIC_REQUESTS"] = False
    # Reuse database connections across requests (a new PostgreSQL connection costs milliseconds).
    database["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
    # Pages check a reused connection before their first query; the Connect webhook skips that
    # query and retries once on a dead connection instead (it is the hot path).
    database["CONN_HEALTH_CHECKS"] = env.bool("CONN_HEALTH_CHECKS", default=True)
    if database["ENGINE"] == "django.db.backends.sqlite3":
        # Development and tests on SQLite: threads (runserver, the live server, the simulator's
        # Connect deliveries) each have their own connection, so readers must not block the
        # writer (WAL), and a transaction takes the write lock when it begins (IMMEDIATE): a
        # writer then waits for another (timeout) instead of failing at once on a lock upgrade.
        # Tests use a file, not the shared in-memory database, whose table locks fail at once.
        database.setdefault("OPTIONS", {}).update(
            timeout=20,
            transaction_mode="IMMEDIATE",
            init_command="PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL",
        )
        database.setdefault("TEST", {}).setdefault(
            "NAME", str(Path(tempfile.gettempdir()) / f"countersign-test-{os.getpid()}.sqlite3")
        )
    if "postgresql" in database["ENGINE"]:
        # An unreachable database fails a request (and /readyz) in seconds instead of hanging.
        database.setdefault("OPTIONS", {}).setdefault(
            "connect_timeout", env.int("DATABASE_CONNECT_TIMEOUT", default=5)
        )
    return database
