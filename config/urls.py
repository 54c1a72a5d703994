from django.conf import settings
from django.contrib import admin
from django.urls import include, path
from django.views.generic import TemplateView

urlpatterns = [
    path("", TemplateView.as_view(template_name="home.html"), name="home"),
    path("admin/", admin.site.urls),
    path("accounts/", include("django.contrib.auth.urls")),
    path("connections/", include("connections.urls")),
    path("envelopes/", include("envelopes.urls")),
    path("", include("ops.urls")),
]

if settings.DOCUSIGN_SIMULATOR:
    # A DocuSign stand-in for development and tests; a system check forbids it in production.
    urlpatterns.append(path("simulator/", include("simulator.urls")))
