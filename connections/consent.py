"""Individual consent: a signed, expiring link per request, the email, and the return page.

The `state` DocuSign echoes back names the ConsentRequest and is signed with a salt and a
max age (django.core.signing), so it cannot be forged, expires, and dies once used. The
authorization `code` DocuSign adds is never read: JWT Grant only needs the consent itself,
which a token mint then proves.
Reference: https://developers.docusign.com/platform/auth/consent/obtaining-individual-consent/
"""

from dataclasses import dataclass
from datetime import timedelta
from functools import partial

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone

from connections.credentials import credentials_for
from connections.models import Connection, ConsentRequest

SALT = "countersign.consent"


def lifetime() -> timedelta:
    return timedelta(days=settings.CONSENT_LINK_DAYS)


def state_for(request: ConsentRequest) -> str:
    return signing.dumps({"r": str(request.pk)}, salt=SALT, compress=True)


def redirect_uri() -> str:
    """Where DocuSign sends the user back; registered on the integration key."""
    return settings.SITE_URL + reverse("connections:consent-return")


def consent_link(connection: Connection, *, state: str = "") -> str:
    """The individual-consent URL for the connection's impersonated user."""
    return credentials_for(connection).consent_url(redirect_uri(), state)


def link_for(request: ConsentRequest) -> str:
    return consent_link(request.connection, state=state_for(request))


@transaction.atomic
def request_consent(
    *, connection: Connection, requested_by: User | AnonymousUser | None, email: str = ""
) -> ConsentRequest:
    """A new consent link; older pending links for the connection stop working. With an
    email address, the link is emailed to it by a worker."""
    ConsentRequest.objects.filter(
        connection=connection, outcome=ConsentRequest.Outcome.PENDING
    ).update(outcome=ConsentRequest.Outcome.SUPERSEDED, outcome_at=timezone.now())
    request = ConsentRequest.objects.create(
        connection=connection,
        requested_by=requested_by if isinstance(requested_by, User) else None,
        email=email,
        expires_at=timezone.now() + lifetime(),
    )
    if email:
        from connections.tasks import send_consent_email

        transaction.on_commit(partial(send_consent_email.delay, str(request.pk)))
    return request


def send_email(request: ConsentRequest) -> None:
    """HTML and text email explaining what the user grants, and why."""
    asked_by = request.requested_by.get_username() if request.requested_by else "an administrator"
    context = {
        "request": request,
        "connection": request.connection,
        "link": link_for(request),
        "asked_by": asked_by,
        "site_url": settings.SITE_URL,
        "expires": request.expires_at,
    }
    message = EmailMultiAlternatives(
        subject="Please allow Countersign to send documents from your DocuSign account",
        body=render_to_string("connections/email/consent.txt", context),
        to=[request.email],
    )
    message.attach_alternative(
        render_to_string("connections/email/consent.html", context), "text/html"
    )
    message.send()
    request.sent_at = timezone.now()
    request.save(update_fields=["sent_at"])


@dataclass(frozen=True)
class Return:
    kind: str  # granted, declined, unsigned, invalid, expired, used
    request: ConsentRequest | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.kind in ("granted", "declined", "unsigned")


def record_return(*, state: str, error: str = "", error_message: str = "") -> Return:
    """What DocuSign's redirect back means; the request is updated once, never replayed."""
    if not state:
        # A plain consent URL (e.g. from an error's advice) carries no state: nothing to
        # record here, and DocuSign has the consent if the user accepted.
        return Return("unsigned")
    try:
        data = signing.loads(state, salt=SALT, max_age=lifetime())
    except signing.SignatureExpired:
        return Return("expired")
    except signing.BadSignature:
        return Return("invalid")
    request_id = data.get("r") if isinstance(data, dict) else None
    request = (
        ConsentRequest.objects.select_related("connection").filter(pk=str(request_id)).first()
        if request_id
        else None
    )
    if request is None:
        return Return("invalid")
    if request.outcome != ConsentRequest.Outcome.PENDING:
        return Return("used", request)
    request.outcome_at = timezone.now()
    if error:
        request.outcome = ConsentRequest.Outcome.DECLINED
        request.error_code, request.error_message = error[:100], error_message[:500]
        request.save()
        return Return("declined", request, error_message)
    request.outcome = ConsentRequest.Outcome.GRANTED
    request.save()
    from connections.tasks import check_connection

    # Prove the consent by minting a token; the staff page turns green on its own.
    transaction.on_commit(partial(check_connection.delay, request.connection_id))
    return Return("granted", request)
