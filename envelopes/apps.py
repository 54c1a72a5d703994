from django.apps import AppConfig


class EnvelopesConfig(AppConfig):
    name = "envelopes"

    def ready(self) -> None:
        from connections.fields import FILE_ROTATORS
        from envelopes import dev_poller
        from envelopes.documents import rotate_all
        from envelopes.storage import rotate_files

        FILE_ROTATORS["envelopes.SignedDocument files"] = rotate_all
        FILE_ROTATORS["envelopes.Document uploads"] = rotate_files

        if dev_poller.wanted():
            dev_poller.start()
