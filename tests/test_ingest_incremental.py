"""Incremental ingest stays right when originals of duplicates change, folders cannot be read, or
the disk fills; its report agrees with `corpus stats`; its cost follows what changed."""

from __future__ import annotations

import errno
import json
import os
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpus import indexdir
from corpus.cli import main as cli
from corpus.config import Settings
from corpus.engines import open_backend
from corpus.ingest import EXIT_SKIPPED, ingest
from corpus.readers import base
from corpus.search import SearchRequest
from support import FIXTURES, REUTERS_DIR, ROOT, copy_corpus, make_settings, write_corpus

SAME = "Title: Same story\n\nThe same words in the same order.\n"


def article_ids(settings) -> set[str]:
    result = open_backend(settings).search(SearchRequest(per_page=100, sort="newest", facets=()))
    assert result.total <= 100
    return {hit.id for hit in result.hits}


def cli_stats(settings) -> dict:
    """`corpus stats --json` through the real command line, in its own process."""
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run([sys.executable, "-m", "corpus.cli", "--index-dir", str(settings.index_dir), "stats", "--json"],
                         capture_output=True, text=True, env=env, check=True, timeout=120)
    return json.loads(out.stdout)


def test_editing_the_original_of_a_duplicate_keeps_the_copy_indexed(tmp_path):
    data, settings = write_corpus(tmp_path, {"a.txt": SAME, "b.txt": SAME})
    ingest([data], settings, progress=False)
    assert article_ids(settings) == {"a"}
    (data / "a.txt").write_text("Title: Same story\n\nOther words now.\n")
    report = ingest([data], settings, progress=False)
    assert article_ids(settings) == {"a", "b"}
    assert (report.added, report.updated, report.duplicate) == (1, 1, 0)
    assert report.reconciliation["balanced"]
    # And the next run, with nothing changed, keeps both.
    again = ingest([data], settings, progress=False)
    assert (again.added, again.removed, again.duplicate) == (0, 0, 0)
    assert article_ids(settings) == {"a", "b"}


def test_files_read_again_keep_the_same_original_of_every_duplicate(tmp_path):
    # Files whose signature changed are read again, and so are the files whose duplicates point
    # into them. Read in another order than the first run read them, a copy could be read before
    # its original and take its place (one added, one removed, and an article's id changing, for
    # text that did not change).
    def line(doc_id: str, words: str) -> str:
        return json.dumps({"id": doc_id, "title": words.capitalize(), "body": f"{words}. " * 12, "date": "2020-05-01"})

    data, settings = write_corpus(tmp_path, {
        "f0.jsonl": line("x", "the x story") + "\n",
        "f1.jsonl": line("a", "the a story") + "\n" + line("x-copy", "the x story") + "\n",
        "f2.jsonl": line("a-copy", "the a story") + "\n",
    })
    first = ingest([data], settings, progress=False)
    assert article_ids(settings) == {"x", "a"} and first.duplicate == 2
    for n in range(2):
        for name in ("f0.jsonl", "f2.jsonl"):  # touched, not edited: read again
            os.utime(data / name, ns=(time.time_ns(), time.time_ns() + n + 1))
        again = ingest([data], settings, progress=False)
        assert again.files_unchanged == 0
        assert (again.added, again.updated, again.removed, again.duplicate) == (0, 0, 0, 2)
        assert article_ids(settings) == {"x", "a"}
        assert {d["id"]: d["duplicate_of"] for d in again.duplicate_items} == {"x-copy": "x", "a-copy": "a"}


def test_a_file_with_skipped_records_is_not_read_again_while_unchanged(tmp_path):
    # Its skips are reported again from the manifest, so an unchanged corpus with a few bad records
    # is not read again on every run; an edit, or --rebuild, reads it again.
    good = json.dumps({"id": "g", "title": "Good", "body": "A good article about grain. " * 8})
    data, settings = write_corpus(tmp_path, {"a.jsonl": "{not json\n" + good + "\n",
                                             "b.jsonl": json.dumps({"id": "b", "title": "B", "body": "Bee words. " * 9}) + "\n"})
    first = ingest([data], settings, progress=False)
    assert first.exit_code == EXIT_SKIPPED and [i["origin"] for i in first.skipped_items] == ["a.jsonl:1"]
    again = ingest([data], settings, progress=False)
    assert (again.files_unchanged, again.records_seen, again.skipped, again.skips_carried) == (2, 0, 1, 1)
    assert again.skipped_items == first.skipped_items and again.exit_code == EXIT_SKIPPED
    assert again.reconciliation["balanced"] and again.reconciliation["rejected"] == 0
    assert article_ids(settings) == {"g", "b"}
    (data / "a.jsonl").write_text(good + "\n{still not json\n{nor this\n", encoding="utf-8")
    edited = ingest([data], settings, progress=False)
    assert edited.records_seen == 1 and [i["origin"] for i in edited.skipped_items] == ["a.jsonl:2", "a.jsonl:3"]
    assert edited.skips_carried == 0 and edited.reconciliation["balanced"]
    carried = ingest([data], settings, progress=False)
    assert [i["origin"] for i in carried.skipped_items] == ["a.jsonl:2", "a.jsonl:3"] and carried.records_seen == 0
    rebuilt = ingest([data], settings, rebuild=True, progress=False)
    assert rebuilt.records_seen == 2 and rebuilt.skips_carried == 0 and len(rebuilt.skipped_items) == 2
    assert article_ids(settings) == {"g", "b"}


