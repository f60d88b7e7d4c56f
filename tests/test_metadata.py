"""Faithful metadata from scraper output: fields found by content, sources, bylines, aliases, regions, non-articles.

Every rule has fixtures of its own under tests/fixtures/metadata/, with the exact metadata each
record must get; the ingest tests build real indexes from them and check the report, the facets
(against brute-force tallies of the fixture files), the author pages and the API.
"""

from __future__ import annotations

import csv
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from corpus import nonarticle, regions
from corpus.cli import main as cli
from corpus.documents import RawRecord
from corpus.engines import open_backend
from corpus.ingest import ingest
from corpus.normalize import clean_authors, to_article
from corpus.readers import detect, read_file
from corpus.search import SearchRequest
from corpus.sources import domain_of
from corpus.web import create_app
from support import FIXTURES, copy_corpus, make_settings

META = FIXTURES / "metadata"


def records(path: Path, mapping: dict[str, str] | None = None) -> list[RawRecord]:
    root = path.parent
    out = [r for r in read_file(path, root) if isinstance(r, RawRecord)]
    found = detect.choose([r.fields for r in out], mapping or {})
    for r in out:
        r.meta["_detected"] = found.chosen
    return out


def all_values(settings, facet: str) -> dict[str, int]:
    result = open_backend(settings).search(SearchRequest(facets=(facet,), facet_size=1000, per_page=1))
    return {v.value: v.count for v in result.facets[facet].values}


@pytest.fixture(scope="module")
def indexed(tmp_path_factory: pytest.TempPathFactory):
    """The whole metadata fixture folder, ingested once: (settings, report)."""
    tmp = tmp_path_factory.mktemp("metadata")
    data = copy_corpus(META, tmp / "data")
    settings = make_settings(tmp)
    report = ingest([data], settings, progress=False)
    return settings, report


# ---- fields found by their content -----------------------------------------------------------

def test_unknown_url_date_and_source_columns_are_read_by_content():
    rows = records(META / "fields" / "scraped.csv")
    articles = [to_article(r) for r in rows]
    first = articles[0]
    assert first.url == "https://www.example-times.com/2024/03/04/harbour-reopens"
    assert first.date is not None and first.date.isoformat() == "2024-03-04T08:00:00+00:00"
    assert first.source == "Example Times"
    assert first.extra["source_domain"] == "example-times.com"
    # Columns not read stay as metadata, as written.
    assert first.extra["crawled_on"] == "2024-05-01 10:00" and first.extra["edition"] == "en"
    assert first.extra["image_src"] == "https://cdn.example-times.com/img/harbour.jpg"
    assert "link_col" not in first.extra and "media_name" not in first.extra and "site_addr" not in first.extra
    french = articles[4]
    assert (french.source, french.extra["source_domain"]) == ("Exemple Soir", "exemple-soir.fr")
    assert french.date is not None and french.date.isoformat() == "2024-03-04T09:00:00+00:00"
    # The one row whose link is not a URL keeps it as metadata and has no URL.
    assert articles[9].url is None and articles[9].extra["link_col"] == "see the print edition"


def test_detection_counts_match_a_brute_force_count_of_the_column():
    with open(META / "fields" / "scraped.csv", encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh))
    urls = sum(1 for row in rows if re.match(r"^https?://[^/\s]+/\S+$", row["link_col"]))
    found = detect.choose(rows)
    assert found.chosen == {"url": ["link_col"], "date": ["when_published"], "source": ["media_name", "site_addr"]}
    by_key = {(n["field"], n["key"]): n for n in found.notes}
    assert by_key[("url", "link_col")]["matching"] == urls == 9
    assert by_key[("url", "link_col")]["reason"] == "9 of 10 values are URLs"
    assert by_key[("date", "when_published")]["used"] and not by_key[("date", "crawled_on")]["used"]
    assert by_key[("facet", "edition")]["used"] is False
    assert ("url", "image_src") not in by_key  # links to images are not article URLs


def test_name_matches_win_over_content_and_map_overrides_both():
    rows = [{"title": "A", "link": "https://a.example.com/x/1", "other": "https://b.example.com/y/1"},
            {"title": "B", "link": "https://a.example.com/x/2", "other": "https://b.example.com/y/2"}]
    assert "url" not in detect.choose(rows).chosen  # `link` is a known name
    raw = RawRecord(fields=rows[0], origin="t:1", path="t.jsonl", recno=1)
    assert to_article(raw).url == "https://a.example.com/x/1"
    assert to_article(raw, {"url": "other"}).url == "https://b.example.com/y/1"
    unknown = [{"title": "A", "lnk": "https://a.example.com/x/1"}, {"title": "B", "lnk": "https://a.example.com/x/2"}]
    assert "url" not in detect.choose(unknown, {"url": "lnk"}).chosen  # a mapped name is a name


