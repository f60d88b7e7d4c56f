"""Hostile inputs (tests/fixtures/hostile, plus huge files made at test time): each one is either read
correctly or named with a reason, and never costs a good record in the same file."""

from __future__ import annotations

import gzip
import json
import os
import shutil
from pathlib import Path

import pytest

from corpus.config import Settings
from corpus.documents import RawRecord
from corpus.ingest import EXIT_SKIPPED, ingest
from corpus.normalize import to_article
from corpus.readers import base, discover, is_control_file, read_file
from corpus.readers.base import MAX_RECORD_BYTES, decode_text

# Paths from this file, not from conftest: a second conftest module (tests/browser) may shadow its name.
HOSTILE = Path(__file__).resolve().parent / "fixtures" / "hostile"

# file -> (ids of the records read, {origin: words the skip reason must contain})
EXPECTED: dict[str, tuple[list[str], dict[str, str]]] = {
    "binary.txt": ([], {"binary.txt": "binary"}),
    "cp1252-quotes.txt": (["cp1252-quotes"], {}),
    "deep.json": ([], {"deep.json:1": "nested too deeply"}),
    "deep.jsonl": (["deep-good-1", "deep-good-2"], {"deep.jsonl:2": "nested too deeply"}),
    "dup-a.jsonl": (["same-id"], {}),
    "dup-b.jsonl": (["same-id", "dup-b-own"], {}),
    "empty.txt": ([], {"empty.txt": "empty file"}),
    "entities.html": ([], {"entities.html": "declares its own entities"}),
    "good.txt": (["good"], {}),
    "huge-numbers.jsonl": (["num-1", "num-2", "num-3", "num-4", "num-5"], {}),
    "invalid-utf8.txt": (["invalid-utf8"], {}),
    "laughs.txt": ([], {"laughs.txt": "YAML front matter: YAML alias"}),
    "laughs-sidecar.txt": ([], {"laughs-sidecar.txt": "unreadable metadata file: YAML alias"}),
    "laughs-folder/inside.txt": ([], {"laughs-folder/inside.txt": "aliases can expand without bound"}),
    "mixed-array.json": (["mix-1", "mix-3"], {"mixed-array.json:3": "array item is a number"}),
    "not-gzip.txt.gz": ([], {"not-gzip.txt.gz": "not a gzipped file"}),
    "notes.xyz": ([], {"notes.xyz": "unsupported file type '.xyz'"}),
    "ragged.csv": (["ragged.csv-1", "ragged.csv-2", "ragged.csv-3"], {
        "ragged.csv:3": "row has 2 fields but the header has 4", "ragged.csv:4": "row has 6 fields but the header has 4"}),
    "scalar.json": ([], {"scalar.json": "holds a string"}),
    "script-only.html": ([], {"script-only.html": "no article text"}),
    # Read, but rejected by the ingest (INGEST_SKIPS): their text cannot be written as UTF-8.
    "surrogate.jsonl": (["sur-good-1", "sur-bad", "sur-bad-2", "sur-good-2"], {}),
    "truncated-array.json": (["arr-1"], {"truncated-array.json:3": "rest of the file cannot be read"}),
    "truncated.jsonl": (["trunc-1", "trunc-2"], {"truncated.jsonl:2": "truncated", "truncated.jsonl:4": "truncated"}),
    "utf16-bom.txt": (["utf16-bom"], {}),
    "utf16-nobom.txt": (["utf16-nobom"], {}),
    "whitespace.txt": ([], {"whitespace.txt": "only whitespace"}),
    "wrong-types.jsonl": (["types-1", "types-2", "types-3", "wrong-types.jsonl-4", "types-7"], {
        "wrong-types.jsonl:5": "record is an array", "wrong-types.jsonl:6": "record is a string"}),
}


# Records the readers read but the ingest rejects, with words its reason must contain.
INGEST_SKIPS = {
    "dup-b.jsonl:1": "duplicate id",
    "surrogate.jsonl:2": "field 'title' holds text that is not valid unicode",
    "surrogate.jsonl:3": "field 'tags' holds text that is not valid unicode",
}


def outcome(path: Path, root: Path) -> tuple[list[str], dict[str, str]]:
    ids, skips = [], {}
    for item in read_file(path, root):
        if isinstance(item, RawRecord):
            ids.append(to_article(item).id)
        else:
            skips[item.origin] = item.reason
    return ids, skips


def test_the_table_covers_every_hostile_file():
    names = {p.relative_to(HOSTILE).as_posix() for p in discover(HOSTILE) if not is_control_file(p)}
    assert names == set(EXPECTED)


