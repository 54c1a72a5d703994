"""The seeded "Every field" template: one of each tab type a sender can prefill, for a signer
and a copy recipient, plus the sender's own (prefill) tabs on its document."""

from typing import Any

NAME = "Every field"

DOCUMENT = """<h1>Service order</h1>
<p>Customer: /customer/ (/job_title/ at /company/), contact /contact_email/.</p>
<p>Seats: /seats/. Start date: /start_date/. Plan: /plan/. Billing: /billing/.</p>
<p>Premium support: /premium/.</p>
<p>Order reference (filled in by the sender): /order_ref/. Priority: /priority/.</p>
<p>Signed: /sig_customer/ Date: /date_customer/</p>"""


def _at(label: str, **extra: Any) -> dict[str, Any]:
    return {"anchorString": f"/{label}/", "tabLabel": label, **extra}


CUSTOMER_TABS: dict[str, Any] = {
    "signHereTabs": [_at("sig_customer")],
    "dateSignedTabs": [_at("date_customer")],
    "textTabs": [_at("customer", value="", required="true")],
    "numberTabs": [_at("seats", value="")],
    "dateTabs": [_at("start_date", value="")],
    "emailTabs": [_at("contact_email", value="")],
    "companyTabs": [_at("company", value="")],
    "titleTabs": [_at("job_title", value="")],
    "checkboxTabs": [_at("premium", selected="false")],
    "listTabs": [
        _at(
            "plan",
            value="",
            listItems=[
                {"text": "Starter", "value": "starter", "selected": "false"},
                {"text": "Business", "value": "business", "selected": "false"},
                {"text": "Enterprise", "value": "enterprise", "selected": "false"},
            ],
        )
    ],
    "radioGroupTabs": [
        {
            "groupName": "billing",
            "radios": [
                {"anchorString": "/billing/", "value": "monthly", "selected": "false"},
                {"anchorString": "/billing/", "value": "yearly", "selected": "false"},
            ],
        }
    ],
}

SENDER_TABS: dict[str, Any] = {
    "prefillTabs": {
        "textTabs": [_at("order_ref", value="")],
        "checkboxTabs": [_at("priority", selected="false")],
    }
}


def spec() -> tuple[str, str, str, str, list[dict[str, Any]], dict[str, Any]]:
    """(name, description, subject, document HTML, roles, document tabs) for seed_templates."""
    roles = [
        {
            "roleName": "Customer",
            "recipientId": "1",
            "routingOrder": "1",
            "recipientType": "signers",
            "tabs": CUSTOMER_TABS,
        },
        {
            "roleName": "Account manager",
            "recipientId": "2",
            "routingOrder": "2",
            "recipientType": "carbonCopies",
            "tabs": {},
        },
    ]
    return (
        NAME,
        "A service order with every kind of field a sender can fill in.",
        "Your service order",
        DOCUMENT,
        roles,
        SENDER_TABS,
    )