def test_the_report_lists_the_field_choices(indexed):
    _, report = indexed
    choices = {(c["field"], c["key"]): c for c in report.field_choices}
    assert choices[("url", "link_col")]["used"] and choices[("url", "link_col")]["first_file"] == "fields/scraped.csv"
    assert choices[("date", "when_published")]["used"]
    assert choices[("source", "media_name")]["used"] and choices[("source", "site_addr")]["used"]
    assert not choices[("facet", "edition")]["used"]
    summary = report.summary()
    assert "read `link_col` as url by its content in fields/scraped.csv: 9 of 10 values are URLs" in summary
    assert "not read `edition` (facet candidate)" in summary


# ---- sources ---------------------------------------------------------------------------------

@pytest.mark.parametrize(("value", "domain"), [
    ("http://example.com", "example.com"), ("https://www.example.org/", "example.org"),
    ("www.example.net/news/airport", "example.net"), ("Example.COM", "example.com"),
    ("https://www2.example.co.uk:8443/a?b=c", "example.co.uk"), ("//cdn.example.com/x", "cdn.example.com"),
    ("Reuters", None), ("U.S. News", None), ("The Example Post", None), ("volume01.txt", None), ("St.Louis", None),
])
def test_domains(value, domain):
    assert domain_of(value) == domain


def test_sources_as_urls_become_domains_and_names_win(indexed):
    settings, report = indexed
    svc = open_backend(settings)
    expected = {
        "src-1": ("example.com", None), "src-2": ("The Example Post", "example.org"),  # linked by src-5 and src-6
        "src-3": ("example.net", None), "src-4": ("example.com", None),
        "src-5": ("The Example Post", "example.org"), "src-6": ("The Example Post", "example.org"),
        "src-7": ("Reuters", None), "src-8": ("example.net", None),
    }
    got = {doc_id: (svc.article(doc_id).source, svc.article(doc_id).extra.get("source_domain")) for doc_id in expected}
    assert got == expected
    assert report.source_links["example.org"] == "The Example Post"
    page = svc.article("sources-gazette.html")
    assert (page.source, page.extra["source_domain"]) == ("Example Gazette", "gazette.example.co.uk")


def test_no_source_value_is_written_as_an_address(indexed):
    settings, _ = indexed
    values = all_values(settings, "source")
    # Brute force over every value: no scheme, no www., no path, no trailing slash.
    assert [v for v in values if re.search(r"://|^www\.|/", v)] == []
    # Every record of the fixtures is counted under exactly one source.
    with open(META / "sources" / "scraped.jsonl", encoding="utf-8") as fh:
        lines = [json.loads(line) for line in fh]
    assert values["The Example Post"] == 3 and values["example.com"] == 2 and values["example.net"] == 2
    assert sum(1 for r in lines if "Example.COM".lower() in str(r.get("source", "")).lower()) == 2


# ---- authors ---------------------------------------------------------------------------------

BYLINES = [
    (["Jane Roe", "Read More", "Follow", "Share", "www.facebook.com", "https://twitter.com/janeroe", "@janeroe"],
     ["Jane Roe"], [], [("Read More", "page furniture"), ("Follow", "page furniture"), ("Share", "page furniture"),
                      ("www.facebook.com", "a social-network host"), ("https://twitter.com/janeroe", "a social-network host"),
                      ("@janeroe", "a social-network handle")]),
    (["John Doe", "March 5, 2021", "10:32 AM", "Updated 10:32 AM ET", "2021-03-05"],
     ["John Doe"], [], [("March 5, 2021", "a date"), ("10:32 AM", "a time"), ("Updated 10:32 AM ET", "a time"),
                      ("2021-03-05", "a date")]),
    ("By Jane Roe, Auto Writer and John Doe Staff Reporter", ["Jane Roe", "John Doe"], [],
     [("Auto Writer", "a job title"), ("Staff Reporter", "a job title")]),
    ("Posted by Ann Lee ann.lee@example.com", ["Ann Lee"], [], [("ann.lee@example.com", "an e-mail address")]),
    (["AFP", "Reuters Staff"], ["AFP", "Reuters Staff"], ["AFP", "Reuters Staff"], []),
    ("Web Desk | Associated Press", ["Web Desk", "Associated Press"], ["Web Desk", "Associated Press"], []),
    ("Mary Major | Senior Editor", ["Mary Major"], [], [("Senior Editor", "a job title")]),
    (["Share", "Email", "Print"], [], [], [("Share", "page furniture"), ("Email", "page furniture"), ("Print", "page furniture")]),
    ("The Editorial Board", ["The Editorial Board"], ["The Editorial Board"], []),
    ("A French Contributor", ["A French Contributor"], [], []),
    ("R. W. Seton-Watson", ["R. W. Seton-Watson"], [], []),
    ("Norma Cohen and Geert Linnebank", ["Norma Cohen", "Geert Linnebank"], [], []),
    ("Not_signed", [], [], []),
]


