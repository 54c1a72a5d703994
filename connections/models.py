"""DocuSign connections: credentials for one impersonated user, and the audit log of calls."""

import hashlib
import secrets
import uuid
from typing import Any

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.db.models import Q

from common.request_id import current_request_id
from connections import keys
from connections.docusign.hosts import BaseUriError, normalize_base_uri
from connections.fields import EncryptedTextField
from connections.schedules import Schedule, check_schedule


def normalize_guid(value: str) -> str:
    """'{1A2B…}' or ' 1a2b… ' → canonical lower-case 8-4-4-4-12; '' stays ''."""
    value = (value or "").strip().strip("{}").strip()
    if not value:
        return ""
    return str(uuid.UUID(value))


class GuidField(models.CharField[str, str]):
    """A DocuSign GUID, normalised on clean (case, braces, whitespace)."""

    def __init__(self, *args: Any, what: str = "", **kwargs: Any) -> None:
        self.what = what
        kwargs.setdefault("max_length", 36)
        super().__init__(*args, **kwargs)

    def deconstruct(self) -> Any:
        name, path, args, kwargs = super().deconstruct()
        if self.what:
            kwargs["what"] = self.what
        return name, path, args, kwargs

    def formfield(self, *args: Any, **kwargs: Any) -> Any:
        # Room for what people paste ("{GUID}", stray spaces): normalised before it is stored.
        kwargs["max_length"] = 64
        return super().formfield(*args, **kwargs)

    def to_python(self, value: Any) -> Any:
        value = super().to_python(value)
        if value is None:
            return value
        try:
            return normalize_guid(value)
        except ValueError:
            raise ValidationError(
                "%(value)s is not a GUID. It should look like "
                "1f2e3d4c-5b6a-7980-a1b2-c3d4e5f60718%(where)s.",
                code="invalid_guid",
                params={
                    "value": repr(str(value)[:60]),
                    "where": f" ({self.what})" * bool(self.what),
                },
            ) from None


def _connect_token() -> str:
    return secrets.token_urlsafe(32)


def connect_token_hash(token: str) -> str:
    """What the webhook looks a connection up by: the token itself is only stored encrypted."""
    return hashlib.sha256(token.encode()).hexdigest()


