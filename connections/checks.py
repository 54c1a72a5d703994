"""System checks for risky configurations (ids countersign.*)."""

from typing import Any

from django.conf import settings
from django.core.checks import Error, Tags, Warning, register


@register()
def check_simulator(app_configs: Any, **kwargs: Any) -> list[Error]:
    if settings.DOCUSIGN_SIMULATOR and not settings.DEBUG:
        return [
            Error(
                "The DocuSign simulator is mounted while DJANGO_DEBUG is off.",
                hint="Unset DOCUSIGN_SIMULATOR in production: it accepts any login.",
                id="countersign.E001",
            )
        ]
    return []


@register()
def check_encryption_keys(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if settings.FIELD_ENCRYPTION_KEYS_DERIVED:
        return [
            Warning(
                "FIELD_ENCRYPTION_KEYS is not set; a key derived from the secret key is used.",
                hint="Fine for development. For anything else set FIELD_ENCRYPTION_KEYS.",
                id="countersign.W001",
            )
        ]
    return []


@register(Tags.security, deploy=True)
def check_site_url(app_configs: Any, **kwargs: Any) -> list[Warning]:
    if not settings.SITE_URL.startswith("https://"):
        return [
            Warning(
                f"SITE_URL is {settings.SITE_URL!r}, not https.",
                hint="DocuSign redirects consent to SITE_URL and Connect posts to it: "
                "use the public https address.",
                id="countersign.W002",
            )
        ]
    return []
