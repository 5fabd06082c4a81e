"""GeoJSON answers: the ``application/geo+json`` media type (RFC 7946, section 12) and ``next`` links of
paged lists.

A list that stops before its last item carries ``links: [{"rel": "next", ...}]`` naming the same request
with the next offset, as OGC API Features does, so a client pages by following links instead of
computing offsets.
"""

from __future__ import annotations

from typing import Any

from fastapi import Request

# One media type and one response class for GeoJSON, wherever it is answered.
from api.read_types import GEOJSON_MEDIA_TYPE, GeoJSONResponse, PageLink

__all__ = ["GEOJSON_MEDIA_TYPE", "GeoJSONResponse", "PageLink", "links_json", "page_links"]


def page_links(request: Request, *, offset: int, limit: int | None, returned: int, total: int | None,
               media_type: str = GEOJSON_MEDIA_TYPE) -> list[PageLink]:
    """``self``, and ``next`` while items remain after this page (``prev`` when not on the first)."""
    links = [PageLink(href=str(request.url), rel="self", type=media_type)]
    more = total is not None and offset + returned < total
    if limit is not None and returned > 0 and more:
        links.append(PageLink(href=str(request.url.include_query_params(offset=offset + returned)), rel="next",
                              type=media_type, title="next page"))
    if offset > 0 and limit is not None:
        links.append(PageLink(href=str(request.url.include_query_params(offset=max(0, offset - limit))), rel="prev",
                              type=media_type, title="previous page"))
    return links


def links_json(links: list[PageLink]) -> list[dict[str, Any]]:
    return [link.model_dump(exclude_none=True) for link in links]
