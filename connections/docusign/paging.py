"""DocuSign's paging, once: a listing answers a page from `start_position` with up to
`count` items and the `totalSetSize` of the whole listing."""

from collections.abc import Iterator
from typing import Any

from connections.docusign.client import DocuSignClient


def pages(
    client: DocuSignClient,
    path: str,
    *,
    items: str,
    params: dict[str, str],
    page_size: int,
    path_params: dict[str, str] | None = None,
) -> Iterator[list[dict[str, Any]]]:
    """Each page's `items` (one GET a page), until the listing's end or an empty page (a
    listing that shrank meanwhile never loops)."""
    start = 0
    while True:
        page = client.get_json(
            path,
            path_params=path_params,
            params={**params, "start_position": str(start), "count": str(page_size)},
        )
        found = list(page.get(items) or [])
        yield found
        start += len(found)
        if not found or start >= int(page.get("totalSetSize") or 0):
            return
