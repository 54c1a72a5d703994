"""The account itself and its identity-verification workflows (eSignature Accounts API)."""

from django.http import HttpRequest, HttpResponse, JsonResponse

from simulator.esign import identity
from simulator.esign.api import api_view
from simulator.esign.wire import ApiError
from simulator.models import SimAccount, SimUser


@api_view
def account(request: HttpRequest, *, account: SimAccount, user: SimUser) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/accounts/accounts/get/
    if request.method != "GET":
        raise ApiError("INVALID_REQUEST_METHOD", "Only GET is supported here.", 405)
    return JsonResponse(
        {"accountIdGuid": account.account_id, "accountName": account.name, "currentPlanId": "sim"}
    )


@api_view
def identity_verifications(
    request: HttpRequest, *, account: SimAccount, user: SimUser
) -> HttpResponse:
    # Reference: https://developers.docusign.com/docs/esign-rest-api/reference/accounts/identityverifications/list/
    return JsonResponse(identity.workflows_json(account))
