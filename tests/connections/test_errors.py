"""Each DocuSign failure maps to one type, with DocuSign's code and a fix for a human."""

import pytest
import requests
import responses

from connections.docusign import error_bodies, errors

URL = "https://demo.docusign.net/restapi/x"


def _response(status: int, body: object = None, *, text: str = "", headers=None):
    with responses.RequestsMock() as mock:
        if body is not None:
            mock.get(URL, json=body, status=status, headers=headers or {})
        else:
            mock.get(URL, body=text, status=status, headers=headers or {})
        return requests.get(URL, timeout=1)


@pytest.mark.parametrize(
    ("status", "body", "cls", "code", "advice_fragment"),
    [
        (
            400,
            {"error": "consent_required"},
            errors.ConsentRequired,
            "consent_required",
            "consent link",
        ),
        (
            400,
            {"error": "invalid_grant", "error_description": "user_not_found"},
            errors.UserNotFound,
            "invalid_grant/user_not_found",
            "User ID",
        ),
        (
            400,
            {"error": "invalid_grant", "error_description": "invalid_subject"},
            errors.UserNotFound,
            "invalid_grant/invalid_subject",
            "User ID",
        ),
        (
            400,
            {"error": "invalid_grant", "error_description": "no_valid_keys_or_signatures"},
            errors.NoValidKeysOrSignatures,
            "invalid_grant/no_valid_keys_or_signatures",
            "RSA keypair",
        ),
        (
            400,
            {"error": "invalid_grant", "error_description": "issuer_not_found"},
            errors.IssuerNotFound,
            "invalid_grant/issuer_not_found",
            "Integration Key",
        ),
        (
            400,
            {"error": "invalid_grant", "error_description": "expired_grant"},
            errors.ExpiredGrant,
            "invalid_grant/expired_grant",
            "clock",
        ),
        (400, {"error": "invalid_grant"}, errors.InvalidGrant, "invalid_grant", "Apps and Keys"),
        (
            429,
            {
                "errorCode": "HOURLY_APIINVOCATION_LIMIT_EXCEEDED",
                "message": "The maximum number of hourly API invocations has been exceeded",
            },
            errors.RateLimited,
            "HOURLY_APIINVOCATION_LIMIT_EXCEEDED",
            "3,000 an hour",
        ),
        (
            400,
            {"errorCode": "HOURLY_APIINVOCATION_LIMIT_EXCEEDED", "message": "exceeded"},
            errors.RateLimited,
            "HOURLY_APIINVOCATION_LIMIT_EXCEEDED",
            "limit resets",
        ),
        (
            401,
            {
                "errorCode": "USER_AUTHENTICATION_FAILED",
                "message": "One or both of Username and Password are invalid. Invalid access token",
            },
            errors.AuthenticationFailed,
            "USER_AUTHENTICATION_FAILED",
            "minted automatically",
        ),
        (
            400,
            {
                "errorCode": "USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT",
                "message": "The specified User is not a member of the specified Account.",
            },
            errors.AccountNotAccessible,
            "USER_DOES_NOT_BELONG_TO_SPECIFIED_ACCOUNT",
            "API Account ID",
        ),
        (
            400,
            {
                "errorCode": "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT",
                "message": "The email address for the recipient is invalid.",
            },
            errors.ApiError,
            "INVALID_EMAIL_ADDRESS_FOR_RECIPIENT",
            "email address is not valid",
        ),
        (
            400,
            {"errorCode": "SOMETHING_NEW", "message": "A new problem."},
            errors.ApiError,
            "SOMETHING_NEW",
            "error-code list",
        ),
        (
            503,
            {"errorCode": "", "message": ""},
            errors.DocuSignServerError,
            "server_error",
            "retried automatically",
        ),
        (
            500,
            {"errorCode": "UNSPECIFIED_ERROR", "message": "Oops"},
            errors.DocuSignServerError,
            "UNSPECIFIED_ERROR",
            "status page",
        ),
    ],
)
def test_docusign_bodies_map_to_their_type_code_and_advice(
    status, body, cls, code, advice_fragment
):
    error = error_bodies.error_from_response(_response(status, body))
    assert type(error) is cls
    assert error.status == status
    assert error.error_code == code
    assert advice_fragment in error.advice
    assert str(error).startswith(cls.title)


def test_consent_required_advice_carries_the_consent_url():
    url = "https://account-d.docusign.com/oauth/auth?response_type=code&client_id=abc"
    error = error_bodies.error_from_response(
        _response(400, {"error": "consent_required"}), consent_url=url
    )
    assert isinstance(error, errors.ConsentRequired)
    assert error.consent_url == url
    assert url in error.advice


def test_rate_limited_keeps_retry_after():
    error = error_bodies.error_from_response(
        _response(429, {"errorCode": "X", "message": "API limit"}, headers={"Retry-After": "7"})
    )
    assert isinstance(error, errors.RateLimited)
    assert error.retry_after == 7.0
    assert error.retryable


@pytest.mark.parametrize(
    ("status", "text", "cls"),
    [
        (502, "<html><body>Bad gateway</body></html>", errors.DocuSignServerError),
        (404, "", errors.ApiError),
        (401, "", errors.AuthenticationFailed),
    ],
)
def test_html_or_empty_bodies_still_map_by_status(status, text, cls):
    error = error_bodies.error_from_response(_response(status, text=text))
    assert type(error) is cls
    assert error.status == status
    assert "<html>" not in str(error)


def test_retryable_marks_only_transient_failures():
    assert errors.DocuSignUnreachable().retryable
    assert errors.DocuSignServerError().retryable
    assert not errors.ConsentRequired().retryable
    assert not errors.ApiError("x").retryable


def test_with_advice_is_what_pages_and_stored_details_show():
    error = errors.UserNotFound(
        "user_not_found", status=400, error_code="invalid_grant/user_not_found"
    )
    assert error.error_code == "invalid_grant/user_not_found"
    assert error.with_advice == f"{error}. {errors.UserNotFound.advice}"
    assert error.retryable is False


@pytest.mark.parametrize(
    ("status", "body", "code"),
    [
        (400, {"error": "consent_required"}, "consent_required"),
        (400, {"error": "consent_required", "error_description": "ask"}, "consent_required"),
        (
            400,
            {"error": "invalid_grant", "error_description": "user_not_found"},
            "invalid_grant/user_not_found",
        ),
        (429, {"errorCode": "", "message": ""}, "rate_limited"),
        (503, {}, "server_error"),
        (400, {"errorCode": "TEMPLATE_ID_INVALID", "message": "x"}, "TEMPLATE_ID_INVALID"),
    ],
)
def test_the_recorded_code_is_the_exceptions_code(status, body, code):
    response = _response(status, body)
    from_response = error_bodies.error_from_response(response)
    assert error_bodies.error_code_of(response) == from_response.error_code
    assert error_bodies.error_code_of(response) == code


def test_a_body_that_is_not_json_is_an_error_for_callers_that_need_json():
    with pytest.raises(errors.DocuSignError, match="not JSON"):
        error_bodies.read_json(_response(200, text="<html>"))
    assert error_bodies.read_json(_response(204, text="")) is None
