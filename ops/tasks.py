from typing import Any

from celery import shared_task


@shared_task(bind=True, ignore_result=True)
def heartbeat(self: Any) -> None:
    """Scheduled by beat every OPS_HEARTBEAT_SECONDS; proves a worker takes tasks."""
    from ops import heartbeat as beats

    beats.worker_alive(str(self.request.hostname or ""))