def test_deleting_the_original_of_a_duplicate_keeps_the_copy_indexed(tmp_path):
    data, settings = write_corpus(tmp_path, {"a.txt": SAME, "b.txt": SAME, "c.txt": "Title: C\n\nOther.\n"})
    ingest([data], settings, progress=False)
    (data / "a.txt").unlink()
    report = ingest([data], settings, progress=False)
    assert article_ids(settings) == {"b", "c"}
    assert (report.added, report.removed, report.duplicate) == (1, 1, 0)
    assert ingest([data], settings, progress=False).removed == 0
    assert article_ids(settings) == {"b", "c"}


def test_renaming_the_original_of_a_duplicate_keeps_one_copy_indexed(tmp_path):
    data, settings = write_corpus(tmp_path, {"a.txt": SAME, "b.txt": SAME})
    ingest([data], settings, progress=False)
    (data / "a.txt").rename(data / "z.txt")  # sorts after the copy
    report = ingest([data], settings, progress=False)
    ids = article_ids(settings)
    assert len(ids) == 1 and ids <= {"b", "z"}
    assert report.duplicate == 1 and report.reconciliation["balanced"]
    again = ingest([data], settings, progress=False)
    assert article_ids(settings) == ids and again.duplicate == 1


def test_editing_the_original_inside_one_jsonl_file_keeps_the_copy(tmp_path):
    line = {"title": "Twice", "body": "The same record twice."}
    data, settings = write_corpus(tmp_path, {"r.jsonl": json.dumps({"id": "one", **line}) + "\n"
                                             + json.dumps({"id": "two", **line}) + "\n"})
    ingest([data], settings, progress=False)
    assert article_ids(settings) == {"one"}
    (data / "r.jsonl").write_text(json.dumps({"id": "one", "title": "Edited", "body": "New."}) + "\n"
                                  + json.dumps({"id": "two", **line}) + "\n")
    ingest([data], settings, progress=False)
    assert article_ids(settings) == {"one", "two"}


