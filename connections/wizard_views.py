"""The setup wizard: one step a page, resumable, keyed on what the connection already has.

Views are thin: forms validate, connections.onboarding and connections.consent act.
"""

from typing import Any

from django.contrib import messages
from django.contrib.auth.decorators import permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render

from connections import consent, onboarding
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


def _page(
    request: HttpRequest, connection: Connection | None, step: str, **context: Any
) -> HttpResponse:
    environment = connection.environment if connection else Connection.Environment.DEMO
    context.update(
        connection=connection,
        step=step,
        admin_host=ADMIN_HOSTS[Connection.Environment(environment)],
        redirect_uri=consent.redirect_uri(),
        steps=["app", "keys", "user", "consent", "done"],
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
        return _page(request, connection, "consent_status")  # the live status on step 4
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
        public_pem = save_connection(
            connection=connection,
            private_key_pem=form.cleaned_data["private_key"],
            generate_keypair=bool(form.cleaned_data["generate"]),
        )
        if public_pem:  # shown once, here; the private key never leaves the server
            return _page(request, connection, "public_key", public_pem=public_pem)
        return redirect("connections:setup", pk=connection.pk)
    return _page(request, connection, "keys", form=form)


def _user(request: HttpRequest, connection: Connection) -> HttpResponse:
    form = WizardUserForm(_posted(request), instance=connection)
    if request.method == "POST" and form.is_valid():
        form.save()
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
        latest=ConsentRequest.objects.filter(connection=connection).first(),
        accounts=accounts if accounts.has_choices else None,
    )


def _account_choices(connection: Connection) -> list[tuple[str, str]]:
    return [
        (
            a["account_id"],
            f"{a['account_name']} ({a['account_id']}){' — default' if a['is_default'] else ''}",
        )
        for a in account_choices(connection)
    ]


@permission_required(NEEDS, raise_exception=True)
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
    return _page(request, demo, "promote", form=form)
