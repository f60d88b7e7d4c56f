"""The real corpora in ../shared/corpora, read and normalised record by record (no index is built).

Skipped, with the reason, when the folder is absent (a fresh clone has no ../shared).
"""

from __future__ import annotations

import json
import statistics
from collections import Counter
from pathlib import Path

import pytest

from corpus.documents import Article, RawRecord, is_valid_id
from corpus.normalize import to_article
from corpus.readers import discover, is_control_file, read_file
from corpus.readers.base import Skipped

# ../shared/corpora beside the project root (not imported from conftest, whose name tests/browser may shadow).
SHARED_CORPORA = Path(__file__).resolve().parents[2] / "shared" / "corpora"
pytestmark = [
    pytest.mark.corpora,
    pytest.mark.skipif(not SHARED_CORPORA.is_dir(), reason=f"real corpora not found at {SHARED_CORPORA}"),
]
REUTERS = SHARED_CORPORA / "reuters21578" / "reuters21578.jsonl"
BBC = SHARED_CORPORA / "bbc"
NEW_EUROPE = SHARED_CORPORA / "new_europe" / "tne_articles.jsonl"


def read_all(root: Path, mapping: dict[str, str] | None = None) -> tuple[list[Article], list[Skipped]]:
    if not root.exists():
        pytest.skip(f"{root} not found")
    articles: list[Article] = []
    skipped: list[Skipped] = []
    for path in discover(root):
        if is_control_file(path):
            continue
        for item in read_file(path, root):
            if isinstance(item, RawRecord):
                articles.append(to_article(item, mapping))
            else:
                skipped.append(item)
    return articles, skipped


@pytest.fixture(scope="module")
def reuters() -> list[Article]:
    articles, skipped = read_all(REUTERS)
    assert skipped == []
    return articles


@pytest.fixture(scope="module")
def bbc() -> tuple[list[Article], list[Skipped]]:
    return read_all(BBC)


@pytest.fixture(scope="module")
def new_europe() -> list[Article]:
    articles, skipped = read_all(NEW_EUROPE, {"title": "article"})
    assert skipped == []
    return articles


def test_reuters_every_record_is_read_with_a_unique_usable_id(reuters: list[Article]):
    assert len(reuters) == 21578
    ids = [a.id for a in reuters]
    assert len(set(ids)) == 21578 and all(is_valid_id(i) for i in ids)
    assert ids[0] == "reuters-1" and reuters[0].origin == "reuters21578.jsonl:1"


def test_reuters_dates_fall_in_1987(reuters: list[Article]):
    assert Counter(a.date.year if a.date else None for a in reuters) == {1987: 21578}
    assert all(a.date is not None and a.date.utcoffset() is not None and not a.date.utcoffset() for a in reuters)


def test_reuters_regions_are_canonical_country_names(reuters: list[Article]):
    counts = Counter(r for a in reuters for r in a.region)
    for name in ("United States", "Japan", "United Kingdom", "West Germany", "Soviet Union", "South Korea", "Hong Kong"):
        assert counts[name] > 0, name
    # No raw Reuters place codes ("usa", "west-germany", "uk") survive as facet values.
    assert [r for r in counts if r != r.strip() or not r[0].isupper()] == []
    explicit = [a for a in reuters if a.region and not a.region_inferred]
    assert len(explicit) == 21578 - 2780


def test_reuters_bodies_read_as_paragraphs_not_70_column_fragments(reuters: list[Article]):
    bodies = [a for a in reuters if a.body]
    assert all("\n\n\n" not in a.body and "\n" not in a.body.replace("\n\n", "") for a in bodies)
    lengths = [len(p) for a in bodies for p in a.paragraphs]
    assert statistics.median(lengths) > 100  # 70-column fragments would put the median under 70
    first = reuters[0]
    assert first.paragraphs[0] == (
        "Showers continued throughout the week in the Bahia cocoa zone, alleviating the drought since early "
        "January and improving prospects for the coming temporao, although normal humidity levels have not "
        "been restored, Comissaria Smith said in its weekly review."
    )
    assert first.paragraphs[1] == "The dry period means the temporao will be late this year."


