"""Real processes for tests that kill them: our own redis-server and Celery workers, free
ports and waiting for conditions.

Each runs in its own process group so SIGKILL takes all of it (a worker's pool children
too). The Redis is ours alone, on a free port: killing it touches no one else's data.
"""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TypeVar

T = TypeVar("T")

ROOT = Path(__file__).resolve().parents[2]
VENV_BIN = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_for_port(port: int, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as s:
            if s.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.05)
    raise RuntimeError(f"nothing listens on {port} after {timeout}s")


class Process:
    def __init__(self, args: list[str], env: dict[str, str], log: Path) -> None:
        self.args, self.env, self.log = args, env, log
        self.proc: subprocess.Popen[bytes] | None = None

    def start(self) -> None:
        with self.log.open("ab") as out:  # the child keeps its own copy of the descriptor
            self.proc = subprocess.Popen(  # noqa: S603
                self.args,
                cwd=ROOT,
                env=self.env,
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )

    def kill(self, sig: int = signal.SIGKILL) -> None:
        if self.proc is None:
            return
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, sig)
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait()
        self.proc = None


class OwnRedis(Process):
    """A redis-server that keeps nothing on disk: a restart empties it, like a crash."""

    def __init__(self) -> None:
        self.port = free_port()
        self.dir = tempfile.mkdtemp(prefix="test-redis-")
        redis = shutil.which("redis-server") or "/usr/bin/redis-server"
        args = [redis, "--port", str(self.port), "--bind", "127.0.0.1", "--save", ""]
        args += ["--appendonly", "no", "--dir", self.dir]
        super().__init__(args, dict(os.environ), Path(self.dir) / "redis.log")

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        super().start()
        wait_for_port(self.port)

    def stop(self) -> None:
        self.kill()
        shutil.rmtree(self.dir, ignore_errors=True)


def celery_worker(env: dict[str, str], log: Path, *, name: str) -> Process:
    """A worker with its own beat (-B), so the sweep runs without us touching the broker."""
    args = [str(VENV_BIN / "celery"), "-A", "config", "worker", "-B", "--concurrency=2"]
    args += ["--loglevel=INFO", "--without-gossip", "--without-mingle", f"-n{name}@%h"]
    args += [f"--schedule={log.parent / (name + '-beat')}"]
    return Process(args, env, log)


def wait_for(condition: Callable[[], T], *, timeout: float, what: str, every: float = 0.2) -> T:
    deadline = time.monotonic() + timeout
    while True:
        value = condition()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"timed out after {timeout} s waiting for {what}")
        time.sleep(every)


@contextlib.contextmanager
def redis_server() -> Iterator[OwnRedis]:
    """Our own redis-server for the test's duration; `kill()` and `start()` restart it empty."""
    server = OwnRedis()
    server.start()
    try:
        yield server
    finally:
        server.stop()
