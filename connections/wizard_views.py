"""The setup wizard: one step a page, resumable, keyed on what the connection already has.

Views are thin: forms validate, connections.onboarding and connections.consent act.
"""

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from connections import consent, credentials, onboarding
from connections.forms import (
    PromoteForm,
    WizardAccountForm,
    WizardKeysForm,
    WizardStartForm,
    WizardUserForm,
)
from connections.models import Connection, ConsentRequest
from connections.services import account_choices, enqueue_checks, save_connection

ADMIN_HOSTS = {
    Connection.Environment.DEMO: "https://admindemo.docusign.com",
    Connection.Environment.PRODUCTION: "https://admin.docusign.com",
}
NEEDS = "connections.add_connection"
# The step indicator: (key, label); sub-pages count as the step they belong to.
STEPS = [
    ("app", "App"),
    ("keys", "Keys"),
    ("user", "User"),
    ("consent", "Consent"),
    ("done", "Done"),
]
BELONGS_TO = {"public_key": "keys", "consent_status": "consent", "promote": "done"}
TITLES = {
    "app": "Step 1 of 5: the app and its integration key",
    "keys": "Step 2 of 5: the RSA keypair",
    "public_key": "Step 2 of 5: upload the public key",
    "user": "Step 3 of 5: the DocuSign user",
    "consent": "Step 4 of 5: consent and check",
    "done": "Step 5 of 5: connected",
    "promote": "Promote to production",
}


def apps_and_keys_url(environment: str) -> str:
    """DocuSign's Apps and Keys page, or the simulator's when it stands in for the demo
    environment (its own page then has the keys, users and redirect URIs)."""
    if environment == Connection.Environment.DEMO and simulated():
        return f"{settings.SITE_URL}/simulator/apps/"
    return f"{ADMIN_HOSTS[Connection.Environment(environment)]}/apps-and-keys"


def simulated() -> bool:
    return bool(settings.DOCUSIGN_SIMULATOR) and settings.DOCUSIGN_DEMO_AUTH_SERVER.startswith(
        settings.SITE_URL
    )


def _page(
    request: HttpRequest, connection: Connection | None, step: str, **context: Any
) -> HttpResponse:
    environment = connection.environment if connection else Connection.Environment.DEMO
    current = BELONGS_TO.get(step, step)
    keys_order = [key for key, _ in STEPS]
    context.update(
        connection=connection,
        step=step,
        title=TITLES.get(step, "Set up DocuSign"),
        steps=[
            {
                "label": label,
                "current": key == current,
                "done": keys_order.index(key) < keys_order.index(current),
            }
            for key, label in STEPS
        ],
        apps_and_keys=apps_and_keys_url(environment),
        apps_and_keys_demo=apps_and_keys_url(Connection.Environment.DEMO),
        apps_and_keys_production=apps_and_keys_url(Connection.Environment.PRODUCTION),
        simulated=simulated() and environment == Connection.Environment.DEMO,
        redirect_uri=credentials.redirect_uri(),
    )
    return render(request, f"connections/wizard/{step}.html", context)


def _posted(request: HttpRequest) -> Any:
    """The POST data, even when empty (`request.POST or None` would skip validating it)."""
    return request.POST if request.method == "POST" else None


@permission_required(NEEDS, raise_exception=True)
def start(request: HttpRequest) -> HttpResponse:
    form = WizardStartForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        connection = form.save()
        return redirect("connections:setup", pk=connection.pk)
    drafts = [c for c in Connection.objects.all() if c.setup_step != "done"]
    return _page(request, None, "app", form=form, drafts=drafts)


@permission_required(NEEDS, raise_exception=True)
def step(request: HttpRequest, pk: int) -> HttpResponse:
    connection = get_object_or_404(Connection, pk=pk)
    current = connection.setup_step
    if request.htmx and request.method == "GET":  # type: ignore[attr-defined]
        # The live status on step 4: the check's result and the latest link's outcome.
        return _page(request, connection, "consent_status", **_consent_status(connection))
    if current == "app":
        return redirect("connections:setup-start")
    if current == "keys":
        return _keys(request, connection)
    if current == "user":
        return _user(request, connection)
    if current == "consent":
        return _consent(request, connection)
    if request.method == "POST" and request.POST.get("action") == "check":
        enqueue_checks(connections=[connection])
        return redirect("connections:setup", pk=connection.pk)
    return _page(request, connection, "done")


