"""With JavaScript disabled, searching, facets, chips, sorting and paging still work."""

from __future__ import annotations

import re

import pytest

pytestmark = pytest.mark.browser


def total(page) -> int:
    return int(re.match(r"(\d+) article", page.locator("strong.total").inner_text()).group(1))


def test_search_facets_chips_and_sort_without_javascript(nojs_page):
    page = nojs_page
    page.goto("/")
    page.fill("#home-q", "exporters")
    page.press("#home-q", "Enter")
    page.wait_for_url(re.compile(r"/search\?q=exporters"))
    before = total(page)
    assert before == 8
    page.locator("section.facet[data-facet=region]").get_by_role("link", name=re.compile("^Japan")).click()
    page.wait_for_url(re.compile(r"region=Japan"))
    assert total(page) == 2
    assert page.locator("a.chip", has_text="Region: Japan").count() == 1
    # Without JavaScript, choosing a sort does nothing until Apply is pressed: proof that scripts are off.
    page.select_option("#sort", "oldest")
    page.wait_for_timeout(300)
    assert "sort=" not in page.url
    page.get_by_role("button", name="Apply", exact=True).click()
    page.wait_for_url(re.compile(r"sort=oldest"))
    assert "region=Japan" in page.url and total(page) == 2
    assert page.locator("li.hit h3 a").first.inner_text() == "Japan central bank holds interest rates"
    page.locator("a.chip", has_text="Region: Japan").click()
    page.wait_for_url(lambda url: "region=" not in url)
    assert total(page) == before and "sort=oldest" in page.url


def test_header_search_keeps_filters_and_dates_form_works_without_javascript(nojs_page):
    page = nojs_page
    page.goto("/search?q=exporters&source=Reuters")
    page.fill("#q", "oil")
    page.press("#q", "Enter")
    page.wait_for_url(re.compile(r"q=oil"))
    assert "source=Reuters" in page.url
    oil = total(page)
    page.fill("#from", "1987-03")
    page.fill("#to", "1987-03")
    page.get_by_role("button", name="Apply dates").click()
    page.wait_for_url(re.compile(r"from=1987-03"))
    assert 0 < total(page) <= oil
    assert page.locator("a.chip", has_text="Date: 1987-03 to 1987-03").count() == 1


def test_facet_page_filter_box_without_javascript(nojs_page):
    page = nojs_page
    page.goto("/search?q=exporters")
    page.locator("section.facet[data-facet=author] p.more a").click()
    page.wait_for_url(re.compile(r"/facets/author\?q=exporters"))
    page.fill("#prefix", "sat")
    page.press("#prefix", "Enter")
    page.wait_for_url(re.compile(r"prefix=sat"))
    values = page.locator("ul.facet-values .value").all_inner_texts()
    assert values == ["Kenji Sato"]
    page.get_by_role("link", name=re.compile("^Kenji Sato")).click()
    page.wait_for_url(re.compile(r"/search\?.*author=Kenji\+Sato"))
    assert total(page) == 2
