"""Individual consent: a signed link per request, the email, and the return page.

The `state` DocuSign echoes back names the ConsentRequest and is signed with a salt
(django.core.signing), so it cannot be forged. It does not gate anything: DocuSign records
consent at "Allow access" whatever our link's age or history, so every return with an
allow makes a worker ask DocuSign (a JWT Grant for the connection's user) what it now holds,
and the page says that. The authorization `code` DocuSign adds is never read: JWT Grant
only needs the consent itself.
Reference: https://developers.docusign.com/platform/auth/consent/obtaining-individual-consent/
"""

from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import AnonymousUser, User
from django.core import signing
from django.core.mail import EmailMultiAlternatives
from django.db import transaction
from django.template.loader import render_to_string
from django.utils import timezone

from common.dispatch import enqueue_on_commit
from connections.credentials import consent_link
from connections.docusign.errors import ConsentRequired
from connections.models import Connection, ConsentRequest
from connections.services import check_connection

SALT = "countersign.consent"
TOKEN_STEP = "Access token obtained"  # noqa: S105 (a check step's name, proves consent)


def lifetime() -> timedelta:
    return timedelta(days=settings.CONSENT_LINK_DAYS)


def state_for(request: ConsentRequest) -> str:
    return signing.dumps({"r": str(request.pk)}, salt=SALT, compress=True)


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
        enqueue_on_commit("connections.tasks.send_consent_email", str(request.pk))
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
    kind: str  # allowed, declined, unsigned, invalid
    request: ConsentRequest | None = None
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.kind != "invalid"


def request_from_state(state: str) -> ConsentRequest | None:
    """The request a state names, if we signed it. Age and earlier answers do not matter
    here: DocuSign records an "Allow access" whatever our link's state."""
    try:
        data = signing.loads(state, salt=SALT)
    except signing.BadSignature:
        return None
    request_id = data.get("r") if isinstance(data, dict) else None
    if not request_id:
        return None
    return ConsentRequest.objects.select_related("connection").filter(pk=str(request_id)).first()


def record_return(*, state: str, error: str = "", error_message: str = "") -> Return:
    """What DocuSign's redirect back means. A decline is recorded on a link still waiting;
    an allow makes a worker ask DocuSign whether consent now exists (`confirm`)."""
    if not state:
        # A plain consent URL (e.g. from an error's advice) names no connection: nothing to
        # check here, and DocuSign has the consent if the user allowed access.
        return Return("unsigned")
    request = request_from_state(state)
    if request is None:
        return Return("invalid")
    now = timezone.now()
    if error:
        # DocuSign recorded nothing; a link already granted keeps its (true) outcome.
        if request.outcome != ConsentRequest.Outcome.GRANTED:
            request.outcome, request.outcome_at = ConsentRequest.Outcome.DECLINED, now
            request.error_code, request.error_message = error[:100], error_message[:500]
            request.save()
        return Return("declined", request, error_message)
    request.outcome, request.outcome_at = ConsentRequest.Outcome.CHECKING, now
    request.allowed_at = now
    request.error_code = request.error_message = ""
    request.save()
    enqueue_on_commit("connections.tasks.confirm_consent", str(request.pk))
    return Return("allowed", request)


def confirm(request: ConsentRequest) -> ConsentRequest:
    """Ask DocuSign (a JWT Grant for the connection's user, i.e. the connection check) whether
    consent exists now, and record the answer on the request and the connection."""

    result = check_connection(connection=request.connection)
    error = result.error
    # A token for the user proves the consent, even if a later step (say, choosing among
    # several accounts) still needs staff: they see that on the connection.
    if error is None or any(s.ok and s.name == TOKEN_STEP for s in result.steps):
        request.outcome = ConsentRequest.Outcome.GRANTED
        request.error_code = request.error_message = ""
    elif isinstance(error, ConsentRequired):
        # DocuSign was told "Allow access", yet has no consent from the connection's user:
        # whoever allowed it was logged in to DocuSign as someone else.
        request.outcome = ConsentRequest.Outcome.WRONG_USER
        request.error_code = error.error_code[:100]
        request.error_message = (
            f"DocuSign has no consent from {expected_user(request.connection)}: access was "
            "allowed while logged in to DocuSign as a different user."
        )[:500]
    else:
        request.outcome = ConsentRequest.Outcome.UNCONFIRMED
        request.error_code = error.error_code[:100]
        request.error_message = f"{error} {error.advice}"[:500]
    request.outcome_at = timezone.now()
    request.save()
    return request


def expected_user(connection: Connection) -> str:
    """The DocuSign user Countersign acts as, as a person would recognise them."""
    if connection.user_email:
        return f"{connection.user_email} (user ID {connection.user_id})"
    return f"the user with ID {connection.user_id}"
