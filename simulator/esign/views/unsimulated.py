"""Any path under /restapi that no simulated operation serves: DocuSign's JSON error."""

from django.http import HttpRequest, HttpResponse
from django.views.decorators.csrf import csrf_exempt

from simulator.esign import strict
from simulator.esign.wire import ApiError


@csrf_exempt
def not_simulated(request: HttpRequest, rest: str) -> HttpResponse:
    """Any other path under /restapi: DocuSign's JSON error naming the operation, if any."""
    try:
        operation = strict.operation_for(request.method or "GET", f"/{rest}")
    except ApiError as exc:
        return exc.response()
    # Unreachable while every simulated operation has its URL (a test checks that).
    return ApiError(
        "OPERATION_NOT_SIMULATED",
        f"{operation.id} is simulated, but not at /{rest} (check the path's form).",
        501,
    ).response()
