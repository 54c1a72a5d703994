import uuid

import factory
from django.contrib.auth import get_user_model

from connections import keys
from connections.models import Connection
from tests.keys import rsa_key


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = get_user_model()
        django_get_or_create = ("username",)

    username = factory.Sequence(lambda n: f"user{n}")
    email = factory.LazyAttribute(lambda u: f"{u.username}@example.com")
    password = factory.django.Password("correct horse battery staple")


class ConnectionFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Connection

    name = factory.Sequence(lambda n: f"Connection {n}")
    environment = Connection.Environment.DEMO
    integration_key = factory.LazyFunction(lambda: str(uuid.uuid4()))
    user_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    user_email = "signer-bot@example.com"
    account_id = factory.LazyFunction(lambda: str(uuid.uuid4()))
    base_uri = "https://demo.docusign.net"
    private_key = factory.LazyFunction(lambda: keys.private_key_to_pem(rsa_key(0)))
    key_fingerprint = factory.LazyFunction(lambda: keys.fingerprint(rsa_key(0)))
