"""/api/search answers what /search shows for the same URL parameters: the same hits, total and facet counts."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlsplit

import pytest

ARTICLE_HREF = re.compile(r"^/articles/([^/?#]+)")


class SearchPage(HTMLParser):
    """Reads the stable parts of the search page: hit links, the total, and each toggle link's count.

    Hits are the `/articles/<id>` links inside elements of class "hit"; a facet value is a link whose
    href is a query string, followed by a `class="count"` span. Everything else may change freely.
    """

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.hit_ids: list[str] = []
        self.counts: dict[tuple[tuple[str, str], ...], int] = {}
        self.total: int | None = None
        self._stack: list[set[str]] = []
        self._last_link: str | None = None
        self._in_count = False
        self._in_summary_strong = False
        self._text = ""

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        classes = set((a.get("class") or "").split())
        if tag not in ("input", "br", "img", "meta", "link"):
            self._stack.append(classes)
        inside = set().union(*self._stack) if self._stack else set()
        if tag == "a":
            href = a.get("href") or ""
            match = ARTICLE_HREF.match(href)
            if match and "hit" in inside and match.group(1) not in self.hit_ids:
                self.hit_ids.append(match.group(1))
            self._last_link = href if href.startswith("?") else None
        elif tag == "span" and "count" in classes:
            self._in_count, self._text = True, ""
        elif tag == "strong" and "summary" in inside and self.total is None:
            self._in_summary_strong, self._text = True, ""

    def handle_endtag(self, tag: str) -> None:
        if self._in_count and tag == "span":
            self._in_count = False
            if self._last_link is not None:
                self.counts[toggle_key(self._last_link)] = first_number(self._text)
                self._last_link = None
        if self._in_summary_strong and tag == "strong":
            self._in_summary_strong = False
            self.total = first_number(self._text)
        if self._stack and tag not in ("input", "br", "img", "meta", "link"):
            self._stack.pop()

    def handle_data(self, data: str) -> None:
        if self._in_count or self._in_summary_strong:
            self._text += data


def first_number(text: str) -> int:
    """The first whole number in a text such as "1,234 articles"."""
    match = re.search(r"\d[\d,]*", text)
    assert match, f"no number in {text!r}"
    return int(match.group(0).replace(",", ""))


def toggle_key(url: str) -> tuple[tuple[str, str], ...]:
    """A toggle link's parameters, whatever path it is on (`?…` on the page, `/api/search?…` in JSON)."""
    return tuple(sorted(parse_qsl(urlsplit(url).query, keep_blank_values=True)))


SEARCHES = [
    "q=oil",
    "q=rates",
    "",
    "q=oil+OR+wheat&sort=newest",
    "author=Anna+Reed&author=Tom+Baker",
    "region=United+States&q=exports",
    "source=Reuters&per_page=3&page=2",
    "from=1987-03&to=1987-04&sort=oldest",
    "q=grain&facet_size=1",
    "q=%22interest+rates%22",
    "year=1987&region=Japan&region=Canada",
]


@pytest.mark.parametrize("params", SEARCHES)
def test_json_and_page_agree_on_hits_total_and_facet_counts(mini_client, params):
    page = mini_client.get(f"/search?{params}")
    assert page.status_code == 200
    html = SearchPage()
    html.feed(page.get_data(as_text=True))
    data = mini_client.get(f"/api/search?{params}").get_json()

    assert html.total == data["total"]
    assert html.hit_ids == [h["id"] for h in data["hits"]]
    json_counts = {toggle_key(v["toggle_url"]): v["count"] for values in data["facets"].values() for v in values}
    assert html.counts == json_counts
    if data["total"]:
        assert html.hit_ids and json_counts  # the comparison above compared something


def test_the_parser_reads_real_values(mini_client):
    """Guard against a parser that silently reads nothing: known numbers for one search."""
    html = SearchPage()
    html.feed(mini_client.get("/search?q=oil").get_data(as_text=True))
    assert html.total == 3
    assert html.hit_ids == ["wire-oil-glut", "wire-oil-prices", "wire-opec-quota"]
    assert html.counts[toggle_key("?q=oil&author=Anna+Reed")] == 3


def test_following_a_json_toggle_url_on_the_page_selects_the_same_value(mini_client):
    data: Any = mini_client.get("/api/search?q=rates").get_json()
    value = data["facets"]["region"][0]
    query = urlsplit(value["toggle_url"]).query
    api = mini_client.get(value["toggle_url"]).get_json()
    html = SearchPage()
    html.feed(mini_client.get(f"/search?{query}").get_data(as_text=True))
    assert html.total == api["total"] == value["count"]
    assert html.hit_ids == [h["id"] for h in api["hits"]]
