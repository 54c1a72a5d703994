"""The simulated account server: /oauth/token, /oauth/userinfo, /oauth/auth (consent)."""

from urllib.parse import urlencode

from django.http import HttpRequest, HttpResponse, HttpResponseRedirect, JsonResponse
from django.shortcuts import render
from django.urls import reverse
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from simulator import control
from simulator.models import SimApp, SimConsent, SimUser
from simulator.oauth import services

SESSION_USER = "simulator_user_id"


def simulator_base(request: HttpRequest) -> str:
    """`{scheme}://{host}{prefix}/simulator`: the auth server and the accounts' base URI."""
    return request.build_absolute_uri(reverse("simulator:oauth-token")).removesuffix("/oauth/token")


def expected_audience(request: HttpRequest) -> str:
    return simulator_base(request).split("://", 1)[1]


@csrf_exempt
@require_POST
def token(request: HttpRequest) -> JsonResponse:
    # Reference: https://developers.docusign.com/platform/auth/reference/obtain-access-token/
    if request.POST.get("grant_type") != services.JWT_GRANT_TYPE:
        return JsonResponse({"error": "unsupported_grant_type"}, status=400)
    assertion = request.POST.get("assertion", "")
    if not assertion:
        return JsonResponse({"error": "invalid_request"}, status=400)
    try:
        grant = services.verify_assertion(assertion, audience=expected_audience(request))
    except services.OAuthError as exc:
        return JsonResponse(exc.body(), status=exc.status)
    lifetime = control.behaviour().token_lifetime_seconds
    return JsonResponse(services.issue_token(grant, lifetime=lifetime))


@require_GET
def userinfo(request: HttpRequest) -> JsonResponse:
    # Reference: https://developers.docusign.com/platform/auth/reference/user-info/
    header = request.headers.get("Authorization", "")
    row, _why = services.user_for_token(header.removeprefix("Bearer ").strip())
    if row is None or row.user is None:
        return JsonResponse(
            {
                "error": "internal_server_error",
                "reference_id": "00000000-0000-0000-0000-000000000000",
            },
            status=401,
        )
    return JsonResponse(services.userinfo(row.user, base_uri=simulator_base(request)))


@require_http_methods(["GET", "POST"])
def authorize(request: HttpRequest) -> HttpResponse:
    """Individual consent, as the impersonated user sees it."""
    params = request.GET
    app = SimApp.objects.filter(integration_key=params.get("client_id", "").lower()).first()
    redirect_uri = params.get("redirect_uri", "")
    problem = services.consent_redirect_error(app, redirect_uri)
    if app is None or problem or params.get("response_type") != "code":
        return render(
            request,
            "simulator/consent_error.html",
            {"problem": problem or "response_type must be 'code'."},
            status=400,
        )
    scopes = params.get("scope", "signature")
    state = params.get("state", "")
    user = SimUser.objects.filter(pk=request.session.get(SESSION_USER, 0)).first()

    if request.method == "POST" and request.POST.get("action") == "login":
        user = SimUser.objects.filter(email=request.POST.get("email", "").strip().lower()).first()
        if user is None:
            return render(
                request,
                "simulator/consent_login.html",
                {"app": app, "error": "No simulated DocuSign user has that email."},
                status=400,
            )
        request.session[SESSION_USER] = user.pk
        return HttpResponseRedirect(request.get_full_path())
    if user is None:
        return render(request, "simulator/consent_login.html", {"app": app})

    consent = SimConsent.objects.filter(user=user, app=app).first()
    if request.method == "GET" and consent is not None and consent.covers(set(scopes.split())):
        return _back(redirect_uri, code=services.new_authorization_code(), state=state)
    if request.method == "POST" and request.POST.get("action") == "allow":
        services.grant_consent(user=user, app=app, scopes=scopes)
        return _back(redirect_uri, code=services.new_authorization_code(), state=state)
    if request.method == "POST" and request.POST.get("action") == "deny":
        return _back(
            redirect_uri,
            error="access_denied",
            error_message="The user did not consent to connecting the application.",
            state=state,
        )
    return render(
        request,
        "simulator/consent.html",
        {"app": app, "user": user, "scopes": scopes.split(), "redirect_uri": redirect_uri},
    )


def _back(redirect_uri: str, **params: str) -> HttpResponseRedirect:
    query = urlencode({k: v for k, v in params.items() if v})
    separator = "&" if "?" in redirect_uri else "?"
    return HttpResponseRedirect(f"{redirect_uri}{separator}{query}")
