from django.urls import path

from ops import views

app_name = "ops"

urlpatterns = [
    # /healthz and /readyz are also answered by ops.middleware.ProbeMiddleware, ahead of
    # host and HTTPS checks; these routes name them for reverse() and for tests.
    path("healthz", views.healthz, name="healthz"),
    path("readyz", views.readyz, name="readyz"),
    path("metrics", views.metrics_view, name="metrics"),
    path("ops/status/", views.system_status, name="status"),
]
