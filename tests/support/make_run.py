"""`make run` as a newcomer runs it: scripts/run-dev in a fresh shell environment, with its
own `.env` and SQLite database in a temporary folder, on a free port."""

import os
import re
import signal
import socket
import subprocess
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

import requests

ROOT = Path(__file__).resolve().parents[2]
# What the test process sets for itself; a newcomer's shell has none of it.
NOT_IN_A_FRESH_SHELL = {
    "DJANGO_DEBUG",
    "DOCUSIGN_SIMULATOR",
    "DJANGO_ENV_FILE",
    "SITE_URL",
    "REDIS_URL",
    "DATABASE_URL",
    "CONN_MAX_AGE",
    "DJANGO_SETTINGS_MODULE",
    "DOCUSIGN_DEMO_AUTH_SERVER",
    "FIELD_ENCRYPTION_KEYS",
    "DJANGO_SECRET_KEY",
    "DEV_STAFF_PASSWORD",
    "PORT",
    "RUN_ADDR",
    "RUN_MAIN",
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Checkout:
    """The parts of a checkout `make run` writes: `.env` and the database."""

    folder: Path
    output: list[str] = field(default_factory=list)
    process: subprocess.Popen[str] | None = None

    @property
    def env_file(self) -> Path:
        return self.folder / ".env"

    def environ(self, **extra: str) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if k not in NOT_IN_A_FRESH_SHELL}
        # Stand-ins for "the checkout's own .env and db.sqlite3" (the real ones stay untouched).
        env["DJANGO_ENV_FILE"] = str(self.env_file)
        env["DATABASE_URL"] = f"sqlite:///{self.folder / 'db.sqlite3'}"
        env["MEDIA_ROOT"] = str(self.folder / "media")
        env.update(extra)
        return env

    def start(self, timeout: float = 90.0, **extra: str) -> str:
        """Run `make run`'s script; returns the base URL once the server answers."""
        self.output = []
        self.process = subprocess.Popen(  # noqa: S603 (our own script)
            [str(ROOT / "scripts" / "run-dev")],
            cwd=ROOT,
            env=self.environ(**extra),
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            start_new_session=True,  # its own process group: runserver's reloader included
        )
        assert self.process.stdout is not None
        deadline = time.monotonic() + timeout
        url = ""
        while not url and time.monotonic() < deadline:
            line = self.process.stdout.readline()
            if not line:
                raise AssertionError("make run stopped:\n" + "".join(self.output))
            self.output.append(line)
            if match := re.match(r"Countersign: (http://\S+)/", line):
                url = match.group(1)
        # Keep reading what the server prints: a pipe nobody drains fills up (64 KiB of
        # request logs) and the server then blocks on its next log line, mid-request.
        threading.Thread(target=self._drain, args=(self.process.stdout,), daemon=True).start()
        while time.monotonic() < deadline:
            try:
                requests.get(f"{url}/accounts/login/", timeout=2)
                return url
            except requests.ConnectionError:
                time.sleep(0.2)
        raise AssertionError("make run did not serve in time:\n" + "".join(self.output))

    def _drain(self, stream: IO[str]) -> None:
        try:
            for line in stream:
                self.output.append(line)
        except ValueError:  # closed by stop()
            return

    def login(self) -> tuple[str, str]:
        text = "".join(self.output)
        match = re.search(r"Staff login: (\S+) / (\S+)", text)
        assert match, text
        return match.group(1), match.group(2)

    def manage(self, *args: str) -> subprocess.CompletedProcess[str]:
        """A README command, typed in another terminal while the server runs."""
        return subprocess.run(  # noqa: S603 (our own manage.py)
            [str(ROOT / ".venv" / "bin" / "python"), "manage.py", *args],
            cwd=ROOT,
            env=self.environ(),
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )

    def stop(self) -> None:
        if self.process is None:
            return
        try:
            os.killpg(self.process.pid, signal.SIGTERM)
        except ProcessLookupError:
            return
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait(timeout=5)
        if self.process.stdout:
            self.process.stdout.close()
        self.process = None
