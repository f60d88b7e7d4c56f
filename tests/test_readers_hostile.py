"""Hostile inputs (tests/fixtures/hostile, plus huge files made at test time): each one is either read
correctly or named with a reason, and never costs a good record in the same file."""

from __future__ import annotations

import gzip
import json
import shutil
from pathlib import Path

import pytest

from corpus.config import Settings
from corpus.ingest import ingest
from corpus.normalize import to_article
from corpus.readers import base, discover, is_control_file, read_file
from corpus.readers.base import MAX_RECORD_BYTES, RawRecord, decode_text

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
    "good.txt": (["good"], {}),
    "invalid-utf8.txt": (["invalid-utf8"], {}),
    "mixed-array.json": (["mix-1", "mix-3"], {"mixed-array.json:3": "array item is a number"}),
    "not-gzip.txt.gz": ([], {"not-gzip.txt.gz": "not a gzipped file"}),
    "notes.xyz": ([], {"notes.xyz": "unsupported file type '.xyz'"}),
    "ragged.csv": (["ragged.csv-1", "ragged.csv-2", "ragged.csv-3"], {
        "ragged.csv:3": "row has 2 fields but the header has 4", "ragged.csv:4": "row has 6 fields but the header has 4"}),
    "scalar.json": ([], {"scalar.json": "holds a string"}),
    "script-only.html": ([], {"script-only.html": "no article text"}),
    "truncated-array.json": (["arr-1"], {"truncated-array.json:3": "rest of the file cannot be read"}),
    "truncated.jsonl": (["trunc-1", "trunc-2"], {"truncated.jsonl:2": "truncated", "truncated.jsonl:4": "truncated"}),
    "utf16-bom.txt": (["utf16-bom"], {}),
    "utf16-nobom.txt": (["utf16-nobom"], {}),
    "whitespace.txt": ([], {"whitespace.txt": "only whitespace"}),
    "wrong-types.jsonl": (["types-1", "types-2", "types-3", "wrong-types.jsonl-4", "types-7"], {
        "wrong-types.jsonl:5": "record is an array", "wrong-types.jsonl:6": "record is a string"}),
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
    names = {p.name for p in discover(HOSTILE) if not is_control_file(p)}
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
    assert "duplicate id" in skipped["dup-b.jsonl:1"]
    # A record with no title and no body is either kept for its metadata or named; never dropped silently.
    textless = 1 if "wrong-types.jsonl:7" in skipped else 0
    good = sum(len(ids) for ids, _ in EXPECTED.values()) - 1 - textless  # less the reused id
    assert report.added == good == report.documents


def test_each_invalid_byte_is_read_as_windows_1252_and_valid_utf8_around_it_is_kept():
    text, encoding = decode_text("ok \u2019 ".encode() + b"\x93q\x94 \xe2\x80 cut \x81 undefined")
    assert text == "ok \u2019 \u201cq\u201d \u00e2\u20ac cut \x81 undefined" and encoding == "cp1252"
    assert decode_text("plain caf\u00e9".encode()) == ("plain caf\u00e9", "utf-8")
    assert decode_text(b"\xef\xbb\xbfbom") == ("bom", "utf-8-sig")
