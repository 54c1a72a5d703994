"""A walk through the OWASP Top 10 categories that apply to Countersign.

Each test names its category, what it tries as an attacker would, and what it asserts. The
deeper tests of each finding live beside this module (test_permissions, test_signers,
test_abuse) and in tests/browser/test_documents_run_no_script.py; this walk covers each
category end to end at the HTTP boundary.
"""

import logging
import re

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse

from connections.docusign.hosts import BaseUriError, normalize_base_uri
from envelopes.composing.generation import render_document, validate_body
from envelopes.models import Envelope, Recipient
from tests.factories import (
    ConnectionFactory,
    DocumentTemplateFactory,
    EnvelopeFactory,
    RecipientFactory,
    UserFactory,
)
from tests.keys import rsa_key

pytestmark = pytest.mark.django_db


def envelope_of(sender, **kwargs):
    fields = {
        "subject": "Contract",
        "status": "sent",
        "docusign_envelope_id": "11111111-2222-3333-4444-555555555555",
        **kwargs,
    }
    envelope = EnvelopeFactory(sender=sender, **fields)
    recipient = RecipientFactory(
        envelope=envelope, name="Rita", email="rita@example.com", recipient_id="1", status="sent"
    )
    return envelope, recipient


def every_envelope_url(envelope, recipient):
    pk = envelope.pk
    return [
        ("get", reverse("envelopes:detail", args=[pk])),
        ("post", reverse("envelopes:sign", args=[pk, recipient.pk])),
        ("get", reverse("envelopes:signed", args=[pk])),
        ("post", reverse("envelopes:void", args=[pk])),
        ("post", reverse("envelopes:refresh", args=[pk])),
        ("post", reverse("envelopes:draft", args=[pk])),
        ("get", reverse("envelopes:draft-return", args=[pk])),
        ("get", reverse("envelopes:values", args=[pk, recipient.pk])),
        ("get", reverse("envelopes:download", args=[pk, "combined"])),
        ("get", reverse("envelopes:upload", args=[pk, 1])),
        ("get", reverse("envelopes:preview", args=[pk, "combined"])),
    ]


def test_a01_broken_access_control(client):
    """Tries: another sender, a staff user without envelope permissions, and a user in the
    same team without the team permission, on every envelope endpoint; a recipient id of one
    envelope on another. Asserts: 404 everywhere (the envelope's existence is not revealed)
    and no history entry written."""
    envelope, recipient = envelope_of(UserFactory(username="sam"))
    mine, _ = envelope_of(UserFactory(username="mallory"))
    for who in (
        UserFactory(username="mallory"),
        UserFactory(username="bob", is_staff=True),
    ):
        client.force_login(who)
        for method, url in every_envelope_url(envelope, recipient):
            assert getattr(client, method)(url).status_code == 404, (who, url)
    client.force_login(UserFactory(username="mallory"))
    cross = reverse("envelopes:sign", args=[mine.pk, recipient.pk])  # someone else's recipient
    assert client.post(cross).status_code == 404
    assert not envelope.events.exists()


def test_a03_injection(client):
    """Tries: SQL fragments in every text filter, template syntax in document data, and a
    template body reaching for files, the context dump or other tag libraries. Asserts:
    filters match text only (no rows leak, no error), data is rendered as text, and such a
    body is refused when saved and when rendered (a clear error, never a 500)."""
    sam = UserFactory(username="sam")
    envelope_of(UserFactory(username="other"))
    client.force_login(sam)
    for value in ("' OR '1'='1", "%' OR 1=1 --", "\\x00", "'; DROP TABLE envelopes_envelope;--"):
        for name in ("template", "sender"):
            response = client.get(reverse("envelopes:list"), {name: value})
            assert response.status_code in (200, 400)
            assert "Contract" not in response.content.decode()
    assert Envelope.objects.count() == 1
    template = DocumentTemplateFactory(
        name="T", body="<p>{{ name }}</p>", fields=[{"name": "name"}]
    )
    html = render_document(template, {"name": "{{ secret }}{% debug %}<b>x</b>"})
    assert "{{ secret }}{% debug %}&lt;b&gt;x&lt;/b&gt;" in html
    for body in ('{% include "admin/base.html" %}', "{% debug %}", "{% load static %}"):
        with pytest.raises(ValidationError, match="does not parse"):
            validate_body(body)
        sneaky = DocumentTemplateFactory(name=body, body=body)  # saved by hand
        with pytest.raises(ValidationError, match="does not parse"):
            render_document(sneaky, {})


def test_a03_cross_site_scripting(client):
    """Tries: script in a recipient name, an envelope subject and a document template name.
    Asserts: each is escaped on the pages that show it, and every page's policy forbids
    inline script (uploads and the preview: see the browser tests)."""
    sam = UserFactory(username="sam")
    envelope, _ = envelope_of(sam, subject="<script>alert(1)</script>")
    Recipient.objects.filter(envelope=envelope).update(name="<img src=x onerror=alert(2)>")
    client.force_login(sam)
    page = client.get(reverse("envelopes:detail", args=[envelope.pk])).content.decode()
    assert "<script>alert(1)</script>" not in page
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    assert "<img src=x" not in page
    template = DocumentTemplateFactory(name="</title><script>x()</script>", body="b")
    assert "<script>x()" not in render_document(template, {})


