"""The bundled corpus_data/: the sample article and the New Europe demo slice, as `make run` serves them.

One ingest of the real corpus_data/ folder (not a copy of part of it) into a temporary index is
shared by the tests below; the slice itself must stay small, well formed and reproducible.
"""

from __future__ import annotations

import gzip
import json
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from corpus.config import Settings
from corpus.engines import open_backend
from corpus.ingest import IngestReport, ingest
from corpus.search import SearchBackend
from corpus.search.types import SearchRequest
from corpus.web import create_app
from support import ROOT, SAMPLE, SHARED_CORPORA

DATA = ROOT / "corpus_data"
DEMO = DATA / "demo"
SLICE = DEMO / "new_europe.jsonl.gz"
SCRIPT = ROOT / "tools" / "make_demo_corpus.py"
SHARED_NEW_EUROPE = SHARED_CORPORA / "new_europe" / "tne_articles.jsonl"
FIELDS = ["doc_id", "article", "text", "author", "author_norm", "date", "type", "countries", "volume", "number"]
SAMPLE_TITLE = ("West Must Take Five Steps Now To Encourage Members Of Russian Elite To Break With Putin "
                "And Flee Abroad \u2013 OpEd")


def slice_records() -> list[dict[str, object]]:
    with gzip.open(SLICE, "rt", encoding="utf-8") as fh:
        return [json.loads(line) for line in fh]


# ----- the slice as committed


def test_slice_is_small_and_written_without_a_timestamp():
    data = SLICE.read_bytes()
    assert len(data) < 3_000_000, f"the demo slice is {len(data):,} bytes; keep it under 3 MB"
    assert data[:2] == b"\x1f\x8b"
    assert data[4:8] == b"\0\0\0\0", "gzip header carries a modification time: write it with mtime=0"
    assert not data[3] & 0x08, "gzip header carries a file name"


def test_slice_holds_600_texts_with_the_packages_fields():
    records = slice_records()
    assert len(records) == 600
    assert all(list(r) == FIELDS for r in records)
    ids = [r["doc_id"] for r in records]
    assert ids == sorted(ids) and len(set(ids)) == len(ids)
    years = {str(r["date"])[:4] for r in records}
    assert years == {"1916", "1917", "1918", "1919", "1920"}
    assert {r["type"] for r in records} == {"article", "note", "review", "letter"}
    signed = {r["author_norm"] for r in records if r["author_norm"] != "not_signed"}
    assert len(signed) >= 50
    # The package's dictionary codes that are not ISO codes are written out as names.
    codes = {c.strip() for r in records if isinstance(r["countries"], str) for c in str(r["countries"]).split(",")}
    assert not codes & {"ah", "jw", "ln"}


def test_licence_and_attribution_sit_beside_the_slice():
    licence = (DEMO / "LICENSE").read_text(encoding="utf-8")
    assert "MIT License" in licence and "newEuropeReviewR authors" in licence
    readme = (DEMO / "README.md").read_text(encoding="utf-8")
    assert "newEuropeReviewR" in readme and "century" in readme and "tools/make_demo_corpus.py" in readme


@pytest.mark.corpora
def test_script_reproduces_the_committed_slice_byte_for_byte(tmp_path: Path):
    if not SHARED_NEW_EUROPE.is_file():
        pytest.skip(f"{SHARED_NEW_EUROPE} is absent: the slice cannot be regenerated here")
    outs = [tmp_path / "one.jsonl.gz", tmp_path / "two.jsonl.gz"]
    for out in outs:
        run = subprocess.run([sys.executable, str(SCRIPT), "--out", str(out)], capture_output=True, text=True, timeout=300)
        assert run.returncode == 0, run.stderr
    assert outs[0].read_bytes() == outs[1].read_bytes(), "two runs of the script differ"
    assert outs[0].read_bytes() == SLICE.read_bytes(), (
        "tools/make_demo_corpus.py no longer reproduces corpus_data/demo/new_europe.jsonl.gz: "
        "rerun it and commit the result, or restore the script")


# ----- the real corpus_data/ folder, ingested as `make run` does


@pytest.fixture(scope="module")
def bundled(tmp_path_factory: pytest.TempPathFactory) -> tuple[IngestReport, Settings]:
    tmp = tmp_path_factory.mktemp("bundled")
    settings = Settings.from_env(environ={}, index_dir=tmp / "index", data_dir=DATA, ingest_procs=2)
    return ingest([DATA], settings, progress=False), settings


@pytest.fixture(scope="module")
def bundled_service(bundled: tuple[IngestReport, Settings]) -> SearchBackend:
    return open_backend(bundled[1])


@pytest.fixture
def bundled_client(bundled: tuple[IngestReport, Settings]) -> Iterator[object]:
    with create_app(bundled[1]).test_client() as client:
        yield client