@pytest.mark.parametrize("name", sorted(EXPECTED))
def test_each_hostile_file_is_read_or_named(name: str):
    ids, skips = outcome(HOSTILE / name, HOSTILE)
    want_ids, want_skips = EXPECTED[name]
    assert ids == want_ids
    assert set(skips) == set(want_skips), skips
    for origin, words in want_skips.items():
        assert words.lower() in skips[origin].lower(), (origin, skips[origin])


def text_of(name: str):
    [item] = read_file(HOSTILE / name, HOSTILE)
    assert isinstance(item, RawRecord)
    return to_article(item)


def test_invalid_utf8_keeps_its_latin1_pound_and_its_utf8_characters():
    article = text_of("invalid-utf8.txt")
    assert article.body == "Tickets now cost \u00a345, up from \u00a340, said the club\u2019s chairman."


def test_windows_1252_smart_quotes_dashes_and_euro():
    article = text_of("cp1252-quotes.txt")
    assert article.title == "Minister \u201cconfident\u201d on budget"
    assert "\u201cconfident\u201d \u2013 despite a \u20ac200m shortfall \u2014 that" in article.body


def test_utf16_with_and_without_a_byte_order_mark():
    assert text_of("utf16-bom.txt").title == "Z\u00fcrich caf\u00e9 reopens"
    assert "cr\u00e8me br\u00fbl\u00e9e" in text_of("utf16-bom.txt").body
    assert text_of("utf16-nobom.txt").title == "Plain UTF-16 without a mark"


def test_wrong_types_are_read_gracefully_and_kept_as_metadata():
    items = [i for i in read_file(HOSTILE / "wrong-types.jsonl", HOSTILE) if isinstance(i, RawRecord)]
    one, two, three, four, seven = (to_article(i) for i in items)
    assert one.authors == [] and one.date is None
    assert one.extra["author"] == 12345 and json.loads(one.extra["date"]) == {"when": "yesterday"}
    assert two.title == "Title given as a list" and two.body == "Body given as an object."
    assert two.date is not None and two.date.isoformat() == "2025-01-14T10:00:00+00:00"
    assert two.region == ["Russia"]  # ISO numeric code 643
    assert three.authors == ["Olga Petrova"] and three.bios == {"Olga Petrova": "Olga Petrova writes about Russia."}
    assert three.date is not None and three.date.date().isoformat() == "2024-02-29"
    assert three.source is None and three.extra["source"] == 7
    assert three.url is None  # javascript: is never a link
    assert four.id == "wrong-types.jsonl-4" and four.extra["id"] is True
    assert json.loads(four.extra["tags"]) == {"a": {"b": [1, 2, {"c": None}]}}
    assert seven.title == "" and seven.body == ""  # the ingest names it: no title and no body


