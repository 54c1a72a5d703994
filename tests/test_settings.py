"""Production mode refuses to start without its secrets and passes Django's deploy checks."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

ROOT = Path(__file__).resolve().parent.parent
SECRET = "x" * 20 + "-production-secret-key-that-is-long-enough-0123456789"


def run_manage(*args: str, **env: str) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "DOCUSIGN_"))}
    clean.pop("FIELD_ENCRYPTION_KEYS", None)
    clean["DJANGO_ENV_FILE"] = os.devnull  # a developer's .env must not leak in
    clean.update(env)
    return subprocess.run(  # noqa: S603
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=clean,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
@pytest.mark.parametrize(
    ("env", "missing"),
    [
        ({}, "DJANGO_SECRET_KEY"),
        ({"DJANGO_SECRET_KEY": SECRET}, "FIELD_ENCRYPTION_KEYS"),
    ],
)
def test_production_refuses_to_start_without_its_secrets(env, missing):
    result = run_manage("check", DJANGO_DEBUG="false", **env)
    assert result.returncode != 0
    assert f"{missing} is not set" in result.stderr
    assert "DJANGO_DEBUG=true" in result.stderr  # says how to get going locally


@pytest.mark.slow
def test_production_with_https_settings_passes_check_deploy_without_warnings():
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=SECRET,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="countersign.example.com",
        SITE_URL="https://countersign.example.com",
    )
    assert result.returncode == 0, result.stderr + result.stdout
    assert "no issues" in result.stdout


@pytest.mark.slow
def test_secrets_can_come_from_files(tmp_path):
    secret_file = tmp_path / "secret"
    secret_file.write_text(SECRET)
    keys_file = tmp_path / "keys"
    keys_file.write_text(Fernet.generate_key().decode())
    result = run_manage(
        "check",
        "--deploy",
        "--fail-level",
        "WARNING",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY_FILE=str(secret_file),
        FIELD_ENCRYPTION_KEYS_FILE=str(keys_file),
        ALLOWED_HOSTS="countersign.example.com",
        SITE_URL="https://countersign.example.com",
    )
    assert result.returncode == 0, result.stderr


@pytest.mark.slow
def test_the_simulator_is_refused_in_production():
    result = run_manage(
        "check",
        DJANGO_DEBUG="false",
        DJANGO_SECRET_KEY=SECRET,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        DOCUSIGN_SIMULATOR="true",
    )
    assert result.returncode != 0
    assert "countersign.E001" in result.stderr


@pytest.mark.slow
def test_without_the_flag_the_simulator_is_not_mounted():
    result = run_manage(
        "shell",
        "-c",
        "from django.urls import resolve, Resolver404\n"
        "try:\n    resolve('/simulator/oauth/token')\n    print('MOUNTED')\n"
        "except Resolver404:\n    print('ABSENT')",
        DJANGO_DEBUG="true",
    )
    assert result.stdout.strip().endswith("ABSENT"), result.stderr
