"""The eSignature REST v2.1 client: one account, bearer tokens, careful retries.

Reference: https://developers.docusign.com/docs/esign-rest-api/reference/
"""

import random
import time
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Protocol
from urllib.parse import quote

import requests

from connections.docusign.error_bodies import error_from_response, read_json
from connections.docusign.errors import DocuSignUnreachable, RateLimited
from connections.docusign.rate_limits import BURST_WINDOW, retry_after_seconds
from connections.docusign.transport import CallHook, Transport, check_host

RETRY_METHODS = frozenset({"GET", "PUT", "DELETE"})  # POST creates things: never blindly again
RETRY_STATUSES = frozenset({502, 503, 504})
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
MAX_BURST_WAITS = 3  # burst windows one call may wait for before giving up to its caller


class TokenProvider(Protocol):
    def get(self, *, force_refresh: bool = False) -> str: ...


class Budget(Protocol):
    """The account's shared API budget (connections.budget.SharedBudget)."""

    def acquire(self) -> float: ...
    def observe(self, response: requests.Response) -> None: ...
    def limited(self, error: RateLimited) -> None: ...


def to_docusign_json(value: Any) -> Any:
    """DocuSign types every scalar as a string: 2 → "2", True → "true"; None is dropped."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return str(value)
    if isinstance(value, Mapping):
        return {str(k): to_docusign_json(v) for k, v in value.items() if v is not None}
    if isinstance(value, list | tuple):
        return [to_docusign_json(v) for v in value]
    return value


class DocuSignClient:
    def __init__(
        self,
        *,
        base_uri: str,
        account_id: str,
        token_provider: TokenProvider,
        allowed_hosts: Sequence[str],
        allow_http_loopback: bool = False,
        connect_timeout: float = 5.0,
        read_timeout: float = 30.0,
        ca_bundle: str = "",
        on_call: CallHook | None = None,
        max_retries: int = 3,
        sleep: Callable[[float], None] | None = None,
        jitter: Callable[[], float] = random.random,
        budget: Budget | None = None,
    ) -> None:
        self.base_url = f"{base_uri.rstrip('/')}/restapi/v2.1/accounts/{account_id}"
        self.account_id = account_id
        self.token_provider = token_provider
        self.allowed_hosts = allowed_hosts
        self.allow_http_loopback = allow_http_loopback
        self.transport = Transport(
            connect_timeout=connect_timeout,
            read_timeout=read_timeout,
            ca_bundle=ca_bundle,
            on_call=on_call,
        )
        self.max_retries = max_retries
        self.sleep = sleep or (lambda seconds: _sleep(seconds))
        self.jitter = jitter
        self.budget = budget

    # --- public API -------------------------------------------------------------------

    def request(
        self,
        method: str,
        path: str,
        *,
        path_params: Mapping[str, str] | None = None,
        params: Mapping[str, Any] | None = None,
        json: Any = None,
        stream: bool = False,
    ) -> requests.Response:
        """Call `{base}/restapi/v2.1/accounts/{account}{path}`; raise DocuSignError on failure."""
        method = method.upper()
        quoted = {k: quote(str(v), safe="") for k, v in (path_params or {}).items()}
        url = self.base_url + path.format(**quoted)
        check_host(
            url, allowed_hosts=self.allowed_hosts, allow_http_loopback=self.allow_http_loopback
        )
        body = to_docusign_json(json) if json is not None else None
        attempt, burst_waits, refreshed, force_refresh = 0, 0, False, False
        while True:
            self._take_budget()
            token = self.token_provider.get(force_refresh=force_refresh)
            force_refresh = False
            try:
                response = self.transport.send(
                    method,
                    url,
                    path_template=path or "/",  # "" is the account itself
                    params=params,
                    json=body,
                    headers={"Authorization": f"Bearer {token}", "Accept": "application/json"},
                    stream=stream,
                )
            except DocuSignUnreachable:
                if method in RETRY_METHODS and attempt < self.max_retries:
                    self.sleep(self._backoff(attempt))
                    attempt += 1
                    continue
                raise
            if self.budget is not None:
                self.budget.observe(response)
            if 200 <= response.status_code < 300:
                return response
            if response.status_code == 401 and not refreshed:
                # The token was revoked or expired early; nothing was done: mint and retry once.
                refreshed = force_refresh = True
                continue
            error = error_from_response(response)
            if isinstance(error, RateLimited):
                if self.budget is not None:
                    self.budget.limited(error)
                # A refused call did nothing, so even a POST may go again, but only after a
                # burst window; an hourly limit is the caller's to wait for (reschedule).
                if error.is_burst and burst_waits < MAX_BURST_WAITS:
                    self.sleep(_until(error.retry_at))
                    burst_waits += 1
                    continue
                raise error
            if self._should_retry(method, response) and attempt < self.max_retries:
                self.sleep(self._retry_delay(attempt, response))
                attempt += 1
                continue
            raise error

    # JSON shortcuts; options (path_params, params, json) are those of request().
    def get_json(self, path: str, **options: Any) -> dict[str, Any]:
        return _json(self.request("GET", path, **options))

    def post_json(self, path: str, **options: Any) -> dict[str, Any]:
        return _json(self.request("POST", path, **options))

    def put_json(self, path: str, **options: Any) -> dict[str, Any]:
        return _json(self.request("PUT", path, **options))

    # --- retries and pacing -----------------------------------------------------------

    @staticmethod
    def _should_retry(method: str, response: requests.Response) -> bool:
        return method in RETRY_METHODS and response.status_code in RETRY_STATUSES

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter."""
        return self.jitter() * min(BACKOFF_CAP, BACKOFF_BASE * 2.0**attempt) + 0.05

    def _retry_delay(self, attempt: int, response: requests.Response) -> float:
        delay = self._backoff(attempt)
        retry_after = retry_after_seconds(response)
        if retry_after is not None:
            delay = max(delay, retry_after)
        return min(delay, BURST_WINDOW)  # no thread sleeps longer than a burst window

    def _take_budget(self) -> None:
        """Wait for the shared burst window if it is full (raises when the hour is spent)."""
        if self.budget is None:
            return
        for _ in range(MAX_BURST_WAITS + 1):
            wait = self.budget.acquire()
            if wait <= 0:
                return
            self.sleep(wait)


def _sleep(seconds: float) -> None:
    """The default wait (a module function, so tests can watch every wait)."""
    time.sleep(seconds)


def _until(at: float | None) -> float:
    if at is None:
        return BURST_WINDOW
    return min(BURST_WINDOW + 0.5, max(0.0, at - time.time()))


def _json(response: requests.Response) -> dict[str, Any]:
    body = read_json(response)
    if body is None:
        return {}
    return body if isinstance(body, dict) else {"items": body}
