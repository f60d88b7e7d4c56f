"""axe-core on every page type: no serious or critical accessibility violations; and a visible focus."""

from __future__ import annotations

import pytest
from browserkit import axe_violations, shot

pytestmark = pytest.mark.browser

PAGES = {
    "home": "/",
    "search": "/search?q=exporters",
    "search-filtered": "/search?q=exporters&author=Tom+Baker&from=1987&to=1988",
    "search-empty": "/search?q=zzzzqqq",
    "search-suggestion": "/search?q=exportrs",
    "authors-match": "/search?q=baltic",
    "facet": "/facets/author?q=exporters&prefix=t",
    "article": "/articles/wire-oil-glut?q=oil",
    "article-hostile": "/articles/opinion-xss",
    "author": "/authors/anna-reed?per_page=1",
    "help": "/help",
    "concordance-empty": "/concordance",
    "concordance": "/concordance?q=oil&sort=R1",
    "concordance-sliced": "/concordance?q=oil&by=year&cut=sentence",
    "concordance-sample": "/concordance?q=exp*&sample=3&per_page=2&page=2",
    "concordance-hostile": "/concordance?q=%3Cscript%3Ealert(1)%3C/script%3E",
    "collocations-empty": "/collocations",
    "collocations": "/collocations?q=oil&min=1",
    "collocations-sliced": "/collocations?q=oil&min=1&by=year",
    "error-404": "/articles/missing",
    "error-400": "/search?page=x",
}


@pytest.mark.parametrize("name", list(PAGES))
def test_no_serious_or_critical_violations(page, axe_source, name):
    response = page.goto(PAGES[name])
    assert response is not None
    assert response.status < 500
    # The timeline's table is part of the page too: open every <details> so axe checks it.
    page.evaluate("document.querySelectorAll('details').forEach(d => { d.open = true; })")
    violations = axe_violations(page, axe_source)
    assert violations == [], violations


def test_axe_really_runs_and_reports(page, axe_source):
    """The check can fail: an unlabelled control added to a page is reported."""
    page.goto("/help")
    page.evaluate("document.querySelector('main').appendChild(document.createElement('input'))")
    found = {v["id"] for v in axe_violations(page, axe_source)}
    assert "label" in found


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_keyboard_focus_is_visible(page):
    page.goto("/search?q=exporters")
    page.keyboard.press("Tab")
    skip = page.locator(":focus")
    assert skip.inner_text() == "Skip to content"
    assert skip.is_visible() and skip.bounding_box()["x"] >= 0
    page.keyboard.press("Tab")
    outline = page.evaluate("getComputedStyle(document.activeElement).outlineStyle")
    width = page.evaluate("parseFloat(getComputedStyle(document.activeElement).outlineWidth)")
    assert outline == "solid" and width >= 2
    shot(page, "a11y-focus")
