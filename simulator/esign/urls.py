from django.urls import URLPattern, URLResolver, path, re_path

from simulator.esign import bulk, correct, pages, views

API = "restapi/v2.1/accounts/<str:account_id>"
ENVELOPE = f"{API}/envelopes/<str:envelope_id>"

urlpatterns: list[URLPattern | URLResolver] = [
    path(API, views.account, name="api-account"),
    path(
        f"{API}/identity_verification",
        views.identity_verifications,
        name="api-identity-verification",
    ),
    path(f"{API}/envelopes", views.envelopes_collection, name="api-envelopes"),
    path(ENVELOPE, views.envelope_item, name="api-envelope"),
    path(f"{ENVELOPE}/recipients", views.recipients, name="api-recipients"),
    path(f"{ENVELOPE}/recipients/<str:recipient_id>/tabs", views.recipient_tabs, name="api-tabs"),
    path(f"{ENVELOPE}/documents", views.documents_list, name="api-documents"),
    path(f"{ENVELOPE}/documents/<str:document_id>", views.document, name="api-document"),
    path(
        f"{ENVELOPE}/documents/<str:document_id>/tabs",
        views.document_tabs,
        name="api-document-tabs",
    ),
    path(f"{ENVELOPE}/views/recipient", views.recipient_view, name="api-recipient-view"),
    path(f"{ENVELOPE}/views/sender", views.sender_view, name="api-sender-view"),
    path(f"{ENVELOPE}/views/correct", views.correct_view, name="api-correct-view"),
    path(f"{ENVELOPE}/notification", views.notification, name="api-notification"),
    path(f"{API}/templates", views.templates_collection, name="api-templates"),
    path(f"{API}/templates/<str:template_id>", views.template_item, name="api-template"),
    path(
        f"{API}/templates/<str:template_id>/recipients",
        views.template_recipients,
        name="api-template-recipients",
    ),
    path(
        f"{API}/templates/<str:template_id>/documents/<str:document_id>",
        views.template_document,
        name="api-template-document",
    ),
    path(
        f"{API}/templates/<str:template_id>/documents/<str:document_id>/tabs",
        views.template_document_tabs,
        name="api-template-document-tabs",
    ),
    path(f"{API}/bulk_send_lists", bulk.lists, name="api-bulk-lists"),
    path(f"{API}/bulk_send_lists/<str:bulk_send_list_id>", bulk.list_item, name="api-bulk-list"),
    path(f"{API}/bulk_send_lists/<str:bulk_send_list_id>/send", bulk.send, name="api-bulk-send"),
    path(f"{API}/bulk_send_batch", bulk.batches, name="api-bulk-batches"),
    path(f"{API}/bulk_send_batch/<str:bulk_send_batch_id>", bulk.batch_item, name="api-bulk-batch"),
    path(
        f"{API}/bulk_send_batch/<str:bulk_send_batch_id>/envelopes",
        bulk.batch_envelopes,
        name="api-bulk-batch-envelopes",
    ),
    # Everything else under restapi/: a JSON error naming DocuSign's operation, never HTML.
    re_path(r"^restapi/(?P<rest>.*)$", views.not_simulated, name="api-not-simulated"),
    path("signing/<str:token>/", pages.signing, name="signing"),
    path("sending/<str:token>/", pages.sender, name="sender"),
    path("correct/<str:token>/", correct.page, name="correct"),
    path("inbox/", pages.inbox, name="inbox"),
]
