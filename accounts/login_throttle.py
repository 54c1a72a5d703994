"""What login throttling (django-axes) counts: the client's address behind
`TRUSTED_PROXY_COUNT` reverse proxies, and the username as typed, made storable.

Each proxy appends the address it received the request from to X-Forwarded-For, so with N
trusted proxies the client is the N-th entry from the right: entries further left were sent
by the client and prove nothing (a spoofed extra entry never changes the counted address).
django-ipware, which axes would otherwise use, counts proxies from the left or requires an
exact chain length (a spoofed entry then yields no address at all), so axes calls this
instead (`AXES_CLIENT_IP_CALLABLE`).
"""

import ipaddress
from typing import Any

from django.conf import settings
from django.http import HttpRequest


def attempted_username(request: HttpRequest, credentials: dict[str, Any] | None) -> str:
    """The username a login tried, as axes stores it: without NUL (PostgreSQL text cannot
    hold it: a 500) and cut to the 255 characters axes' column holds."""
    given = (credentials or {}).get("username")
    if given is None:
        given = request.POST.get("username", "") if request is not None else ""
    return str(given).replace("\x00", "")[:255]


def client_ip(request: HttpRequest) -> str | None:
    remote = request.META.get("REMOTE_ADDR") or None
    proxies: int = settings.TRUSTED_PROXY_COUNT
    if proxies <= 0:
        return remote
    chain = [h.strip() for h in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")]
    chain = [h for h in chain if h]
    if len(chain) < proxies:
        # Fewer entries than proxies: the request did not come through them all (a direct
        # connection, or a misconfigured count); the nearest address is all that is known.
        return remote
    candidate = chain[-proxies]
    try:
        return str(ipaddress.ip_address(candidate))
    except ValueError:
        # A trusted proxy wrote something that is not an address: count the proxy's own.
        return remote
