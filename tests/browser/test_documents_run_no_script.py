"""Stored XSS attempts: an uploaded HTML or SVG document and a document template whose script
would promote its author to superuser when a staff user opens it. Real Chromium, under the
site's Content-Security-Policy."""

import pytest
from django.core.files.base import ContentFile

from envelopes.composing import prepare
from envelopes.models import Document
from tests.factories import ConnectionFactory, DocumentTemplateFactory, EnvelopeFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Marks the page first (so a run is visible at once), then posts the admin's user form.
ATTACK = """
document.title = "pwned";
fetch("/admin/auth/user/%(pk)s/change/").then(function (r) { return r.text(); })
  .then(function (html) {
    var form = new DOMParser().parseFromString(html, "text/html").querySelector("#user_form");
    var data = new FormData(form);
    data.set("is_staff", "on"); data.set("is_superuser", "on");
    return fetch("/admin/auth/user/%(pk)s/change/", {method: "POST", body: data});
  });
"""


def _log_in(page, base, username):
    page.goto(f"{base}/accounts/login/")
    page.fill("#id_username", username)
    page.fill("#id_password", "correct horse battery staple")
    page.click("button[type=submit]")
    page.wait_for_url(f"{base}/")


def _envelope_with(sender, files):
    envelope = EnvelopeFactory(sender=sender, subject="Contract")
    for order, (name, content_type, content) in enumerate(files, start=1):
        document = Document(
            envelope=envelope,
            name=name,
            order=order,
            content_type=content_type,
            size=len(content),
            sha256="0" * 64,
        )
        document.file.save(name, ContentFile(content), save=False)
        document.save()
    return envelope


def test_uploaded_html_and_svg_run_nothing_when_staff_open_them(live_server, page):
    mallory = UserFactory(username="mallory")
    UserFactory(username="root", is_staff=True, is_superuser=True)
    script = ATTACK % {"pk": mallory.pk}
    html = (
        "<html><head><title>Contract</title></head><body><p>Sign</p>"
        f"<script>{script}</script></body></html>"
    )
    svg = (
        '<svg xmlns="http://www.w3.org/2000/svg"><title>Contract</title>'
        f"<script>{script}</script></svg>"
    )
    envelope = _envelope_with(
        mallory,
        [("contract.html", "text/html", html.encode()), ("logo.svg", "text/html", svg.encode())],
    )
    _log_in(page, live_server.url, "root")
    page.goto(f"{live_server.url}/envelopes/{envelope.pk}/")

    # As served: a download, never a page.
    for name in ("contract.html", "logo.svg"):
        with page.expect_download() as download:
            page.click(f"text={name}")
        assert download.value.suggested_filename == name

    # Worst case, a browser that ignores the attachment and renders it as HTML or SVG on our
    # origin: the document's own sandbox policy still stops the script.
    for document, content_type in zip(
        envelope.documents.order_by("order"), ("text/html", "image/svg+xml"), strict=True
    ):
        url = f"{live_server.url}/envelopes/{envelope.pk}/uploads/{document.pk}/"

        def render_inline(route, _request, content_type=content_type):
            response = route.fetch()
            headers = {
                k: v
                for k, v in response.headers.items()
                if k.lower() not in ("content-disposition", "content-type", "content-length")
            }
            route.fulfill(
                status=200, headers=headers, content_type=content_type, body=response.body()
            )

        page.route(url, render_inline)
        page.goto(url)
        page.wait_for_load_state("load")
        assert page.title() != "pwned"
        page.unroute(url)

    page.goto(f"{live_server.url}/envelopes/")
    assert page.title() != "pwned"
    mallory.refresh_from_db()
    assert not mallory.is_staff
    assert not mallory.is_superuser


def test_the_preview_runs_no_script_from_the_template(live_server, page, sender):

    DocumentTemplateFactory(
        name='Offer</title><script>parent.document.title="pwned"</script>',
        body="<p>Offer for {{ name }}</p><script>document.body.dataset.ran = 'yes';</script>"
        '<img src="x" onerror="document.body.dataset.ran = \'yes\'">',
        fields=[{"name": "name", "label": "Name"}],
    )
    ConnectionFactory(is_default=True)
    _log_in(page, live_server.url, "sam")
    page.goto(f"{live_server.url}/envelopes/new/")
    page.select_option("#id_document_template", index=1)
    page.fill("input[name=data_name]", '<script>document.body.dataset.ran="yes"</script>')
    page.fill("#id_subject", "Offer")
    page.fill("#id_r-0-name", "Rita")
    page.fill("#id_r-0-email", "rita@example.com")
    page.click("#preview-button")

    frame = page.frame_locator("#preview")
    assert "Offer for <script>" in frame.locator("body").inner_text()
    assert frame.locator("body").get_attribute("data-ran") is None
    assert page.get_attribute("#preview", "sandbox") == ""
    assert page.title() == "New envelope · Countersign"


def test_previews_run_no_script_even_rendered_as_html(live_server, page, simulator_connection):
    """The envelope preview frame shows DocuSign's PDF; were its bytes HTML with a script
    (a DocuSign answer gone wrong, a browser sniffing), its sandbox policy stops the script."""
    from django.core.files.uploadedfile import SimpleUploadedFile

    from envelopes.composing.prepare import RecipientInput

    mallory = UserFactory(
        username="mallory", email="mallory@example.com", permissions=["add_envelope"]
    )
    script = ATTACK % {"pk": mallory.pk}
    html = f"<html><body><p>Sign</p><script>{script}</script></body></html>".encode()
    envelope = prepare.prepare_envelope(
        connection=simulator_connection,
        sender=mallory,
        subject="Contract",
        recipients=[RecipientInput("Rita", "rita@example.com")],
        uploads=[SimpleUploadedFile("contract.html", html, content_type="text/html")],
    )
    _log_in(page, live_server.url, "mallory")
    page.goto(f"{live_server.url}/envelopes/{envelope.pk}/")
    page.click("#show-preview")
    preview_url = f"{live_server.url}/envelopes/{envelope.pk}/preview/combined/"
    page.wait_for_function(
        "url => document.getElementById('preview-frame').contentWindow.location.href === url",
        arg=preview_url,
    )
    assert page.title() != "pwned"

    def as_html(route, _request):
        response = route.fetch()
        headers = {
            k: v
            for k, v in response.headers.items()
            if k.lower() not in ("content-disposition", "content-type", "content-length")
        }
        route.fulfill(status=200, headers=headers, content_type="text/html", body=html)

    page.route(preview_url, as_html)
    page.goto(f"{live_server.url}/envelopes/{envelope.pk}/")
    page.click("#show-preview")
    frame = page.frame_locator("#preview-frame")
    assert frame.locator("p").inner_text() == "Sign"  # rendered as a page, worst case
    page.goto(preview_url)  # and opened on its own
    page.wait_for_load_state("load")
    assert page.title() != "pwned"
    page.goto(f"{live_server.url}/envelopes/")
    assert page.title() != "pwned"
    mallory.refresh_from_db()
    assert not mallory.is_staff
