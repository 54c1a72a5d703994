"""Pages for bulk sends: compose and check the CSV, the example CSV, the batch's progress."""

from typing import Any

from django.contrib.auth.decorators import login_required, permission_required
from django.contrib.auth.models import User
from django.core.exceptions import ValidationError
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.views.decorators.http import require_GET

from connections.docusign.errors import DocuSignError
from connections.selectors import usable_connections
from envelopes.bulk import compose, tracking
from envelopes.bulk import rows as bulk_csv
from envelopes.bulk.forms import BulkSendForm
from envelopes.composing import prepare
from envelopes.models import BulkBatch
from envelopes.selectors import usable_document_templates
from envelopes.views.params import bad_parameter, query_id


def _layout(request: HttpRequest, data: dict[str, Any]) -> tuple[bulk_csv.Layout | None, str]:
    """The CSV layout for the chosen source; (None, why) when it cannot be known."""
    if data.get("source") == BulkBatch.Source.TEMPLATE:
        connection, template_id = data.get("connection"), data.get("docusign_template")
        if not connection or not template_id:
            return None, ""
        try:
            roles = prepare.template_roles(connection=connection, template_id=template_id)
        except DocuSignError as exc:
            return None, exc.with_advice
        return compose.layout_for_template(roles), ""
    template = data.get("document_template")
    return (compose.layout_for_document(template), "") if template else (None, "")


@login_required
@permission_required("envelopes.add_envelope", raise_exception=True)
def bulk_new(request: HttpRequest) -> HttpResponse:
    form = BulkSendForm(request.POST or None, request.FILES or None, user=request.user)
    context: dict[str, Any] = {"form": form, "columns": [], "parsed": None, "layout_error": ""}
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        layout, context["layout_error"] = _layout(request, data)
        if layout is not None:
            parsed = bulk_csv.parse(data["csv_text"], layout)
            context.update(parsed=parsed, columns=layout.columns())
            # Keep the CSV in the page, so "send the good rows" needs no second upload.
            kept = request.POST.copy()
            kept["csv_text"] = data["csv_text"]
            form.data = kept
            wants_send = request.POST.get("action") == "send"
            skip_bad = request.POST.get("skip_bad") == "yes"
            if wants_send and parsed.rows and (parsed.ok or skip_bad):
                try:
                    batch = compose.prepare_bulk_send(
                        compose.BulkRequest(
                            connection=data["connection"],
                            sender=request.user,  # type: ignore[arg-type]
                            name=(data["csv_file"].name if data.get("csv_file") else "Pasted rows"),
                            subject=data["subject"],
                            message=data["message"],
                            layout=layout,
                            rows=parsed.rows,
                            docusign_template_id=data.get("docusign_template") or "",
                            document_template=data.get("document_template"),
                            team=data.get("team"),
                        )
                    )
                except ValidationError as exc:
                    form.add_error(None, exc)
                else:
                    return redirect("envelopes:bulk-detail", pk=batch.pk)
    elif request.method == "GET" and request.GET.get("document_template"):
        try:
            template_id = query_id(request, "document_template")
        except ValueError as exc:
            return bad_parameter(str(exc))
        templates = usable_document_templates(request.user)
        template = templates.filter(pk=template_id).first() if template_id else None
        if template is not None:
            context["columns"] = compose.layout_for_document(template).columns()
    connection = form.cleaned_data.get("connection") if form.is_bound and form.is_valid() else None
    context["templates"] = _templates(request, connection)
    return render(request, "envelopes/bulk_new.html", context)


def _templates(request: HttpRequest, connection: Any) -> list[dict[str, Any]]:
    connection = connection or usable_connections(request.user).filter(is_default=True).first()
    if connection is None or not connection.is_ready:
        return []
    try:
        return prepare.list_templates(connection=connection)
    except DocuSignError:
        return []


@require_GET
@login_required
@permission_required("envelopes.add_envelope", raise_exception=True)
def bulk_example(request: HttpRequest) -> HttpResponse:
    """The example CSV for a source: `?document_template=ID`, or
    `?connection=ID&docusign_template=ID`."""
    data: dict[str, Any] = {}
    try:
        template_id = query_id(request, "document_template")
        connection_id = query_id(request, "connection")
    except ValueError as exc:
        return bad_parameter(str(exc))
    if template_id is not None:
        data["document_template"] = get_object_or_404(
            usable_document_templates(request.user), pk=template_id
        )
    elif connection_id is not None and request.GET.get("docusign_template"):
        data = {
            "source": BulkBatch.Source.TEMPLATE,
            "connection": get_object_or_404(usable_connections(request.user), pk=connection_id),
            "docusign_template": request.GET["docusign_template"][:36],
        }
    layout, why = _layout(request, data)
    if layout is None:
        return HttpResponse(
            why
            or "Say which template: ?document_template=ID, or ?connection=ID&docusign_template=ID.",
            status=400,
            content_type="text/plain",
        )
    response = HttpResponse(bulk_csv.example_csv(layout), content_type="text/csv")
    response["Content-Disposition"] = 'attachment; filename="bulk-send-example.csv"'
    return response


def _batch_for(request: HttpRequest, pk: Any) -> BulkBatch:
    """A batch the user may see, as for envelopes: their own, their teams' (with the
    permission), or every one (view_all_envelopes); 404 for the others."""
    user = request.user
    visible = BulkBatch.objects.all()
    if not isinstance(user, User) or not user.has_perm("envelopes.view_all_envelopes"):
        teams = (
            list(user.teams.values_list("pk", flat=True))
            if isinstance(user, User) and user.has_perm("envelopes.view_team_envelopes")
            else []
        )
        visible = visible.filter(Q(sender_id=user.pk) | Q(team_id__in=teams))
    return get_object_or_404(visible.select_related("connection"), pk=pk)


@login_required
def bulk_detail(request: HttpRequest, pk: Any) -> HttpResponse:
    batch = _batch_for(request, pk)
    rows = batch.envelopes.order_by("bulk_row").prefetch_related("recipients")
    return render(
        request,
        "envelopes/bulk_detail.html",
        {"batch": batch, "progress": tracking.progress(batch), "rows": rows},
    )


@require_GET
@login_required
def bulk_progress(request: HttpRequest, pk: Any) -> JsonResponse:
    """The batch page's live numbers, from our database (never a DocuSign call)."""
    return JsonResponse(tracking.progress(_batch_for(request, pk)))