@pytest.mark.parametrize(("value", "names", "organisations", "dropped"), BYLINES)
def test_bylines(value, names, organisations, dropped):
    got = clean_authors(value)
    assert (got.names, got.organisations, got.dropped) == (names, organisations, dropped)


FURNITURE_RE = re.compile(r"(?i)^(read more|follow|share|email|print)$|@|://|^www\.|\d{1,2}:\d{2}|\b(19|20)\d{2}\b"
                          r"|\b(writer|reporter|editor|correspondent)\b")


def test_no_author_value_is_furniture_a_date_an_address_or_a_title(indexed):
    settings, report = indexed
    values = all_values(settings, "author")
    assert [v for v in values if FURNITURE_RE.search(v)] == []
    assert values == {"Jane Roe": 5, "Pyotr Ilyich Tchaikovsky": 4, "AFP": 2, "John Doe": 2, "Ann Lee": 1,
                      "Associated Press": 1, "Mary Major": 1, "Pat Doe": 1, "Reuters Staff": 1, "Web Desk": 1}
    dropped = {(d["value"], d["reason"]): d["count"] for d in report.dropped_authors}
    assert dropped[("Share", "page furniture")] == 2 and dropped[("Staff Reporter", "a job title")] == 1
    # Brute force: every string dropped is one the fixture's bylines hold, and each is counted as often.
    with open(META / "authors" / "bylines.jsonl", encoding="utf-8") as fh:
        written = Counter()
        for line in fh:
            value = json.loads(line).get("authors") or json.loads(line).get("author")
            for item in value if isinstance(value, list) else [value]:
                for d_value, _ in dropped:
                    written[d_value] += item.count(d_value) if d_value in ("Auto Writer", "Staff Reporter", "Senior Editor",
                                                                          "ann.lee@example.com") else int(item == d_value)
    assert dict(written) == {value: n for (value, _), n in dropped.items()}
    assert "author strings dropped: 17 (16 distinct)" in report.summary()


def test_organisations_are_marked_and_counted_apart(indexed, tmp_path):
    settings, report = indexed
    svc = open_backend(settings)
    assert svc.author("afp").organisation and svc.author("web-desk").organisation
    assert not svc.author("jane-roe").organisation
    assert svc.article("by-7").extra["author_organisations"] == ["AFP"]
    assert (report.author_people, report.author_organisations) == (6, 4)
    assert report.author_people + report.author_organisations == report.authors
    with create_app(settings).test_client() as client:
        page = client.get("/authors/afp").get_data(as_text=True)
        assert "An organisation (a wire service, newsroom or desk)" in page
        assert "An organisation" not in client.get("/authors/jane-roe").get_data(as_text=True)
        assert client.get("/api/authors/afp").get_json()["organisation"] is True


# ---- author aliases --------------------------------------------------------------------------

def test_aliases_become_the_author_everywhere(indexed):
    settings, _ = indexed
    svc = open_backend(settings)
    for doc_id in ("al-1", "al-2", "al-3", "al-4"):
        assert svc.article(doc_id).authors == ["Pyotr Ilyich Tchaikovsky"]
    assert svc.article("by-10").authors == ["Jane Roe"] and svc.article("by-11").authors == ["Jane Roe"]
    author = svc.author("pyotr-ilyich-tchaikovsky")
    assert author.article_count == 4
    assert author.aliases == ["Peter Tchaikovsky", "P. I. Tchaikovsky", "Piotr Czajkowski"]
    assert svc.author("jane-roe").aliases == ["J. R.", "Scrutator"] and svc.author("jane-roe").article_count == 5
    with create_app(settings).test_client() as client:
        page = client.get("/authors/pyotr-ilyich-tchaikovsky").get_data(as_text=True)
        assert "Merged spellings" in page and "<q>Piotr Czajkowski</q>" in page
        assert client.get("/authors/peter-tchaikovsky").status_code == 404


