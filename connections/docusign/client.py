"""The eSignature REST v2.1 client: one account, bearer tokens, careful retries.

Reference: https://developers.docusign.com/docs/esign-rest-api/reference/
"""

import random
import threading
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Protocol
from urllib.parse import quote

import requests

from connections.docusign.errors import (
    DocuSignError,
    DocuSignUnreachable,
    RateLimited,
    error_from_response,
    read_json,
    retry_after_seconds,
)
from connections.docusign.transport import CallHook, Transport, check_host, header_int

RETRY_METHODS = frozenset({"GET", "PUT", "DELETE"})  # POST creates things: never blindly again
RETRY_STATUSES = frozenset({429, 502, 503, 504})
BACKOFF_BASE = 0.5
BACKOFF_CAP = 30.0
# Below this share of the hourly budget, spread the remaining calls until the reset.
LOW_BUDGET_SHARE = 0.02
MAX_PACING_DELAY = 10.0


class TokenProvider(Protocol):
    def get(self, *, force_refresh: bool = False) -> str: ...


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


@dataclass
class _Budget:
    limit: int | None = None
    remaining: int | None = None
    reset_at: float | None = None  # Unix seconds


# Per process and account: what DocuSign last told us about the hourly budget.
_budgets: dict[str, _Budget] = {}
_budgets_lock = threading.Lock()


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
        sleep: Callable[[float], None] = time.sleep,
        jitter: Callable[[], float] = random.random,
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
        self.sleep = sleep
        self.jitter = jitter

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
        attempt, refreshed, force_refresh = 0, False, False
        while True:
            self._pace()
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
            self._remember_budget(response)
            if 200 <= response.status_code < 300:
                return response
            if response.status_code == 401 and not refreshed:
                # The token was revoked or expired early; nothing was done: mint and retry once.
                refreshed = force_refresh = True
                continue
            error = error_from_response(response)
            if self._should_retry(method, response, error) and attempt < self.max_retries:
                self.sleep(self._retry_delay(attempt, error, response))
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
    def _should_retry(method: str, response: requests.Response, error: DocuSignError) -> bool:
        if method not in RETRY_METHODS:
            return False
        return response.status_code in RETRY_STATUSES or isinstance(error, RateLimited)

    def _backoff(self, attempt: int) -> float:
        """Exponential backoff with full jitter."""
        return self.jitter() * min(BACKOFF_CAP, BACKOFF_BASE * 2.0**attempt) + 0.05

    def _retry_delay(
        self, attempt: int, error: DocuSignError, response: requests.Response
    ) -> float:
        delay = self._backoff(attempt)
        retry_after = retry_after_seconds(response)
        if retry_after is not None:
            delay = max(delay, retry_after)
        elif isinstance(error, RateLimited):
            reset = header_int(response, "X-RateLimit-Reset")
            if reset is not None:
                delay = max(delay, reset - time.time())
        return min(delay, 3600.0)

    def _remember_budget(self, response: requests.Response) -> None:
        remaining = header_int(response, "X-RateLimit-Remaining")
        if remaining is None:
            return
        with _budgets_lock:
            budget = _budgets.setdefault(self.account_id, _Budget())
            budget.remaining = remaining
            budget.limit = header_int(response, "X-RateLimit-Limit") or budget.limit
            reset = header_int(response, "X-RateLimit-Reset")
            budget.reset_at = float(reset) if reset is not None else budget.reset_at

    def pacing_delay(self) -> float:
        """Seconds to wait before the next call so the hourly budget lasts until its reset."""
        budget = _budgets.get(self.account_id)
        if budget is None or budget.remaining is None or budget.reset_at is None:
            return 0.0
        until_reset = budget.reset_at - time.time()
        if until_reset <= 0:
            return 0.0
        threshold = max(10, int((budget.limit or 3000) * LOW_BUDGET_SHARE))
        if budget.remaining > threshold:
            return 0.0
        return float(min(MAX_PACING_DELAY, until_reset / max(budget.remaining, 1)))

    def _pace(self) -> None:
        delay = self.pacing_delay()
        if delay > 0:
            self.sleep(delay)


def _json(response: requests.Response) -> dict[str, Any]:
    body = read_json(response)
    if body is None:
        return {}
    return body if isinstance(body, dict) else {"items": body}
