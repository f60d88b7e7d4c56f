"""The ingest pipeline: incremental updates, rebuilds, duplicates, locks, reports and exit codes."""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

import pytest

from corpus import indexdir
from corpus.cli import main as cli
from corpus.engines import open_backend
from corpus.errors import IngestLocked
from corpus.ingest import EXIT_LOCKED, EXIT_OK, EXIT_SKIPPED, ingest
from corpus.search import SearchRequest
from support import FIXTURES, copy_corpus, make_settings, write_corpus

MINI_ARTICLES = 12


def article_ids(settings) -> set[str]:
    svc = open_backend(settings)
    result = svc.search(SearchRequest(per_page=100, sort="newest", facets=()))
    assert result.total <= 100
    return {hit.id for hit in result.hits}


@pytest.fixture
def corpus(tmp_path: Path) -> tuple[Path, object]:
    data = copy_corpus(FIXTURES / "mini", tmp_path / "data")
    settings = make_settings(tmp_path)
    report = ingest([data], settings, progress=False)
    assert (report.added, report.skipped, report.exit_code) == (MINI_ARTICLES, 0, EXIT_OK), report.summary()
    return data, settings


def test_reingest_with_no_changes_alters_nothing(corpus):
    data, settings = corpus
    build_before = indexdir.current_build(settings.index_dir)
    report = ingest([data], settings, progress=False)
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 0, 0, MINI_ARTICLES)
    assert report.files_unchanged == MINI_ARTICLES
    assert report.records_seen == 0  # no file was read again
    assert indexdir.current_build(settings.index_dir) == build_before  # nothing swapped in


def test_editing_one_file_updates_exactly_one_document(corpus):
    data, settings = corpus
    path = data / "wire" / "corn.txt"
    path.write_text(path.read_text().replace("Corn exports slowed", "Soybean exports slowed"))
    report = ingest([data], settings, progress=False)
    assert (report.added, report.updated, report.removed, report.unchanged) == (0, 1, 0, MINI_ARTICLES - 1)
    svc = open_backend(settings)
    assert [h.id for h in svc.search(SearchRequest(q="soybean")).hits] == ["wire-corn"]


def test_touching_a_file_without_changing_it_updates_nothing(corpus):
    data, settings = corpus
    path = data / "wire" / "corn.txt"
    os.utime(path, (time.time() + 5, time.time() + 5))
    report = ingest([data], settings, progress=False)
    assert report.records_seen == 1  # read again, because its mtime changed
    assert (report.added, report.updated, report.unchanged) == (0, 0, MINI_ARTICLES)


def test_deleting_one_file_removes_exactly_one_document(corpus):
    data, settings = corpus
    (data / "wire" / "wheat.txt").unlink()
    report = ingest([data], settings, progress=False)
    assert (report.added, report.updated, report.removed) == (0, 0, 1)
    ids = article_ids(settings)
    assert len(ids) == MINI_ARTICLES - 1 and "wire-wheat" not in ids


def test_adding_a_file_adds_one_document(corpus):
    data, settings = corpus
    (data / "wire" / "rice.txt").write_text("Title: Rice harvest\nSource: Reuters\n\nRice output rose in Thailand.\n")
    report = ingest([data], settings, progress=False)
    assert (report.added, report.updated, report.removed) == (1, 0, 0)
    assert "wire-rice" in article_ids(settings)


def test_searchers_see_new_documents_after_the_commit_without_restart(corpus):
    data, settings = corpus
    svc = open_backend(settings)
    assert svc.search(SearchRequest(q="rice")).total == 0
    (data / "wire" / "rice.txt").write_text("Title: Rice harvest\n\nRice output rose in Thailand.\n")
    ingest([data], settings, progress=False)
    assert svc.search(SearchRequest(q="rice")).total == 1


def test_rebuild_swaps_in_a_new_build_with_the_same_documents(corpus):
    data, settings = corpus
    before = indexdir.current_build(settings.index_dir)
    ids_before = article_ids(settings)
    report = ingest([data], settings, rebuild=True, progress=False)
    assert report.rebuilt and report.added == MINI_ARTICLES
    after = indexdir.current_build(settings.index_dir)
    assert after != before
    assert article_ids(settings) == ids_before


