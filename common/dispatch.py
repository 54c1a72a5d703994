"""The one seam through which domain code hands work to a Celery worker.

Domain modules never import task modules (the tasks import the domain, at module level):
they name the task here. Every piece of work already has a row saying what is to be done, so
a broker that is down loses nothing: the periodic sweep dispatches the work again.
"""

import logging
from datetime import datetime
from functools import partial
from typing import Any

from celery import current_app
from django.db import transaction

from common.infrastructure import INFRASTRUCTURE_ERRORS

logger = logging.getLogger("countersign.dispatch")


def task(name: str) -> Any:
    """The task registered as `name` (a KeyError names a task that does not exist)."""
    if name not in current_app.tasks:
        # Outside a worker nothing has imported the apps' task modules yet: autodiscover.
        current_app.loader.import_default_modules()
    return current_app.tasks[name]


def enqueue(
    name: str,
    *args: Any,
    kwargs: dict[str, Any] | None = None,
    countdown: float | None = None,
    eta: datetime | None = None,
) -> bool:
    """Queue the task registered as `name`; False (logged) if the broker is unreachable."""
    try:
        if kwargs is None and countdown is None and eta is None:
            task(name).delay(*args)
        else:
            task(name).apply_async(args, kwargs, countdown=countdown, eta=eta)
    except INFRASTRUCTURE_ERRORS as exc:
        logger.warning("Could not queue %s%s (%s); the sweep will", name, args, exc)
        return False
    return True


def enqueue_on_commit(name: str, *args: Any, **options: Any) -> None:
    """Queue the task once the current transaction commits (at once outside one)."""
    transaction.on_commit(partial(enqueue, name, *args, **options))


def runs_inline() -> bool:
    """Tasks run inline (development without a broker, tests): nothing can wait for later."""
    return bool(current_app.conf.task_always_eager)
