from typing import Any

from django.contrib import admin, messages
from django.db.models import QuerySet
from django.forms import ModelForm
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.urls import reverse
from django.utils.html import format_html
from django.utils.safestring import SafeString
from django.utils.timesince import timesince

from common.dispatch import enqueue_on_commit
from connections import consent, key_rotation, services
from connections.forms import ConnectionAdminForm
from connections.models import ApiCall, Connection


@admin.register(Connection)
class ConnectionAdmin(admin.ModelAdmin[Connection]):
    form = ConnectionAdminForm

    class Media:
        css = {"all": ["css/admin.css"]}  # no inline styles: the CSP allows none

    # Few, short columns: the list fits a 1280 px screen (the account ID is on each page).
    list_display = [
        "name",
        "environment",
        "status_badge",
        "is_default",
        "last_check",
        "tracking_link",
    ]
    list_filter = ["environment", "status", "is_default"]
    filter_horizontal = ["allowed_groups"]
    search_fields = ["name", "integration_key", "user_id", "user_email", "account_id"]
    readonly_fields = [
        "setup_wizard",
        "key_fingerprint",
        "pending_key_fingerprint",
        "pending_key_error",
        "status",
        "last_checked_at",
        "last_error_code",
        "last_error_detail",
        "created_at",
        "updated_at",
    ]
    fieldsets = [
        (None, {"fields": ["setup_wizard", "name", "environment", "is_default"]}),
        ("Who may send with it", {"fields": ["team", "allowed_groups"]}),
        ("Envelopes listed", {"fields": ["list_outside_envelopes"]}),
        (
            "DocuSign app and user",
            {"fields": ["integration_key", "user_id", "user_email", "account_id", "base_uri"]},
        ),
        (
            "Reminders and expiration of new envelopes",
            {
                "fields": [
                    "reminder_delay_days",
                    "reminder_frequency_days",
                    "expire_after_days",
                    "expire_warn_days",
                ]
            },
        ),
        (
            "RSA keypair",
            {
                "fields": [
                    "key_fingerprint",
                    "pending_key_fingerprint",
                    "pending_key_error",
                    "new_private_key",
                    "generate_keypair",
                ]
            },
        ),
        (
            "Health",
            {
                "fields": [
                    "status",
                    "last_checked_at",
                    "last_error_code",
                    "last_error_detail",
                    "created_at",
                    "updated_at",
                ]
            },
        ),
    ]

    actions = [
        "run_check",
        "show_consent_link",
        "email_consent_link",
        "start_key_rotation",
        "finish_key_rotation",
        "promote",
    ]

    @admin.action(description="Run the connection check", permissions=["change"])
    def run_check(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        names = services.enqueue_checks(connections=list(queryset))
        messages.info(
            request,
            f"Checking {', '.join(names)} in the background; the status column shows the "
            "result when you reload (errors come with how to fix them).",
        )

    @admin.action(description="Show a consent link to copy", permissions=["change"])
    def show_consent_link(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset:
            link = consent.link_for(
                consent.request_consent(connection=connection, requested_by=request.user)
            )
            messages.info(
                request,
                format_html(
                    "{}: send this link to the DocuSign user: <code>{}</code>",
                    connection.name,
                    link,
                ),
            )

    @admin.action(
        description="Email the consent link to the impersonated user", permissions=["change"]
    )
    def email_consent_link(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset:
            if not connection.user_email:
                messages.error(
                    request, f"{connection.name}: add the impersonated user's email first."
                )
                continue
            consent.request_consent(
                connection=connection,
                requested_by=request.user,
                email=connection.user_email,
            )
            messages.success(
                request, f"{connection.name}: consent link emailed to {connection.user_email}."
            )

    @admin.action(description="Rotate the keypair, 1: make a new key", permissions=["rotate_keys"])
    def start_key_rotation(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset:
            public_pem = key_rotation.start_key_rotation(connection=connection)
            messages.success(
                request,
                format_html(
                    "{}: add this public key on DocuSign's Apps and Keys page (the current key "
                    "keeps working), then run step 2.<pre>{}</pre>",
                    connection.name,
                    public_pem,
                ),
            )

    @admin.action(
        description="Rotate the keypair, 2: switch once DocuSign accepts it",
        permissions=["rotate_keys"],
    )
    def finish_key_rotation(self, request: HttpRequest, queryset: QuerySet[Connection]) -> None:
        for connection in queryset.exclude(pending_key_fingerprint=""):
            enqueue_on_commit("connections.tasks.finish_key_rotation", connection.pk)
        messages.info(
            request,
            "Checking the new keys in the background; each switches only if DocuSign accepts it. "
            "A connection whose 'pending key' is still shown kept its current key; its page "
            "says why under 'pending key: last check'.",
        )

    @admin.action(description="Promote to production (after Go-Live)", permissions=["promote"])
    def promote(self, request: HttpRequest, queryset: QuerySet[Connection]) -> HttpResponse | None:
        demo = queryset.filter(environment=Connection.Environment.DEMO).first()
        if demo is None:
            messages.error(request, "Choose a demo connection to promote.")
            return None
        return HttpResponseRedirect(reverse("connections:promote", args=[demo.pk]))

    # The permissions the actions name (Django looks up has_<name>_permission).
    def has_rotate_keys_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("connections.rotate_keys")

    def has_promote_permission(self, request: HttpRequest) -> bool:
        return request.user.has_perm("connections.promote_connection")

    @admin.display(description="tracking")
    def tracking_link(self, obj: Connection) -> SafeString:
        url = reverse("envelopes:connection", args=[obj.pk])
        return format_html('<a href="{}">Connect, budget</a>', url)

    @admin.display(description="status", ordering="status")
    def status_badge(self, obj: Connection) -> SafeString:
        if obj.is_draft:  # no key yet: nothing can have failed
            return format_html(
                '<a href="{}">Draft: continue setup</a>',
                reverse("connections:setup", args=[obj.pk]),
            )
        return format_html(
            '<span class="connection-status {}">{}</span>', obj.status, obj.get_status_display()
        )

    @admin.display(description="last check", ordering="last_checked_at")
    def last_check(self, obj: Connection) -> str:
        if obj.last_checked_at is None:
            return "never"
        when = timesince(obj.last_checked_at)
        return f"{when} ago" + (f": {obj.last_error_code}" if obj.last_error_code else ": ok")

    @admin.display(description="setup")
    def setup_wizard(self, obj: Connection) -> SafeString:
        if obj.pk is None or obj.setup_step == "done":
            return format_html("{}", "Complete")
        return format_html(
            '<a href="{}">Continue in the setup wizard</a> (next step: {})',
            reverse("connections:setup", args=[obj.pk]),
            obj.setup_step,
        )

    def save_model(
        self,
        request: HttpRequest,
        obj: Connection,
        form: ModelForm[Connection],
        change: bool,
    ) -> None:
        public_pem = services.save_connection(
            connection=obj,
            private_key_pem=form.cleaned_data.get("new_private_key", ""),
            generate_keypair=form.cleaned_data.get("generate_keypair", False),
        )
        if public_pem:
            messages.success(
                request,
                format_html(
                    "New keypair generated ({}). Upload this public key on DocuSign's Apps and "
                    "Keys page (Add RSA Keypair → Upload public key):<pre>{}</pre>",
                    obj.key_fingerprint,
                    public_pem,
                ),
            )


@admin.register(ApiCall)
class ApiCallAdmin(admin.ModelAdmin[ApiCall]):
    list_display = [
        "created_at",
        "connection",
        "method",
        "path",
        "status_code",
        "duration_ms",
        "error_code",
        "request_id",
    ]
    list_filter = ["method", "status_code", "connection"]
    list_select_related = ["connection"]
    search_fields = ["path", "error_code", "=request_id"]
    date_hierarchy = "created_at"

    def has_add_permission(self, request: HttpRequest) -> bool:
        return False

    def has_change_permission(self, request: HttpRequest, obj: Any = None) -> bool:
        return False
