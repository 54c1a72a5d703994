from django.urls import path

from envelopes.tracking.webhooks import ConnectWebhookView
from envelopes.views import bulk as bulk_views
from envelopes.views import changes, compose, previews
from envelopes.views import connections as connection_views
from envelopes.views import envelopes as views

app_name = "envelopes"

urlpatterns = [
    path("", views.envelope_list, name="list"),
    path("connect/<str:token>/", ConnectWebhookView.as_view(), name="connect"),
    path("connections/<int:pk>/", connection_views.connection_detail, name="connection"),
    path(
        "connections/<int:pk>/connect/<int:event_pk>/<slug:action>/",
        connection_views.parked_message,
        name="parked-message",
    ),
    path("new/", compose.compose, name="compose"),
    path("bulk/", bulk_views.bulk_new, name="bulk-new"),
    path("bulk/example.csv", bulk_views.bulk_example, name="bulk-example"),
    path("bulk/<uuid:pk>/", bulk_views.bulk_detail, name="bulk-detail"),
    path("bulk/<uuid:pk>/progress/", bulk_views.bulk_progress, name="bulk-progress"),
    path("new/template-fields/", compose.template_fields, name="template-fields"),
    path("new/document-fields/", compose.document_fields, name="document-fields"),
    path("new/template-preview/", previews.template_preview, name="template-preview"),
    path("<uuid:pk>/", views.detail, name="detail"),
    path("<uuid:pk>/sign/<int:recipient_pk>/", views.sign, name="sign"),
    path("<uuid:pk>/signed/", views.signed, name="signed"),
    path("<uuid:pk>/void/", views.void, name="void"),
    path("<uuid:pk>/refresh/", views.refresh, name="refresh"),
    path("<uuid:pk>/resend/", changes.resend, name="resend"),
    path(
        "<uuid:pk>/correct/<int:recipient_pk>/",
        changes.correct_recipient,
        name="correct-recipient",
    ),
    path("<uuid:pk>/notification/", changes.notification, name="notification"),
    path("<uuid:pk>/correct-view/", changes.open_correct_view, name="correct-view"),
    path(
        "<uuid:pk>/correct-view/return/",
        changes.correct_view_return,
        name="correct-view-return",
    ),
    path("<uuid:pk>/edit/", changes.edit_failed, name="edit-failed"),
    path("<uuid:pk>/draft/", views.prepare_draft, name="draft"),
    path("<uuid:pk>/draft/return/", views.draft_return, name="draft-return"),
    path("<uuid:pk>/values/<int:recipient_pk>/", views.filled_values, name="values"),
    path("<uuid:pk>/documents/<str:document_id>/", views.download, name="download"),
    path("<uuid:pk>/uploads/<int:document_pk>/", views.local_document, name="upload"),
    path("<uuid:pk>/preview/<str:document_id>/", previews.envelope_preview, name="preview"),
]
