"""The HTML pages over the mini fixture corpus (Flask test client): content, links and escaping."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from urllib.parse import parse_qs, urlsplit

import pytest

from support import make_settings, write_corpus

XSS_ID = "opinion-xss"

RAW_MARKUP = ("<script>alert('t')</script>", "<b>Hacker</b>", "<img src=x onerror", "Evil & Co <i>")


def client_over(tmp, files, documents):
    """A test client over a private index of these files (name -> text), holding `documents` articles."""
    from corpus.ingest import ingest
    from corpus.web import create_app

    data, settings = write_corpus(tmp, files)
    report = ingest([data], settings, progress=False)
    assert report.documents == documents, report.summary()
    with create_app(settings).test_client() as client:
        yield client


class Links(HTMLParser):
    """Every element's attributes, by tag, in document order."""

    def __init__(self) -> None:
        super().__init__()
        self.tags: list[tuple[str, dict[str, str]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, {k: v or "" for k, v in attrs}))

    def hrefs(self) -> list[str]:
        return [a["href"] for t, a in self.tags if t == "a" and "href" in a]


def parse(html: str) -> Links:
    p = Links()
    p.feed(html)
    return p


def get(client, url: str, status: int = 200) -> str:
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code, response.get_data(as_text=True)[:500])
    return response.get_data(as_text=True)


def query(href: str) -> dict[str, list[str]]:
    return parse_qs(urlsplit(href).query)


def assert_no_raw_markup(html: str) -> None:
    for raw in RAW_MARKUP:
        assert raw not in html
    assert "onerror=alert(1)>" not in html
    # Only the page's own script tag may exist.
    assert re.findall(r"<script\b[^>]*>", html) == ['<script src="/static/corpus.js" defer>']


# ----- escaping


def test_search_page_escapes_title_author_source_and_snippet(mini_client):
    html = get(mini_client, "/search?q=markup")
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; Tariff talk" in html
    assert "Eve &lt;b&gt;Hacker&lt;/b&gt;" in html
    assert "Evil &amp; Co &lt;i&gt;" in html
    assert "&lt;img src=x onerror=alert(1)&gt; <mark>markup</mark>" in html
    assert_no_raw_markup(html)


def test_search_page_escapes_the_query_everywhere_it_is_shown(mini_client):
    html = get(mini_client, '/search?q=%22%3E%3Cscript%3Ealert(1)%3C/script%3E')
    assert "<script>alert(1)" not in html
    assert 'value="&#34;&gt;&lt;script&gt;alert(1)&lt;/script&gt;"' in html
    assert_no_raw_markup(html)


def test_article_page_escapes_everything_and_marks_query_words(mini_client):
    html = get(mini_client, f"/articles/{XSS_ID}")
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt; Tariff talk" in html
    assert "A body with &lt;img src=x onerror=alert(1)&gt; markup" in html
    assert_no_raw_markup(html)
    marked = get(mini_client, f"/articles/{XSS_ID}?q=markup")
    assert "&lt;img src=x onerror=alert(1)&gt; <mark>markup</mark>" in marked
    assert_no_raw_markup(marked)


def test_author_page_escapes_the_name(mini_client):
    html = get(mini_client, "/authors/eve-b-hacker-b")
    assert "<h1 id=\"author-name\">Eve &lt;b&gt;Hacker&lt;/b&gt;</h1>" in html
    assert "&lt;script&gt;alert(&#39;t&#39;)&lt;/script&gt;" in html  # the article's title in the list
    assert_no_raw_markup(html)


def test_home_and_facet_pages_escape_values(mini_client):
    for url in ("/", "/facets/author?prefix=eve", "/facets/source?q=tariff"):
        html = get(mini_client, url)
        assert_no_raw_markup(html)
    assert "Eve &lt;b&gt;Hacker&lt;/b&gt;" in get(mini_client, "/facets/author?prefix=eve")


def test_matching_author_bio_is_escaped_and_marked(mini_client):
    html = get(mini_client, "/search?q=baltic")
    box = html[html.index('class="author-matches"'):]
    assert '<a href="/authors/maria-novak">Maria Novak</a>' in box
    assert "<mark>Baltic</mark>" in box


# ----- javascript: and other non-http URLs never become links


