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
