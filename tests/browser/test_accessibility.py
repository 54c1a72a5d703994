"""axe-core (from the npm registry, `make install`) on every main page, at desktop and phone
sizes: no serious or critical violation, and no page wider than the screen."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from connections.models import Connection, ConsentRequest
from envelopes.composing import prepare
from envelopes.composing.prepare import RecipientInput
from tests.browser.conftest import missing
from tests.factories import UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
SIZES = {"desktop": (1280, 800), "phone": (390, 844)}  # 1280 x 800: a common laptop
BLOCKING = ("serious", "critical")


def axe_source() -> str:
    if not AXE.exists():
        missing(f"axe-core not installed at {AXE}: install npm, then `make install` (npm ci).")
    return AXE.read_text()


def pages_to_check(seeded, live_server):
    """Every main page a person reaches, with real content on it."""
    UserFactory(username="erin", email="erin@example.com")  # in-app signers are app users
    envelope = prepare.prepare_envelope(
        connection=seeded,
        sender=UserFactory(username="sam"),
        subject="Accessibility check",
        recipients=[
            RecipientInput("Erin Embedded", "erin@example.com", routing_order=1, embedded=True),
            RecipientInput("Rita Remote", "rita@example.com", routing_order=2),
        ],
        uploads=[SimpleUploadedFile("a.pdf", b"%PDF-1.4 /sig1/ /sig2/")],
    )
    drafts = {
        step: Connection.objects.create(name=f"Draft at {step}", **fields)
        for step, fields in {
            "keys": {"integration_key": seeded.integration_key},
            "user": {
                "integration_key": seeded.integration_key,
                "private_key": seeded.private_key,
                "key_fingerprint": seeded.key_fingerprint,
            },
            "consent": {
                "integration_key": seeded.integration_key,
                "private_key": seeded.private_key,
                "key_fingerprint": seeded.key_fingerprint,
                "user_id": seeded.user_id,
                "user_email": seeded.user_email,
            },
        }.items()
    }
    failed = prepare.prepare_envelope(
        connection=seeded,
        sender=UserFactory(username="fay"),
        subject="A send that failed",
        recipients=[RecipientInput("Rita Remote", "rita@example.com", routing_order=1)],
        uploads=[SimpleUploadedFile("b.pdf", b"%PDF-1.4 /sig1/")],
    )
    failed.status = failed.Status.FAILED  # as envelopes.failures records it: a long message
    failed.error_detail = "Sending failed: DocuSign said ENVELOPE_IS_INCOMPLETE_" + "X" * 80
    failed.save()
    ConsentRequest.objects.create(
        connection=drafts["consent"], expires_at=envelope.created_at.replace(year=2099)
    )
    return {
        "home": "/",
        "envelope list": "/envelopes/",
        "envelope list, nothing found": "/envelopes/?q=nothing-matches-this",
        "compose": "/envelopes/new/",
        "envelope": f"/envelopes/{envelope.pk}/",
        "envelope, failed": f"/envelopes/{failed.pk}/",
        "connection": f"/envelopes/connections/{seeded.pk}/",
        "wizard: app": "/connections/setup/",
        "wizard: keys": f"/connections/setup/{drafts['keys'].pk}/",
        "wizard: user": f"/connections/setup/{drafts['user'].pk}/",
        "wizard: consent": f"/connections/setup/{drafts['consent'].pk}/",
        "wizard: done": f"/connections/setup/{seeded.pk}/",
        "promote": f"/connections/setup/{seeded.pk}/promote/",
        "consent return": "/connections/consent/return/?state=forged",
        "admin connections": "/admin/connections/connection/",
        "system status": "/ops/status/",
        "simulator inbox": "/simulator/inbox/?email=rita@example.com",
    }


def test_every_main_page_passes_axe_and_fits_the_screen(browser, seeded_connection, live_server):
    seeded_connection.status = Connection.Status.CONNECTED
    seeded_connection.save()
    UserFactory(username="root", password="pw-for-tests-1", is_staff=True, is_superuser=True)
    urls = pages_to_check(seeded_connection, live_server)
    source = axe_source()
    problems = []
    for size, (width, height) in SIZES.items():
        context = browser.new_context(viewport={"width": width, "height": height}, bypass_csp=True)
        page = context.new_page()
        page.goto(f"{live_server.url}/accounts/login/")
        problems += check(page, "login", size, source)
        page.fill("input[name=username]", "root")
        page.fill("input[name=password]", "pw-for-tests-1")
        page.click("button[type=submit]")
        page.wait_for_url(f"{live_server.url}/")
        for name, url in urls.items():
            page.goto(live_server.url + url)
            problems += check(page, name, size, source)
            if name == "admin connections" and size == "desktop":
                # Django's admin scrolls a wide list inside the page: every column must fit.
                right = page.evaluate(
                    "() => document.querySelector('#result_list').getBoundingClientRect().right"
                )
                if right > width:
                    problems.append(f"admin connections list is {right:.0f} px wide at {width}")
        context.close()
    assert not problems, "\n".join(problems)


def check(page, name, size, source):
    page.wait_for_load_state("networkidle")
    page.add_script_tag(content=source)
    result = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    found = [
        f"{name} ({size}): {v['impact']} {v['id']}: {v['help']} — "
        + "; ".join(n["target"][0] for n in v["nodes"][:3])
        for v in result["violations"]
        if v["impact"] in BLOCKING
    ]
    overflow = page.evaluate("() => [document.documentElement.scrollWidth, window.innerWidth]")
    if overflow[0] > overflow[1]:
        found.append(f"{name} ({size}): page is {overflow[0]} px wide on a {overflow[1]} px screen")
    return found