def _unreadable_scandir(monkeypatch: pytest.MonkeyPatch, folder: Path) -> None:
    """Make one folder unlistable, as chmod 000 would for anyone but root (the tests run as root)."""
    real = os.scandir

    def scandir(path=".", *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(path, (str, os.PathLike)) and Path(path) == folder:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real(path, *args, **kwargs)

    monkeypatch.setattr(os, "scandir", scandir)


def test_an_unreadable_folder_is_named_and_its_documents_are_kept(tmp_path, monkeypatch):
    data = copy_corpus(FIXTURES / "mini", tmp_path / "data")
    settings = make_settings(tmp_path)
    ingest([data], settings, progress=False)
    before = article_ids(settings)
    opinion = {i for i in before if i.startswith("opinion")}
    assert opinion
    _unreadable_scandir(monkeypatch, data / "opinion")
    report = ingest([data], settings, progress=False)
    assert report.removed == 0 and article_ids(settings) == before
    assert report.exit_code == EXIT_SKIPPED
    [item] = report.kept_items
    assert item["origin"] == "opinion/" and "permission denied" in item["reason"] and "kept" in item["reason"]
    assert "not read opinion/: cannot read folder: permission denied" in report.summary()
    assert report.reconciliation["balanced"]
    monkeypatch.undo()
    # Readable again and unchanged: nothing to do, nothing lost.
    again = ingest([data], settings, progress=False)
    assert (again.added, again.removed, again.exit_code) == (0, 0, 0)
    assert article_ids(settings) == before


def test_an_unreadable_file_is_named_and_its_documents_are_kept(tmp_path, monkeypatch):
    data = copy_corpus(FIXTURES / "mini", tmp_path / "data")
    settings = make_settings(tmp_path)
    ingest([data], settings, progress=False)
    before = article_ids(settings)
    corn = data / "wire" / "corn.txt"
    os.utime(corn, (time.time() + 10, time.time() + 10))  # changed, so it must be read again
    real_open = open

    def fake_open(path, *args, **kwargs):  # type: ignore[no-untyped-def]
        if isinstance(path, (str, os.PathLike)) and Path(path) == corn:
            raise PermissionError(errno.EACCES, "Permission denied", str(path))
        return real_open(path, *args, **kwargs)

    monkeypatch.setattr(base, "open", fake_open, raising=False)
    report = ingest([data], settings, progress=False)
    assert report.removed == 0 and article_ids(settings) == before
    assert [i["origin"] for i in report.kept_items] == ["wire/corn.txt"]
    assert "permission denied" in report.kept_items[0]["reason"]
    monkeypatch.undo()
    again = ingest([data], settings, progress=False)  # read again now that it can be
    assert again.records_seen == 1 and again.removed == 0 and article_ids(settings) == before


def test_report_counts_equal_corpus_stats_after_updates_and_deletes(tmp_path):
    data = copy_corpus(FIXTURES / "mini", tmp_path / "data")
    settings = make_settings(tmp_path)
    ingest([data], settings, progress=False)
    (data / "wire" / "wheat.txt").unlink()
    corn = data / "wire" / "corn.txt"
    corn.write_text(corn.read_text().replace("Corn exports slowed", "Corn exports fell"))
    (data / "wire" / "rice.txt").write_text("Title: Rice\nAuthor: New Writer\n\nRice output rose in Thailand.\n")
    report = ingest([data], settings, progress=False)
    stats = cli_stats(settings)
    assert (report.documents, report.authors) == (stats["documents"], stats["authors"])
    saved = json.loads((settings.index_dir / indexdir.REPORT).read_text())
    assert (saved["documents"], saved["authors"]) == (stats["documents"], stats["authors"])


def _full_disk_after(monkeypatch: pytest.MonkeyPatch, calls: int) -> None:
    """Simulate ENOSPC (root cannot be denied disk space otherwise): Whoosh's file creation fails."""
    from whoosh.filedb import filestore

    real = filestore.FileStorage.create_file
    count = {"n": 0}

    def create_file(self, name, *args, **kwargs):  # type: ignore[no-untyped-def]
        count["n"] += 1
        if count["n"] > calls:
            raise OSError(errno.ENOSPC, "No space left on device", os.path.join(self.folder, name))
        return real(self, name, *args, **kwargs)

    monkeypatch.setattr(filestore.FileStorage, "create_file", create_file)


def test_a_full_disk_ends_the_ingest_with_one_line_and_the_served_build_intact(tmp_path, monkeypatch, capsys):
    data = copy_corpus(FIXTURES / "mini", tmp_path / "data")
    settings = make_settings(tmp_path)
    ingest([data], settings, progress=False)
    served = indexdir.current_build(settings.index_dir)
    before = article_ids(settings)
    (data / "wire" / "rice.txt").write_text("Title: Rice\n\nRice output rose in Thailand.\n")
    _full_disk_after(monkeypatch, 0)
    code = cli(["--index-dir", str(settings.index_dir), "ingest", "-q", str(data)])
    err = capsys.readouterr().err.strip()
    assert code == 1
    assert err.count("\n") == 0 and "no space left on device" in err and "not changed" in err, err
    assert "Traceback" not in err and "OSError" not in err
    monkeypatch.undo()
    assert indexdir.current_build(settings.index_dir) == served
    assert article_ids(settings) == before
    assert "wire-rice" in (ingest([data], settings, progress=False) and article_ids(settings))


def test_an_index_folder_that_cannot_be_written_ends_with_one_line(tmp_path, capsys):
    data, _ = write_corpus(tmp_path, {"a.txt": "Title: A\n\nAn article.\n"})
    blocker = tmp_path / "index-is-a-file"
    blocker.write_text("not a folder")
    code = cli(["--index-dir", str(blocker), "ingest", "-q", str(data)])
    err = capsys.readouterr().err.strip()
    assert code == 1 and err.count("\n") == 0 and err.startswith("corpus ingest: cannot write the index in"), err
    assert "Error" not in err and "Traceback" not in err


@pytest.mark.slow
def test_adding_a_tenth_of_reuters_costs_a_fraction_of_a_full_build(tmp_path):
    src = REUTERS_DIR / "reuters21578.jsonl"
    if not src.is_file():
        pytest.skip(f"the Reuters-21578 corpus is not at {REUTERS_DIR} (a fresh clone has no ../shared)")
    lines = src.read_bytes().splitlines(keepends=True)
    cut = len(lines) * 9 // 10
    data = tmp_path / "data"
    data.mkdir()
    (data / "part1.jsonl").write_bytes(b"".join(lines[:cut]))
    settings = Settings.from_env(environ={}, index_dir=tmp_path / "index")
    first = ingest([data], settings, progress=False)
    (data / "part2.jsonl").write_bytes(b"".join(lines[cut:]))
    clock = time.monotonic()
    added = ingest([data], settings, progress=False)
    seconds = time.monotonic() - clock
    assert added.reconciliation["balanced"] and added.records_seen == len(lines) - cut
    assert (added.documents, added.authors) == (cli_stats(settings)["documents"], cli_stats(settings)["authors"])
    # The tenth costs well under half of what building the first nine tenths did.
    assert seconds < 0.5 * first.seconds, (seconds, first.seconds)
