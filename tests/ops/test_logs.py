"""Log lines: request id and task on every line, JSON on demand, nothing secret in them."""

import json
import logging
import os
import runpy
import subprocess
import sys
from datetime import timedelta
from pathlib import Path
from types import SimpleNamespace

import pytest
from gunicorn.config import Config
from gunicorn.glogging import SafeAtoms

from common.request_id import request_id_var
from connections.tokens import get_access_token
from envelopes.composing.prepare import RecipientInput, prepare_envelope
from envelopes.models import Envelope
from ops.logs import (
    JSON_FIELDS,
    PLAIN_FORMAT,
    JsonFormatter,
    PlainFormatter,
    RequestContextFilter,
)
from ops.scrub import scrub_text
from tests.factories import ConnectionFactory, DocumentTemplateFactory, UserFactory

ROOT = Path(__file__).resolve().parents[2]
# A key-shaped fragment, not a key; the armour is assembled so no committed file holds it.
ARMOUR = "PRIVATE " + "KEY-----"
PEM = (
    f"-----BEGIN {ARMOUR}\nMIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7\n-----END {ARMOUR}"
)
JWT = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiIxMjMifQ.c2lnbmF0dXJlLXBhcnQ"


@pytest.mark.parametrize(
    ("text", "secret"),
    [
        (f"key was {PEM} oops", "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"),
        (json.dumps({"k": PEM}), "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7"),
        ("Authorization: Bearer abc.DEF-123_xyz", "abc.DEF-123_xyz"),
        (f"assertion {JWT}", "c2lnbmF0dXJlLXBhcnQ"),
        ("GET /consent/return/?code=s3cr3tcode&state=abc.def:ghi", "s3cr3tcode"),
        ("GET /consent/return/?code=s3cr3tcode&state=abc.def:ghi", "abc.def:ghi"),
        ('{"access_token": "tok-123456", "expires_in": 3600}', "tok-123456"),
        ("client_secret=hunter2", "hunter2"),
    ],
)
def test_secret_shapes_are_scrubbed(text, secret):
    scrubbed = scrub_text(text)
    assert secret not in scrubbed
    assert "redacted" in scrubbed


def test_ordinary_text_is_left_alone():
    text = "DocuSign POST /envelopes -> 201 in 85 ms (envelope 1f2e3d4c sent)"
    assert scrub_text(text) == text


def record(message, *args):
    return logging.LogRecord("countersign.test", logging.INFO, __file__, 1, message, args, None)


def test_plain_and_json_lines_carry_the_request_id_and_are_scrubbed():
    token = request_id_var.set("rid-abcdef123")
    try:
        rec = record("calling with %s", "Bearer sekret-token-value")
        RequestContextFilter().filter(rec)
        plain = PlainFormatter("%(request_id)s %(message)s").format(rec)
        line = json.loads(JsonFormatter(JSON_FIELDS).format(rec))
    finally:
        request_id_var.reset(token)
    assert plain == "rid-abcdef123 calling with Bearer [redacted]"
    assert line["request_id"] == "rid-abcdef123"
    assert "sekret" not in json.dumps(line)


def run_python(code, **env):
    environment = {**os.environ, "DJANGO_ENV_FILE": os.devnull, **env}
    return subprocess.run(  # noqa: S603
        [sys.executable, "-c", code],
        cwd=ROOT,
        env=environment,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )


@pytest.mark.slow
def test_log_format_json_makes_one_json_object_per_line():
    done = run_python(
        "import django, logging; django.setup();"
        "logging.getLogger('countersign.x').warning('hello %s', 'Bearer abcdefgh')",
        LOG_FORMAT="json",
    )
    assert done.returncode == 0, done.stderr
    line = json.loads(done.stderr.strip().splitlines()[-1])
    assert line["message"] == "hello Bearer [redacted]"
    assert line["level"] == "WARNING"
    assert line["logger"] == "countersign.x"
    assert line["request_id"] == "-"


@pytest.mark.slow
def test_an_unknown_log_format_stops_start_up_with_the_fix():
    done = run_python("import django; django.setup()", LOG_FORMAT="xml")
    assert done.returncode != 0
    assert "LOG_FORMAT must be 'plain' or 'json', not 'xml'" in done.stderr


