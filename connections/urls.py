from django.urls import URLPattern, path

from connections import views

app_name = "connections"

urlpatterns: list[URLPattern] = [
    path("consent/return/", views.consent_return, name="consent-return"),
]