class Connection(models.Model):
    """One DocuSign service integration: an integration key impersonating one user."""

    class Environment(models.TextChoices):
        DEMO = "demo", "Demo (developer account)"
        PRODUCTION = "production", "Production"

    class Status(models.TextChoices):
        NEW = "new", "New"
        AWAITING_CONSENT = "awaiting_consent", "Awaiting consent"
        CONNECTED = "connected", "Connected"
        FAILING = "failing", "Failing"

    name = models.CharField(max_length=100, unique=True)
    environment = models.CharField(
        max_length=20, choices=Environment.choices, default=Environment.DEMO
    )
    # Blank only while the setup wizard is under way; the admin form requires them.
    integration_key = GuidField(
        blank=True,
        what="the Integration Key on DocuSign's Apps and Keys page",
        help_text="The app's Integration Key (a GUID) from DocuSign's Apps and Keys page.",
    )
    user_id = GuidField(
        "impersonated user ID",
        blank=True,
        what="the User ID on DocuSign's Apps and Keys page",
        help_text="The API User ID (a GUID) of the DocuSign user Countersign acts as.",
    )
    user_email = models.EmailField(
        "impersonated user's email", blank=True, help_text="Where the consent link is sent."
    )
    # The impersonated user as DocuSign's profile has them (userinfo, filled by the check):
    # DocuSign's in-person host must match them exactly, case included.
    user_name = models.CharField(
        "impersonated user's name", max_length=100, blank=True, editable=False
    )
    user_profile_email = models.CharField(
        "impersonated user's profile email", max_length=100, blank=True, editable=False
    )
    account_id = GuidField(
        "account ID",
        blank=True,
        what="the API Account ID on DocuSign's Apps and Keys page",
        help_text="Left blank, it is discovered from the user's default account.",
    )
    base_uri = models.CharField(
        "base URI",
        max_length=255,
        blank=True,
        help_text="The account's base URI, e.g. https://demo.docusign.net. Left blank, it is "
        "discovered.",
    )
    private_key = EncryptedTextField(blank=True)
    key_fingerprint = models.CharField(max_length=60, blank=True, editable=False)
    # Key rotation: the new key waits here until a check proves DocuSign accepts it.
    pending_private_key = EncryptedTextField(blank=True, editable=False)
    pending_key_fingerprint = models.CharField(max_length=60, blank=True, editable=False)
    # Why DocuSign refused the pending key at the last try (e.g. not uploaded yet).
    pending_key_error = models.TextField("pending key: last check", blank=True, editable=False)
    status = models.CharField(max_length=20, choices=Status.choices, default=Status.NEW)
    uses_admin_consent = models.BooleanField(
        "administrative consent",
        default=False,
        help_text="An organisation administrator granted consent for all users; no "
        "individual consent step is needed.",
    )
    is_default = models.BooleanField(
        "default for its environment",
        default=False,
        help_text="Used when a sender does not choose a connection.",
    )
    # DocuSign Connect: the unguessable path of this connection's webhook (encrypted; found by
    # its SHA-256, which is all a database dump reveals), and the HMAC keys (one per line;
    # several during a rotation) that sign its messages.
    connect_token = EncryptedTextField(default=_connect_token, editable=False)
    # Reminders and expiration for new envelopes (each envelope can change its own; see
    # connections/schedules.py for the rules).
    reminder_delay_days = models.PositiveSmallIntegerField(
        "first reminder after (days)",
        null=True,
        blank=True,
        help_text="Days after sending until DocuSign reminds a recipient who has not acted. "
        "Blank: no reminders.",
    )
    reminder_frequency_days = models.PositiveSmallIntegerField(
        "repeat reminders every (days)",
        default=0,
        help_text="Days between later reminders; 0: only the first reminder.",
    )
    expire_after_days = models.PositiveSmallIntegerField(
        "expire after (days)",
        default=120,
        help_text="Days after sending until an unfinished envelope expires (voided), 1-999.",
    )
    expire_warn_days = models.PositiveSmallIntegerField(
        "warn before expiry (days)",
        default=0,
        help_text="Days before expiry to warn recipients; 0: no warning.",
    )
    connect_token_hash = models.CharField(max_length=64, unique=True, editable=False)
    connect_hmac_secrets = EncryptedTextField(blank=True)
    list_outside_envelopes = models.BooleanField(
        default=False,
        help_text="Also list envelopes this DocuSign account sent outside Countersign (found "
        "by the usual status polling; read-only here, except void and download).",
    )
    last_checked_at = models.DateTimeField(null=True, blank=True, editable=False)
    # Queued work started waiting for this connection to work again (staff were emailed
    # then, once); cleared when a passing check resumes it (envelopes.sending.waiting).
    work_waiting_since = models.DateTimeField(null=True, blank=True, editable=False)
    last_error_code = models.CharField(max_length=100, blank=True, editable=False)
    last_error_detail = models.TextField(blank=True, editable=False)
    # Who may send with it: a team's connection serves its members only; with groups chosen,
    # only members of those groups. Neither: every sender.
    team = models.ForeignKey(
        "accounts.Team",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="connections",
        help_text="Only this team's members may send with it (blank: any team).",
    )
    allowed_groups = models.ManyToManyField(
        "auth.Group",
        blank=True,
        related_name="+",
        verbose_name="restricted to groups",
        help_text="Only members of these groups may send with it (none chosen: every sender).",
    )
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["name"]
        permissions = [
            ("rotate_keys", "Can rotate a connection's keys"),
            ("promote_connection", "Can promote a connection to production"),
            ("view_system_status", "Can see the System status page"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["environment"],
                condition=Q(is_default=True),
                name="one_default_connection_per_environment",
                violation_error_message=(
                    "Another connection is already the default for this environment. Untick "
                    "'default' here, or untick it on the other connection first."
                ),
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_environment_display()})"

    def save(self, *args: Any, **kwargs: Any) -> None:
        self.connect_token_hash = connect_token_hash(self.connect_token)
        update_fields = kwargs.get("update_fields")
        if update_fields is not None and "connect_token" in update_fields:
            kwargs["update_fields"] = {*update_fields, "connect_token_hash"}
        super().save(*args, **kwargs)

    @property
    def is_production(self) -> bool:
        return self.environment == self.Environment.PRODUCTION

    def clean(self) -> None:
        if self.base_uri:
            try:
                self.base_uri = normalize_base_uri(
                    self.base_uri,
                    allowed_hosts=settings.DOCUSIGN_ALLOWED_API_HOSTS,
                    allow_http_loopback=settings.DOCUSIGN_ALLOW_HTTP_LOOPBACK,
                )
            except BaseUriError as exc:
                raise ValidationError({"base_uri": str(exc)}) from None
        check_schedule(Schedule.of(self))  # the defaults new envelopes get

    def set_private_key(self, pem: str) -> None:
        """Store a validated key (canonical PKCS#8) and its fingerprint."""
        key = keys.load_private_key(pem)
        self.private_key = keys.private_key_to_pem(key)
        self.key_fingerprint = keys.fingerprint(key)

    @property
    def has_key(self) -> bool:
        return bool(self.key_fingerprint)

    @property
    def auth_server(self) -> str:
        if self.environment == self.Environment.PRODUCTION:
            return str(settings.DOCUSIGN_PRODUCTION_AUTH_SERVER)
        return str(settings.DOCUSIGN_DEMO_AUTH_SERVER)

    def hmac_secrets(self) -> list[str]:
        return [
            line.strip() for line in (self.connect_hmac_secrets or "").splitlines() if line.strip()
        ]

    @property
    def is_demo(self) -> bool:
        return self.environment == self.Environment.DEMO

    @property
    def is_ready(self) -> bool:
        """Everything needed to call the eSignature API is filled in."""
        return bool(
            self.integration_key
            and self.user_id
            and self.has_key
            and self.account_id
            and self.base_uri
        )

    @property
    def setup_step(self) -> str:
        """The setup wizard's next step for this connection (it resumes from the saved state)."""
        if not self.integration_key:
            return "app"
        if not self.has_key:
            return "keys"
        if not self.user_id:
            return "user"
        # Complete but never checked (e.g. seeded or made in the admin): not a draft.
        if self.status == self.Status.NEW and self.is_ready:
            return "done"
        if self.status != self.Status.CONNECTED:
            return "consent"
        return "done"

    @property
    def is_draft(self) -> bool:
        """Still in the setup wizard before its key: nothing to check yet."""
        return self.setup_step in ("app", "keys")


