"""Loaded by pytest before Django's settings (`-p tests.pytest_env` in pyproject.toml).

Tests run in development mode with the simulator mounted, and threads (the live server,
Connect deliveries) must not keep database connections open past a test: the test database
is dropped at the end.
"""

import os

os.environ.setdefault("DJANGO_DEBUG", "true")
os.environ.setdefault("DOCUSIGN_SIMULATOR", "true")
os.environ.setdefault("CONN_MAX_AGE", "0")
# The `.env` that `make run` writes (its port, its secrets) is not the tests' business.
os.environ.setdefault("DJANGO_ENV_FILE", os.devnull)


def _own_redis_databases() -> None:
    """Under pytest-xdist each worker gets its own pair of Redis databases (cache, broker),
    as it gets its own test database: `cache.clear()` between tests flushes a whole database.
    Worker gwN moves REDIS_URL's database up by 2N (redis://h:6379/1 -> 1+2, 3+4, ...)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER", "")
    url = os.environ.get("REDIS_URL", "")
    if not worker.startswith("gw") or not url:
        return
    base, _, number = url.rstrip("/").rpartition("/")
    if not number.isdigit():
        raise RuntimeError(f"REDIS_URL must end in a database number, not '{number}' ({url}).")
    database = int(number) + 2 * int(worker[2:])
    if database + 1 > 15:
        raise RuntimeError(
            f"pytest-xdist worker {worker} would need Redis databases {database} and "
            f"{database + 1} (from REDIS_URL {url}): Redis has 0-15. Use a lower database in "
            "REDIS_URL or fewer workers (-n)."
        )
    os.environ["REDIS_URL"] = f"{base}/{database}"


_own_redis_databases()
