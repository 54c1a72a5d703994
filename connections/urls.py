from django.urls import URLPattern, path

from connections import views, wizard_views

app_name = "connections"

urlpatterns: list[URLPattern] = [
    path("consent/return/", views.consent_return, name="consent-return"),
    path("consent/return/result/", views.consent_result, name="consent-result"),
    path("setup/", wizard_views.start, name="setup-start"),
    path("setup/<int:pk>/", wizard_views.step, name="setup"),
    path("setup/<int:pk>/promote/", wizard_views.promote, name="promote"),
    path("setup/<int:pk>/public-key/", wizard_views.public_key, name="public-key"),
]