def test_reuters_capital_titles_are_readable_and_keep_their_words(reuters: list[Article]):
    first = reuters[0]
    assert first.title == "Bahia Cocoa Review" and first.extra["title_as_written"] == "BAHIA COCOA REVIEW"
    raw = {}
    with open(REUTERS, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            raw[rec["id"]] = rec["title"]
    for article in reuters:
        assert article.title.split() == raw[article.id].split() or article.title.lower().split() == raw[article.id].lower().split()


def test_reuters_metadata(reuters: list[Article]):
    assert {a.source for a in reuters} == {"Reuters"}
    authors = Counter(n for a in reuters for n in a.authors)
    assert authors["Patti Domm"] >= 20 and not any(n.isupper() and len(n) > 4 for n in authors)
    assert sum(1 for a in reuters if "cocoa" in a.category) > 50
    assert reuters[0].extra["dateline"] == "SALVADOR, Feb 26"


def test_bbc_every_document_is_read(bbc: tuple[list[Article], list[Skipped]]):
    articles, skipped = bbc
    assert skipped == [] and len(articles) == 2225
    assert all(a.title and a.body for a in articles)
    assert all(a.source is None and a.date is None and a.authors == [] for a in articles)  # never invented
    assert len({a.id for a in articles}) == 2225


def test_bbc_sport_199_keeps_its_pound_sign(bbc: tuple[list[Article], list[Skipped]]):
    [article] = [a for a in bbc[0] if a.path == "sport/199.txt"]
    assert "\u00a3" in article.body and "\ufffd" not in article.body + article.title
    assert (BBC / "sport" / "199.txt").read_bytes().count(b"\xa3") == article.body.count("\u00a3") + article.title.count("\u00a3")


def test_bbc_layout_title_line_then_paragraphs(bbc: tuple[list[Article], list[Skipped]]):
    [article] = [a for a in bbc[0] if a.path == "business/001.txt"]
    assert article.title == "Ad sales boost Time Warner profit"
    lines = (BBC / "business" / "001.txt").read_text(encoding="utf-8").split("\n")
    assert article.paragraphs[0] == lines[2].strip()


def test_new_europe_with_its_title_mapping(new_europe: list[Article]):
    assert len(new_europe) == 2128 and all(a.title for a in new_europe)
    first = new_europe[0]
    assert first.title == "Lord Bryce on the Principle of Nationality" and first.id == "doc_0002"
    authors = Counter(n for a in new_europe for n in a.authors)
    assert authors["R. W. Seton-Watson"] >= 25
    assert not any(n.lower().replace(" ", "_") == "not_signed" for n in authors)
    assert sum(1 for a in new_europe if not a.authors) == 1095  # every Not_signed is unsigned


def test_new_europe_regions_and_categories(new_europe: list[Article]):
    by_id = {a.id: a for a in new_europe}
    assert by_id["doc_0002"].region == ["United Kingdom"]
    counts = Counter(r for a in new_europe for r in a.region)
    assert counts["Russia"] == 264 and counts["Germany"] == 441 and counts["International"] == 29
    assert "ru" not in counts and "de" not in counts
    assert Counter(c for a in new_europe for c in a.category) == {"article": 1442, "note": 411, "review": 266, "letter": 9}


def test_new_europe_text_is_clean(new_europe: list[Article]):
    assert not any('""' in a.body or '""' in a.title for a in new_europe)
    assert 'address on "The Church and International Relations,"' in new_europe[0].body
    # Its "source" field names the converter's input file, not a publication: not used as a source.
    assert {a.source for a in new_europe} == {None}
    assert new_europe[0].extra["source"] == "newEurope_volume01.txt"
    assert {a.date.year for a in new_europe if a.date} == {1916, 1917, 1918, 1919, 1920}