@pytest.mark.django_db(transaction=True)
def test_a_send_logs_no_key_token_or_hmac_secret(simulator_connection, caplog):
    """Everything logged at DEBUG during a send and a Connect round, as it would be written."""
    simulator_connection.connect_hmac_secrets = "connect-hmac-secret-0123456789"
    simulator_connection.save()
    caplog.set_level(logging.DEBUG)
    template = DocumentTemplateFactory(name="NDA", body="<p>{{ c }} /sig1/</p>")
    prepare_envelope(
        connection=simulator_connection,
        sender=UserFactory(),
        subject="Agreement",
        recipients=[RecipientInput("Erin", "erin@example.com", routing_order=1)],
        document_template=template,
        template_data={"c": "Acme"},
    )
    assert Envelope.objects.get().status == "sent"
    token = get_access_token(simulator_connection)
    key_body = simulator_connection.private_key.splitlines()[3]
    formatter = PlainFormatter("%(message)s")
    written = "\n".join(formatter.format(r) for r in caplog.records)
    assert "POST /envelopes -> 201" in written  # the capture saw the send
    for secret in (token, key_body, "connect-hmac-secret-0123456789"):
        assert secret not in written


def _access_lines(tmp_path, environ_path):
    """What gunicorn writes for one request, with config/gunicorn.py's settings."""
    conf = runpy.run_path(str(ROOT / "config" / "gunicorn.py"))
    cfg = Config()
    cfg.set("logger_class", conf["logger_class"])
    cfg.set("access_log_format", conf["access_log_format"])
    cfg.set("accesslog", str(tmp_path / "access.log"))
    logger = cfg.logger_class(cfg)
    response = SimpleNamespace(status="400 Bad Request", sent=10, headers=[])
    environ = {
        "REQUEST_METHOD": "POST",
        "RAW_URI": environ_path,
        "PATH_INFO": environ_path,
        "QUERY_STRING": "",
        "SERVER_PROTOCOL": "HTTP/1.1",
        "REMOTE_ADDR": "198.51.100.7",
    }
    request = SimpleNamespace(headers=[("X-FORWARDED-FOR", "198.51.100.7")])
    logger.access(response, request, environ, timedelta(milliseconds=5))
    atoms = logger.atoms(response, request, environ, timedelta(milliseconds=5))
    for handler in list(logger.access_log.handlers):
        handler.close()
        logger.access_log.removeHandler(handler)
    plain = (tmp_path / "access.log").read_text()
    # LOG_FORMAT=json: gunicorn.access goes through our JSON formatter (logconfig_dict).
    record = logging.LogRecord(
        "gunicorn.access", logging.INFO, __file__, 1, conf["access_log_format"], None, None
    )
    record.args = SafeAtoms(atoms)
    RequestContextFilter().filter(record)
    return plain, JsonFormatter(JSON_FIELDS).format(record)


@pytest.mark.django_db
def test_the_webhook_token_reaches_no_log_line(client, caplog, tmp_path, docusign_hosts):
    """Every log format: the app's plain and JSON lines (django.request warnings for a 400,
    a 404 and a 413), and gunicorn's access line, plain and JSON."""
    connection = ConnectionFactory(connect_hmac_secrets="")
    token = connection.connect_token
    unknown = "Zz9" + token[3:]
    caplog.set_level(logging.DEBUG)
    path = f"/envelopes/connect/{token}/"
    assert client.post(path, b"not json", content_type="application/json").status_code == 400
    too_big = b"{" + b" " * (64 * 1024) + b"}"
    assert client.post(path, too_big, content_type="application/json").status_code == 413
    other = f"/envelopes/connect/{unknown}/"
    assert client.post(other, b"{}", content_type="application/json").status_code == 404
    assert any(r.name == "django.request" for r in caplog.records)  # the warnings were seen
    lines = [PlainFormatter(PLAIN_FORMAT).format(r) for r in caplog.records]
    lines += [JsonFormatter(JSON_FIELDS).format(r) for r in caplog.records]
    for request_path in (path, other):
        lines += _access_lines(tmp_path, request_path)
    written = "\n".join(lines)
    assert "/envelopes/connect/[redacted]/" in written
    assert token not in written
    assert unknown not in written
    assert token[5:30] not in written


def test_short_numeric_paths_under_connect_are_left_alone():
    text = "GET /envelopes/connections/5/connect/12/retry/ 302"
    assert scrub_text(text) == text
