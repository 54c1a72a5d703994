"""Keyset pagination for the envelope list: newest first, by (created_at, id).

OFFSET walks every skipped row and COUNT(*) scans the whole table, so both grow with it.
A page here starts from the key of the row it follows (`after`) or precedes (`before`),
which the index (created_at, id) finds directly; the first and the last page are the two
ends of that index. The count stops at COUNT_CAP ("more than 1,000"). Every page therefore
costs the same at 10,000 envelopes as at 1,000,000.
"""

import base64
import binascii
import uuid
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import Q, QuerySet
from django.utils.dateparse import parse_datetime

from envelopes.models import Envelope

COUNT_CAP = 1000


class BadCursor(ValueError):
    """A page link that was not made by us (or was edited)."""


def encode_cursor(envelope: Envelope) -> str:
    raw = f"{envelope.created_at.isoformat()}|{envelope.pk}"
    return base64.urlsafe_b64encode(raw.encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, uuid.UUID]:
    try:
        raw = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        stamp, pk = raw.split("|", 1)
        when = parse_datetime(stamp)
        if when is None:
            raise ValueError(stamp)
        return when, uuid.UUID(pk)
    except (ValueError, binascii.Error, UnicodeDecodeError):
        raise BadCursor("This page link is not valid; start again from the first page.") from None


@dataclass
class KeysetPage:
    rows: list[Envelope]
    count: int  # capped at COUNT_CAP + 1
    next_cursor: str = ""  # rows after this page (older)
    previous_cursor: str = ""  # rows before this page (newer)
    is_last: bool = False

    @property
    def count_label(self) -> str:
        return f"more than {COUNT_CAP:,}" if self.count > COUNT_CAP else f"{self.count:,}"

    def __iter__(self) -> Any:
        return iter(self.rows)

    def __len__(self) -> int:
        return len(self.rows)


def keyset_page(
    envelopes: QuerySet[Envelope],
    *,
    size: int,
    after: str = "",
    before: str = "",
    last: bool = False,
) -> KeysetPage:
    """One page of `envelopes` (newest first). Give `after` (the next page), `before` (the
    previous page), `last` (the oldest page), or nothing (the first page)."""
    newest_first = envelopes.order_by("-created_at", "-id")
    oldest_first = envelopes.order_by("created_at", "id")
    if after:
        when, pk = decode_cursor(after)
        # (created_at, id) < (when, pk), written so the index scan starts at `when`.
        older = Q(created_at__lte=when) & (Q(created_at__lt=when) | Q(id__lt=pk))
        rows = list(newest_first.filter(older)[: size + 1])
        more_older, more_newer = len(rows) > size, True
        rows = rows[:size]
    elif before:
        when, pk = decode_cursor(before)
        newer = Q(created_at__gte=when) & (Q(created_at__gt=when) | Q(id__gt=pk))
        rows = list(oldest_first.filter(newer)[: size + 1])
        if len(rows) < size:  # back at the top: show a full first page
            return keyset_page(envelopes, size=size)
        more_newer, more_older = len(rows) > size, True
        rows = rows[:size][::-1]
    elif last:
        rows = list(oldest_first[: size + 1])
        more_newer, more_older = len(rows) > size, False
        rows = rows[:size][::-1]
    else:
        rows = list(newest_first[: size + 1])
        more_older, more_newer = len(rows) > size, False
        rows = rows[:size]
    count = envelopes.order_by()[: COUNT_CAP + 1].count()
    return KeysetPage(
        rows=rows,
        count=count,
        next_cursor=encode_cursor(rows[-1]) if rows and more_older else "",
        previous_cursor=encode_cursor(rows[0]) if rows and more_newer else "",
        is_last=not more_older,
    )