def test_http_url_keeps_only_http_and_https():
    from corpus.web.pages import http_url

    assert http_url("https://example.org/a?b=1") == "https://example.org/a?b=1"
    assert http_url(" http://example.org ") == "http://example.org"
    for bad in ("javascript:alert(1)", "JavaScript:alert(1)", " javascript:alert(1)", "data:text/html,x", "//evil.example",
                "vbscript:x", "", None, "http://[broken"):
        assert http_url(bad) is None


def test_article_and_author_templates_never_link_a_javascript_url(mini_app):
    from flask import render_template

    from corpus.search.types import ArticleRecord, AuthorRecord, IndexInfo, SearchRequest, SearchResult

    record = ArticleRecord(id="x1", title="T", body="Body.", authors=["A B"], date=None, source=None, region=[],
                           region_inferred=False, category=[], url="javascript:alert(1)", bios={}, extra={}, origin="x")
    author = AuthorRecord(slug="a-b", name="A B", bio="", url="javascript:alert(2)", article_count=0,
                          first_date=None, last_date=None, sources=[])
    info = IndexInfo(build="b", documents=0, authors=0, updated=None)
    result = SearchResult(request=SearchRequest(), parsed="", total=0, hits=[], facets={}, timeline=None,
                          suggestion=None, authors=[], took_ms=0.0, index=info)
    from corpus.web.pages import http_url

    with mini_app.test_request_context("/articles/x1"):
        html = render_template("article.html", article=record, marked=None, authors=[], similar=[], q="",
                               retrieved="today", index=info, original=http_url(record.url))
        author_html = render_template("author.html", author=author, result=result, req=SearchRequest(), chart=None,
                                      homepage=http_url(author.url))
    for page in (html, author_html):
        assert "javascript:" not in " ".join(parse(page).hrefs())
        assert 'href="javascript' not in page
    assert "Original article" not in html


@pytest.fixture(scope="module")
def url_client(tmp_path_factory):
    """A corpus whose articles and author carry a javascript: URL and an https URL."""
    yield from client_over(tmp_path_factory.mktemp("urls"), {
        "bad.txt": "Title: Bad link\nAuthor: Jo Evil\nDate: 2020-01-01\nURL: javascript:alert(1)\n\nA body about links.\n",
        "good.txt": "Title: Good link\nAuthor: Jo Evil\nDate: 2020-02-01\n"
                    "URL: https://example.org/a?x=1&y=2\n\nAnother body about links.\n",
        "_authors.jsonl": '{"name": "Jo Evil", "bio": "Writes <b>bold</b> things.", "url": "javascript:alert(2)"}\n',
    }, documents=2)


def test_ingested_javascript_urls_never_become_links(url_client):
    ids = {h["title"]: h["id"] for h in url_client.get("/api/search?q=links").get_json()["hits"]}
    bad = get(url_client, f"/articles/{ids['Bad link']}")
    good = get(url_client, f"/articles/{ids['Good link']}")
    author = get(url_client, "/authors/jo-evil")
    for page in (bad, good, author, get(url_client, "/search?q=links")):
        assert not [h for h in parse(page).hrefs() if h.strip().lower().startswith(("javascript", "data:"))]
    assert "Original article" not in bad
    assert '<a href="https://example.org/a?x=1&amp;y=2" rel="noopener noreferrer nofollow">Original article</a>' in good
    # Ingest may strip the tags or keep them as text; either way they are never markup.
    assert "<b>bold</b>" not in author
    assert "Writes bold things." in author or "Writes &lt;b&gt;bold&lt;/b&gt; things." in author


# ----- the search page


def test_search_shows_counts_understood_query_and_exports(mini_client):
    html = get(mini_client, "/search?q=exporters&sort=newest&per_page=20&author=Tom+Baker")
    assert re.search(r'<strong class="total">3 articles</strong>', html)
    assert '<code class="parsed">' in html
    links = parse(html).hrefs()
    [json_url] = [h for h in links if h.startswith("/api/search?")]
    [csv_url] = [h for h in links if h.startswith("/api/export?format=csv")]
    [bundle_url] = [h for h in links if h.startswith("/api/export?format=bundle")]  # Cite this search
    assert query(json_url) == {"q": ["exporters"], "author": ["Tom Baker"], "sort": ["newest"], "per_page": ["20"]}
    assert query(csv_url) == {"format": ["csv"], "q": ["exporters"], "author": ["Tom Baker"], "sort": ["newest"]}
    assert query(bundle_url) == {**query(csv_url), "format": ["bundle"]}
    # The query box keeps the query, and the sort and per-page choices are kept as selected.
    assert 'id="q" name="q" type="search" value="exporters"' in html
    assert '<option value="newest" selected>' in html and '<option value="20" selected>' in html


