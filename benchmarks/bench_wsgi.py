"""The WSGI app the tracking benchmark serves: Countersign, plus one trivial view that does
one INSERT of the request body (the baseline Connect ingest is compared with, under the
same gunicorn, settings and middleware). Never used outside benchmarks."""

# ruff: noqa: I001  (config.wsgi must come first: it sets Django up)
from config.wsgi import application

import config.urls
from django.db import connection
from django.http import HttpRequest, HttpResponse
from django.urls import path
from django.views.decorators.csrf import csrf_exempt

BASELINE_TABLE = "bench_insert"


@csrf_exempt
def insert_view(request: HttpRequest) -> HttpResponse:
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {BASELINE_TABLE} (body) VALUES (%s::jsonb)",  # noqa: S608 (constant)
            [request.body.decode()],
        )
    return HttpResponse(status=200)


config.urls.urlpatterns.append(path("bench/insert/", insert_view))

__all__ = ["application"]
