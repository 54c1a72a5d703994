"""Removing secrets from text and structures before they leave the process (logs, Sentry).

The code already avoids logging secrets; this is the second line: whatever slips into a
message, a traceback or an error report is cut out by shape (PEM blocks, bearer tokens,
JWTs) or by name (a field called `token`, `private_key`, `state`…).
"""

import re
from typing import Any

REDACTED = "[redacted]"

# Names whose values are secret wherever they appear (dict keys, form fields, query params).
SECRET_NAMES = re.compile(
    r"token|secret|private_key|privatekey|password|passwd|assertion|authorization|cookie|"
    r"hmac|signature|api_key|apikey|fernet|encryption_key|dsn|^state$|consent_state|^code$|"
    r"csrf|session|documentbase64|pdfbytes|document_content|^body$|^file$|^content$",
    re.IGNORECASE,
)

_PATTERNS: list[tuple[re.Pattern[str], str]] = [
    # The Connect webhook's URL token (connections' `connect_token`): it authorises posting.
    (re.compile(r"(/connect/)[A-Za-z0-9_-]{16,}"), r"\1" + REDACTED),
    (
        re.compile(
            r"-----BEGIN[A-Z ]*PRIVATE KEY-----.*?(-----END[A-Z ]*PRIVATE KEY-----|$)", re.S
        ),
        "[redacted private key]",
    ),
    (re.compile(r"(?i)\bbearer\s+[A-Za-z0-9._~+/=-]+"), "Bearer " + REDACTED),
    (re.compile(r"\beyJ[A-Za-z0-9_-]{5,}\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*"), "[redacted jwt]"),
    (
        re.compile(
            r"(?i)\b(access_token|refresh_token|id_token|assertion|client_secret|password|"
            r"state|code|token|secret|private_key|hmac\w*|documentBase64|PDFBytes)(\\?[\"']?\s*[:=]\s*\\?[\"']?)([^\"'&\s,;}\\]+)"
        ),
        r"\1\2" + REDACTED,
    ),
]


def scrub_text(text: str) -> str:
    for pattern, replacement in _PATTERNS:
        text = pattern.sub(replacement, text)
    return text


def is_secret_name(name: object) -> bool:
    return isinstance(name, str) and bool(SECRET_NAMES.search(name))


def scrub(value: Any, depth: int = 0) -> Any:
    """A copy of `value` (dicts, lists, strings) with secret-named entries and secret-shaped
    text replaced."""
    if depth > 20:
        return REDACTED
    if isinstance(value, dict):
        return {
            k: (REDACTED if is_secret_name(k) and v not in (None, "") else scrub(v, depth + 1))
            for k, v in value.items()
        }
    if isinstance(value, list | tuple):
        return type(value)(scrub(v, depth + 1) for v in value)
    if isinstance(value, str):
        return scrub_text(value)
    return value
