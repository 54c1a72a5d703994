"""Every recipient type a DocuSign template can have (signer, carbon copy, certified delivery,
in-person signer, agent, editor) gets its person as DocuSign requires, in bulk send and in
compose: against the simulator over real HTTP."""

import pytest

from envelopes.bulk import compose
from envelopes.bulk import rows as bulk_csv
from envelopes.composing import prepare, template_tabs
from envelopes.composing.prepare import RecipientInput
from envelopes.models import Envelope, Recipient
from simulator.models import SimEnvelope, SimTemplate
from tests.envelopes.test_bulk import run_until_done

pytestmark = pytest.mark.django_db(transaction=True)

HTML = "<h1>Lease</h1><p>Tenant: /sig_t/ Guarantor, in person: /sig_g/</p>"
ROLES = [
    ("Tenant", "signers", {"signHereTabs": [{"anchorString": "/sig_t/", "tabLabel": "sig_t"}],
                           "textTabs": [{"tabLabel": "unit", "value": ""}]}),
    ("Landlord copy", "carbonCopies", {}),
    ("Auditor", "certifiedDeliveries", {}),
    ("Guarantor", "inPersonSigners",
     {"signHereTabs": [{"anchorString": "/sig_g/", "tabLabel": "sig_g"}]}),
    ("Agent", "agents", {}),
    ("Editor", "editors", {}),
]  # fmt: skip
KINDS = {
    "Tenant": Recipient.Kind.SIGNER,
    "Landlord copy": Recipient.Kind.CARBON_COPY,
    "Auditor": Recipient.Kind.CERTIFIED_DELIVERY,
    "Guarantor": Recipient.Kind.IN_PERSON,
    "Agent": Recipient.Kind.AGENT,
    "Editor": Recipient.Kind.EDITOR,
}


@pytest.fixture(autouse=True)
def _prompt_bulk(settings):
    settings.SIMULATOR_BULK_START_SECONDS = 0
    settings.SIMULATOR_BULK_COPIES_PER_SECOND = 10000
    settings.ENVELOPES_BULK_TRACK_SECONDS = 0


@pytest.fixture
def lease(simulator_connection):
    from simulator.models import SimAccount

    account = SimAccount.objects.get(account_id=simulator_connection.account_id)
    return SimTemplate.objects.create(
        account=account,
        name="Lease",
        email_subject="Your lease",
        documents=[{"documentId": "1", "name": "Lease", "fileExtension": "html", "content": HTML}],
        roles=[
            {
                "roleName": name,
                "recipientId": str(n),
                "routingOrder": "1",
                "recipientType": kind,
                "tabs": tabs,
            }
            for n, (name, kind, tabs) in enumerate(ROLES, start=1)
        ],
    )


def test_a_template_is_read_with_roles_of_every_type(simulator_connection, lease):
    roles = prepare.template_roles(connection=simulator_connection, template_id=lease.template_id)
    assert {r["roleName"]: r["kind"] for r in roles} == KINDS
    fields = template_tabs.describe(connection=simulator_connection, template_id=lease.template_id)
    assert {r.name: r.kind for r in fields.roles} == KINDS


def test_bulk_send_fills_every_role_type(simulator_connection, sender, lease):
    roles = prepare.template_roles(connection=simulator_connection, template_id=lease.template_id)
    layout = compose.layout_for_template(roles)
    people = {
        "Tenant": ("Tia Tenant", "tia@example.com"),
        "Landlord copy": ("Lou Landlord", "lou@example.com"),
        "Auditor": ("Ada Auditor", "ada@example.com"),
        "Guarantor": ("Gus Guarantor", "gus@example.com"),
        "Agent": ("Al Agent", "al@example.com"),
        "Editor": ("Ed Editor", "ed@example.com"),
    }
    values = {"Tenant::unit": "4B"}
    row = []
    for column in layout.columns():
        role, what = column.split("::")
        row.append(
            people[role][0] if what == "Name" else people[role][1] if what == "Email" else ""
        )
        row[-1] = values.get(column, row[-1])
    parsed = bulk_csv.parse(",".join(layout.columns()) + "\n" + ",".join(row) + "\n", layout)
    assert parsed.ok, parsed.errors
    batch = compose.prepare_bulk_send(
        compose.BulkRequest(
            connection=simulator_connection,
            sender=sender,
            name="leases.csv",
            subject="Your lease",
            layout=layout,
            rows=parsed.rows,
            docusign_template_id=lease.template_id,
            docusign_template_name=lease.name,
        )
    )
    batch = run_until_done(batch)
    envelope = batch.envelopes.get()
    assert envelope.status == Envelope.Status.SENT, (envelope.error_code, envelope.error_detail)
    sim = SimEnvelope.objects.get(envelope_id=envelope.docusign_envelope_id)
    got = {r.role_name: (r.kind, r.name, r.email) for r in sim.recipients.all()}
    assert got["Landlord copy"] == ("carbonCopies", "Lou Landlord", "lou@example.com")
    assert got["Auditor"] == ("certifiedDeliveries", "Ada Auditor", "ada@example.com")
    assert got["Agent"] == ("agents", "Al Agent", "al@example.com")
    assert got["Editor"] == ("editors", "Ed Editor", "ed@example.com")
    assert got["Tenant"] == ("signers", "Tia Tenant", "tia@example.com")
    guarantor = sim.recipients.get(role_name="Guarantor")
    assert (guarantor.kind, guarantor.name) == ("inPersonSigners", "Gus Guarantor")
    # The host is the connection's DocuSign user; the app user who hosts is the sender.
    assert (guarantor.host_name, guarantor.host_email) == (
        simulator_connection.user_name,
        simulator_connection.user_profile_email,
    )
    ours = envelope.recipients.get(role_name="Guarantor")
    assert (ours.kind, ours.host, ours.embedded) == (Recipient.Kind.IN_PERSON, sender, True)
    assert {r.role_name: r.kind for r in envelope.recipients.all()} == KINDS


def test_compose_from_a_template_fills_every_role_type(simulator_connection, lease, sender):
    fields = template_tabs.describe(connection=simulator_connection, template_id=lease.template_id)
    envelope = prepare.prepare_envelope(
        connection=simulator_connection,
        sender=sender,
        subject="Your lease",
        recipients=[
            RecipientInput(
                f"{role.name} Person",
                f"{role.name.split()[0].lower()}@example.com",
                kind=role.kind,
                routing_order=role.routing_order,
                role_name=role.name,
            )
            for role in fields.roles
        ],
        docusign_template_id=lease.template_id,
        docusign_template_name=lease.name,
    )
    envelope.refresh_from_db()
    assert envelope.status == Envelope.Status.SENT, (envelope.error_code, envelope.error_detail)
    sim = SimEnvelope.objects.get(envelope_id=envelope.docusign_envelope_id)
    got = {r.role_name: (r.kind, r.name) for r in sim.recipients.all()}
    assert got == {
        "Tenant": ("signers", "Tenant Person"),
        "Landlord copy": ("carbonCopies", "Landlord copy Person"),
        "Auditor": ("certifiedDeliveries", "Auditor Person"),
        "Guarantor": ("inPersonSigners", "Guarantor Person"),
        "Agent": ("agents", "Agent Person"),
        "Editor": ("editors", "Editor Person"),
    }
    guarantor = sim.recipients.get(role_name="Guarantor")
    assert guarantor.host_name == simulator_connection.user_name
    assert guarantor.client_user_id == ""  # an in-person session is its host's
    assert envelope.recipients.get(role_name="Guarantor").host == sender
