"""The one field registry (corpus.fields) is what the API, exports, OpenAPI and pages read."""

from __future__ import annotations

from typing import Any

from corpus import fields
from corpus.web.openapi import spec


def test_every_stored_facet_is_an_export_column_after_the_lead() -> None:
    assert fields.EXPORT_FIELDS[:4] == ("id", "title", "author", "date")
    assert set(fields.STORED_FACETS) <= set(fields.EXPORT_FIELDS)
    assert len(set(fields.EXPORT_FIELDS)) == len(fields.EXPORT_FIELDS)
    assert fields.EXPORT_FIELDS[-3:] == ("url", "score", "body")


def test_hits_articles_and_exports_carry_every_stored_facet(mini_client: Any) -> None:
    hit = mini_client.get("/api/search?q=oil").get_json()["hits"][0]
    article = mini_client.get(f"/api/articles/{hit['id']}").get_json()
    row = mini_client.get("/api/export?q=oil&format=jsonl").get_data(as_text=True).splitlines()[0]
    for facet in fields.STORED:
        assert facet.name in hit and facet.name in article and f'"{facet.name}"' in row, facet.name
        assert isinstance(hit[facet.name], list) == facet.multi


def test_openapi_describes_every_stored_facet(mini_settings: Any) -> None:
    schemas = spec(mini_settings)["components"]["schemas"]
    for facet in fields.STORED:
        assert facet.name in schemas["Hit"]["properties"] and facet.name in schemas["Article"]["properties"]


def test_the_search_page_lists_the_default_facets_and_browses_only_browsable_ones(mini_client: Any) -> None:
    page = mini_client.get("/search?q=").get_data(as_text=True)
    assert "Filters: " + ", ".join(f.label.lower() for f in fields.FACETS if f.default) + ", dates" in page
    assert 'action="/facets/year"' not in page