def test_a_searcher_opened_before_a_rebuild_keeps_answering(corpus):
    data, settings = corpus
    svc = open_backend(settings)
    assert svc.search(SearchRequest(q="oil")).total == 3
    for _ in range(4):  # more rebuilds than the number of old builds kept
        ingest([data], settings, rebuild=True, progress=False)
    assert svc.search(SearchRequest(q="oil")).total == 3
    assert len(list((settings.index_dir / indexdir.BUILDS).iterdir())) <= indexdir.KEEP_OLD_BUILDS + 1


def test_exact_duplicates_are_recorded_not_indexed(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    text = "Title: Same story\n\nThe same words in the same order.\n"
    (data / "a.txt").write_text(text)
    (data / "b.txt").write_text(text.replace("Same story", "SAME   story"))  # same once normalised
    settings = make_settings(tmp_path)
    report = ingest([data], settings, progress=False)
    assert (report.added, report.duplicate) == (1, 1)
    assert report.duplicate_items == [{"origin": "b.txt", "id": "b", "duplicate_of": "a"}]
    assert report.exit_code == EXIT_OK
    assert article_ids(settings) == {"a"}
    # Unchanged on the next run, and still reported.
    again = ingest([data], settings, progress=False)
    assert (again.added, again.duplicate, again.unchanged) == (0, 1, 1)


def test_duplicate_ids_across_files_are_named_in_the_report(tmp_path):
    data, settings = write_corpus(tmp_path, {
        "one.txt": "Title: First\nId: shared-id\n\nFirst text about oil.\n",
        "two.txt": "Title: Second\nId: shared-id\n\nSecond text about gas.\n",
    })
    report = ingest([data], settings, progress=False)
    assert report.added == 1
    assert report.skipped_items == [{"origin": "two.txt", "reason": "duplicate id 'shared-id': already used by one.txt"}]
    assert report.exit_code == EXIT_SKIPPED


def test_an_unreadable_file_is_named_and_good_files_are_kept(tmp_path):
    data, settings = write_corpus(tmp_path, {
        "good.txt": "Title: Good\n\nA good article.\n",
        "binary.txt": bytes(range(256)) * 10,
        "notes.xyz": "not a document format",
    })
    report = ingest([data], settings, progress=False)
    assert report.added == 1
    reasons = {item["origin"]: item["reason"] for item in report.skipped_items}
    assert set(reasons) == {"binary.txt", "notes.xyz"}
    assert "binary" in reasons["binary.txt"]
    assert report.exit_code == EXIT_SKIPPED
    saved = json.loads((settings.index_dir / indexdir.REPORT).read_text())
    assert saved["skipped_items"] == report.skipped_items and saved["exit_code"] == EXIT_SKIPPED


def test_a_file_that_failed_is_read_again_next_time(tmp_path):
    data, settings = write_corpus(tmp_path, {
        "later.txt": b"\x00\x01\x02" * 100,
    })
    assert ingest([data], settings, progress=False).skipped == 1
    again = ingest([data], settings, progress=False)
    assert again.skipped == 1  # still named, not silently treated as unchanged


def test_documentation_files_are_not_articles(tmp_path):
    data, settings = write_corpus(tmp_path, {
        "README.TXT": "About this dataset\n\nIt holds articles.\n",
        "LICENSE.md": "Licence text.\n",
        "a.txt": "Title: A\n\nAn article.\n",
    })
    report = ingest([data], settings, progress=False)
    assert report.added == 1 and report.exit_code == EXIT_OK
    assert {item["origin"] for item in report.ignored_items} == {"README.TXT", "LICENSE.md"}


def test_a_second_ingest_is_refused_while_one_runs(corpus):
    data, settings = corpus
    with indexdir.ingest_lock(settings.index_dir), pytest.raises(IngestLocked, match="--wait"):
        ingest([data], settings, progress=False)


def test_a_second_ingest_with_wait_runs_after_the_first(corpus):
    data, settings = corpus
    results = []
    with indexdir.ingest_lock(settings.index_dir):
        worker = threading.Thread(target=lambda: results.append(ingest([data], settings, wait=True, progress=False)))
        worker.start()
        time.sleep(0.5)
        assert worker.is_alive() and not results  # waiting on the lock
    worker.join(timeout=30)
    assert results and results[0].unchanged == MINI_ARTICLES


def test_cli_exit_codes(tmp_path, capsys):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("Title: A\n\nAn article.\n")
    index = tmp_path / "index"
    assert cli(["--index-dir", str(index), "ingest", "-q", str(data)]) == EXIT_OK
    (data / "bad.txt").write_bytes(b"\x00" * 64)
    assert cli(["--index-dir", str(index), "ingest", "-q", str(data)]) == EXIT_SKIPPED
    out = capsys.readouterr().out
    assert "skipped bad.txt: binary content" in out
    with indexdir.ingest_lock(index):
        assert cli(["--index-dir", str(index), "ingest", "-q", str(data)]) == EXIT_LOCKED
    assert "another ingest is running" in capsys.readouterr().err
    assert cli(["--index-dir", str(index), "ingest", "-q", str(tmp_path / "missing")]) == 1


def test_cli_json_report(tmp_path, capsys):
    data = copy_corpus(FIXTURES / "mini", tmp_path / "data")
    assert cli(["--index-dir", str(tmp_path / "index"), "ingest", "-q", "--json", str(data)]) == EXIT_OK
    report = json.loads(capsys.readouterr().out)
    assert report["added"] == MINI_ARTICLES and report["exit_code"] == 0
    assert report["authors"] >= 6  # Anna Reed, Tom Baker, Lisa Chang, Kenji Sato, Maria Novak, ...


def test_authors_file_bio_is_searchable(corpus):
    _, settings = corpus
    svc = open_backend(settings)
    novak = svc.author("maria-novak")
    assert novak.article_count == 2
    assert novak.url == "https://example.org/novak"
    assert [a.name for a in svc.search(SearchRequest(q="Baltic")).authors] == ["Maria Novak"]


def test_records_without_text_are_kept_for_their_metadata_and_not_deduplicated(tmp_path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "records.jsonl").write_text(
        '{"id": "r1", "title": "", "body": "", "date": "1987-02-26", "region": ["usa"]}\n'
        '{"id": "r2", "title": "", "body": "", "date": "1987-02-27", "region": ["usa"]}\n'
        "{\"id\": \"r3\", \"title\": \"\"}\n"
    )
    settings = make_settings(tmp_path)
    report = ingest([data], settings, progress=False)
    assert (report.added, report.duplicate) == (2, 0)
    assert report.skipped_items == [{"origin": "records.jsonl:3", "reason": "record is empty: no title, no body and no metadata"}]
    svc = open_backend(settings)
    result = svc.search(SearchRequest(filters=(("region", ("United States",)),)))
    assert {h.id for h in result.hits} == {"r1", "r2"}


def test_hostile_corpus_reconciles_inputs_with_outcomes(tmp_path):
    """Every input read is indexed, a duplicate or rejected with a reason: seen = indexed + duplicates + rejected."""
    data = copy_corpus(FIXTURES / "hostile", tmp_path / "data")
    (data / "huge-line.txt").write_text("Title: Huge\n\n" + "word " * 4_200_000)  # a 20 MB single line
    (data / "copy-of-good.txt").write_bytes((data / "good.txt").read_bytes())  # an exact duplicate
    settings = make_settings(tmp_path)
    report = ingest([data], settings, progress=False)
    rec = report.reconciliation
    assert rec["balanced"], rec
    assert rec["duplicate"] == 1 and rec["rejected"] == len(report.skipped_items) > 10
    assert rec["indexed"] == report.added == report.documents
    assert rec["inputs"] == rec["indexed"] + rec["duplicate"] + rec["rejected"]
    saved = json.loads((settings.index_dir / indexdir.REPORT).read_text())
    assert saved["reconciliation"] == rec
    # Re-reading a changed file balances too, with unchanged documents counted as indexed.
    (data / "good.txt").write_text((data / "good.txt").read_text() + "\n")
    again = ingest([data], settings, progress=False).reconciliation
    assert again["balanced"], again


def test_mini_and_incremental_runs_reconcile(corpus):
    data, settings = corpus
    (data / "wire" / "corn.txt").write_text((data / "wire" / "corn.txt").read_text().replace("slowed", "fell"))
    report = ingest([data], settings, progress=False)
    assert report.reconciliation == {"inputs": 1, "indexed": 1, "duplicate": 0, "rejected": 0, "balanced": True}


def test_spellings_that_share_a_slug_are_one_author(tmp_path):
    data, settings = write_corpus(tmp_path, {
        "a.txt": "Title: First\nAuthor: R. W. Seton-Watson\nDate: 1916-10-19\n\nOn nationality.\n",
        "b.txt": "Title: Second\nAuthor: R.W. Seton-Watson\nDate: 1917-01-04\n\nOn frontiers.\n",
    })
    ingest([data], settings, progress=False)
    (data / "c.txt").write_text("Title: Third\nAuthor: R.W.  SETON-WATSON\n\nOn the Slavs.\n")
    ingest([data], settings, progress=False)
    svc = open_backend(settings)
    facet = svc.search(SearchRequest()).facets["author"]
    assert [(v.value, v.count) for v in facet.values] == [("R. W. Seton-Watson", 3)]
    assert svc.author("r-w-seton-watson").article_count == 3


def test_changing_folder_defaults_rereads_the_files_below(corpus):
    data, settings = corpus
    (data / "opinion" / "_folder.yaml").write_text("category: Opinion\n")
    report = ingest([data], settings, progress=False)
    assert report.records_seen == 5  # the five files under opinion/, and no others
    assert report.updated == 5
    svc = open_backend(settings)
    assert svc.search(SearchRequest(filters=(("category", ("Opinion",)),))).total == 5


def test_unchanged_files_with_duplicates_are_not_read_again(tmp_path):
    text = "Title: Same story\n\nThe same words in the same order.\n"
    data, settings = write_corpus(tmp_path, {"a.txt": text, "b.txt": text, "c.txt": "Title: Other\n\nOther words.\n"})
    ingest([data], settings, progress=False)
    again = ingest([data], settings, progress=False)
    assert again.records_seen == 0 and again.files_unchanged == 3
    assert again.duplicate_items == [{"origin": "b.txt", "id": "b", "duplicate_of": "a"}]
    assert again.reconciliation["balanced"]


def test_a_duplicate_takes_the_place_of_its_original_when_that_one_goes(tmp_path):
    text = "Title: Same story\n\nThe same words in the same order.\n"
    data, settings = write_corpus(tmp_path, {"a.txt": text, "b.txt": text})
    ingest([data], settings, progress=False)
    assert article_ids(settings) == {"a"}
    (data / "a.txt").unlink()
    report = ingest([data], settings, progress=False)
    assert (report.added, report.removed, report.duplicate) == (1, 1, 0)
    assert article_ids(settings) == {"b"}


def test_builds_swapped_in_within_one_second_keep_the_previous_one(tmp_path):
    """A searcher may still be opening the build that was live a moment ago; prune must not remove it.

    Build names used to sort by second and then by a random suffix, so of two builds made in the
    same second the newer could sort first and the one just replaced was deleted under searchers.
    """
    index_dir = tmp_path / "index"
    previous = None
    for _ in range(12):
        build = indexdir.new_build(index_dir)
        indexdir.swap_in(index_dir, build)
        assert indexdir.current_build(index_dir) == build.resolve()
        if previous is not None:
            assert previous.is_dir(), "the build replaced a moment ago was pruned"
        previous = build
    assert len(list((index_dir / "builds").iterdir())) == 1 + indexdir.KEEP_OLD_BUILDS


def test_an_unforeseen_failure_in_one_record_is_named_in_plain_words(tmp_path, monkeypatch):
    """A bug met by one record (here an IndexError) costs that record only, and says so without Python's words."""
    import corpus.ingest.parallel as ingest_mod

    real = ingest_mod.to_article

    def to_article(raw, *args, **kwargs):  # type: ignore[no-untyped-def]
        if raw.fields.get("id") == "boom":
            return [][0]
        return real(raw, *args, **kwargs)

    monkeypatch.setattr(ingest_mod, "to_article", to_article)
    data, settings = write_corpus(tmp_path, {"r.jsonl": "\n".join(json.dumps({"id": i, "title": i, "body": f"Text {i}."})
                                                                  for i in ("ok-1", "boom", "ok-2")) + "\n"})
    report = ingest([data], settings, progress=False)
    assert (report.added, report.exit_code) == (2, EXIT_SKIPPED)
    [item] = report.skipped_items
    assert item["origin"] == "r.jsonl:2" and item["reason"].startswith("cannot normalise record:")
    assert "index out of range" not in item["reason"] and "Error" not in item["reason"]


def test_json_numbers_too_long_for_python_are_named_in_plain_words(tmp_path):
    data, settings = write_corpus(tmp_path, {"n.jsonl": '{"id": "ok", "title": "Fine", "body": "Fine."}\n'
                                             '{"id": "long", "title": "x", "n": ' + "9" * 5000 + "}\n"})
    report = ingest([data], settings, progress=False)
    assert report.added == 1
    assert report.skipped_items == [{"origin": "n.jsonl:2", "reason": "invalid JSON: a number of more than 4,300 digits"}]
