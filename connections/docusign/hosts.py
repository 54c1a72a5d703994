"""Which hosts a DocuSign base URI may point at, and how a base URI is normalised."""

import ipaddress
from collections.abc import Sequence
from urllib.parse import urlsplit


class BaseUriError(ValueError):
    """A base URI that Countersign will not send credentials to; the message says why."""


def is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def is_allowed_host(host: str, allowed: Sequence[str]) -> bool:
    """`allowed` entries starting with a dot are suffixes (".docusign.net"); others are exact."""
    host = host.lower().rstrip(".")
    for entry in allowed:
        entry = entry.lower().strip()
        if not entry:
            continue
        if entry.startswith("."):
            if host.endswith(entry) or host == entry[1:]:
                return True
        elif host == entry:
            return True
    return False


def normalize_base_uri(
    value: str, *, allowed_hosts: Sequence[str], allow_http_loopback: bool
) -> str:
    """Return `value` as `scheme://host[:port][/path]` without a trailing slash or `/restapi`.

    Raises BaseUriError with a message a person can act on.
    """
    value = value.strip()
    parts = urlsplit(value)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise BaseUriError(
            "Enter the base URI as a full address, for example https://demo.docusign.net "
            "(the 'Account Base URI' on DocuSign's Apps and Keys page)."
        )
    if parts.username or parts.password or parts.query or parts.fragment:
        raise BaseUriError(
            "The base URI must be just scheme and host, like https://na3.docusign.net, "
            "without user names, '?' queries or '#' fragments."
        )
    host = parts.hostname
    if parts.scheme == "http" and not (allow_http_loopback and is_loopback(host)):
        raise BaseUriError(
            "The base URI must use https:// (DocuSign only serves its API over HTTPS)."
        )
    if not is_allowed_host(host, allowed_hosts):
        raise BaseUriError(
            f"{host} is not a DocuSign API host. Use the Account Base URI shown on DocuSign's "
            f"Apps and Keys page (hosts ending in {', '.join(allowed_hosts)}); to allow another "
            "host, add it to DOCUSIGN_ALLOWED_API_HOSTS."
        )
    path = parts.path.rstrip("/")
    for suffix in ("/restapi/v2.1", "/restapi"):
        if path.lower().endswith(suffix):
            path = path[: -len(suffix)]
    netloc = host if parts.port is None else f"{host}:{parts.port}"
    return f"{parts.scheme}://{netloc}{path}"