def test_facet_toggle_chip_and_removal(mini_client):
    html = get(mini_client, "/search?q=exporters")
    hits_before = html.count('class="hit"')
    toggle = next(h for h in parse(html).hrefs() if query(h).get("author") == ["Tom Baker"] and h.startswith("?"))
    narrowed = get(mini_client, "/search" + toggle)
    assert narrowed.count('class="hit"') == 3 < hits_before
    chips = re.findall(r'<a class="chip" href="([^"]+)">', narrowed)
    assert len(chips) == 1
    assert "Author: Tom Baker" in narrowed
    assert '<li class="selected"><a href="?q=exporters">' in narrowed
    restored = get(mini_client, "/search" + chips[0].replace("&amp;", "&"))
    assert restored.count('class="hit"') == hits_before
    assert 'class="chip"' not in restored


def test_did_you_mean(mini_client):
    html = get(mini_client, "/search?q=exportrs")
    assert re.search(r'Did you mean <a href="\?q=[^"]+">[^<]+</a>\?', html)


def test_timeline_bars_link_to_their_period_and_show_the_corpus(mini_client):
    html = get(mini_client, "/search?q=exporters")
    bars = re.findall(r'<a href="([^"]+)" class="bar" aria-label="([^"]+)"', html)
    assert bars
    for href, label in bars:
        params = query(href.replace("&amp;", "&"))
        assert params["q"] == ["exporters"] and "from" in params and "to" in params
        assert "in the corpus" in label
    assert 'class="corpus"' in html
    # Periods with nothing in them are not links.
    assert all(int(re.search(r": (\d+) article", label).group(1)) > 0 for _, label in bars)


def test_pagination_keeps_the_search(mini_client):
    first = get(mini_client, "/search?sort=oldest&per_page=5")
    assert "Page 1 of 3" in first
    next_href = re.search(r'<a rel="next" href="([^"]+)"', first).group(1).replace("&amp;", "&")
    assert query(next_href) == {"sort": ["oldest"], "per_page": ["5"], "page": ["2"]}
    second = get(mini_client, "/search" + next_href)
    assert "Page 2 of 3" in second and '<ol class="hits" start="6">' in second
    assert "(showing 6–10)" in second
    beyond = get(mini_client, "/search?per_page=5&page=9")
    assert "There is no page 9" in beyond


def test_date_inputs_filter_and_keep_their_values(mini_client):
    html = get(mini_client, "/search?from=1987-03&to=1987-03")
    assert re.search(r'<strong class="total">3 articles</strong>', html)
    assert 'id="from" name="from" value="1987-03"' in html
    assert "Date: 1987-03 to 1987-03" in html


# ----- the facet value pages


def test_facet_page_lists_filters_and_toggles_values(mini_client):
    html = get(mini_client, "/facets/author?q=exporters")
    values = re.findall(r'<span class="value">([^<]+)</span></a> <span class="count">(\d+)</span>', html)
    assert ("Tom Baker", "3") in values and len(values) == 5
    filtered = get(mini_client, "/facets/author?q=exporters&prefix=ta")
    assert re.findall(r'<span class="value">([^<]+)</span>', filtered) == []
    filtered = get(mini_client, "/facets/author?q=exporters&prefix=bak")
    assert re.findall(r'<span class="value">([^<]+)</span>', filtered) == ["Tom Baker"]
    assert 'id="prefix" name="prefix" type="search" value="bak"' in filtered
    link = next(h for h in parse(filtered).hrefs() if h.startswith("/search?") and "author=" in h)
    assert query(link) == {"q": ["exporters"], "author": ["Tom Baker"]}


def test_facet_page_errors(mini_client):
    get(mini_client, "/facets/colour", 404)
    assert "Fpage must be a whole number" in get(mini_client, "/facets/author?fpage=x", 400)
    assert "Prefix is longer" in get(mini_client, "/facets/author?prefix=" + "a" * 101, 400)


# ----- article, author, home, help and error pages


def test_article_metadata_links_to_facet_searches_and_author_page(mini_client):
    html = get(mini_client, "/articles/wire-oil-glut")
    links = parse(html).hrefs()
    for expected in ("/search?author=Anna+Reed", "/search?author=Tom+Baker", "/search?year=1987", "/search?source=Reuters",
                     "/search?region=United+States", "/authors/anna-reed", "/authors/tom-baker", "/api/articles/wire-oil-glut"):
        assert expected in links, expected
    assert "Cite this article" in html and "Retrieved" in html


