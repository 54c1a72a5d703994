"""HTTP plumbing shared by the auth server and the eSignature API clients.

One pooled `requests.Session` per process and origin; TLS trust from our own setting; every
call reported to an `on_call` hook as a `CallRecord` (never a token, body or query string).
"""

import logging
import os
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

import certifi
import requests

from connections.docusign.error_bodies import error_code_of
from connections.docusign.errors import DocuSignUnreachable, HostNotAllowed
from connections.docusign.hosts import is_allowed_host, is_loopback

logger = logging.getLogger("countersign.docusign")


@dataclass(frozen=True)
class CallRecord:
    method: str
    path_template: str
    status: int | None
    duration_ms: int
    error_code: str = ""
    rate_limit_remaining: int | None = None


CallHook = Callable[[CallRecord], None]

_sessions: dict[tuple[int, str], requests.Session] = {}
_sessions_lock = threading.Lock()


def session_for(url: str) -> requests.Session:
    """A pooled session per process (sockets must not cross a fork) and origin."""
    parts = urlsplit(url)
    key = (os.getpid(), f"{parts.scheme}://{parts.netloc}")
    session = _sessions.get(key)
    if session is None:
        with _sessions_lock:
            session = _sessions.setdefault(key, requests.Session())
    return session


def header_int(response: requests.Response, name: str) -> int | None:
    value = response.headers.get(name)
    try:
        return int(value) if value is not None else None
    except ValueError:
        return None


class Transport:
    def __init__(
        self,
        *,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        ca_bundle: str = "",
        on_call: CallHook | None = None,
    ) -> None:
        self.timeout = (connect_timeout, read_timeout)
        # A path string is never replaced by requests' REQUESTS_CA_BUNDLE lookup (True is).
        self.verify: str = ca_bundle or certifi.where()
        self.on_call = on_call

    def send(
        self,
        method: str,
        url: str,
        *,
        path_template: str,
        params: Mapping[str, Any] | None = None,
        data: Mapping[str, str] | None = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        stream: bool = False,
    ) -> requests.Response:
        """Send one request; any HTTP status comes back, network failures raise."""
        started = time.monotonic()
        try:
            response = session_for(url).request(
                method,
                url,
                params=params,
                data=data,
                json=json,
                headers=headers,
                timeout=self.timeout,
                verify=self.verify,
                stream=stream,
                allow_redirects=False,  # never carry a bearer token to another host
            )
        except requests.RequestException as exc:
            self._report(method, path_template, None, started, "unreachable")
            host = urlsplit(url).netloc
            raise DocuSignUnreachable(f"{type(exc).__name__} talking to {host}") from None
        error_code = ""
        if response.status_code >= 400 and not stream:
            error_code = error_code_of(response)
        self._report(
            method,
            path_template,
            response.status_code,
            started,
            error_code,
            header_int(response, "X-RateLimit-Remaining"),
        )
        return response

    def _report(
        self,
        method: str,
        path_template: str,
        status: int | None,
        started: float,
        error_code: str,
        remaining: int | None = None,
    ) -> None:
        duration_ms = int((time.monotonic() - started) * 1000)
        record = CallRecord(method, path_template, status, duration_ms, error_code, remaining)
        logger.info(
            "DocuSign %s %s -> %s in %d ms%s",
            method,
            path_template,
            status if status is not None else "no response",
            duration_ms,
            f" ({error_code})" if error_code else "",
        )
        if self.on_call is not None:
            self.on_call(record)


def check_host(url: str, *, allowed_hosts: Sequence[str], allow_http_loopback: bool) -> None:
    """Refuse to send a token anywhere but an allowed DocuSign API host."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    if not is_allowed_host(host, allowed_hosts):
        raise HostNotAllowed(f"{host or url!r} is not in DOCUSIGN_ALLOWED_API_HOSTS")
    if parts.scheme != "https" and not (allow_http_loopback and is_loopback(host)):
        raise HostNotAllowed(f"{parts.scheme}:// is refused for {host}; DocuSign needs https")
