"""The keywords, compare and shared-timeline pages in a real browser: no sideways scrolling at
1280 and 390 px, no serious or critical axe violation, and every control working with JavaScript off."""

from __future__ import annotations

import re

import pytest
from browserkit import assert_no_overflow, axe_violations, shot

pytestmark = pytest.mark.browser

PAGES = {
    "keywords-empty": "/keywords",
    "keywords": "/keywords?q=oil&min=1",
    "keywords-phrases": "/keywords?q=oil&min=1&ngram=2&vs=corpus&stop=true",
    "keywords-vs-search": "/keywords?q=oil&vs_q=wheat&min=1&sort=logratio",
    "keywords-hostile": "/keywords?q=%3Cscript%3Ealert(1)%3C/script%3E&vs_q=%22%3E%3Cimg%3E",
    "compare-empty": "/compare",
    "compare": "/compare?q1=oil&label1=Oil&q2=wheat&q3=prices",
    "compare-shares": "/compare?q1=oil&q2=wheat&scale=shares&interval=month",
    "search-shares": "/search?q=oil&scale=shares",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_no_sideways_scrolling_and_no_serious_axe_violation(page, axe_source, name):
    response = page.goto(PAGES[name])
    assert response is not None and response.status == 200
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    assert_no_overflow(page)
    assert "<script>alert" not in page.content()
    violations = axe_violations(page, axe_source)
    assert violations == [], violations
    shot(page, "research-" + name + "-" + page.viewport_name)


def test_keywords_form_and_sort_links_without_javascript(nojs_page):
    page = nojs_page
    page.goto("/keywords")
    page.fill("#kq", "oil")
    page.fill("#kmin", "1")
    page.get_by_role("button", name="Show").click()
    page.wait_for_url(re.compile(r"/keywords\?.*q=oil"))
    first = page.locator("#kw-over tbody tr th a").first
    assert first.inner_text()
    # Sorting by Log Ratio is a real link, and so is a word's concordance.
    page.locator("#kw-over thead").get_by_role("link", name=re.compile("Log Ratio")).click()
    page.wait_for_url(re.compile(r"sort=logratio"))
    word = page.locator("#kw-over tbody tr th a").first.inner_text()
    page.locator("#kw-over tbody tr th a").first.click()
    page.wait_for_url(re.compile(r"/concordance\?"))
    assert word in page.locator("h1").inner_text()


def test_compare_form_and_scale_toggle_without_javascript(nojs_page):
    page = nojs_page
    page.goto("/compare")
    page.fill("#q1", "oil")
    page.fill("#label1", "Oil")
    page.fill("#q2", "wheat")
    page.get_by_role("button", name="Compare").click()
    page.wait_for_url(re.compile(r"/compare\?.*q1=oil"))
    assert page.locator("#cmp-series tbody tr").count() >= 1
    headers = page.locator("#cmp-series thead th").all_inner_texts()
    assert "Oil" in headers and "wheat" in headers
    page.get_by_role("link", name="show shares").click()
    page.wait_for_url(re.compile(r"scale=shares"))
    assert "Share of each period" in page.locator("figure.compare-chart figcaption").inner_text() or \
        page.locator("figure.compare-chart").count() == 0


def test_search_timeline_toggles_to_shares_without_javascript(nojs_page):
    page = nojs_page
    page.goto("/search?q=oil")
    toggle = page.get_by_role("link", name=re.compile("Show as shares"))
    if toggle.count() == 0:
        pytest.fail("the search page offers no shares toggle for a timeline of several periods")
    toggle.click()
    page.wait_for_url(re.compile(r"scale=shares"))
    page.locator("details.chart-table summary").click()
    assert "Share of the period" in page.locator("details.chart-table").inner_text()
    page.get_by_role("link", name="Show counts").click()
    page.wait_for_url(re.compile(r"/search\?(?!.*scale=shares)"))