def _keys(request: HttpRequest, connection: Connection) -> HttpResponse:
    form = WizardKeysForm(_posted(request))
    if request.method == "POST" and form.is_valid():
        generated = save_connection(
            connection=connection,
            private_key_pem=form.cleaned_data["private_key"],
            generate_keypair=bool(form.cleaned_data["generate"]),
        )
        if generated:  # the public key is on its own page: reloading it shows it again
            return redirect("connections:public-key", pk=connection.pk)
        return redirect("connections:setup", pk=connection.pk)
    return _page(request, connection, "keys", form=form)


@permission_required(NEEDS, raise_exception=True)
def public_key(request: HttpRequest, pk: int) -> HttpResponse:
    """The public key to upload at DocuSign, derived from the stored private key (a public
    key is no secret): shown again whenever staff need it."""
    connection = get_object_or_404(Connection, pk=pk)
    if not connection.has_key:
        return redirect("connections:setup", pk=connection.pk)
    return _page(
        request, connection, "public_key", public_pem=onboarding.public_key_for(connection)
    )


def _user(request: HttpRequest, connection: Connection) -> HttpResponse:
    form = WizardUserForm(_posted(request), instance=connection)
    if request.method == "POST" and form.is_valid():
        form.save()
        # A first JWT attempt before any consent tells whether DocuSign has the public key:
        # `consent_required` means it has, `no_valid_keys_or_signatures` that it has not.
        enqueue_checks(connections=[connection])
        return redirect("connections:setup", pk=connection.pk)
    return _page(request, connection, "user", form=form)


def _consent(request: HttpRequest, connection: Connection) -> HttpResponse:
    action = request.POST.get("action") if request.method == "POST" else None
    link = ""
    if action == "link":
        link = consent.link_for(
            consent.request_consent(connection=connection, requested_by=request.user)
        )
    elif action == "email" and connection.user_email:
        consent.request_consent(
            connection=connection, requested_by=request.user, email=connection.user_email
        )
        messages.success(request, f"Consent link emailed to {connection.user_email}.")
        return redirect("connections:setup", pk=connection.pk)
    elif action == "check":
        enqueue_checks(connections=[connection])
        return redirect("connections:setup", pk=connection.pk)
    elif action == "account":
        form = WizardAccountForm(request.POST, choices=_account_choices(connection))
        if form.is_valid():
            onboarding.choose_account(
                connection=connection, account_id=form.cleaned_data["account_id"]
            )
            return redirect("connections:setup", pk=connection.pk)
    accounts = WizardAccountForm(choices=_account_choices(connection))
    return _page(
        request,
        connection,
        "consent",
        link=link,
        accounts=accounts if accounts.has_choices else None,
        **_consent_status(connection),
    )


def _consent_status(connection: Connection) -> dict[str, Any]:
    return {
        "latest": ConsentRequest.objects.filter(connection=connection).first(),
        "key_not_uploaded": onboarding.key_not_uploaded(connection),
    }


def _account_choices(connection: Connection) -> list[tuple[str, str]]:
    return [
        (
            a["account_id"],
            f"{a['account_name']} ({a['account_id']}){' — default' if a['is_default'] else ''}",
        )
        for a in account_choices(connection)
    ]


@permission_required(
    ["connections.add_connection", "connections.promote_connection"], raise_exception=True
)
def promote(request: HttpRequest, pk: int) -> HttpResponse:
    demo = get_object_or_404(Connection, pk=pk, environment=Connection.Environment.DEMO)
    form = PromoteForm(_posted(request), initial={"name": f"{demo.name} (production)"})
    if request.method == "POST" and form.is_valid():
        production = onboarding.promote_to_production(
            demo=demo,
            name=form.cleaned_data["name"],
            user_id=form.cleaned_data["user_id"],
            user_email=form.cleaned_data["user_email"],
        )
        messages.success(
            request, "Production connection created; the production user consents next."
        )
        return redirect("connections:setup", pk=production.pk)
    return _page(
        request,
        demo,
        "promote",
        form=form,
        public_pem=onboarding.public_key_for(demo) if demo.has_key else "",
        production_apps_and_keys=apps_and_keys_url(Connection.Environment.PRODUCTION),
    )
