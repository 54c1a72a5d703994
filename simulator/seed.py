"""Seed data for `make run`: a simulated app, user and account, and a demo connection to it."""

import secrets
from typing import Any

from django.db import transaction
from django.urls import reverse

from connections import keys
from connections.models import Connection
from simulator import every_field
from simulator.models import (
    SimAccount,
    SimApp,
    SimConnectConfig,
    SimConsent,
    SimMembership,
    SimPublicKey,
    SimTemplate,
    SimUser,
)

APP_NAME = "Countersign (local)"
USER_EMAIL = "dana.demo@example.com"
CONNECTION_NAME = "Local simulator"
CONNECT_NAME = "Countersign (local)"


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
    connection.user_name, connection.user_profile_email = user.name, user.email
    connection.account_id = account.account_id
    connection.base_uri = f"{site_url}/simulator"
    registered = {
        keys.fingerprint(keys.load_public_key(k.public_pem)) for k in app.public_keys.all()
    }
    if not connection.key_fingerprint or connection.key_fingerprint not in registered:
        pair = keys.generate_keypair()
        SimPublicKey.objects.create(app=app, public_pem=pair.public_pem)
        connection.private_key, connection.key_fingerprint = pair.private_pem, pair.fingerprint
    # Connect, as an account admin would set it up: status changes arrive by themselves,
    # signed with an HMAC key both sides hold (kept across runs; the URL follows the port).
    connection.connect_hmac_secrets = connection.connect_hmac_secrets or secrets.token_urlsafe(32)
    connection.full_clean()
    connection.save()
    SimConnectConfig.objects.update_or_create(
        account=account,
        name=CONNECT_NAME,
        defaults={
            "url": site_url + reverse("envelopes:connect", args=[connection.connect_token]),
            "hmac_secrets": connection.connect_hmac_secrets,
            "events": [],
            "enabled": True,
        },
    )
    templates = seed_templates(account)
    return [
        f"Simulator: integration key {app.integration_key}, user {user.email} ({user.user_id}), "
        f"account {account.account_id}.",
        f"Demo connection '{connection.name}' points at {connection.base_uri}; "
        f"{len(templates)} DocuSign templates: {', '.join(t.name for t in templates)}; "
        "Connect sends status changes to it.",
        f"Simulator pages: {site_url}/simulator/apps/ (Apps and Keys), "
        f"{site_url}/simulator/inbox/ (recipients' inbox).",
    ]


NDA = """<h1>Mutual Non-Disclosure Agreement</h1>
<p>This agreement is made between <b>/company_name/</b> and the undersigned, effective
/effective_date/.</p>
<p>Each party will keep the other's confidential information secret and use it only to
evaluate a business relationship between them.</p>
<p>Signed for the company: /sig_company/ Date: /date_company/</p>
<p>Signed by the counterparty: /sig_signer/ Date: /date_signer/</p>"""

OFFER = """<h1>Offer of Employment</h1>
<p>We are pleased to offer you the position of /job_title/ starting /start_date/, at a salary
of /salary/ per year.</p>
<p>Accepted: /sig_candidate/ Date: /date_candidate/</p>"""


def _tabs(prefix: str, texts: list[str]) -> dict[str, list[dict[str, str]]]:
    return {
        "signHereTabs": [{"anchorString": f"/sig_{prefix}/", "tabLabel": f"sig_{prefix}"}],
        "dateSignedTabs": [{"anchorString": f"/date_{prefix}/", "tabLabel": f"date_{prefix}"}],
        "textTabs": [{"anchorString": f"/{t}/", "tabLabel": t, "value": ""} for t in texts],
    }


def seed_templates(account: SimAccount) -> list[SimTemplate]:
    """Realistic templates with roles and tabs, and one with every prefillable field
    (idempotent)."""
    specs = [
        (
            "Mutual NDA",
            "Two-party confidentiality agreement.",
            "Please sign our mutual NDA",
            NDA,
            [
                {
                    "roleName": "Company",
                    "recipientId": "1",
                    "routingOrder": "1",
                    "tabs": _tabs("company", ["company_name", "effective_date"]),
                },
                {
                    "roleName": "Signer",
                    "recipientId": "2",
                    "routingOrder": "2",
                    "tabs": _tabs("signer", []),
                },
            ],
        ),
        (
            "Offer letter",
            "Employment offer for a candidate to accept.",
            "Your offer letter",
            OFFER,
            [
                {
                    "roleName": "Candidate",
                    "recipientId": "1",
                    "routingOrder": "1",
                    "tabs": _tabs("candidate", ["job_title", "start_date", "salary"]),
                },
            ],
        ),
    ]
    every: list[tuple[str, str, str, str, list[Any], dict[str, Any]]] = [(*s, {}) for s in specs]
    every.append(every_field.spec())
    templates = []
    for name, description, subject, html, roles, document_tabs in every:
        template, _ = SimTemplate.objects.update_or_create(
            account=account,
            name=name,
            defaults={
                "description": description,
                "email_subject": subject,
                "documents": [
                    {
                        "documentId": "1",
                        "name": name,
                        "fileExtension": "html",
                        "content": html,
                        "tabs": document_tabs,
                    }
                ],
                "roles": roles,
            },
        )
        templates.append(template)
    return templates
