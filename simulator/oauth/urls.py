from django.urls import URLPattern, URLResolver, path

from simulator.oauth import apps_views, views

urlpatterns: list[URLPattern | URLResolver] = [
    path("oauth/token", views.token, name="oauth-token"),
    path("oauth/userinfo", views.userinfo, name="oauth-userinfo"),
    path("oauth/auth", views.authorize, name="oauth-auth"),
    path("apps/", apps_views.apps_and_keys, name="apps"),
]