class ApiCall(models.Model):
    """One call to DocuSign: the audit trail, Go-Live readiness and rate budgets read this.

    Never holds a token, a key or a document body: the path is a template with IDs replaced.
    """

    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="api_calls", null=True, blank=True
    )
    integration_key = models.CharField(max_length=36, blank=True)
    account_id = models.CharField(max_length=36, blank=True)
    method = models.CharField(max_length=10)
    path = models.CharField(max_length=255, help_text="Path template, IDs replaced.")
    status_code = models.PositiveSmallIntegerField(null=True, blank=True)
    duration_ms = models.PositiveIntegerField(default=0)
    error_code = models.CharField(max_length=100, blank=True)
    rate_limit_remaining = models.IntegerField(null=True, blank=True)
    # The web request (or task) that caused the call: grep it to follow one send end to end.
    request_id = models.CharField(
        max_length=64, blank=True, default=current_request_id, db_index=True, editable=False
    )
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        ordering = ["-created_at"]
        indexes = [models.Index(fields=["connection", "-created_at"])]

    def __str__(self) -> str:
        return f"{self.method} {self.path} → {self.status_code}"

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300


class ConsentRequest(models.Model):
    """Asking the impersonated DocuSign user to grant consent: who, when, by whom, outcome."""

    class Outcome(models.TextChoices):
        PENDING = "pending", "Waiting for the user"
        GRANTED = "granted", "Granted (DocuSign confirms)"
        DECLINED = "declined", "Declined"
        SUPERSEDED = "superseded", "Replaced by a newer link"
        WRONG_USER = "wrong_user", "Allowed by a different DocuSign user"
        UNCONFIRMED = "unconfirmed", "Allowed, but DocuSign could not confirm"
        CHECKING = "checking", "Allowed; checking with DocuSign"

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    connection = models.ForeignKey(
        Connection, on_delete=models.CASCADE, related_name="consent_requests"
    )
    email = models.EmailField(blank=True, help_text="Where the link was emailed, if it was.")
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL
    )
    created_at = models.DateTimeField(auto_now_add=True)
    expires_at = models.DateTimeField()
    sent_at = models.DateTimeField(null=True, blank=True)
    outcome = models.CharField(max_length=20, choices=Outcome.choices, default=Outcome.PENDING)
    outcome_at = models.DateTimeField(null=True, blank=True)
    # When DocuSign last sent someone back through this link after "Allow access" (it records
    # consent then, whatever our link's state); a worker then checks what DocuSign holds.
    allowed_at = models.DateTimeField(null=True, blank=True)
    error_code = models.CharField(max_length=100, blank=True)
    error_message = models.CharField(max_length=500, blank=True)

    class Meta:
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"Consent for {self.connection} ({self.get_outcome_display()})"


class Installation(models.Model):
    """This Countersign installation's identity, made once (connections.installation).

    Every envelope we create carries its id, so that on a DocuSign account shared with other
    installations (staging beside production) we act only on envelopes proven ours."""

    id = models.PositiveSmallIntegerField(primary_key=True, default=1, editable=False)
    installation_id = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        constraints = [models.CheckConstraint(condition=Q(id=1), name="one_installation")]

    def __str__(self) -> str:
        return f"Installation {self.installation_id}"
