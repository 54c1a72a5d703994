"""A URLconf with the simulator at the host root, as DocuSign's own SDK expects its servers."""

from django.urls import include, path

urlpatterns = [path("", include("simulator.urls"))]
