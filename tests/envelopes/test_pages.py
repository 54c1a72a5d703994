"""What people read on the envelope pages: human labels, consistent statuses, filter
results and errors, a label for every input."""

import re

import pytest
from django.urls import reverse

from envelopes.models import EnvelopeEvent
from envelopes.templatetags.labels import event_label, human, status_label
from tests.factories import (
    DocumentTemplateFactory,
    EnvelopeFactory,
    RecipientFactory,
    UserFactory,
)

pytestmark = pytest.mark.django_db


@pytest.fixture
def sender_user(client):
    user = UserFactory(username="sam", permissions=["add_envelope"])
    client.force_login(user)
    return user


def envelope_with(sender, status="sent", recipient_status="sent", subject="Envelope"):
    envelope = EnvelopeFactory(sender=sender, subject=subject, status=status)
    RecipientFactory(
        envelope=envelope,
        name="Rita",
        email="r@example.com",
        recipient_id="1",
        status=recipient_status,
    )
    return envelope


@pytest.mark.parametrize(
    ("raw", "shown"),
    [
        ("company_name", "Company name"),
        ("signature_1", "Signature 1"),
        ("sigCompany", "Sig company"),
    ],
)
def test_machine_names_read_as_words(raw, shown):
    assert human(raw) == shown


def test_statuses_and_history_read_as_words():
    assert [status_label(s) for s in ("sent", "delivered", "completed", "voided")] == [
        "Sent",
        "Viewed",
        "Completed",
        "Voided",
    ]
    assert event_label("recipient-completed") == "Recipient completed"
    assert event_label("envelope-delivered") == "Envelope viewed"
    assert event_label("queued") == "Queued for sending"


def test_the_detail_page_shows_no_raw_status_words(client, sender_user):
    envelope = envelope_with(sender_user, recipient_status="delivered")
    EnvelopeEvent.objects.create(envelope=envelope, kind="recipient-delivered", status="sent")
    page = client.get(reverse("envelopes:detail", args=[envelope.pk])).content.decode()
    assert re.search(r'data-recipient-status="\d+">Viewed<', page)
    assert "Recipient viewed" in page
    assert "recipient-delivered" not in page


def test_recipients_show_voided_once_the_envelope_is_voided(client, sender_user):
    envelope = envelope_with(sender_user, status="voided", recipient_status="sent")
    page = client.get(reverse("envelopes:detail", args=[envelope.pk])).content.decode()
    assert re.search(r'data-recipient-status="\d+">Voided<', page)
    assert ">Sent<" not in page


def test_filled_in_values_have_human_labels(client, sender_user, monkeypatch):
    from envelopes import signing

    envelope = envelope_with(sender_user, status="completed", recipient_status="completed")
    monkeypatch.setattr(
        signing, "tab_values", lambda **kw: {"signature_1": "signed", "company_name": "Acme"}
    )
    recipient = envelope.recipients.get()
    page = client.get(
        reverse("envelopes:values", args=[envelope.pk, recipient.pk])
    ).content.decode()
    assert "<dt>Signature 1</dt><dd>Signed</dd>" in page
    assert "<dt>Company name</dt><dd>Acme</dd>" in page


def test_an_empty_filter_result_says_so_not_send_one(client, sender_user):
    envelope_with(sender_user, status="sent")
    page = client.get(reverse("envelopes:list"), {"status": "completed"}).content.decode()
    assert "No envelopes match these filters" in page
    assert "No envelopes yet" not in page


def test_a_start_date_after_the_end_date_is_an_error(client, sender_user):
    envelope_with(sender_user, subject="Should not be listed")
    response = client.get(reverse("envelopes:list"), {"since": "2026-03-01", "until": "2026-02-01"})
    page = response.content.decode()
    assert response.status_code == 400
    assert "The end date (2026-02-01) is before the start date (2026-03-01)" in page
    assert "Should not be listed" not in page  # not a silently empty or unfiltered list


def test_a_malformed_date_is_explained(client, sender_user):
    page = client.get(reverse("envelopes:list"), {"since": "31/01/2026"}).content.decode()
    assert "Dates must look like 2026-01-31." in page


def test_every_input_on_compose_and_the_list_has_a_label(client, sender_user):
    DocumentTemplateFactory(name="T", body="x")
    for url in (reverse("envelopes:compose"), reverse("envelopes:list")):
        page = client.get(url).content.decode()
        labelled = set(re.findall(r'<label[^>]* for="([^"]+)"', page))
        inputs = re.findall(r"<(?:input|select|textarea)\b([^>]*)>", page)
        for attrs in inputs:
            if 'type="hidden"' in attrs or "aria-label=" in attrs:
                continue
            found = re.search(r'id="([^"]+)"', attrs)
            assert found, f"an input without an id on {url}: {attrs}"
            assert found.group(1) in labelled, f"no label for #{found.group(1)} on {url}"
