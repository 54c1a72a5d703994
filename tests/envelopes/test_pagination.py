"""Keyset pagination of the envelope list: every row once, in order, from either end."""

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from envelopes.models import Envelope
from envelopes.views.pagination import COUNT_CAP, BadCursor, decode_cursor, keyset_page
from tests.factories import ConnectionFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def envelopes():
    connection, sender = ConnectionFactory(), UserFactory(username="lister", is_staff=True)
    base = timezone.now()
    rows = Envelope.objects.bulk_create(
        Envelope(connection=connection, sender=sender, subject=f"E{n:03d}", source="uploads")
        for n in range(53)
    )
    # Distinct times, plus three rows sharing one time (ties are broken by id).
    for n, row in enumerate(rows):
        when = base - timedelta(minutes=n if n not in (20, 21, 22) else 20)
        Envelope.objects.filter(pk=row.pk).update(created_at=when)
    return Envelope.objects.all(), sender


def _expected(queryset):
    return list(queryset.order_by("-created_at", "-id").values_list("pk", flat=True))


def test_walking_forward_and_back_sees_every_row_once_in_order(envelopes):
    queryset, _ = envelopes
    expected = _expected(queryset)
    seen, page = [], keyset_page(queryset, size=10)
    pages = [page]
    while True:
        seen += [e.pk for e in page]
        if not page.next_cursor:
            break
        page = keyset_page(queryset, size=10, after=page.next_cursor)
        pages.append(page)
    assert seen == expected
    assert page.is_last
    assert len(pages) == 6
    back = []
    while page.previous_cursor:
        page = keyset_page(queryset, size=10, before=page.previous_cursor)
        back = [e.pk for e in page] + back
    assert back == expected[: len(back)]
    assert back[0] == expected[0]


def test_the_last_page_is_the_oldest_rows(envelopes):
    queryset, _ = envelopes
    last = keyset_page(queryset, size=10, last=True)
    assert [e.pk for e in last] == _expected(queryset)[-10:]
    assert not last.next_cursor
    assert last.previous_cursor
    assert last.count == 53
    assert last.count_label == "53"


def test_the_count_is_capped(envelopes, monkeypatch):
    queryset, _ = envelopes
    monkeypatch.setattr("envelopes.views.pagination.COUNT_CAP", 50)
    page = keyset_page(queryset, size=10)
    assert page.count == 51
    assert page.count_label == "more than 50"
    assert COUNT_CAP == 1000


def test_an_edited_cursor_is_refused_clearly(envelopes, client):
    _queryset, sender = envelopes
    for bad in ("nonsense", "bm9wZQ", "MjAyNi0wMS0wMXxub3QtYS11dWlk"):
        with pytest.raises(BadCursor):
            decode_cursor(bad)
    client.force_login(sender)
    response = client.get(reverse("envelopes:list"), {"after": "nonsense"})
    assert response.status_code == 200
    assert "not valid" in response.content.decode()


def test_the_list_page_links_older_and_oldest(envelopes, client):
    queryset, sender = envelopes
    client.force_login(sender)
    first = client.get(reverse("envelopes:list")).content.decode()
    assert "E000" in first
    assert "E025" not in first
    cursor = keyset_page(queryset, size=25).next_cursor
    assert f"after={cursor}" in first
    second = client.get(reverse("envelopes:list"), {"after": cursor}).content.decode()
    assert "E025" in second
    assert "E000" not in second
    oldest = client.get(reverse("envelopes:list"), {"last": "1"}).content.decode()
    assert "E052" in oldest
    assert "E000" not in oldest
