"""Every reader against tests/fixtures/formats: records, origins, metadata layers and gzip variants."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from corpus.documents import RawRecord
from corpus.normalize import to_article
from corpus.readers import READERS, discover, is_control_file, read_file, reader_for
from corpus.readers.authors import read_authors_file
from corpus.readers.base import Skipped

# Paths from this file, not from conftest: a second conftest module (tests/browser) may shadow its name.
FORMATS = Path(__file__).resolve().parent / "fixtures" / "formats"


def read(path: Path, root: Path = FORMATS) -> list[RawRecord | Skipped]:
    return list(read_file(path, root))


def records(path: Path, root: Path = FORMATS) -> list[RawRecord]:
    items = read(path, root)
    skipped = [i for i in items if isinstance(i, Skipped)]
    assert not skipped, skipped
    return [i for i in items if isinstance(i, RawRecord)]


def articles(path: Path, root: Path = FORMATS, **kw):
    return [to_article(r, **kw) for r in records(path, root)]


def test_every_format_has_a_reader_and_unknown_ones_do_not():
    for name in ("a.txt", "a.md", "a.json", "a.jsonl", "a.ndjson", "a.csv", "a.tsv", "a.html", "a.htm", "A.JSONL.GZ", "a.csv.gz"):
        assert reader_for(Path(name)) is not None, name
    assert reader_for(Path("a.docx")) is None
    assert reader_for(Path("a.json.bz2")) is None
    assert {".jsonl", ".json", ".csv", ".tsv", ".html"} <= set(READERS)


def test_json_lines_records_carry_their_line_and_number():
    recs = records(FORMATS / "articles.jsonl")
    assert [r.origin for r in recs] == ["articles.jsonl:1", "articles.jsonl:2", "articles.jsonl:3"]
    assert [r.recno for r in recs] == [1, 2, 3]
    assert all(r.path == "articles.jsonl" and r.fmt == "jsonl" for r in recs)


def test_json_lines_synonyms_give_every_field():
    wire1, wire2, wire3 = articles(FORMATS / "articles.jsonl")
    assert wire1.id == "wire-001"
    assert wire1.title == "OPEC Agrees to Cut Output"
    assert wire1.extra["title_as_written"] == "OPEC AGREES TO CUT OUTPUT"
    assert wire1.authors == ["Jane Doe", "John Roe"]
    assert wire1.date is not None and wire1.date.isoformat() == "2025-01-14T10:00:00+00:00"
    assert wire1.source == "Example Wire"
    assert wire1.region == ["Saudi Arabia", "Austria"] and not wire1.region_inferred
    assert wire1.url == "https://www.example.com/2025/01/14/opec-cut/"
    assert wire1.category == ["crude", "opec"]
    assert wire1.extra["desk"] == "energy"
    # Hard-wrapped lines join; an indented line starts a paragraph.
    assert wire1.paragraphs == [
        "OPEC ministers agreed on Tuesday to cut output by 500,000 barrels a day, officials said in Vienna.",
        "Saudi Arabia, the largest producer, will take the biggest share of the cut.",
    ]
    assert wire2.authors == ["Alan Smith"]  # case variants of one name are one author
    assert wire2.date is not None and wire2.date.date().isoformat() == "2025-01-15"
    assert wire3.authors == []  # "staff" means unsigned
    assert wire3.date is not None and wire3.date.isoformat() == "2025-01-16T06:30:00+00:00"  # {"$date"} in UTC
    assert wire3.region == ["Argentina"]


def test_json_array_items_get_line_numbers_and_author_bios():
    recs = records(FORMATS / "articles.json")
    assert [r.origin for r in recs] == ["articles.json:2", "articles.json:11"]
    rail, port = (to_article(r) for r in recs)
    assert rail.authors == ["Marie Curiel"]
    assert rail.bios == {"Marie Curiel": "Marie Curiel covers transport for Example Daily."}
    assert rail.region == ["France"]
    assert len(rail.paragraphs) == 2
    assert port.authors == ["Karl Weber", "Anna Lind"]
    assert port.date is not None and port.date.date().isoformat() == "2017-03-01"
    assert port.source == "news.example.org"  # no source field: the URL's domain


def test_json_single_object_is_one_record_with_the_file_as_origin():
    [rec] = records(FORMATS / "single.json")
    assert rec.origin == "single.json" and rec.recno is None
    article = to_article(rec)
    assert article.id == "single.json"
    assert article.date is not None and article.date.isoformat().startswith("1987-04-21T12:17:49.31")


def test_json_object_wrapping_an_array_reads_the_array():
    recs = records(FORMATS / "wrapped.json")
    assert [r.origin for r in recs] == ["wrapped.json:2", "wrapped.json:3"]
    assert [to_article(r).title for r in recs] == ["Ferry service resumes", "Bridge reopens"]
    assert [to_article(r).id for r in recs] == ["wrapped.json-1", "wrapped.json-2"]


def test_csv_rows_with_embedded_newlines_and_doubled_quotes():
    recs = records(FORMATS / "articles.csv")
    assert [r.origin for r in recs] == ["articles.csv:2", "articles.csv:5"]
    tea, quote = (to_article(r) for r in recs)
    assert tea.paragraphs == ["Tea prices climbed at the Mombasa auction.", "Buyers from Pakistan and Egypt were active, brokers said."]
    assert tea.category == ["commodities"]
    assert tea.region == ["Kenya"]
    assert quote.title == 'Quote test: the "fair price" debate'
    assert quote.authors == ["Kofi Mensah", "Ama Owusu"]
    assert quote.region == ["Ghana"]
    assert quote.source is None  # an empty cell is no source
    assert quote.date is not None and quote.date.date().isoformat() == "2025-10-01"
    [_, quote_dayfirst] = (to_article(r, dayfirst=True) for r in recs)
    assert quote_dayfirst.date is not None and quote_dayfirst.date.date().isoformat() == "2025-01-10"


def test_tsv_rows():
    quotas, salmon = articles(FORMATS / "articles.tsv")
    assert quotas.title == "Fishing quotas agreed" and quotas.authors == ["Ingrid Berg"]
    assert quotas.region == ["Norway"] and salmon.region == ["Norway"]


def test_saved_web_page_main_text_and_metadata():
    [page] = articles(FORMATS / "page.html")
    assert page.title == "Harbour expansion approved"
    assert page.authors == ["Maria Novak"]
    assert page.source == "Example Coast News"
    assert page.url == "https://www.coastnews.example.com/2025/01/18/harbour-expansion-approved/"
    assert page.date is not None and page.date.date().isoformat() == "2025-01-18"
    assert page.paragraphs[0].startswith("The city council approved the \u201clong-awaited\u201d expansion")
    # Declared windows-1252: the euro sign and the curly apostrophe come through.
    assert "\u20ac40 million" in page.body and "town\u2019s budget" in page.body
    for furniture in ("Subscribe", "Copyright", "Share this", "analytics", "font-family", "protected"):
        assert furniture not in page.body


def test_plain_text_layouts():
    [bbc] = articles(FORMATS / "bbc-layout.txt")
    assert bbc.title == "Quiet streets in Tallinn"
    assert bbc.paragraphs == ["The old town of Tallinn was quiet on Sunday as residents stayed home.", "Cafes reopened in the afternoon."]
    assert bbc.region == ["Estonia"] and bbc.region_inferred
    [front] = articles(FORMATS / "frontmatter.md")
    assert (front.title, front.authors, front.source) == ("Lessons from the Baltic", ["Maria Novak"], "Example Review")
    assert front.region == ["Estonia", "Latvia", "Lithuania"] and not front.region_inferred
    assert front.category == ["security", "defence"]
    assert front.date is not None and front.date.date().isoformat() == "2024-11-05"
    [header] = articles(FORMATS / "header-block.txt")
    assert (header.title, header.authors, header.source) == ("Snow closes mountain passes", ["Luca Bianchi"], "Example Alpine Post")
    assert header.body.startswith("Heavy snow closed")


def test_folder_defaults_give_source_and_mapping():
    one, two = articles(FORMATS / "mapped" / "records.jsonl")
    assert one.title == "A mapped title" and one.body == "Text that lives in a field named fulltext."
    assert one.extra["title"] == "not the title"  # the unmapped field is kept, not lost
    assert one.source == "The Test Gazette"  # the folder default
    assert two.source == "The New Europe"  # the record's own value wins over the folder's
    assert one.authors == [] and two.authors == ["R. W. Seton-Watson"]
    assert one.region == ["Russia"] and two.region == ["International"]
    assert one.category == ["note"] and two.category == ["article"]


def test_cli_mapping_wins_over_the_folder_mapping():
    [one, _] = articles(FORMATS / "mapped" / "records.jsonl", mapping={"title": "title"})
    assert one.title == "not the title"


def test_sidecar_wins_over_the_record_and_the_folder(tmp_path: Path):
    shutil.copy(FORMATS / "single.json", tmp_path / "single.json")
    (tmp_path / "_folder.yaml").write_text("source: Folder Default\nregion: [de]\n", encoding="utf-8")
    (tmp_path / "single.json.meta.yaml").write_text("source: Sidecar Source\n", encoding="utf-8")
    [article] = articles(tmp_path / "single.json", tmp_path)
    assert article.source == "Sidecar Source"
    assert article.region == ["Brazil"]  # the record's own region beats the folder default


@pytest.mark.parametrize("name", ["articles.jsonl", "articles.json", "single.json", "wrapped.json", "articles.csv",
                                  "articles.tsv", "page.html", "bbc-layout.txt", "frontmatter.md"])
def test_gzip_variant_reads_the_same_records(tmp_path: Path, name: str):
    gz = tmp_path / (name + ".gz")
    gz.write_bytes(gzip.compress((FORMATS / name).read_bytes()))
    plain = [(a.title, a.body, a.authors, a.date, a.region) for a in articles(FORMATS / name)]
    packed = articles(gz, tmp_path)
    assert [(a.title, a.body, a.authors, a.date, a.region) for a in packed] == plain
    # The id ignores the .gz, so compressing a file keeps its documents' ids.
    assert [a.id for a in packed] == [a.id for a in articles(FORMATS / name)]


def test_discover_lists_documents_and_marks_control_files():
    found = [p.relative_to(FORMATS).as_posix() for p in discover(FORMATS)]
    top = sorted(p.name for p in FORMATS.iterdir() if p.is_file())
    assert found == [*top, "mapped/_folder.yaml", "mapped/records.jsonl"]
    assert is_control_file(FORMATS / "mapped" / "_folder.yaml")
    assert not is_control_file(FORMATS / "articles.jsonl")
    assert is_control_file(Path("x.txt.meta.json"))


class _Report:
    def __init__(self) -> None:
        self.items: list[tuple[str, str]] = []

    def skip(self, origin: str, reason: str) -> None:
        self.items.append((origin, reason))


def test_authors_files_in_json_lines_and_csv(tmp_path: Path):
    (tmp_path / "_authors.jsonl").write_text(
        json.dumps({"name": "MARIA NOVAK", "bio": "Writes about the Baltic.", "url": "https://example.org/novak"}) + "\n"
        + "{not json\n" + json.dumps({"bio": "no name"}) + "\n", encoding="utf-8")
    report = _Report()
    got = read_authors_file(tmp_path / "_authors.jsonl", report)
    assert got == {"Maria Novak": {"bio": "Writes about the Baltic.", "url": "https://example.org/novak"}}
    assert [o for o, _ in report.items] == ["_authors.jsonl:2", "_authors.jsonl:3"]
    (tmp_path / "_authors.csv").write_bytes("name,bio,url\r\nJosé Martí,\"Poeta, ensayista.\",\r\n".encode("cp1252"))
    got = read_authors_file(tmp_path / "_authors.csv", _Report())
    assert got == {"José Martí": {"bio": "Poeta, ensayista.", "url": ""}}


def test_authors_file_as_a_json_array(tmp_path: Path):
    (tmp_path / "_authors.json").write_text(json.dumps([{"name": "Ann Lee", "bio": {"text": "Ann writes."}}, {"bio": "x"}]), encoding="utf-8")
    report = _Report()
    assert read_authors_file(tmp_path / "_authors.json", report) == {"Ann Lee": {"bio": "Ann writes.", "url": ""}}
    assert [o for o, _ in report.items] == ["_authors.json:2"]


def test_json_lines_saved_as_json_is_read_line_by_line(tmp_path: Path):
    shutil.copy(FORMATS / "articles.jsonl", tmp_path / "export.json")
    recs = records(tmp_path / "export.json", tmp_path)
    assert [r.origin for r in recs] == ["export.json:1", "export.json:2", "export.json:3"]
    assert [to_article(r).id for r in recs] == ["wire-001", "wire-002", "wire-003"]
    (tmp_path / "two.json").write_text('{"title": "a"} {"title": "b"}', encoding="utf-8")
    [skip] = read(tmp_path / "two.json", tmp_path)
    assert isinstance(skip, Skipped) and skip.origin == "two.json:1" and "extra data" in skip.reason


@pytest.mark.parametrize("fmt", ["jsonl", "csv", "jsonl.gz"])
def test_streaming_formats_read_in_bounded_memory(tmp_path: Path, fmt: str):
    import tracemalloc

    body = "word " * 400
    path = tmp_path / f"big.{fmt}"
    opener = gzip.open if fmt.endswith(".gz") else open
    with opener(path, "wt", encoding="utf-8", newline="") as fh:
        if fmt == "csv":
            fh.write("title,body\r\n")
        for i in range(12_000):  # about 24 MB
            fh.write(f"t{i},{body}\r\n" if fmt == "csv" else json.dumps({"title": f"t{i}", "body": body}) + "\n")
    tracemalloc.start()
    try:
        count = sum(1 for item in read_file(path, tmp_path) if isinstance(item, RawRecord))
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert count == 12_000
    assert peak < 4 * 1024**2  # a few records at a time, never the whole 24 MB


def test_saved_page_without_metadata_invents_none(tmp_path: Path):
    first = "The river rose overnight and the town council met to discuss flood defences along the bank. " * 3
    second = "Residents were asked to move cars away from the quay before the evening high tide arrived. " * 3
    (tmp_path / "bare.html").write_text(
        f"<html><head><title>Local notes</title></head><body><div><p>{first}</p><p>{second}</p></div></body></html>", encoding="utf-8")
    [page] = articles(tmp_path / "bare.html", tmp_path)
    assert page.title == "Local notes" and page.paragraphs == [first.strip(), second.strip()]
    assert (page.authors, page.date, page.source, page.url) == ([], None, None, None)
    assert page.id == "bare.html"


@pytest.mark.parametrize("folder", ["mapping:\n  headline: article\n", "mapping: [title, article]\n", "source: [unclosed\n"])
def test_a_bad_folder_file_names_every_file_below_it(tmp_path: Path, folder: str):
    shutil.copy(FORMATS / "single.json", tmp_path / "single.json")
    (tmp_path / "_folder.yaml").write_text(folder, encoding="utf-8")
    [skip] = read(tmp_path / "single.json", tmp_path)
    assert isinstance(skip, Skipped) and skip.origin == "single.json"
    assert "metadata file" in skip.reason


@pytest.mark.parametrize(("content", "first_line"), [
    ("title;body;author\r\nRegen in Wien;Es regnete den ganzen Tag, sagte der Wetterdienst.;Eva Gruber\r\n", 2),
    ("sep=;\r\ntitle;body;author\r\nRegen in Wien;Es regnete den ganzen Tag, sagte der Wetterdienst.;Eva Gruber\r\n", 3),
    ("title|body|author\nRegen in Wien|Es regnete den ganzen Tag, sagte der Wetterdienst.|Eva Gruber\n", 2),
])
def test_csv_delimiter_is_detected_from_the_header(tmp_path: Path, content: str, first_line: int):
    (tmp_path / "export.csv").write_text(content, encoding="utf-8")
    [rec] = records(tmp_path / "export.csv", tmp_path)
    assert rec.origin == f"export.csv:{first_line}"
    article = to_article(rec)
    assert (article.title, article.authors) == ("Regen in Wien", ["Eva Gruber"])
    assert article.body == "Es regnete den ganzen Tag, sagte der Wetterdienst."
