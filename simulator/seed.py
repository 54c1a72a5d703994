"""Seed data for `make run`: a simulated app, user and account, and a demo connection to it."""

from django.db import transaction

from connections import keys
from connections.models import Connection
from simulator.models import SimAccount, SimApp, SimConsent, SimMembership, SimPublicKey, SimUser

APP_NAME = "Countersign (local)"
USER_EMAIL = "dana.demo@example.com"
CONNECTION_NAME = "Local simulator"


@transaction.atomic
def seed_simulator(*, site_url: str) -> list[str]:
    """Create (or repair) the simulated key, user, account and consent, and a default demo
    connection holding the keypair's private key. Returns lines to print. Idempotent."""
    app, _ = SimApp.objects.get_or_create(name=APP_NAME)
    redirect_uri = f"{site_url}/connections/consent/return/"
    if redirect_uri not in app.redirect_uris:
        app.redirect_uris = [*app.redirect_uris, redirect_uri]
        app.save()
    user, _ = SimUser.objects.get_or_create(email=USER_EMAIL, defaults={"name": "Dana Demo"})
    account = SimAccount.objects.filter(simmembership__user=user).first()
    if account is None:
        account = SimAccount.objects.create(name="Countersign Demo")
        SimMembership.objects.create(user=user, account=account, is_default=True)
    SimConsent.objects.update_or_create(
        user=user, app=app, defaults={"scopes": "impersonation signature"}
    )

    connection = Connection.objects.filter(name=CONNECTION_NAME).first() or Connection(
        name=CONNECTION_NAME,
        environment=Connection.Environment.DEMO,
        is_default=not Connection.objects.filter(
            environment=Connection.Environment.DEMO, is_default=True
        ).exists(),
    )
    connection.integration_key = app.integration_key
    connection.user_id = user.user_id
    connection.user_email = user.email
    connection.account_id = account.account_id
    connection.base_uri = f"{site_url}/simulator"
    registered = {
        keys.fingerprint(keys.load_public_key(k.public_pem)) for k in app.public_keys.all()
    }
    if not connection.key_fingerprint or connection.key_fingerprint not in registered:
        pair = keys.generate_keypair()
        SimPublicKey.objects.create(app=app, public_pem=pair.public_pem)
        connection.private_key, connection.key_fingerprint = pair.private_pem, pair.fingerprint
    connection.full_clean()
    connection.save()
    return [
        f"Simulator: integration key {app.integration_key}, user {user.email} ({user.user_id}), "
        f"account {account.account_id}.",
        f"Demo connection '{connection.name}' points at {connection.base_uri}.",
        f"Simulator pages: {site_url}/simulator/apps/ (Apps and Keys), "
        f"{site_url}/simulator/inbox/ (recipients' inbox).",
    ]
