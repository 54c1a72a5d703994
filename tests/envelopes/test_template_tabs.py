"""Templates without typing: roles as rows, every prefillable tab typed and validated, the
values arriving at DocuSign (the simulator, over real HTTP), and a changed template noticed."""

import html

import pytest
from django.urls import reverse

from connections.models import ApiCall
from envelopes import signing
from envelopes.composing import prepare, template_tabs
from envelopes.models import Envelope
from envelopes.sending import create
from simulator import control
from simulator.models import SimEnvelope, SimTemplate

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.fixture
def every_field(simulator_connection):
    return SimTemplate.objects.get(name="Every field")


def describe(connection, template):
    return template_tabs.describe(connection=connection, template_id=template.template_id)


def keys(fields):
    """Form field names by (role, label), and by role name for the role rows."""
    tabs = {(f.role, f.label): f.key for f in fields.all_fields()}
    roles = {r.name: r.key for r in fields.roles}
    return tabs, roles


def filled_in(connection, fields, **overrides):
    tabs, roles = keys(fields)
    data = {
        "connection": connection.pk,
        "source": "template",
        "docusign_template": fields.template_id,
        "template_version": fields.last_modified,
        "subject": "Service order",
        "message": "",
        "action": "send",
        "r-TOTAL_FORMS": "0",
        "r-INITIAL_FORMS": "0",
        "r-MIN_NUM_FORMS": "1",
        "r-MAX_NUM_FORMS": "100",
        f"{roles['Customer']}-name": "Cleo Customer",
        f"{roles['Customer']}-email": "cleo@example.com",
        f"{roles['Account manager']}-name": "Max Manager",
        f"{roles['Account manager']}-email": "max@example.com",
        tabs[("Customer", "customer")]: "Cleo Ltd",
        tabs[("Customer", "seats")]: "1,250",
        tabs[("Customer", "start_date")]: "2027-03-01",
        tabs[("Customer", "contact_email")]: "ops@cleo.example",
        tabs[("Customer", "company")]: "Cleo Holdings",
        tabs[("Customer", "job_title")]: "Buyer",
        tabs[("Customer", "premium")]: "on",
        tabs[("Customer", "plan")]: "business",
        tabs[("Customer", "billing")]: "yearly",
        tabs[("", "order_ref")]: "PO-77",
        tabs[("", "priority")]: "on",
    }
    data.update(overrides)
    return data


def test_a_template_is_described_with_its_roles_and_typed_fields(simulator_connection, every_field):
    fields = describe(simulator_connection, every_field)
    assert [(r.name, r.kind, r.routing_order) for r in fields.roles] == [
        ("Customer", "signer", 1),
        ("Account manager", "carbon_copy", 2),
    ]
    kinds = {f.label: (f.collection, f.kind) for f in fields.roles[0].fields}
    assert kinds == {
        "customer": ("textTabs", "text"),
        "company": ("companyTabs", "text"),
        "job_title": ("titleTabs", "text"),
        "seats": ("numberTabs", "number"),
        "start_date": ("dateTabs", "date"),
        "contact_email": ("emailTabs", "email"),
        "premium": ("checkboxTabs", "checkbox"),
        "plan": ("listTabs", "list"),
        "billing": ("radioGroupTabs", "radio"),
    }
    plan = next(f for f in fields.roles[0].fields if f.label == "plan")
    assert plan.choices == (
        ("starter", "Starter"),
        ("business", "Business"),
        ("enterprise", "Enterprise"),
    )
    assert [(f.label, f.kind, f.document_id) for f in fields.sender_fields] == [
        ("order_ref", "text", "1"),
        ("priority", "checkbox", "1"),
    ]