def test_author_page_is_paged_and_sortable(mini_client):
    html = get(mini_client, "/authors/anna-reed?sort=oldest&per_page=1")
    assert "Oil prices rise as OPEC meets" in html and "Page 1 of 3" in html
    last = get(mini_client, "/authors/anna-reed?sort=oldest&per_page=1&page=3")
    assert "OPEC agrees new quota" in last
    newest = get(mini_client, "/authors/anna-reed")
    assert newest.index("OPEC agrees new quota") < newest.index("Oil prices rise as OPEC meets")
    novak = get(mini_client, "/authors/maria-novak")
    assert "Baltic security" in novak and '<a href="https://example.org/novak"' in novak
    assert "/search?author=Maria+Novak&amp;source=Eurasia+Review" in novak


def test_home_overview(mini_client):
    html = get(mini_client, "/")
    assert "<strong>12</strong> articles" in html and "<strong>1987–2025</strong>" in html
    assert 'id="tl-home-caption"' in html
    assert "/search?author=Anna+Reed" in parse(html).hrefs()


def test_help_examples_are_live_searches(mini_client):
    html = get(mini_client, "/help")
    examples = [h for h in parse(html).hrefs() if h.startswith("/search?")]
    assert len(examples) >= 10
    for href in examples:
        get(mini_client, href)


def test_error_pages(mini_client, tmp_path):
    assert "Page must be a whole number, not &#39;two&#39;" in get(mini_client, "/search?page=two", 400)
    assert "Not found" in get(mini_client, "/articles/does-not-exist", 404)
    get(mini_client, "/authors/nobody-at-all", 404)
    from corpus.web import create_app
    empty = create_app(make_settings(tmp_path)).test_client()
    for url in ("/", "/search?q=x", "/facets/author"):
        html = get(empty, url, 503)
        assert "<code>corpus ingest</code>" in html
        assert str(tmp_path) not in html  # the server's folders stay private


def test_sidebar_offers_a_filter_box_when_a_facet_has_more_values_than_shown(mini_client):
    html = get(mini_client, "/search?q=exporters&facet_size=2&author=Kenji+Sato")
    form = re.search(r'<form class="facet-filter" action="/facets/author"(.*?)</form>', html, re.S)
    assert form
    hidden = dict(re.findall(r'<input type="hidden" name="([^"]+)" value="([^"]*)">', form.group(1)))
    assert hidden == {"q": "exporters", "facet_size": "2", "author": "Kenji Sato"}
    assert 'name="prefix"' in form.group(1)
    assert 'action="/facets/year"' not in html  # a year is found at a glance
    # The facet page keeps the search and marks the selected value.
    page = get(mini_client, "/facets/author?q=exporters&facet_size=2&author=Kenji+Sato&prefix=k")
    assert re.search(r'<li class="selected"><a href="/search\?q=exporters&amp;facet_size=2">', page)


def test_csv_and_json_links_return_the_same_articles(mini_client):
    html = get(mini_client, "/search?q=exporters&author=Tom+Baker&sort=newest")
    links = parse(html).hrefs()
    csv_url = next(h for h in links if h.startswith("/api/export?"))
    json_url = next(h for h in links if h.startswith("/api/search?"))
    data = mini_client.get(json_url).get_json()
    assert data["total"] == 3
    response = mini_client.get(csv_url)
    assert response.status_code == 200 and response.mimetype == "text/csv"
    import csv
    import io

    rows = list(csv.DictReader(io.StringIO(response.get_data(as_text=True))))
    assert [r["id"] for r in rows] == [h["id"] for h in data["hits"]]


def test_facet_page_pages_through_every_value(mini_client, monkeypatch):
    monkeypatch.setattr("corpus.web.pages.FACET_PAGE_SIZE", 3)
    seen: list[str] = []
    url = "/facets/region"
    for page_number in (1, 2, 3):
        html = get(mini_client, url)
        assert f"page {page_number} of 3" in html
        seen += re.findall(r'<span class="value">([^<]+)</span>', html)
        nxt = re.search(r'<a rel="next" href="([^"]+)"', html)
        if page_number < 3:
            url = nxt.group(1).replace("&amp;", "&")
        else:
            assert nxt is None
    assert len(seen) == len(set(seen)) == 7


