"""The simulator's templates: GET with `include` as DocuSign's spec has it, every tab type
filled from templateRoles the way DocuSign fills it, sender prefill tabs on documents."""

import pytest

from simulator import control

pytestmark = pytest.mark.django_db


@pytest.fixture
def every_field(world):
    return next(t for t in world.templates if t.name == "Every field")


def roles(**customer_tabs):
    return [
        {
            "roleName": "Customer",
            "name": "Cleo",
            "email": "cleo@example.com",
            "tabs": customer_tabs,
        },
        {"roleName": "Account manager", "name": "Max", "email": "max@example.com"},
    ]


def create(api, template, role_list, status="sent"):
    return api(
        "POST",
        "/envelopes",
        {"templateId": template.template_id, "status": status, "templateRoles": role_list},
    )


def test_get_template_includes_tabs_and_documents_only_when_asked(api, every_field):
    bare = api("GET", f"/templates/{every_field.template_id}").json()
    assert [s["roleName"] for s in bare["recipients"]["signers"]] == ["Customer"]
    assert [c["roleName"] for c in bare["recipients"]["carbonCopies"]] == ["Account manager"]
    assert "tabs" not in bare["recipients"]["signers"][0]
    assert "documents" not in bare
    full = api("GET", f"/templates/{every_field.template_id}", include="tabs,documents").json()
    tabs = full["recipients"]["signers"][0]["tabs"]
    assert {
        "textTabs",
        "numberTabs",
        "dateTabs",
        "emailTabs",
        "companyTabs",
        "titleTabs",
        "checkboxTabs",
        "listTabs",
        "radioGroupTabs",
    } <= set(tabs)
    assert [d["documentId"] for d in full["documents"]] == ["1"]
    refused = api("GET", f"/templates/{every_field.template_id}", include="recipients")
    assert refused.status_code == 400
    assert "include has unknown value(s) recipients" in refused.json()["message"]


def test_template_documents_and_their_prefill_tabs(api, every_field):
    tabs = api("GET", f"/templates/{every_field.template_id}/documents/1/tabs").json()
    assert [t["tabLabel"] for t in tabs["prefillTabs"]["textTabs"]] == ["order_ref"]
    pdf = api("GET", f"/templates/{every_field.template_id}/documents/1")
    assert pdf["Content-Type"] == "application/pdf"
    assert pdf.content.startswith(b"%PDF-")
    assert b"Service order" in pdf.content
    missing = api("GET", f"/templates/{every_field.template_id}/documents/7")
    assert missing.json()["errorCode"] == "DOCUMENT_DOES_NOT_EXIST"


@pytest.mark.parametrize(
    ("tabs", "message"),
    [
        ({"listTabs": [{"tabLabel": "plan", "value": "gold"}]}, "'gold' is not one of its items"),
        (
            {
                "radioGroupTabs": [
                    {"groupName": "billing", "radios": [{"value": "weekly", "selected": "true"}]}
                ]
            },
            "'weekly' is not one of its values",
        ),
        ({"numberTabs": [{"tabLabel": "seats", "value": "many"}]}, "'many' is not a number"),
        ({"checkboxTabs": [{"tabLabel": "premium", "selected": "yes"}]}, "true or false"),
        ({"textTabs": [{"tabLabel": "seats", "value": "3"}]}, "seats (textTabs)"),
    ],
)
def test_values_that_do_not_fit_their_tab_are_refused(api, every_field, tabs, message):
    response = create(api, every_field, roles(**tabs))
    assert response.status_code == 400
    assert message in response.json()["message"]


def test_prefill_tabs_are_set_by_tab_id_on_drafts_only(api, every_field):
    envelope_id = create(api, every_field, roles(), status="created").json()["envelopeId"]
    held = api("GET", f"/envelopes/{envelope_id}/documents/1/tabs").json()["prefillTabs"]
    tab_id = held["textTabs"][0]["tabId"]
    body = {"prefillTabs": {"textTabs": [{"tabId": tab_id, "value": "PO-1"}]}}
    assert api("PUT", f"/envelopes/{envelope_id}/documents/1/tabs", body).status_code == 200
    unknown = {"prefillTabs": {"textTabs": [{"tabId": "nope", "value": "x"}]}}
    refused = api("PUT", f"/envelopes/{envelope_id}/documents/1/tabs", unknown)
    assert refused.json()["errorCode"] == "INVALID_TAB_OPERATION"
    api("PUT", f"/envelopes/{envelope_id}", {"status": "sent"})
    late = api("PUT", f"/envelopes/{envelope_id}/documents/1/tabs", body)
    assert late.json()["errorCode"] == "ENVELOPE_INVALID_STATUS"
    combined = api("GET", f"/envelopes/{envelope_id}/documents/combined").content
    assert rb"order_ref \(sender\): PO-1" in combined  # parentheses escaped in PDF text


def test_a_changed_template_has_a_new_last_modified(api, every_field):
    before = api("GET", f"/templates/{every_field.template_id}").json()["lastModified"]
    control.change_template(every_field.template_id, description="Edited at DocuSign")
    after = api("GET", f"/templates/{every_field.template_id}").json()
    assert after["lastModified"] > before
    assert after["description"] == "Edited at DocuSign"
    with pytest.raises(TypeError):
        control.change_template(every_field.template_id, **{"owner": "someone"})
