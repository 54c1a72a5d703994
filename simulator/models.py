"""The simulator's own state: DocuSign users, accounts, apps (integration keys), consent, tokens.

Envelope-side state (envelopes, recipients, tabs, documents, Connect configurations, limits
and faults) lives in simulator/esign/models.py.
"""

import hashlib
import secrets
import uuid
from datetime import timedelta

from django.db import models
from django.utils import timezone


def _guid() -> str:
    return str(uuid.uuid4())


class SimUser(models.Model):
    user_id = models.CharField(max_length=36, unique=True, default=_guid)
    name = models.CharField(max_length=100)
    email = models.EmailField(unique=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.name} <{self.email}>"


class SimAccount(models.Model):
    account_id = models.CharField(max_length=36, unique=True, default=_guid)
    name = models.CharField(max_length=100)
    users: "models.ManyToManyField[SimUser, SimMembership]" = models.ManyToManyField(
        SimUser, through="SimMembership", related_name="accounts"
    )

    def __str__(self) -> str:
        return self.name


class SimMembership(models.Model):
    user = models.ForeignKey(SimUser, on_delete=models.CASCADE)
    account = models.ForeignKey(SimAccount, on_delete=models.CASCADE)
    is_default = models.BooleanField(default=False)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "account"], name="sim_membership_unique")
        ]

    def __str__(self) -> str:
        return f"{self.user} in {self.account}"


class SimApp(models.Model):
    """An integration key, as on DocuSign's Apps and Keys page."""

    integration_key = models.CharField(max_length=36, unique=True, default=_guid)
    name = models.CharField(max_length=100)
    redirect_uris = models.JSONField(default=list, blank=True)
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.name


class SimPublicKey(models.Model):
    """An RSA public key registered on an app (DocuSign allows 5 keypairs per key)."""

    app = models.ForeignKey(SimApp, on_delete=models.CASCADE, related_name="public_keys")
    keypair_id = models.CharField(max_length=36, unique=True, default=_guid)
    public_pem = models.TextField()
    created = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return f"{self.keypair_id} on {self.app}"


class SimConsent(models.Model):
    """A user's consent to an app for some scopes (individual consent via /oauth/auth)."""

    user = models.ForeignKey(SimUser, on_delete=models.CASCADE, related_name="consents")
    app = models.ForeignKey(SimApp, on_delete=models.CASCADE, related_name="consents")
    scopes = models.CharField(max_length=255, default="signature impersonation")
    granted_at = models.DateTimeField(auto_now=True)

    class Meta:
        constraints = [models.UniqueConstraint(fields=["user", "app"], name="sim_consent_unique")]

    def __str__(self) -> str:
        return f"{self.user} consented to {self.app}: {self.scopes}"

    def covers(self, scopes: set[str]) -> bool:
        return scopes <= set(self.scopes.split())


class SimAccessToken(models.Model):
    """An issued access token; only its SHA-256 is stored."""

    token_hash = models.CharField(max_length=64, unique=True)
    app = models.ForeignKey(SimApp, on_delete=models.CASCADE)
    user = models.ForeignKey(SimUser, on_delete=models.CASCADE, null=True, blank=True)
    scopes = models.CharField(max_length=255)
    expires_at = models.DateTimeField()

    def __str__(self) -> str:
        return f"token for {self.user or self.app} until {self.expires_at:%H:%M:%S}"

    @staticmethod
    def hash(token: str) -> str:
        return hashlib.sha256(token.encode()).hexdigest()

    @classmethod
    def issue(
        cls, *, app: SimApp, user: SimUser | None, scopes: str, lifetime: int = 3600
    ) -> tuple[str, "SimAccessToken"]:
        token = "sim." + secrets.token_urlsafe(48)
        row = cls.objects.create(
            token_hash=cls.hash(token),
            app=app,
            user=user,
            scopes=scopes,
            expires_at=timezone.now() + timedelta(seconds=lifetime),
        )
        return token, row

    @property
    def is_expired(self) -> bool:
        return timezone.now() >= self.expires_at


from simulator.esign.bulk_models import (  # noqa: E402
    SimBulkBatch,
    SimBulkEnvelope,
    SimBulkList,
)
from simulator.esign.models import (  # noqa: E402  (Django finds models here)
    SimBehaviour,
    SimConnectConfig,
    SimConnectDelivery,
    SimCorrectSession,
    SimDocument,
    SimEnvelope,
    SimFault,
    SimRecipient,
    SimSigningSession,
    SimTemplate,
    SimTextMessage,
)

__all__ = [
    "SimAccessToken",
    "SimAccount",
    "SimApp",
    "SimBehaviour",
    "SimBulkBatch",
    "SimBulkEnvelope",
    "SimBulkList",
    "SimConnectConfig",
    "SimConnectDelivery",
    "SimConsent",
    "SimCorrectSession",
    "SimDocument",
    "SimEnvelope",
    "SimFault",
    "SimMembership",
    "SimPublicKey",
    "SimRecipient",
    "SimSigningSession",
    "SimTemplate",
    "SimTextMessage",
    "SimUser",
]
