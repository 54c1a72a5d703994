"""A mail server that is down never turns a failure report into a crash."""

import logging

from django.core.mail.backends.base import BaseEmailBackend

from envelopes.failures import email_quietly


class DownBackend(BaseEmailBackend):
    def send_messages(self, email_messages):
        raise ConnectionRefusedError("mail server down")


def test_a_mail_server_that_is_down_is_logged_not_raised(settings, caplog):
    settings.EMAIL_BACKEND = "tests.envelopes.test_failures.DownBackend"
    with caplog.at_level(logging.ERROR, logger="countersign.envelopes"):
        email_quietly(subject="Sending failed: NDA", message="why", to=["sam@example.com"])
    assert "Could not email sam@example.com about: Sending failed: NDA" in caplog.text


def test_mail_is_sent_with_the_subject_cut_to_200_characters(settings, mailoutbox):
    email_quietly(subject="x" * 300, message="body", to=["sam@example.com"])
    assert [m.subject for m in mailoutbox] == ["x" * 200]