def test_changing_an_alias_rereads_and_moves_the_articles(tmp_path):
    data = copy_corpus(META / "aliases-jsonl", tmp_path / "data")
    settings = make_settings(tmp_path)
    ingest([data], settings, progress=False)
    assert all_values(settings, "author") == {"Pyotr Ilyich Tchaikovsky": 4}
    (data / "_authors.jsonl").write_text(json.dumps({"name": "Pyotr Ilyich Tchaikovsky", "aliases": ["Peter Tchaikovsky"]}) + "\n",
                                         encoding="utf-8")
    report = ingest([data], settings, progress=False)
    assert all_values(settings, "author") == {"Pyotr Ilyich Tchaikovsky": 2, "P. I. Tchaikovsky": 1, "Piotr Czajkowski": 1}
    assert any("aliases changed" in n["reason"] for n in report.notes)


def test_aliases_in_csv_are_split_and_a_bad_aliases_value_is_named(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "_authors.jsonl").write_text(json.dumps({"name": "Ann Lee", "aliases": {"not": "a list"}}) + "\n", encoding="utf-8")
    (data / "a.jsonl").write_text(json.dumps({"id": "a", "title": "T", "text": "x", "author": "Ann Lee"}) + "\n", encoding="utf-8")
    report = ingest([data], make_settings(tmp_path), progress=False)
    assert [i["origin"] for i in report.skipped_items] == ["_authors.jsonl:1"]
    assert "aliases must be a list of names" in report.skipped_items[0]["reason"]


# ---- regions ---------------------------------------------------------------------------------

REGIONS = {
    "new-mexico": [], "mexico-city": ["Mexico"], "new-jersey": [], "papua": ["Papua New Guinea"],
    "georgia-state": [], "georgia-country": ["Georgia"], "jordan-name": [], "jordan-country": ["Jordan"],
    "latin-america": ["Brazil"], "new-england": [], "turkey-bird": [], "turkey-country": ["Turkey"],
    "chad-country": ["Chad"],
}


@pytest.mark.parametrize(("name", "expected"), REGIONS.items())
def test_region_inference(name, expected):
    (raw,) = [r for r in read_file(META / "regions" / f"{name}.txt", META / "regions") if isinstance(r, RawRecord)]
    article = to_article(raw)
    assert (article.region, article.region_inferred) == (expected, bool(expected))


def test_inferred_region_counts_match_the_fixtures_and_the_report(indexed):
    settings, report = indexed
    values = all_values(settings, "region")
    assert values == dict(Counter(r for rs in REGIONS.values() for r in rs))
    assert report.regions_inferred == sum(1 for rs in REGIONS.values() if rs)
    assert f"regions inferred from the text for {report.regions_inferred:,} documents" in report.summary()
    svc = open_backend(settings)
    assert svc.article("regions-papua").region_inferred


def test_longer_places_are_matched_before_the_country_inside_them():
    # Brute force: each of these names holds a country's name, and mentioning it three times infers nothing.
    for place in ("New Mexico", "New Jersey", "Jersey City", "Latin America", "New England", "British Columbia",
                  "Indian Ocean", "North American", "South China Sea", "Gulf of Mexico"):
        assert regions.infer_regions(f"{place} grew. {place} voted. Officials in {place} said so.") == [], place
    assert regions.infer_regions("Mexico City grew. Mexico City voted.") == ["Mexico"]
    assert regions.infer_regions("Talks with Israel, Jordan and Syria. Israel and Jordan agreed.") == ["Israel", "Jordan"]
    assert regions.infer_regions("Iran said. Iran added. Iraq replied.") == ["Iran"]  # short names count as written
    assert regions.infer_regions("The US said. We told us.") == []  # a code counts only in capitals


# ---- non-articles ----------------------------------------------------------------------------

