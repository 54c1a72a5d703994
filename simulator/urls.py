"""The simulator's URLs, mounted at /simulator/ (so its auth server is SITE_URL/simulator)."""

from django.urls import include, path

app_name = "simulator"

urlpatterns = [
    # OAuth server (oauth/token, oauth/userinfo, oauth/auth) and the Apps and Keys pages.
    path("", include("simulator.oauth.urls")),
    # eSignature REST (restapi/v2.1/accounts/…), signing pages, inbox, faults, Connect.
    path("", include("simulator.esign.urls")),
]