def test_twenty_megabyte_single_line_files_are_named_not_indexed(tmp_path: Path):
    line = b"word " * (4 * 1024 * 1024)  # 20 MB, no newline
    (tmp_path / "huge.txt").write_bytes(line)
    good = json.dumps({"id": "ok-1", "title": "Fine", "body": "A normal record."}).encode()
    (tmp_path / "huge.jsonl").write_bytes(good + b"\n" + b'{"body": "' + line + b'"}\n' + good.replace(b"ok-1", b"ok-2") + b"\n")
    (tmp_path / "huge.csv").write_bytes(b"title,body\nFine,A normal row.\nHuge," + line + b"\nAlso fine,Another row.\n")
    ids, skips = outcome(tmp_path / "huge.txt", tmp_path)
    assert ids == [] and "larger than 8 MB" in skips["huge.txt"]
    ids, skips = outcome(tmp_path / "huge.jsonl", tmp_path)
    assert ids == ["ok-1", "ok-2"]
    assert list(skips) == ["huge.jsonl:2"] and "20,971,5" in skips["huge.jsonl:2"]
    ids, skips = outcome(tmp_path / "huge.csv", tmp_path)
    assert ids == ["huge.csv-1", "huge.csv-2"] and list(skips) == ["huge.csv:3"]
    assert str(MAX_RECORD_BYTES // 1024**2) in skips["huge.csv:3"]


def _bomb(path: Path, member: bytes, copies: int) -> None:
    # Concatenated gzip members are one valid gzip stream: a tiny file that expands enormously.
    packed = gzip.compress(member, compresslevel=9)
    with open(path, "wb") as fh:
        for _ in range(copies):
            fh.write(packed)


def test_gzip_bomb_is_refused_after_the_limit_and_good_records_before_it_stay(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    monkeypatch.setattr(base, "MAX_DECOMPRESSED_BYTES", 32 * 1024**2)
    head = json.dumps({"id": "before-bomb", "title": "Read first", "body": "Before the padding."}).encode() + b"\n"
    packed_head = gzip.compress(head)
    (tmp_path / "bomb.jsonl.gz").write_bytes(b"")
    _bomb(tmp_path / "pad.gz", (b" " * (1024**2 - 1) + b"\n") * 16, 64)  # 1 GB of blank lines
    (tmp_path / "bomb.jsonl.gz").write_bytes(packed_head + (tmp_path / "pad.gz").read_bytes())
    (tmp_path / "pad.gz").unlink()
    assert (tmp_path / "bomb.jsonl.gz").stat().st_size < 2 * 1024**2
    ids, skips = outcome(tmp_path / "bomb.jsonl.gz", tmp_path)
    assert ids == ["before-bomb"]
    assert list(skips) == ["bomb.jsonl.gz"] and "gzip bomb" in skips["bomb.jsonl.gz"]
    _bomb(tmp_path / "bomb.txt.gz", b"a" * (16 * 1024**2), 64)
    ids, skips = outcome(tmp_path / "bomb.txt.gz", tmp_path)
    assert ids == [] and "larger than 8 MB" in skips["bomb.txt.gz"]


def test_truncated_gzip_is_named_after_its_good_lines(tmp_path: Path):
    lines = b"".join(json.dumps({"id": f"g{i}", "title": f"T{i}", "body": "x " * 50}).encode() + b"\n" for i in range(2000))
    packed = gzip.compress(lines)
    (tmp_path / "cut.jsonl.gz").write_bytes(packed[: len(packed) // 2])
    ids, skips = outcome(tmp_path / "cut.jsonl.gz", tmp_path)
    assert 0 < len(ids) < 2000 and ids == [f"g{i}" for i in range(len(ids))]
    assert list(skips) == ["cut.jsonl.gz"] and "truncated" in skips["cut.jsonl.gz"]


def test_ingesting_the_hostile_corpus_names_every_bad_input_and_keeps_every_good_document(tmp_path: Path):
    data = tmp_path / "data"
    shutil.copytree(HOSTILE, data)
    settings = Settings.from_env(environ={}, index_dir=tmp_path / "index", ingest_procs=1)
    report = ingest([data], settings, progress=False)
    assert report.exit_code == 3
    skipped = {item["origin"]: item["reason"] for item in report.skipped_items}
    for name, (_, want_skips) in EXPECTED.items():
        for origin in want_skips:
            assert origin in skipped, (name, origin)
    for origin, words in INGEST_SKIPS.items():
        assert words in skipped[origin].lower(), (origin, skipped[origin])
    # A record with no title and no body is either kept for its metadata or named; never dropped silently.
    textless = 1 if "wrong-types.jsonl:7" in skipped else 0
    good = sum(len(ids) for ids, _ in EXPECTED.values()) - len(INGEST_SKIPS) - textless
    assert report.added == good == report.documents


def test_each_invalid_byte_is_read_as_windows_1252_and_valid_utf8_around_it_is_kept():
    text, encoding = decode_text("ok \u2019 ".encode() + b"\x93q\x94 \xe2\x80 cut \x81 undefined")
    assert text == "ok \u2019 \u201cq\u201d \u00e2\u20ac cut \x81 undefined" and encoding == "cp1252"
    assert decode_text("plain caf\u00e9".encode()) == ("plain caf\u00e9", "utf-8")
    assert decode_text(b"\xef\xbb\xbfbom") == ("bom", "utf-8-sig")


def test_huge_numbers_leave_an_article_undated_and_are_kept_as_written():
    items = [i for i in read_file(HOSTILE / "huge-numbers.jsonl", HOSTILE) if isinstance(i, RawRecord)]
    articles = [to_article(i) for i in items]
    assert [a.date for a in articles] == [None] * 5
    assert articles[0].extra["date"] == 1e300 and articles[1].extra["date"] == 99999999999999999999


def _hostile_tree(tmp_path: Path) -> tuple[Path, Path]:
    """The hostile fixtures plus what cannot be stored in git: names that are not UTF-8, links, a pipe."""
    data = tmp_path / "data"
    shutil.copytree(HOSTILE, data)
    outside = tmp_path / "outside"
    (outside / "folder").mkdir(parents=True)
    (outside / "secret.txt").write_text("Title: Outside the corpus\n\nA file no link should bring in unasked.\n")
    (outside / "folder" / "more.txt").write_text("Title: Also outside\n\nA folder no link should bring in unasked.\n")
    raw = os.fsencode(data)
    (Path(os.fsdecode(raw + b"/\xff-name.txt"))).write_bytes(b"Title: A name that is not UTF-8\n\nStill an article.\n")
    os.mkdir(raw + b"/caf\xe9")
    (Path(os.fsdecode(raw + b"/caf\xe9/story.txt"))).write_bytes(b"Title: In a Latin-1 folder\n\nAlso an article.\n")
    (data / "link-out.txt").symlink_to(outside / "secret.txt")
    (data / "link-out-folder").symlink_to(outside / "folder")
    (data / "link-in-folder").symlink_to(data / "laughs-folder")
    (data / "loop").symlink_to(data / "loop")
    (data / "broken.txt").symlink_to(tmp_path / "missing.txt")
    (data / "laughs-folder" / "back-to-top").symlink_to(data)
    os.mkfifo(data / "pipe.txt")
    return data, outside


# What the generated inputs must give: origin -> words of the reason, by the report section it is in.
GENERATED_SKIPS = {
    "link-out.txt": "outside the folders being ingested; not followed (use --follow-links",
    "link-out-folder": "outside the folders being ingested; not followed",
    "loop": "a loop of symbolic links",
    "broken.txt": "a broken symbolic link",
    "pipe.txt": "not a regular file",
}
GENERATED_IGNORED = {"link-in-folder": "read under its own name", "laughs-folder/back-to-top": "read under its own name"}
GENERATED_IDS = {"xff-name", "caf-xe9-story"}


def test_a_hostile_corpus_exits_3_names_every_bad_input_and_indexes_every_good_one(tmp_path: Path):
    """The acceptance test of issue 12: one input of each bad kind among good ones."""
    data, _ = _hostile_tree(tmp_path)
    settings = Settings.from_env(environ={}, index_dir=tmp_path / "index", ingest_procs=2)
    report = ingest([data], settings, progress=False)
    assert report.exit_code == EXIT_SKIPPED
    skipped = {item["origin"]: item["reason"] for item in report.skipped_items}
    wanted = {origin: words for _, skips in EXPECTED.values() for origin, words in skips.items()}
    wanted.update(INGEST_SKIPS)
    wanted.update(GENERATED_SKIPS)
    assert set(skipped) == set(wanted), set(skipped) ^ set(wanted)
    for origin, words in wanted.items():
        assert words.lower() in skipped[origin].lower(), (origin, skipped[origin])
    ignored = {item["origin"]: item["reason"] for item in report.ignored_items}
    for origin, words in GENERATED_IGNORED.items():
        assert words in ignored[origin]
    assert {n["origin"] for n in report.notes} == {"\\xff-name.txt", "caf\\xe9/story.txt"}
    # Every good record is indexed: the readers' records, less the ingest's rejections, plus the generated ones.
    textless = 1 if "wrong-types.jsonl:7" in skipped else 0
    good = sum(len(ids) for ids, _ in EXPECTED.values()) - len(INGEST_SKIPS) - textless + len(GENERATED_IDS)
    assert report.added == good == report.documents
    rec = report.reconciliation
    assert rec["balanced"] and rec["inputs"] == rec["indexed"] + rec["duplicate"] + rec["rejected"], rec
    assert rec["rejected"] == len(wanted)
    from corpus.engines import open_backend

    svc = open_backend(settings)
    for doc_id in GENERATED_IDS | {"sur-good-1", "sur-good-2", "num-3"}:
        assert svc.article(doc_id).id == doc_id
    # Nothing in the report or its saved copy leaks Python's internals.
    saved = (settings.index_dir / "last-ingest.json").read_text(encoding="utf-8")
    for leak in ("Error", "Traceback", "invalid literal", "list index out of range", "codec can't"):
        assert leak not in saved and leak not in report.summary(), leak
    # Run again unchanged: the same names, nothing lost, and it still balances.
    again = ingest([data], settings, progress=False)
    assert again.removed == 0 and again.documents == report.documents and again.reconciliation["balanced"]


def test_follow_links_reads_what_links_lead_to_and_still_ends_loops(tmp_path: Path):
    data, _ = _hostile_tree(tmp_path)
    settings = Settings.from_env(environ={}, index_dir=tmp_path / "index", ingest_procs=1)
    report = ingest([data], settings, progress=False, follow_links=True)
    skipped = {item["origin"]: item["reason"] for item in report.skipped_items}
    assert "link-out.txt" not in skipped and "link-out-folder" not in skipped
    assert "loop" in skipped and "broken.txt" in skipped
    from corpus.engines import open_backend

    svc = open_backend(settings)
    assert svc.article("link-out").title == "Outside the corpus"
    assert svc.article("link-out-folder-more").title == "Also outside"
    assert report.reconciliation["balanced"]


def test_every_hostile_reason_is_plain_words():
    for _, skips in EXPECTED.values():
        for words in skips.values():
            assert "Error" not in words
