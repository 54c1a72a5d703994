from django.urls import URLPattern, path

from connections import views, wizard_views

app_name = "connections"

urlpatterns: list[URLPattern] = [
    path("consent/return/", views.consent_return, name="consent-return"),
    path("setup/", wizard_views.start, name="setup-start"),
    path("setup/<int:pk>/", wizard_views.step, name="setup"),
    path("setup/<int:pk>/promote/", wizard_views.promote, name="promote"),
]
