"""The concordance and collocation pages in a real browser: no sideways scrolling at 390 px, and
every control (the query, the sort links and selects, paging, a collocate's link) working with
JavaScript off."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from browserkit import assert_no_overflow, shot

pytestmark = pytest.mark.browser

PAGES = [
    "/concordance?q=oil&sort=R1",
    "/concordance?q=oil&by=year&width=40",
    "/concordance?q=%22interest%20rates%22&width=40&cut=sentence",
    "/concordance?q=" + "x" * 300,
    "/collocations?q=oil&min=1",
    "/collocations?q=oil&min=1&by=year",
    "/collocations?q=oil&min=1&by=source&left=10&right=10",
]


@pytest.mark.parametrize("url", PAGES)
def test_no_sideways_scrolling(page, url):
    response = page.goto(url)
    assert response is not None and response.status == 200
    assert_no_overflow(page)
    # Nothing inside scrolls sideways either (a table wider than its box would hide columns).
    wide = page.evaluate("""[...document.querySelectorAll('table, .table-wrap')]
        .filter(e => e.scrollWidth > e.clientWidth + 1).map(e => e.className)""")
    assert wide == [], wide
    shot(page, "concord-" + re.sub(r"\W+", "-", url)[:60] + "-" + page.viewport_name)


def _lines(page) -> list[tuple[str, str, str]]:
    rows = page.locator("table.kwic tr.line")
    return [tuple(rows.nth(i).locator("td").all_inner_texts()) for i in range(rows.count())]


def test_concordance_query_sort_and_pages_without_javascript(nojs_page):
    page = nojs_page
    page.goto("/concordance")
    page.fill("#cq", "oil")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"/concordance\?.*q=oil"))
    assert page.locator("p.summary strong").first.inner_text() == "6 occurrences"
    assert len(_lines(page)) == 6
    # A sort link is a real link.
    page.locator("nav.sort-links").get_by_role("link", name="R1", exact=True).click()
    page.wait_for_url(re.compile(r"sort=R1"))
    rights = [r[2].split(" ")[0].casefold() for r in _lines(page)]
    assert rights == sorted(rights)
    # Two keys through the form's selects.
    page.select_option("#sort1", "L1")
    page.select_option("#sort2", "R1")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"sort=L1&sort=R1"))
    lefts = [r[0].split(" ")[-1].casefold() if r[0] else "" for r in _lines(page)]
    assert lefts == sorted(lefts)
    # Paging keeps the sort.
    page.fill("#per_page", "4")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"per_page=4"))
    first = _lines(page)
    assert len(first) == 4
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url(re.compile(r"page=2"))
    assert len(_lines(page)) == 2 and "sort=L1" in page.url
    shot(page, "concord-nojs-page2")


def test_collocations_link_to_the_lines_of_node_and_collocate_without_javascript(nojs_page):
    page = nojs_page
    page.goto("/collocations")
    page.fill("#cq", "oil")
    page.fill("#min", "2")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"/collocations\?.*q=oil"))
    words = page.locator("table.colloc tbody th[scope=row] a").all_inner_texts()
    assert "crude" in words
    page.locator("table.colloc thead").get_by_role("link", name=re.compile(r"^Obs\.")).click()
    page.wait_for_url(re.compile(r"sort=observed"))
    observed = [int(x) for x in page.locator("table.colloc tbody tr td:nth-child(2)").all_inner_texts()]
    assert observed == sorted(observed, reverse=True)
    page.locator("table.colloc tbody th[scope=row] a", has_text=re.compile("^crude$")).click()
    page.wait_for_url(re.compile(r"/concordance\?"))
    query = parse_qs(urlsplit(page.url).query)
    assert query["near"] == ["crude"] and query["q"] == ["oil"]
    lines = _lines(page)
    assert lines and all("crude" in (left + " " + right).casefold() for left, _, right in lines)
