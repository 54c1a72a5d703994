from django.apps import AppConfig


class EnvelopesConfig(AppConfig):
    name = "envelopes"

    def ready(self) -> None:
        from connections.fields import FILE_ROTATORS
        from connections.signals import connection_healthy
        from envelopes import dev_poller
        from envelopes.documents.kept import rotate_all, rotate_files
        from envelopes.sending.waiting import on_connection_healthy

        connection_healthy.connect(on_connection_healthy, dispatch_uid="envelopes.sending.waiting")
        FILE_ROTATORS["envelopes.SignedDocument files"] = rotate_all
        FILE_ROTATORS["envelopes.Document uploads"] = rotate_files

        if dev_poller.wanted():
            dev_poller.start()
