"""One claim with a lease: a worker takes a row by a conditional update (queued and due, or
working under a claim older than the lease), so two workers never hold it at once, and a
worker that died is taken over once its lease has run out."""

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any, Generic, TypeVar

from django.db.models import F, Model, Q
from django.utils import timezone

from common.infrastructure import INFRASTRUCTURE_ERRORS

logger = logging.getLogger("countersign.claims")

M = TypeVar("M", bound=Model)


@dataclass(frozen=True)
class Claims(Generic[M]):
    """Claims on `model`'s rows: `status` moves between `queued` and `working`, `claimed_at`
    holds the claim, `next_attempt_at` when a queued row is due, and the field named
    `attempts` counts the attempts."""

    model: type[M]
    queued: str
    working: str
    attempts: str
    lease: Callable[[], timedelta]
    related: tuple[str, ...] = ()
    noun: str = "row"

    def take(self, pk: Any) -> M | None:
        """The row, claimed for its next attempt; None if another worker has it, it is not due
        yet, or it is done."""
        now = timezone.now()
        rows = self.model._default_manager
        queued = rows.filter(pk=pk, status=self.queued).filter(
            Q(next_attempt_at__isnull=True) | Q(next_attempt_at__lte=now)
        )
        abandoned = rows.filter(pk=pk, status=self.working, claimed_at__lt=now - self.lease())
        for candidates in (queued, abandoned):
            claimed = candidates.update(
                status=self.working,
                claimed_at=now,
                next_attempt_at=None,
                **{self.attempts: F(self.attempts) + 1},
            )
            if claimed == 1:
                try:
                    return rows.select_related(*self.related).get(pk=pk)
                except INFRASTRUCTURE_ERRORS:
                    self.release(pk)  # nothing reached DocuSign: not an attempt
                    raise
        return None

    def requeue(self, pk: Any, *, counts: bool, **fields: Any) -> int:
        """Back to the queue if still claimed, setting `fields`; an attempt that does not
        count is given back. Returns how many rows changed (0 or 1)."""
        return self.model._default_manager.filter(pk=pk, status=self.working).update(
            status=self.queued,
            claimed_at=None,
            **{self.attempts: F(self.attempts) - (0 if counts else 1)},
            **fields,
        )

    def release(self, pk: Any, *, gives_back: bool = True) -> None:
        """Back to the queue if the database lets us (giving the attempt back when nothing
        reached DocuSign); else the lease runs out and the sweep does it."""
        try:
            self.requeue(pk, counts=not gives_back)
        except INFRASTRUCTURE_ERRORS:
            logger.warning("Could not release %s %s; the sweep will", self.noun, pk)

    def abandoned_before(self, now: Any) -> Q:
        """Rows whose worker died: claimed longer ago than the lease (for the sweep)."""
        return Q(status=self.working, claimed_at__lt=now - self.lease())
