"""DocuSign's official Python SDK, unpatched, against the simulator over HTTPS."""

import base64
from datetime import UTC, datetime, timedelta

import pytest
from django.db import connections as db_connections

docusign = pytest.importorskip("docusign_esign")  # a dev dependency: always there in CI

from docusign_esign import (  # noqa: E402
    ApiClient,
    Configuration,
    Document,
    EnvelopeDefinition,
    EnvelopesApi,
    EnvelopeTemplateResults,
    Recipients,
    Signer,
    SignHere,
    Tabs,
    TemplateRole,
    TemplatesApi,
    Text,
)

from tests.keys import private_pem  # noqa: E402
from tests.support.tls_server import TLSServer  # noqa: E402

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def sdk(world, tmp_path):
    with TLSServer(tmp_path) as server:
        config = Configuration()  # the SDK's process-wide singleton
        config.ssl_ca_cert = str(server.cert)  # trust the run-time certificate, nothing else
        client = ApiClient(oauth_host_name=server.host)
        yield client, server, world
        config.ssl_ca_cert = None
    db_connections.close_all()


def login(client, server, world):
    token = client.request_jwt_user_token(
        client_id=world.app.integration_key,
        user_id=world.user.user_id,
        oauth_host_name=server.host,
        private_key_bytes=private_pem(0).encode(),
        expires_in=3600,
        scopes=["signature", "impersonation"],
    )
    info = client.get_user_info(token.access_token)
    account = info.accounts[0]
    client.host = account.base_uri + "/restapi"
    return token, account


def test_jwt_token_and_userinfo(sdk):
    client, server, world = sdk
    token, account = login(client, server, world)
    assert token.access_token
    assert int(token.expires_in) == 3600
    assert account.account_id == world.account.account_id
    assert account.is_default in (True, "true", "True")  # the SDK models it as a string
    assert account.base_uri == f"https://{server.host}"


def test_envelopes_from_a_document_and_a_template_listed_read_and_voided(sdk):
    client, server, world = sdk
    _, account = login(client, server, world)
    envelopes = EnvelopesApi(client)
    html = b"<p>Agreement. Sign: /sig1/ Name: /name1/</p>"
    definition = EnvelopeDefinition(
        email_subject="SDK contract",
        status="sent",
        documents=[
            Document(
                document_base64=base64.b64encode(html).decode(),
                name="Agreement",
                file_extension="html",
                document_id="1",
            )
        ],
        recipients=Recipients(
            signers=[
                Signer(
                    email="sdk@example.com",
                    name="SDK Signer",
                    recipient_id="1",
                    routing_order="1",
                    tabs=Tabs(
                        sign_here_tabs=[SignHere(anchor_string="/sig1/")],
                        text_tabs=[Text(anchor_string="/name1/", tab_label="name")],
                    ),
                )
            ]
        ),
    )
    summary = envelopes.create_envelope(account.account_id, envelope_definition=definition)
    assert summary.status == "sent"

    templates = TemplatesApi(client).list_templates(account.account_id)
    assert isinstance(templates, EnvelopeTemplateResults)
    nda = next(t for t in templates.envelope_templates if t.name == "Mutual NDA")
    from_template = envelopes.create_envelope(
        account.account_id,
        envelope_definition=EnvelopeDefinition(
            template_id=nda.template_id,
            status="sent",
            template_roles=[
                TemplateRole(role_name="Company", name="Acme", email="legal@acme.example"),
                TemplateRole(role_name="Signer", name="Sam", email="sam@example.com"),
            ],
        ),
    )
    assert from_template.status == "sent"

    since = (datetime.now(UTC) - timedelta(minutes=5)).isoformat()
    changes = envelopes.list_status_changes(account.account_id, from_date=since)
    ids = {e.envelope_id for e in changes.envelopes}
    assert {summary.envelope_id, from_template.envelope_id} <= ids

    fetched = envelopes.get_envelope(account.account_id, summary.envelope_id)
    assert fetched.email_subject == "SDK contract"

    from docusign_esign import Envelope

    envelopes.update(
        account.account_id,
        summary.envelope_id,
        envelope=Envelope(status="voided", voided_reason="SDK contract test"),
    )
    assert envelopes.get_envelope(account.account_id, summary.envelope_id).status == "voided"
