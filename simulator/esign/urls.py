from django.urls import URLPattern, URLResolver, path, re_path

from simulator.esign import bulk, correct, pages
from simulator.esign.views import (
    account,
    documents,
    embedded,
    envelopes,
    recipients,
    templates,
    unsimulated,
)

API = "restapi/v2.1/accounts/<str:account_id>"
ENVELOPE = f"{API}/envelopes/<str:envelope_id>"

urlpatterns: list[URLPattern | URLResolver] = [
    path(API, account.account, name="api-account"),
    path(
        f"{API}/identity_verification",
        account.identity_verifications,
        name="api-identity-verification",
    ),
    path(f"{API}/envelopes", envelopes.envelopes_collection, name="api-envelopes"),
    path(ENVELOPE, envelopes.envelope_item, name="api-envelope"),
    path(f"{ENVELOPE}/recipients", recipients.recipients, name="api-recipients"),
    path(
        f"{ENVELOPE}/recipients/<str:recipient_id>/tabs", recipients.recipient_tabs, name="api-tabs"
    ),
    path(f"{ENVELOPE}/documents", documents.documents_list, name="api-documents"),
    path(f"{ENVELOPE}/documents/<str:document_id>", documents.document, name="api-document"),
    path(
        f"{ENVELOPE}/documents/<str:document_id>/tabs",
        documents.document_tabs,
        name="api-document-tabs",
    ),
    path(f"{ENVELOPE}/views/recipient", embedded.recipient_view, name="api-recipient-view"),
    path(f"{ENVELOPE}/views/sender", embedded.sender_view, name="api-sender-view"),
    path(f"{ENVELOPE}/views/correct", embedded.correct_view, name="api-correct-view"),
    path(f"{ENVELOPE}/notification", envelopes.notification, name="api-notification"),
    path(f"{API}/templates", templates.templates_collection, name="api-templates"),
    path(f"{API}/templates/<str:template_id>", templates.template_item, name="api-template"),
    path(
        f"{API}/templates/<str:template_id>/recipients",
        templates.template_recipients,
        name="api-template-recipients",
    ),
    path(
        f"{API}/templates/<str:template_id>/documents/<str:document_id>",
        templates.template_document,
        name="api-template-document",
    ),
    path(
        f"{API}/templates/<str:template_id>/documents/<str:document_id>/tabs",
        templates.template_document_tabs,
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
    re_path(r"^restapi/(?P<rest>.*)$", unsimulated.not_simulated, name="api-not-simulated"),
    path("signing/<str:token>/", pages.signing, name="signing"),
    path("sending/<str:token>/", pages.sender, name="sender"),
    path("correct/<str:token>/", correct.page, name="correct"),
    path("inbox/", pages.inbox, name="inbox"),
]
