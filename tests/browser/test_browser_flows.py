"""The five flows of issue 5 in a real browser, at desktop and at phone width, with screenshots."""

from __future__ import annotations

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from browserkit import assert_no_overflow, shot

pytestmark = pytest.mark.browser

LONG = "x" * 300


def total(page) -> int:
    text = page.locator("strong.total").inner_text()
    return int(re.match(r"([\d,]+) article", text).group(1).replace(",", ""))


def titles(page) -> list[str]:
    return page.locator("li.hit h3 a").all_inner_texts()


def params(page) -> dict[str, list[str]]:
    return parse_qs(urlsplit(page.url).query)


def test_flow1_facet_value_chip_and_removal(page):
    page.goto("/search?q=exporters")
    before, before_titles = total(page), titles(page)
    author_facet = page.locator("section.facet[data-facet=author]")
    before_count = author_facet.locator("li").count()
    shot(page, "flow1-1-search")
    author_facet.get_by_role("link", name=re.compile(r"^Tom Baker")).click()
    page.wait_for_url(re.compile(r"author=Tom\+Baker"))
    assert total(page) == 3 < before
    after_titles = titles(page)
    assert len(after_titles) == 3 and after_titles != before_titles
    assert set(after_titles) <= set(before_titles)
    chip = page.locator("a.chip")
    assert chip.count() == 1 and "Author: Tom Baker" in chip.inner_text()
    selected = page.locator("section.facet[data-facet=author] li.selected")
    assert selected.count() == 1 and "Tom Baker" in selected.inner_text()
    # Other facets' counts now describe only Tom Baker's articles.
    sources = page.locator("section.facet[data-facet=source] li").all_inner_texts()
    assert sources and all("Eurasia" not in s for s in sources)
    assert author_facet.locator("li").count() == before_count  # multi-select: alternatives stay listed
    assert_no_overflow(page)
    shot(page, "flow1-2-facet-selected")
    chip.click()
    page.wait_for_url(lambda url: "author=" not in url)
    assert total(page) == before and page.locator("a.chip").count() == 0
    assert titles(page) == before_titles
    shot(page, "flow1-3-chip-removed")


def test_flow2_article_then_author_page_and_back(page):
    page.goto("/search?q=elites")
    page.locator("li.hit h3 a", has_text="Why elites stay put").click()
    page.wait_for_url(re.compile(r"/articles/opinion-elites"))
    assert page.locator("h1").inner_text() == "Why elites stay put"
    assert page.locator(".body mark").count() >= 1  # the query's words are marked
    assert "Baltic security" in page.locator(".author-box").inner_text()
    assert_no_overflow(page)
    shot(page, "flow2-1-article")
    page.locator(".author-box a", has_text="author page").click()
    page.wait_for_url(re.compile(r"/authors/maria-novak"))
    assert page.locator("h1").inner_text() == "Maria Novak"
    assert "2 articles" in page.locator(".author-page .meta").first.inner_text()
    assert page.locator("li.hit").count() == 2
    assert_no_overflow(page)
    shot(page, "flow2-2-author")
    page.go_back()
    page.wait_for_url(re.compile(r"/articles/opinion-elites"))
    assert page.locator("h1").inner_text() == "Why elites stay put"


def test_flow3_pages_and_sort(page):
    page.goto("/search")
    assert total(page) == 12
    first_page = titles(page)
    assert len(first_page) == 10 and "Page 1 of 2" in page.locator("nav.pager").inner_text()
    page.get_by_role("link", name="Next →").click()
    page.wait_for_url(re.compile(r"page=2"))
    second_page = titles(page)
    assert len(second_page) == 2 and not set(second_page) & set(first_page)
    assert page.locator("ol.hits").get_attribute("start") == "11"
    assert_no_overflow(page)
    shot(page, "flow3-1-page2")
    page.get_by_role("link", name="← Previous").click()
    page.wait_for_url(lambda url: "page=2" not in url)
    assert titles(page) == first_page
    # Changing the sort submits by itself (progressive JavaScript) and goes back to page 1.
    page.select_option("#sort", "oldest")
    page.wait_for_url(re.compile(r"sort=oldest"))
    assert titles(page)[0] == "Oil prices rise as OPEC meets"
    assert page.locator("#sort").input_value() == "oldest"
    page.select_option("#per_page", "20")
    page.wait_for_url(re.compile(r"per_page=20"))
    assert len(titles(page)) == 12 and params(page)["sort"] == ["oldest"]
    assert page.locator("nav.pager").count() == 0
    shot(page, "flow3-2-sorted-oldest")


def test_flow4_timeline_bar_applies_the_date_filter(page):
    page.goto("/search?q=exporters")
    bars = page.locator("svg.chart a.bar")
    assert bars.count() >= 2
    bar = bars.first
    label = bar.get_attribute("aria-label")
    period, count = re.match(r"(\S+): (\d+) article", label).groups()
    shot(page, "flow4-1-timeline")
    bar.click()
    page.wait_for_url(re.compile(r"from="))
    query = params(page)
    assert query["q"] == ["exporters"]
    assert query["from"][0].startswith(period[:4]) and query["to"][0].startswith(period[:4])
    assert total(page) == int(count)
    assert page.locator("#from").input_value() == query["from"][0]
    assert page.locator("#to").input_value() == query["to"][0]
    chip = page.locator("a.chip", has_text="Date:")
    assert chip.count() == 1
    assert_no_overflow(page)
    shot(page, "flow4-2-period")
    chip.click()
    page.wait_for_url(lambda url: "from=" not in url)
    assert total(page) > int(count) or bars.count() == 1


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
@pytest.mark.parametrize("path", ["/", "/search?q=exporters&author=Tom+Baker&from=1987", "/search?q=%22interest+rates%22",
                                  "/facets/author?q=exporters", "/articles/opinion-xss?q=tariff", "/articles/wire-oil-glut",
                                  "/authors/anna-reed", "/authors/eve-b-hacker-b", "/help", "/articles/missing", "/search?page=x",
                                  # Unbroken long values must wrap, not widen the page.
                                  f"/search?q={LONG}&author={LONG}&from=1900", f"/facets/author?q={LONG}&prefix={LONG[:90]}",
                                  f"/articles/opinion-xss?q={LONG}"])
def test_flow5_phone_width_has_no_horizontal_overflow(page, path):
    page.goto(path)
    assert page.evaluate("window.innerWidth") == 390
    assert_no_overflow(page)
    # The search box and the main heading are on screen and usable without zooming.
    box = page.locator("input[type=search]").first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390
    name = re.sub(r"[^a-z0-9]+", "-", path.lower().replace(LONG, "long").replace(LONG[:90], "long")).strip("-") or "home"
    shot(page, f"flow5-{name}")


@pytest.mark.parametrize("viewport", ["phone"], indirect=True)
def test_flow5_phone_search_then_filters(page):
    page.goto("/search?q=exporters")
    # On a phone the filters come after the results, with a link to jump there.
    jump = page.get_by_role("link", name=re.compile("^Filters"))
    assert jump.is_visible()
    jump.click()
    assert page.locator("#filters").is_visible()
    page.locator("section.facet[data-facet=region]").get_by_role("link", name=re.compile("^Japan")).click()
    page.wait_for_url(re.compile(r"region=Japan"))
    assert total(page) == 2
    assert_no_overflow(page)
    shot(page, "flow5-phone-filtered")
