"""`manage.py docusign_consent_url NAME [--email [ADDRESS]]`."""

import io
from urllib.parse import parse_qs, urlsplit

import pytest
from django.core import mail
from django.core.management import call_command
from django.core.management.base import CommandError

from connections import consent
from connections.models import ConsentRequest
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


def run(*args):
    out, err = io.StringIO(), io.StringIO()
    call_command("docusign_consent_url", *args, stdout=out, stderr=err)
    return out.getvalue(), err.getvalue()


def test_prints_a_working_link_for_the_connection(docusign_hosts):
    connection = ConnectionFactory(name="Sales")
    out, err = run("Sales")
    link = out.strip()
    query = parse_qs(urlsplit(link).query)
    assert link.startswith("https://account-d.docusign.com/oauth/auth?")
    assert query["client_id"] == [connection.integration_key]
    request = ConsentRequest.objects.get(connection=connection)
    assert query["state"] == [consent.state_for(request)]  # the return page will know it
    assert "Allow access" in err


def test_a_new_link_replaces_the_previous_one(docusign_hosts):
    ConnectionFactory(name="Sales")
    run("Sales")
    run("Sales")
    outcomes = sorted(ConsentRequest.objects.values_list("outcome", flat=True))
    assert outcomes == ["pending", "superseded"]


def test_email_goes_to_the_impersonated_user_or_the_address_given(
    docusign_hosts, django_capture_on_commit_callbacks
):
    ConnectionFactory(name="Sales", user_email="dana@example.com")
    with django_capture_on_commit_callbacks(execute=True):
        out, _ = run("Sales", "--email")
        run("Sales", "--email", "other@example.com")
    assert "emailed to dana@example.com" in out
    assert [m.to for m in mail.outbox] == [["dana@example.com"], ["other@example.com"]]
    assert "Allow access" in mail.outbox[0].body


@pytest.mark.parametrize(
    ("fields", "args", "message"),
    [
        ({}, ["Nobody"], "No connection named 'Nobody'. Existing connections: Sales"),
        ({"uses_admin_consent": True}, ["Sales"], "administrative consent"),
        ({"integration_key": ""}, ["Sales"], "finish the setup wizard"),
        ({"user_email": ""}, ["Sales", "--email"], "--email dana@example.com"),
    ],
)
def test_mistakes_are_explained(docusign_hosts, fields, args, message):
    ConnectionFactory(name="Sales", **fields)
    with pytest.raises(CommandError, match=message):
        run(*args)
    assert not mail.outbox
