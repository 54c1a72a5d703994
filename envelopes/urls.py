from django.urls import URLPattern

app_name = "envelopes"

urlpatterns: list[URLPattern] = []
