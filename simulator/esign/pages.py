"""Pages people use in the simulator: the signing page, the sender view and an inbox."""

import secrets
from datetime import timedelta
from urllib.parse import urlencode

from django.db.models import Q
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse
from django.utils import timezone

from simulator.esign import documents, identity, lifecycle
from simulator.models import SimRecipient, SimSigningSession, SimTextMessage

SESSION_TTL = timedelta(minutes=5)  # DocuSign's recipient view URLs expire after 5 minutes


def _return(url: str, event: str) -> HttpResponseRedirect:
    separator = "&" if "?" in url else "?"
    return HttpResponseRedirect(f"{url}{separator}{urlencode({'event': event})}")


def signing(request: HttpRequest, token: str) -> HttpResponse:
    session = get_object_or_404(
        SimSigningSession.objects.select_related("recipient__envelope"), token=token
    )
    recipient = session.recipient
    if session.used or timezone.now() - session.created > SESSION_TTL:
        return _return(session.return_url, "ttl_expired")
    if not lifecycle.is_their_turn(recipient):
        return _return(session.return_url, "exception")
    code_key = f"simulator-access-code-{session.pk}"
    if recipient.access_code and not request.session.get(code_key):
        # DocuSign asks for the access code before it shows anything (not case-sensitive).
        if request.method != "POST":
            return render(request, "simulator/access_code.html", {"recipient": recipient})
        given = str(request.POST.get("access_code", "")).strip()
        if given.casefold() != recipient.access_code.casefold():
            session.used = True
            session.save()
            return _return(session.return_url, "access_code_failed")
        request.session[code_key] = True
        return HttpResponseRedirect(request.path)
    phone_key = f"simulator-phone-verified-{session.pk}"
    if recipient.identity_verification and not request.session.get(phone_key):
        return _phone_check(request, session, phone_key)
    if request.method == "POST":
        session.used = True
        session.save()
        action = request.POST.get("action")
        if action == "decline":
            lifecycle.decline(
                recipient, request.POST.get("reason", "") or "Declined in the simulator"
            )
            return _return(session.return_url, "decline")
        if action == "finish_later":
            return _return(session.return_url, "cancel")
        values = {
            key.removeprefix("tab:"): str(request.POST.get(key, ""))
            for key in request.POST
            if key.startswith("tab:")
        }
        lifecycle.sign(recipient, values)
        return _return(session.return_url, "signing_complete")
    lifecycle.view(recipient)
    envelope = recipient.envelope
    fields = [
        tab
        for kind in ("textTabs", "fullNameTabs", "emailTabs", "numberTabs")
        for tab in recipient.tabs.get(kind, [])
    ]
    return render(
        request,
        "simulator/signing.html",
        {
            "recipient": recipient,
            "envelope": envelope,
            "documents": [
                (d, documents.document_text(d)) for d in envelope.documents.order_by("order")
            ],
            "fields": fields,
        },
    )


def _phone_check(request: HttpRequest, session: SimSigningSession, done_key: str) -> HttpResponse:
    """DocuSign's phone authentication, before anything is shown: the recipient picks one of
    the sender's numbers, gets a code by text message (the outbox) and types it. A wrong code
    ends the session (`id_check_failed`), as a wrong access code does."""
    numbers = identity.phones(session.recipient)
    sent = SimTextMessage.objects.filter(session=session).first()
    error = ""
    if request.method == "POST" and request.POST.get("action") == "send_code":
        choice = str(request.POST.get("phone", "0"))
        index = int(choice) if choice.isdigit() and int(choice) < len(numbers) else 0
        sent = identity.send_code(session, numbers[index])
    elif request.method == "POST" and request.POST.get("action") == "verify":
        if sent is None:
            error = "Ask for a code first."
        elif identity.code_matches(session, str(request.POST.get("code", ""))):
            request.session[done_key] = True
            return HttpResponseRedirect(request.path)
        else:
            session.used = True
            session.save()
            return _return(session.return_url, "id_check_failed")
    return render(
        request,
        "simulator/phone_code.html",
        {
            "recipient": session.recipient,
            "numbers": [identity.masked(n) for n in numbers],
            "sent_to": identity.masked(sent.phone) if sent else "",
            "error": error,
        },
    )


def sender(request: HttpRequest, token: str) -> HttpResponse:
    session = get_object_or_404(
        SimSigningSession.objects.select_related("recipient__envelope"), token=token
    )
    envelope = session.recipient.envelope
    if session.used or timezone.now() - session.created > SESSION_TTL:
        return _return(session.return_url, "ttl_expired")
    if request.method == "POST":
        session.used = True
        session.save()
        if request.POST.get("action") == "send":
            lifecycle.send(envelope)
            return _return(session.return_url, "Send")
        return _return(session.return_url, "Save")
    return render(request, "simulator/sender.html", {"envelope": envelope})


def inbox(request: HttpRequest) -> HttpResponse:
    """Emails a remote recipient would get: envelopes waiting for them, with a sign link."""
    email = request.GET.get("email", "").strip()
    waiting = (
        SimRecipient.objects.filter(
            Q(status__in=lifecycle.ACTIVE), envelope__status__in=lifecycle.ACTIVE, client_user_id=""
        )
        .exclude(kind="inPersonSigners")
        .select_related("envelope__sender")
    )
    if email:
        waiting = waiting.filter(email__iexact=email)
    if request.method == "POST":
        recipient = get_object_or_404(waiting, pk=request.POST.get("recipient"))
        back = (
            request.build_absolute_uri(reverse("simulator:inbox"))
            + f"?{urlencode({'email': email})}"
        )
        session = SimSigningSession.objects.create(
            token=secrets.token_urlsafe(32), recipient=recipient, return_url=back
        )
        return HttpResponseRedirect(reverse("simulator:signing", args=[session.token]))
    return render(request, "simulator/inbox.html", {"waiting": waiting, "email": email})
