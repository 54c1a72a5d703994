"""What the signer tests share: a generated offer, a sender allowed to send, and a send."""

import pytest

from envelopes.composing import prepare
from tests.factories import DocumentTemplateFactory, UserFactory


@pytest.fixture
def template():
    return DocumentTemplateFactory(
        name="Offer", body="<p>Offer for {{ name }} /sig1/</p>", fields=[{"name": "name"}]
    )


@pytest.fixture
def sam():
    user = UserFactory(
        username="sam", first_name="Sam", last_name="Sender", permissions=["add_envelope"]
    )
    return user


@pytest.fixture
def send_offer():
    """prepare_envelope for the offer above, to Erin's name; returns the envelope, fresh."""

    def send(connection, sender, template, recipients):
        envelope = prepare.prepare_envelope(
            connection=connection,
            sender=sender,
            subject="Offer",
            recipients=recipients,
            document_template=template,
            template_data={"name": "Erin"},
        )
        envelope.refresh_from_db()
        return envelope

    return send
