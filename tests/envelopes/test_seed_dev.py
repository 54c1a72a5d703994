import io

import pytest
from django.contrib.auth import get_user_model
from django.core.management import call_command
from django.core.management.base import CommandError

from connections.models import Connection
from envelopes.models import DocumentTemplate

pytestmark = pytest.mark.django_db


def test_seed_dev_creates_a_login_a_sample_template_and_the_demo_connection(settings):
    settings.DEBUG = True
    out = io.StringIO()
    for _ in range(2):  # safe to run at every `make run`, which seeds the simulator too
        call_command("seed_dev", stdout=out)
        call_command("seed_simulator", stdout=out)
    text = out.getvalue()
    assert "Staff login: admin / " in text
    assert get_user_model().objects.get(username="admin").is_superuser
    assert DocumentTemplate.objects.filter(name="Services agreement (sample)").count() == 1
    connection = Connection.objects.get(name="Local simulator")
    assert connection.is_default
    assert connection.is_ready


def test_seed_dev_refuses_outside_development(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=true"):
        call_command("seed_dev")


def test_seed_simulator_refuses_outside_development(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=true"):
        call_command("seed_simulator")
    assert not Connection.objects.exists()
