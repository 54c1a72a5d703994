from django.apps import AppConfig


class EnvelopesConfig(AppConfig):
    name = "envelopes"

    def ready(self) -> None:
        from envelopes import dev_poller

        if dev_poller.wanted():
            dev_poller.start()