def test_page_numbers():
    from corpus.web.pages import page_numbers

    assert page_numbers(1, 1) == [1]
    assert page_numbers(1, 25) == [1, 2, 3, None, 25]
    assert page_numbers(10, 25) == [1, None, 8, 9, 10, 11, 12, None, 25]
    assert page_numbers(4, 6) == [1, 2, 3, 4, 5, 6]


def test_home_and_author_timelines_link_to_searches_of_their_period(mini_client):
    home = re.findall(r'<a href="([^"]+)" class="bar"', get(mini_client, "/"))
    assert query(home[0].replace("&amp;", "&")) == {"from": ["1987-01-01"], "to": ["1987-12-31"]}
    author = re.findall(r'<a href="([^"]+)" class="bar"', get(mini_client, "/authors/anna-reed"))
    first = query(author[0].replace("&amp;", "&"))
    assert first["author"] == ["Anna Reed"] and first["from"] == ["1987-03-01"] and first["to"] == ["1987-03-31"]
    period = get(mini_client, author[0].replace("&amp;", "&"))
    assert re.search(r'<strong class="total">2 articles</strong>', period)


def test_a_list_without_words_offers_no_best_match_sort(mini_client):
    html = get(mini_client, "/search")
    assert '<option value="relevance"' not in html and '<option value="newest" selected>' in html
    assert '<option value="relevance" selected>' in get(mini_client, "/search?q=oil")


def test_facet_page_beyond_the_last_says_so(mini_client):
    html = get(mini_client, "/facets/author?q=oil&fpage=99")
    assert "There is no page 99; the last is 1." in html
    assert '<a href="/facets/author?q=oil&amp;fpage=1">Go to page 1</a>' in html


@pytest.fixture(scope="module")
def spelling_client(tmp_path_factory):
    """Two spellings of one name, which ingest gives one author page."""
    spellings = (("Alexander Brož", "2020-01-01"), ("Alexander Broz", "2020-03-01"), ("Alexander Brož", "2020-02-01"))
    files = {f"a{i}.txt": f"Title: Note {i}\nAuthor: {name}\nDate: {day}\nSource: Paper\n\nText number {i}.\n"
             for i, (name, day) in enumerate(spellings)}
    yield from client_over(tmp_path_factory.mktemp("spellings"), files, documents=3)


def test_author_page_lists_every_spelling_that_shares_its_slug(spelling_client):
    html = get(spelling_client, "/authors/alexander-broz")
    assert re.search(r'<p class="meta">3 articles', html)
    assert html.count('class="hit"') == 3
    # Ingest files spellings that share a slug under one name, so the page, the facet and the
    # author search all agree on one value.
    search = next(h for h in parse(html).hrefs() if h.startswith("/search?author=") and "source" not in h and "from" not in h)
    assert len(query(search)["author"]) == 1 and query(search)["author"][0] in ("Alexander Broz", "Alexander Brož")
    assert re.search(r'<strong class="total">3 articles</strong>', get(spelling_client, search))


def test_undated_results_say_why_there_is_no_timeline(mini_client):
    html = get(mini_client, "/search?q=tariffs+grain+worry")
    assert 'class="timeline"' not in html
    assert "No timeline: the matching article is undated." in html


def test_a_single_period_draws_no_timeline(mini_client):
    html = get(mini_client, "/authors/eve-b-hacker-b")
    assert 'class="timeline"' not in html and "1 article, 2025-02-01" in html
    assert 'class="timeline"' in get(mini_client, "/authors/anna-reed")


def test_an_article_of_year_1_is_shown_with_a_four_digit_machine_date(tmp_path, capsys):
    """`<time datetime>` and the CLI write ISO 8601 dates: year 1 is 0001, never `1-01-01`."""
    from corpus.cli import main as cli

    client = next(client_over(tmp_path, {"old.json": '{"id": "old", "title": "An old text", "body": "Ancient words.", "date": {"year": 1, "month": 1, "day": 1}}'}, 1))
    settings = make_settings(tmp_path)
    for url in ("/articles/old", "/search?q=ancient"):
        page = client.get(url).get_data(as_text=True)
        assert 'datetime="0001-01-01"' in page, url
    capsys.readouterr()
    assert cli(["--index-dir", str(settings.index_dir), "search", "ancient"]) == 0
    assert "0001-01-01" in capsys.readouterr().out
