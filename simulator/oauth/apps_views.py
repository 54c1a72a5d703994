"""The simulated "Apps and Keys" page (staff only), as DocuSign's admin shows it."""

from django.contrib import messages
from django.contrib.admin.views.decorators import staff_member_required
from django.core.exceptions import ValidationError
from django.core.validators import EmailValidator, URLValidator
from django.db import IntegrityError
from django.http import HttpRequest, HttpResponse, HttpResponseRedirect
from django.shortcuts import get_object_or_404, render
from django.urls import reverse

from simulator.models import SimAccount, SimApp, SimConsent, SimPublicKey, SimUser
from simulator.oauth import services
from simulator.oauth.views import simulator_base

_url = URLValidator(schemes=["http", "https"])


@staff_member_required
def apps_and_keys(request: HttpRequest) -> HttpResponse:
    shown_private_key = ""
    if request.method == "POST":
        try:
            shown_private_key = _act(request)
        except (ValidationError, services.KeyProblem, IntegrityError) as exc:
            text = "; ".join(exc.messages) if isinstance(exc, ValidationError) else str(exc)
            if isinstance(exc, IntegrityError):
                text = "That email is already used by another simulated user."
            messages.error(request, text)
        if not shown_private_key:
            return HttpResponseRedirect(reverse("simulator:apps"))
    return render(
        request,
        "simulator/apps.html",
        {
            "apps": SimApp.objects.prefetch_related("public_keys", "consents__user"),
            "users": SimUser.objects.prefetch_related("accounts"),
            "accounts": SimAccount.objects.all(),
            "base_uri": simulator_base(request),
            "auth_server": simulator_base(request),
            "shown_private_key": shown_private_key,
        },
    )


def _act(request: HttpRequest) -> str:
    """Apply one form's action; returns a private key to show once, else ''."""
    data = request.POST
    action = data.get("action")
    if action == "create_app":
        name = data.get("name", "").strip()
        if not name:
            raise ValidationError("Give the app a name.")
        app = SimApp.objects.create(name=name)
        messages.success(request, f"Created {app.name}: integration key {app.integration_key}.")
        return ""
    if action == "create_user":
        name, email = data.get("name", "").strip(), data.get("email", "").strip()
        if not name:
            raise ValidationError("Give the user a name.")
        EmailValidator(message="Enter a valid email address for the user.")(email)
        user = services.create_user(name=name, email=email, account_name=data.get("account", ""))
        messages.success(request, f"Created {user.name}: user ID {user.user_id}.")
        return ""
    if action == "revoke_consent":
        consent = get_object_or_404(SimConsent, pk=data.get("consent"))
        services.revoke_consent(user=consent.user, app=consent.app)
        messages.success(request, f"Revoked {consent.user.email}'s consent to {consent.app.name}.")
        return ""
    if action == "delete_key":
        key = get_object_or_404(SimPublicKey, pk=data.get("key"))
        key.delete()
        messages.success(request, "Deleted the RSA keypair.")
        return ""
    app = get_object_or_404(SimApp, pk=data.get("app"))
    if action == "add_redirect_uri":
        uri = data.get("uri", "").strip()
        _url(uri)
        if uri not in app.redirect_uris:
            app.redirect_uris = [*app.redirect_uris, uri]
            app.save()
        messages.success(request, f"Added redirect URI {uri}.")
        return ""
    if action == "generate_keypair":
        key, private_pem = services.add_generated_keypair(app)
        messages.warning(
            request,
            f"Keypair {key.keypair_id} added. Copy the private key now: "
            "it will not be shown again.",
        )
        return private_pem
    if action == "upload_public_key":
        key = services.add_public_key(app, data.get("public_key", ""))
        messages.success(request, f"Public key added as keypair {key.keypair_id}.")
        return ""
    raise ValidationError("Unknown action.")