def test_every_prefillable_tab_arrives_at_docusign(
    client, signed_in_sender, simulator_connection, every_field
):
    fields = describe(simulator_connection, every_field)
    response = client.post(reverse("envelopes:compose"), filled_in(simulator_connection, fields))
    assert response.status_code == 302, response.content.decode()[:3000]
    envelope = Envelope.objects.get()
    assert envelope.status == Envelope.Status.SENT
    sim = SimEnvelope.objects.get(envelope_id=envelope.docusign_envelope_id)
    assert sim.status == "sent"
    customer = sim.recipients.get(role_name="Customer")
    tabs = customer.tabs

    def value(collection, label):
        return next(t for t in tabs[collection] if t.get("tabLabel") == label)

    assert value("textTabs", "customer")["value"] == "Cleo Ltd"
    assert value("numberTabs", "seats")["value"] == "1250"
    assert value("dateTabs", "start_date")["value"] == "03/01/2027"  # DocuSign's MM/DD/YYYY
    assert value("emailTabs", "contact_email")["value"] == "ops@cleo.example"
    assert value("companyTabs", "company")["value"] == "Cleo Holdings"
    assert value("titleTabs", "job_title")["value"] == "Buyer"
    assert value("checkboxTabs", "premium")["selected"] == "true"
    plan = value("listTabs", "plan")
    assert plan["value"] == "business"
    assert [i["value"] for i in plan["listItems"] if i["selected"] == "true"] == ["business"]
    billing = tabs["radioGroupTabs"][0]
    assert {r["value"]: r["selected"] for r in billing["radios"]} == {
        "monthly": "false",
        "yearly": "true",
    }
    assert sim.recipients.get(role_name="Account manager").kind == "carbonCopies"
    prefill = sim.documents.get().tabs["prefillTabs"]
    assert prefill["textTabs"][0]["value"] == "PO-77"
    assert prefill["checkboxTabs"][0]["selected"] == "true"
    # And DocuSign's own answer (the recipient's tabs GET) says the same.
    recipient = envelope.recipients.get(role_name="Customer")

    values = signing.tab_values(envelope=envelope, recipient=recipient)
    assert values["customer"] == "Cleo Ltd"
    # Checkboxes, radio groups and lists as DocuSign returns them (selected, radios, items).
    assert (values["premium"], values["billing"], values["plan"]) == (
        "ticked",
        "yearly",
        "Business",
    )
    page = client.get(reverse("envelopes:values", args=[envelope.pk, recipient.pk]))
    shown = html.unescape(page.content.decode())
    for filled in ("ticked", "yearly", "Business"):
        assert filled in shown
    paths = list(ApiCall.objects.values_list("method", "path"))
    assert ("PUT", "/envelopes/{envelopeId}/documents/{documentId}/tabs") in paths


@pytest.mark.parametrize(
    ("label", "typed", "message"),
    [
        ("seats", "twelve", "'twelve' is not a number"),
        ("start_date", "31/02/2027", "'31/02/2027' is not a date"),
        ("contact_email", "not-an-email", "'not-an-email' is not an email address"),
        ("plan", "platinum", "'platinum' is not one of its choices (Starter, Business"),
        ("billing", "weekly", "'weekly' is not one of its choices (monthly, yearly)"),
    ],
)
def test_a_bad_value_is_named_and_nothing_typed_is_lost(
    client, signed_in_sender, simulator_connection, every_field, label, typed, message
):
    fields = describe(simulator_connection, every_field)
    tabs, _roles = keys(fields)
    data = filled_in(simulator_connection, fields, **{tabs[("Customer", label)]: typed})
    page = html.unescape(client.post(reverse("envelopes:compose"), data).content.decode())
    assert f"Customer: {label}: {message}" in page
    assert "1 template field need attention" in page
    assert not Envelope.objects.exists()
    assert 'value="Cleo Customer"' in page  # the role rows keep what was typed
    assert 'value="Cleo Ltd"' in page  # and so do the other fields
    assert 'value="PO-77"' in page