NON_ARTICLES = {
    "nonarticles/pages/akamai-denied.html": "HTTP error", "nonarticles/pages/apache-404.html": "HTTP error",
    "nonarticles/pages/cloudflare-521.html": "HTTP error", "nonarticles/pages/nginx-502.html": "HTTP error",
    "nonarticles/pages/nginx-503.html": "HTTP error", "nonarticles/pages/site-404.html": "HTTP error",
    "nonarticles/pages/cloudflare-challenge.html": "bot challenge", "nonarticles/pages/google-sorry.html": "bot challenge",
    "nonarticles/pages/perimeterx.html": "bot challenge", "nonarticles/pages/login-wall.html": "login wall",
    "nonarticles/pages/cookie-wall.html": "cookie wall", "nonarticles/pages/paywall.html": "paywall notice",
    "nonarticles/records/scraped.jsonl:1": "bot challenge", "nonarticles/records/scraped.jsonl:2": "HTTP error",
    "nonarticles/records/scraped.jsonl:3": "paywall notice", "nonarticles/records/scraped.jsonl:4": "paywall notice",
    "nonarticles/records/scraped.jsonl:7": "HTTP error", "nonarticles/records/scraped.jsonl:8": "HTTP error",
}


def test_every_non_article_is_skipped_and_named(indexed):
    settings, report = indexed
    skipped = {i["origin"]: i["reason"] for i in report.skipped_items}
    assert skipped == {origin: f"not an article: {kind}" for origin, kind in NON_ARTICLES.items()}
    # The two identical 404 records are not "duplicates" of each other: neither is an article.
    assert report.duplicate == 0 and report.reconciliation["balanced"]
    svc = open_backend(settings)
    assert svc.article("rec-outage").title == "Hosting fault takes thousands of sites offline"  # long: an article
    assert svc.article("rec-teaser").title == "Central bank signals a pause"  # a teaser, not a bare notice
    # Brute force: every fixture page and record is either named as a non-article or indexed.
    pages = sorted(p.relative_to(META).as_posix() for p in (META / "nonarticles" / "pages").glob("*.html"))
    assert all(page in skipped for page in pages) and len(pages) == 12


def test_keep_suspect_indexes_them_flagged(tmp_path):
    data = copy_corpus(META / "nonarticles", tmp_path / "data")
    settings = make_settings(tmp_path)
    report = ingest([data], settings, progress=False, keep_suspect=True)
    assert report.skipped_items == []
    kept = {i["origin"]: i["reason"] for i in report.suspects_kept}
    expected = {origin.removeprefix("nonarticles/"): f"not an article: {kind}" for origin, kind in NON_ARTICLES.items()}
    # Indexed, they are treated as articles: the second identical 404 record is its duplicate.
    del expected["records/scraped.jsonl:8"]
    assert kept == expected
    assert [(d["origin"], d["duplicate_of"]) for d in report.duplicate_items] == [("records/scraped.jsonl:8", "rec-404-a")]
    svc = open_backend(settings)
    assert svc.article("rec-challenge").extra["suspect"] == "not an article: bot challenge"
    assert svc.article("pages-nginx-502.html").extra["suspect"] == "not an article: HTTP error"
    assert "suspect" not in svc.article("rec-outage").extra


def test_keep_suspect_on_the_command_line(tmp_path, capsys):
    data = copy_corpus(META / "nonarticles" / "records", tmp_path / "data")
    code = cli(["--index-dir", str(tmp_path / "index"), "ingest", "-q", "--json", "--keep-suspect", str(data)])
    out = json.loads(capsys.readouterr().out)
    assert code == 0 and len(out["suspects_kept"]) == 5 and out["skipped_items"] == [] and out["duplicate"] == 1
    code = cli(["--index-dir", str(tmp_path / "index2"), "ingest", "-q", str(data)])
    assert code == 3
    assert "skipped scraped.jsonl:1: not an article: bot challenge" in capsys.readouterr().out


@pytest.mark.parametrize(("text", "kind"), [
    ("Just a moment...\nEnable JavaScript and cookies to continue", "bot challenge"),
    ("403 Forbidden\nnginx", "HTTP error"),
    ("Error 522\nConnection timed out", "HTTP error"),
    ("You must be logged in to view this page.", "login wall"),
    ("We use cookies to improve your experience. Accept all cookies or manage preferences.", "cookie wall"),
    ("Already a subscriber? Subscribe to continue reading.", "paywall notice"),
    ("Shr 12 cts vs 10 cts\nNet 1.2 mln vs 1.0 mln", None),
    ("The bank said access to credit had been denied to small firms.", None),
])
def test_non_article_kinds(text, kind):
    found = nonarticle.kind_of("", text)
    assert (found[0] if found else None) == kind
