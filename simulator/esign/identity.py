"""Recipient identity verification by phone (DocuSign's "Phone Authentication" workflow):
the account's workflows, the recipient's `identityVerification` checked strictly at create,
and the code texted before the documents are shown (to the simulator's outbox).

Reference: https://developers.docusign.com/docs/esign-rest-api/how-to/phone-auth/
Reference: https://developers.docusign.com/docs/esign-rest-api/reference/accounts/identityverifications/list/
"""

import re
import secrets
import uuid
from typing import Any

from simulator.esign.wire import ApiError
from simulator.models import SimAccount, SimRecipient, SimSigningSession, SimTextMessage

PHONE_WORKFLOW = "Phone Authentication"
PHONE_LIST = "phone_number_list"
_COUNTRY = re.compile(r"[1-9]\d{0,2}")
_NUMBER = re.compile(r"\d{4,14}")


def phone_workflow_id(account: SimAccount) -> str:
    """Stable per account, as a real account's workflow IDs are."""
    return str(uuid.uuid5(uuid.NAMESPACE_URL, f"docusign-sim:{account.account_id}:phone"))


def workflows_json(account: SimAccount) -> dict[str, Any]:
    """GET identity_verification: the workflows a sender may use (ID Verification, which
    needs an account manager, is off here as on a new demo account)."""
    return {
        "identityVerification": [
            {
                "workflowId": phone_workflow_id(account),
                "defaultName": PHONE_WORKFLOW,
                "defaultDescription": "Recipients confirm a code sent by text message or call.",
                "workflowResourceKey": "PhoneAuthentication",
                "signatureProvider": None,
                "inputOptions": [
                    {"name": PHONE_LIST, "valueType": "PhoneNumberList", "isRequired": "true"}
                ],
            }
        ]
    }


def _invalid(recipient_id: str, message: str, code: str = "INVALID_PHONE_NUMBER") -> ApiError:
    return ApiError(code, f"Recipient {recipient_id}: {message}")


def check(account: SimAccount, recipient_id: str, item: dict[str, Any]) -> dict[str, Any]:
    """The recipient's identityVerification, validated; {} when there is none."""
    legacy = ("smsAuthentication", "phoneAuthentication", "idCheckConfigurationName")
    if any(item.get(k) for k in legacy):
        raise _invalid(
            recipient_id,
            "the simulator models phone authentication through identityVerification only "
            "(DocuSign calls idCheckConfigurationName/smsAuthentication the old way).",
            "LEGACY_ID_CHECK_NOT_SIMULATED",
        )
    value = item.get("identityVerification")
    if not value:
        return {}
    workflow = str(value.get("workflowId") or "")
    if workflow != phone_workflow_id(account):
        raise _invalid(
            recipient_id,
            f"workflowId '{workflow}' is not one of this account's identity verification "
            "workflows (GET identity_verification lists them).",
            "IDENTITY_WORKFLOW_INVALID_ID",
        )
    options = [o for o in value.get("inputOptions") or [] if o.get("name") == PHONE_LIST]
    numbers = [n for o in options for n in o.get("phoneNumberList") or []]
    if len(options) != 1 or options[0].get("valueType") != "PhoneNumberList" or not numbers:
        raise _invalid(
            recipient_id,
            f"the {PHONE_WORKFLOW} workflow needs one inputOptions entry named "
            f"'{PHONE_LIST}' (valueType PhoneNumberList) with at least one phone number.",
        )
    for number in numbers:
        country, national = str(number.get("countryCode") or ""), str(number.get("number") or "")
        if not _COUNTRY.fullmatch(country) or not _NUMBER.fullmatch(national):
            raise _invalid(
                recipient_id,
                "a phone number needs countryCode (1-3 digits, no +) and number (4-14 digits, "
                "without the country code).",
            )
        if len(country + national) > 15 or (country == "1" and len(national) != 10):
            raise _invalid(recipient_id, "that phone number is too long or too short.")
    return {"workflowId": workflow, "inputOptions": options}


def phones(recipient: SimRecipient) -> list[str]:
    value = recipient.identity_verification or {}
    return [
        f"+{n['countryCode']} {n['number']}"
        for o in value.get("inputOptions", [])
        for n in o.get("phoneNumberList", [])
    ]


def masked(phone: str) -> str:
    country, number = phone.split(" ", 1)
    return f"{country} {'•' * (len(number) - 3)}{number[-3:]}"


def send_code(session: SimSigningSession, phone: str) -> SimTextMessage:
    """Text a new six-digit code (to the outbox); earlier codes of this session stop working."""
    code = f"{secrets.randbelow(10**6):06d}"
    return SimTextMessage.objects.create(
        session=session,
        phone=phone,
        code=code,
        body=f"Your DocuSign verification code is {code}. It expires in 5 minutes.",
    )


def code_matches(session: SimSigningSession, given: str) -> bool:
    latest = SimTextMessage.objects.filter(session=session).first()
    return latest is not None and secrets.compare_digest(latest.code, given.strip())
