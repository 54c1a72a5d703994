import pytest
import responses
from django.core.management import call_command
from django.core.management.base import CommandError

from tests.connections.test_health import ACCOUNT, stub_account_call, stub_auth
from tests.factories import ConnectionFactory

pytestmark = pytest.mark.django_db


@responses.activate
def test_a_healthy_connection_prints_each_step_and_exits_zero(docusign_hosts, capsys):
    ConnectionFactory(name="acme", account_id=ACCOUNT)
    stub_auth()
    stub_account_call()
    call_command("docusign_check", "acme")
    out = capsys.readouterr().out
    assert "✓ Access token obtained" in out
    assert "acme is connected." in out


@responses.activate
def test_a_failing_connection_prints_the_fix_and_exits_one(docusign_hosts, capsys):
    ConnectionFactory(name="acme", account_id=ACCOUNT)
    stub_auth(token_status=400, token_body={"error": "consent_required"})
    with pytest.raises(CommandError) as info:
        call_command("docusign_check", "acme")
    assert info.value.returncode == 1
    out = capsys.readouterr().out
    assert "✗ Access token obtained" in out
    assert "How to fix:" in out
    assert "consent link" in out


def test_an_unknown_name_lists_the_connections_there_are():
    ConnectionFactory(name="acme")
    with pytest.raises(
        CommandError, match=r"No connection named 'acne'\. Existing connections: acme"
    ):
        call_command("docusign_check", "acne")
