from django.apps import AppConfig


class OpsConfig(AppConfig):
    """Operations: health and readiness, metrics, request ids, logs, error reporting."""

    name = "ops"
    label = "ops"

    def ready(self) -> None:
        from common import request_id

        request_id.connect_signals()
