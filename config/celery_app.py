"""The Celery app. Settings come from Django's settings with the CELERY_ prefix."""

import os

from celery import Celery, signals

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings")

app = Celery("countersign")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
# Each worker writes its own heartbeat while it is connected to the broker (not via beat).
app.steps["consumer"].add("ops.worker_heartbeat:WorkerHeartbeat")


@signals.setup_logging.connect
def _use_django_logging(**_: object) -> None:
    """Workers and beat log through settings.LOGGING (request ids, JSON, scrubbing)."""
    from logging.config import dictConfig

    from django.conf import settings

    dictConfig(settings.LOGGING)
