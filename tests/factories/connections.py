"""DocuSign connections and what is recorded about them."""

import uuid

import factory
from django.utils import timezone

from connections import keys
from connections.consent import lifetime
from connections.models import ApiCall, Connection, ConsentRequest, Installation
from tests.factories.accounts import UserFactory
from tests.keys import rsa_key


class ConnectionFactory(factory.django.DjangoModelFactory):
    """A complete demo connection (never checked: status "new"); `connected` has passed a
    check, `production` is a production one, `with_connect` signs Connect messages."""

    class Meta:
        model = Connection

    class Params:
        connected = factory.Trait(
            status=Connection.Status.CONNECTED, last_checked_at=factory.LazyFunction(timezone.now)
        )
        production = factory.Trait(
            environment=Connection.Environment.PRODUCTION, base_uri="https://na4.docusign.net"
        )
        with_connect = factory.Trait(connect_hmac_secrets="connect-hmac-key-for-tests")

    name = factory.Sequence(lambda n: f"Connection {n}")
    environment = Connection.Environment.DEMO
    integration_key = factory.LazyFunction(lambda: str(uuid.uuid4()))
    user_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    user_email = "signer-bot@example.com"
    account_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    base_uri = "https://demo.docusign.net"
    private_key = factory.LazyFunction(lambda: keys.private_key_to_pem(rsa_key(0)))
    key_fingerprint = factory.LazyFunction(lambda: keys.fingerprint(rsa_key(0)))


class ApiCallFactory(factory.django.DjangoModelFactory):
    """One successful call to DocuSign, as the client records it."""

    class Meta:
        model = ApiCall

    class Params:
        failed = factory.Trait(status_code=400, error_code="INVALID_REQUEST_BODY")
        throttled = factory.Trait(status_code=429, error_code="HOURLY_APIINVOCATION_LIMIT_EXCEEDED")

    connection = factory.SubFactory(ConnectionFactory)
    integration_key = factory.LazyAttribute(
        lambda c: c.connection.integration_key if c.connection else ""
    )
    account_id = factory.LazyAttribute(lambda c: c.connection.account_id if c.connection else "")
    method = "GET"
    path = "/restapi/v2.1/accounts/{accountId}/envelopes/{envelopeId}"
    status_code = 200
    duration_ms = 120


class ConsentRequestFactory(factory.django.DjangoModelFactory):
    """A consent link sent to the connection's impersonated user, still pending."""

    class Meta:
        model = ConsentRequest

    class Params:
        granted = factory.Trait(
            outcome=ConsentRequest.Outcome.GRANTED,
            outcome_at=factory.LazyFunction(timezone.now),
        )

    connection = factory.SubFactory(ConnectionFactory)
    email = factory.LazyAttribute(lambda r: r.connection.user_email)
    requested_by = factory.SubFactory(UserFactory, staff=True)
    expires_at = factory.LazyFunction(lambda: timezone.now() + lifetime())
    sent_at = factory.LazyFunction(timezone.now)


class InstallationFactory(factory.django.DjangoModelFactory):
    """This installation's identity (there is only ever one row)."""

    class Meta:
        model = Installation
        django_get_or_create = ("id",)

    id = 1