def test_missing_role_people_are_named_per_role(
    client, signed_in_sender, simulator_connection, every_field
):
    fields = describe(simulator_connection, every_field)
    _tabs, roles = keys(fields)
    data = filled_in(
        simulator_connection,
        fields,
        **{f"{roles['Account manager']}-name": "", f"{roles['Customer']}-email": "cleo@"},
    )
    page = html.unescape(client.post(reverse("envelopes:compose"), data).content.decode())
    assert "Account manager: enter the name of who fills this role." in page
    assert "Customer: 'cleo@' is not an email address." in page
    assert not Envelope.objects.exists()


def test_a_template_changed_at_docusign_is_noticed_before_sending(
    client, signed_in_sender, simulator_connection, every_field
):
    fields = describe(simulator_connection, every_field)
    data = filled_in(simulator_connection, fields)
    roles = [dict(r) for r in every_field.roles]
    customer_tabs = dict(roles[0]["tabs"])
    customer_tabs["textTabs"] = [*customer_tabs["textTabs"], {"tabLabel": "vat_number"}]
    roles[0]["tabs"] = customer_tabs
    control.change_template(every_field.template_id, roles=roles)

    page = html.unescape(client.post(reverse("envelopes:compose"), data).content.decode())
    assert "This template changed at DocuSign since you opened it: review the fields" in page
    assert not Envelope.objects.exists()
    assert "Vat number" in page  # the new field is offered
    assert 'value="Cleo Ltd"' in page  # what was typed for fields that remain is kept

    fresh = describe(simulator_connection, every_field)
    assert fresh.last_modified != fields.last_modified
    response = client.post(
        reverse("envelopes:compose"), {**data, "template_version": fresh.last_modified}
    )
    assert response.status_code == 302
    assert Envelope.objects.get().status == Envelope.Status.SENT


def test_a_template_is_read_from_docusign_once_per_version(simulator_connection, every_field):
    def template_reads():
        return ApiCall.objects.filter(path="/templates/{templateId}").count()

    first = describe(simulator_connection, every_field)
    assert template_reads() == 1
    assert describe(simulator_connection, every_field) == first
    assert template_reads() == 1  # cached
    assert (
        template_tabs.current_version(
            connection=simulator_connection, template_id=every_field.template_id
        )
        == first.last_modified
    )
    control.change_template(every_field.template_id, description="Edited")
    changed = template_tabs.current_version(
        connection=simulator_connection, template_id=every_field.template_id
    )
    assert changed != first.last_modified
    # The newer lastModified is a new cache entry: the next description is read again.
    assert describe(simulator_connection, every_field).last_modified == changed


def test_the_sender_fields_are_set_again_when_an_answer_was_lost(
    simulator_connection, signed_in_sender, every_field
):
    """The create's draft exists but filling it failed: the next attempt finds the draft,
    fills it and sends it, without creating another."""
    from simulator.esign.api import inject_fault

    fields = describe(simulator_connection, every_field)
    given = template_tabs.read_input(
        fields,
        {
            f"{fields.roles[0].key}-name": "Cleo",
            f"{fields.roles[0].key}-email": "cleo@example.com",
            f"{fields.roles[1].key}-name": "Max",
            f"{fields.roles[1].key}-email": "max@example.com",
            fields.sender_fields[0].key: "PO-9",
        },
    )
    inject_fault(status=503, count=4, operation="Tabs_PutDocumentTabs")
    from envelopes.composing.templates import _recipients

    envelope = prepare.prepare_envelope(
        connection=simulator_connection,
        sender=signed_in_sender,
        subject="Order",
        recipients=_recipients(given.roles),
        docusign_template_id=every_field.template_id,
        role_tabs=given.role_tabs,
        sender_tabs=given.sender_tabs,
    )
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.QUEUED  # waiting to try again
    assert SimEnvelope.objects.get().status == "created"
    Envelope.objects.filter(pk=envelope.pk).update(next_attempt_at=None)
    create.send_envelope(envelope_id=str(envelope.pk))
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.SENT
    sim = SimEnvelope.objects.get()  # still one
    assert sim.status == "sent"
    assert sim.documents.get().tabs["prefillTabs"]["textTabs"][0]["value"] == "PO-9"