def test_a01_cross_site_request_forgery():
    """Tries: a state-changing POST (void, sign, compose, logout) without a CSRF token.
    Asserts: 403 for each; nothing recorded."""
    sam = UserFactory(username="sam", permissions=["add_envelope"])
    envelope, recipient = envelope_of(sam)
    client = Client(enforce_csrf_checks=True)
    client.force_login(sam)
    for url in (
        reverse("envelopes:void", args=[envelope.pk]),
        reverse("envelopes:sign", args=[envelope.pk, recipient.pk]),
        reverse("envelopes:compose"),
        reverse("logout"),
    ):
        assert client.post(url, {"reason": "x"}).status_code == 403, url
    assert not envelope.events.exists()


@pytest.mark.parametrize(
    "base_uri",
    [
        "http://169.254.169.254/latest/meta-data",
        "https://127.0.0.1.nip.io",
        "https://demo.docusign.net.evil.example",
        "https://evil.example/#.docusign.net",
        "gopher://demo.docusign.net",
        "https://user:pass@10.0.0.1",
    ],
)
def test_a10_server_side_request_forgery(base_uri):
    """Tries: pointing a connection's base URI (where we send bearer tokens) at cloud
    metadata, loopback, look-alike and credential-carrying hosts. Asserts: refused with a
    reason; only DocuSign's hosts are accepted."""
    with pytest.raises(BaseUriError):
        normalize_base_uri(
            base_uri, allowed_hosts=[".docusign.net", ".docusign.com"], allow_http_loopback=False
        )
    connection = ConnectionFactory.build(base_uri=base_uri)
    with pytest.raises(ValidationError):
        connection.clean()


def test_a05_security_misconfiguration(client):
    """Tries: reading the headers and markup of a page with scripts. Asserts: a CSP without
    inline or eval'd script (our scripts carry the request's nonce) and no inline style, no
    framing, no sniffing, a referrer policy; no inline script or handler in the page."""
    sam = UserFactory(username="sam", permissions=["add_envelope"])
    client.force_login(sam)
    response = client.get(reverse("envelopes:compose"))  # a page with scripts
    policy = response["Content-Security-Policy"]
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";") if " " in d.strip())
    assert "'unsafe-inline'" not in directives["script-src"]
    assert "'unsafe-eval'" not in directives["script-src"]
    assert re.search(r"'nonce-[A-Za-z0-9+/=]+'", directives["script-src"])
    assert "'unsafe-inline'" not in directives["style-src"]
    assert directives["frame-ancestors"] == "'none'"
    assert directives["object-src"] == "'none'"
    # Frames: our own pages, and chosen PDFs shown as PDFs before upload (never data: or *).
    assert set(directives["frame-src"].split()) == {"'self'", "blob:"}
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    page = response.content.decode()
    assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", page), "inline script on a page"
    nonce = re.search(r"'nonce-([^']+)'", directives["script-src"]).group(1)
    assert f'nonce="{nonce}"' in page
    assert not re.search(r"\son[a-z]+=", page), "inline event handler on a page"


def test_a07_identification_and_authentication_failures(client, settings):
    """Tries: guessing passwords, logging out by GET, weak passwords. Asserts: the account is
    locked after the limit with a clear message (details in test_abuse), logout needs a
    POST, Django's password validators are on, and an in-app signing session opens only for
    the signer logged in (details in test_signers)."""
    UserFactory(username="carol")
    for _ in range(settings.AXES_FAILURE_LIMIT):
        client.post("/accounts/login/", {"username": "carol", "password": "x"})
    locked = client.post(
        "/accounts/login/", {"username": "carol", "password": "correct horse battery staple"}
    )
    assert locked.status_code == 429
    assert client.get(reverse("logout")).status_code == 405
    names = {v["NAME"].rsplit(".", 1)[-1] for v in settings.AUTH_PASSWORD_VALIDATORS}
    assert {"MinimumLengthValidator", "CommonPasswordValidator"} <= names


def test_a09_no_secrets_in_logs(client, caplog, settings):
    """Tries: a failed login with a recognisable password, saving a connection's private key,
    and an envelope carrying an access code and personal template data, with every logger at
    DEBUG. Asserts: none of them appears in any log line."""
    caplog.set_level(logging.DEBUG)
    client.post("/accounts/login/", {"username": "carol", "password": "Hunter2-Secret-Pass"})
    from connections import keys

    pem = keys.private_key_to_pem(rsa_key(1))
    connection = ConnectionFactory()
    connection.set_private_key(pem)
    connection.save()
    envelope, recipient = envelope_of(UserFactory(username="sam"))
    recipient.access_code = "Blue-Door-42"
    recipient.save()
    envelope.template_data = {"salary": "93,000 EUR"}
    envelope.save()
    text = caplog.text
    body = pem.split("-----")[2].strip().splitlines()[1]
    for secret in ("Hunter2-Secret-Pass", body, "Blue-Door-42", "93,000 EUR"):
        assert secret not in text
