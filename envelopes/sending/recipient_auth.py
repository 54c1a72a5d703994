"""Recipient authentication by SMS code: the phone number's rules, and DocuSign's "Phone
Authentication" identity verification workflow (the documented v2.1 way; the recipient gets
the code by text message, or chooses a call).

Phone numbers are personal data: stored encrypted (Recipient.sms_phone), sent only to
DocuSign, never logged, and shown masked.
Reference: https://developers.docusign.com/docs/esign-rest-api/how-to/phone-auth/
"""

import re
from dataclasses import dataclass
from typing import Any

from django.core.cache import cache
from django.core.exceptions import ValidationError

from connections.docusign import esignature
from connections.docusign.client import DocuSignClient
from connections.docusign.errors import DocuSignError
from envelopes.models import Envelope, Recipient

PHONE_WORKFLOW = "Phone Authentication"
WORKFLOW_CACHE_SECONDS = 24 * 3600  # an account's workflows change when DocuSign enables one
EXAMPLE = "+44 7700 900123 or +1 415 555 0100"
_SHAPE = re.compile(r"\+(\d+)[ .-]+([\d .-]+)")


@dataclass(frozen=True)
class Phone:
    country_code: str  # digits, no +
    number: str  # digits, without the country code

    def __str__(self) -> str:
        return f"+{self.country_code} {self.number}"


def parse_phone(text: str) -> Phone:
    """A phone number written with its country code first, e.g. "+44 7700 900123"."""
    value = (text or "").strip()
    if not value:
        raise ValidationError(
            f"Give the mobile number DocuSign texts the code to, with its country code: {EXAMPLE}.",
            code="phone_required",
        )
    if re.search(r"[^\d +().-]", value):
        raise ValidationError(
            f"A phone number has only digits, spaces and dashes after the +: {EXAMPLE}.",
            code="phone_characters",
        )
    match = _SHAPE.fullmatch(value.replace("(", "").replace(")", ""))
    if not match:
        raise ValidationError(
            f"Start with + and the country code, then a space, then the number: {EXAMPLE}.",
            code="phone_country_code",
        )
    country, number = match[1], re.sub(r"\D", "", match[2])
    if not 1 <= len(country) <= 3 or country.startswith("0"):
        raise ValidationError(
            f"+{country} is not a country code: country codes are 1 to 3 digits (+1, +44, +353).",
            code="phone_country_code",
        )
    if number.startswith("0"):
        raise ValidationError(
            f"Leave out the leading 0 of the national number: +{country} {number[1:]}, "
            f"not +{country} {number}.",
            code="phone_trunk_prefix",
        )
    if country == "1" and len(number) != 10:
        raise ValidationError(
            "A +1 (US, Canada) number has 10 digits after the +1.", code="phone_length"
        )
    if len(number) < 4 or len(country) + len(number) > 15:
        raise ValidationError(
            f"+{country} {number} has {len(country) + len(number)} digits; a phone number "
            "has at most 15 with its country code, and at least 4 after it.",
            code="phone_length",
        )
    return Phone(country, number)


def check_authentication(
    *, name: str, kind: str, access_code: str, sms_phone: str, from_template: bool
) -> None:
    """One recipient's authentication: none, an access code, or an SMS code to a valid phone."""
    if not sms_phone:
        return
    if access_code:
        raise ValidationError(
            f"{name}: choose one way to check who they are, an access code or an SMS code, "
            "not both.",
            code="two_authentications",
        )
    if from_template:
        raise ValidationError(
            "SMS codes are offered for uploaded and generated documents; for a DocuSign "
            "template, set the recipient's authentication in the template at DocuSign.",
            code="sms_template",
        )
    if kind not in (Recipient.Kind.SIGNER, Recipient.Kind.IN_PERSON):
        raise ValidationError(f"{name}: SMS codes are for signers.", code="sms_not_signer")
    try:
        parse_phone(sms_phone)
    except ValidationError as exc:
        raise ValidationError(f"{name}'s phone: {exc.messages[0]}", code=exc.code) from None


class PhoneAuthenticationUnavailable(DocuSignError):
    title = "Phone authentication is not available on this DocuSign account"
    default_code = "PHONE_AUTHENTICATION_UNAVAILABLE"
    advice = (
        "DocuSign lists no 'Phone Authentication' identity verification workflow for the "
        "account. Ask DocuSign (or your account administrator) to enable phone "
        "authentication, or send again with an access code instead of an SMS code."
    )


def phone_workflow_id(client: DocuSignClient, *, account_id: str) -> str:
    """The account's Phone Authentication workflow ID (cached: it changes only when DocuSign
    enables a workflow). Raises PhoneAuthenticationUnavailable when the account has none."""
    key = f"envelopes:phone-workflow:{account_id}"
    cached = cache.get(key)
    if cached:
        return str(cached)
    workflows = esignature.identity_verification_workflows(client)
    found = [w for w in workflows if w.get("defaultName") == PHONE_WORKFLOW]
    if not found or not found[0].get("workflowId"):
        raise PhoneAuthenticationUnavailable()
    workflow_id = str(found[0]["workflowId"])
    cache.set(key, workflow_id, timeout=WORKFLOW_CACHE_SECONDS)
    return workflow_id


def workflow_for(client: DocuSignClient, envelope: Envelope) -> str:
    """The workflow ID when a recipient of the envelope has an SMS code, else ""."""
    if not any(r.sms_phone for r in envelope.recipients.all()):
        return ""
    return phone_workflow_id(client, account_id=envelope.connection.account_id)


def identity_verification(phone_text: str, workflow_id: str) -> dict[str, Any]:
    """DocuSign's identityVerification for one phone number."""
    phone = parse_phone(phone_text)
    return {
        "workflowId": workflow_id,
        "inputOptions": [
            {
                "name": "phone_number_list",
                "valueType": "PhoneNumberList",
                "phoneNumberList": [{"countryCode": phone.country_code, "number": phone.number}],
            }
        ],
    }