def test_ingest_of_corpus_data_reads_everything_and_balances(bundled):
    report, _ = bundled
    assert report.exit_code == 0, report.summary()
    assert report.reconciliation["balanced"], report.summary()
    assert report.reconciliation == {"inputs": 601, "indexed": 601, "duplicate": 0, "rejected": 0, "balanced": True}
    assert report.documents == 601


def test_the_demos_readme_and_licence_are_ignored_not_indexed(bundled, bundled_service):
    report, _ = bundled
    ignored = {item["origin"] for item in report.ignored_items}
    assert {"demo/README.md", "demo/LICENSE"} <= ignored
    for word in ("Permission is hereby granted", "tools/make_demo_corpus.py"):
        assert bundled_service.search(SearchRequest(q=f'"{word}"')).total == 0


def test_bundled_corpus_has_hundreds_of_articles_many_authors_and_every_year(bundled_service):
    stats = bundled_service.stats()
    assert stats.documents >= 600
    assert stats.authors >= 50
    assert stats.date_span[0].startswith("1916-") and stats.date_span[1].startswith("1920-")
    counts = {b.period: b.count for b in stats.timeline.buckets}
    for year in ("1916", "1917", "1918", "1919", "1920"):
        assert counts.get(year, 0) > 0, f"no article dated {year} in the timeline: {counts}"
    assert stats.facets["source"].values[0].value == "The New Europe"
    assert stats.regions >= 30


def test_putin_finds_only_the_sample_article(bundled_service):
    result = bundled_service.search(SearchRequest(q="Putin"))
    assert result.total == 1
    [hit] = result.hits
    assert hit.title == SAMPLE_TITLE
    assert hit.authors == ["Paul Goble"]
    assert hit.id == SAMPLE.stem


def test_demo_authors_are_people_not_placeholders(bundled_service):
    listing = bundled_service.authors(per_page=200)
    names = {a.name for a in listing.authors}
    assert listing.total == len(names) >= 50
    assert {"R. W. Seton-Watson", "A. F. Whyte", "Paul Goble"} <= names
    assert not {n for n in names if n.lower().replace(" ", "_") in ("not_signed", "unsigned")}
    # author_norm gives one spelling per person: the printed initials are not separate authors.
    assert not names & {"A. F. W.", "R. W. S.-W.", "R. W. S. W.", "G. G."}


def test_demo_texts_read_as_the_package_wrote_them(bundled_service):
    result = bundled_service.search(SearchRequest(q='"new europe" maps', facets=("region", "category")))
    titles = [h.title for h in result.hits]
    assert '"The New Europe" Maps.' in titles  # CSV-doubled quotes undone
    categories = {v.value for v in result.facets["category"].values}
    assert categories <= {"article", "note", "review", "letter"}


# ----- the home page and the searches it suggests


def test_home_page_says_what_the_demo_is_and_links_to_searches_that_show_it(bundled_client):
    html = bundled_client.get("/").get_data(as_text=True)
    assert "The New Europe" in html and "1916" in html and "Putin" in html
    assert "no dated articles" not in html
    assert html.count('class="bar"') >= 5  # a bar per year
    section = html[html.index('class="demo"'):]
    section = section[: section.index("</section>")]
    links = [u.replace("&amp;", "&") for u in re.findall(r'href="([^"]+)"', section)]
    assert len(links) >= 6
    assert "/authors/r-w-seton-watson" in links
    for link in links:
        assert not re.search(r"concordance|distinctive|keywords", link)
        page = bundled_client.get(link)
        assert page.status_code == 200, link
        body = page.get_data(as_text=True)
        if urlsplit(link).path == "/search":
            api = bundled_client.get("/api" + link).get_json()
            assert api["total"] >= 1, link
            if "Putin" not in link:
                assert api["total"] >= 10, link
                assert len(api["facets"]["author"]) >= 3, link
                assert sum(1 for b in api["timeline"]["buckets"] if b["count"]) >= 3, link
            if "Putin" in link:
                continue  # the sample article is undated: no timeline
        assert 'class="bar"' in body, f"{link} shows no timeline"


def test_example_search_in_the_readme_shows_the_demo(bundled_client):
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    match = re.search(r"try http://127\.0\.0\.1:8000(/search\?[^)\s,]+)", readme)
    assert match, "the README's first example search is missing"
    api = bundled_client.get("/api" + match.group(1)).get_json()
    assert api["total"] >= 20
    assert len(api["facets"]["author"]) >= 5 and len(api["facets"]["region"]) >= 5
    assert {b["period"] for b in api["timeline"]["buckets"] if b["count"]} >= {"1916", "1917", "1918", "1919", "1920"}


def test_home_page_of_another_corpus_says_nothing_of_the_demo(mini_client):
    html = mini_client.get("/").get_data(as_text=True)
    assert "The New Europe" not in html and 'class="demo"' not in html
