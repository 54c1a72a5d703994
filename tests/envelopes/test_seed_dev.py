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


def can_log_in(password: str) -> bool:
    # axes' backend wants a request; checking the stored hash is what login would do.
    return get_user_model().objects.get(username="admin").check_password(password)


def test_the_staff_password_is_kept_across_runs_unless_reset(settings, monkeypatch):
    settings.DEBUG = True
    monkeypatch.setenv("DEV_STAFF_PASSWORD", "first-password-1")
    out = io.StringIO()
    call_command("seed_dev", stdout=out)
    assert "Staff login: admin / first-password-1" in out.getvalue()
    assert can_log_in("first-password-1")
    call_command("seed_dev", stdout=io.StringIO())  # the next `make run`
    assert can_log_in("first-password-1")

    user = get_user_model().objects.get(username="admin")
    user.set_password("changed-by-the-user")
    user.save()
    out = io.StringIO()
    call_command("seed_dev", stdout=out)
    assert "password changed since" in out.getvalue()  # never printed wrong, never reset
    assert can_log_in("changed-by-the-user")

    monkeypatch.setenv("DEV_STAFF_PASSWORD", "second-password-2")
    out = io.StringIO()
    call_command("seed_dev", "--reset-password", stdout=out)  # make run RESET_PASSWORD=1
    assert "Staff login: admin / second-password-2" in out.getvalue()
    assert can_log_in("second-password-2")


def test_the_seeded_connection_is_not_a_draft_and_has_connect(settings):
    from simulator.models import SimConnectConfig

    settings.DEBUG = True
    call_command("seed_simulator", stdout=io.StringIO())
    connection = Connection.objects.get(name="Local simulator")
    assert connection.setup_step == "done"  # complete, though not checked yet
    assert not connection.is_draft
    config = SimConnectConfig.objects.get()
    assert config.url == f"{settings.SITE_URL}/envelopes/connect/{connection.connect_token}/"
    assert config.secrets() == connection.hmac_secrets() != []


def test_seed_simulator_refuses_outside_development(settings):
    settings.DEBUG = False
    with pytest.raises(CommandError, match="DJANGO_DEBUG=true"):
        call_command("seed_simulator")
    assert not Connection.objects.exists()
