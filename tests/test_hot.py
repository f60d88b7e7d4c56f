"""The frequent-word store (engines/whoosh/hot.py) against Whoosh's own postings, word by word and query by query.

The store is written at publish from the postings Whoosh wrote, so everything read from it must be
exactly what the posting blocks hold: document numbers, weights and positions, deleted documents
included. The corpus has several segments and deletions; MIN_DOCS is lowered so that many words
of every segment are stored.
"""

from __future__ import annotations

import random
import shutil
from pathlib import Path

import numpy as np
import pytest

from corpus import indexdir
from corpus.engines.whoosh import WhooshBackend, hot
from corpus.engines.whoosh.postings import PostingReader, Span, positions
from corpus.engines.whoosh.schema import ARTICLE
from corpus.engines.whoosh.vector import VectorEngine
from corpus.ingest import ingest
from corpus.search.types import SearchRequest
from support import make_settings, write_corpus
from test_vector import QUERIES, _document

MIN_DOCS = 40


def _ingest(data: Path, settings: object) -> None:
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(hot, "MIN_DOCS", MIN_DOCS)
        assert ingest([data], settings, progress=False).exit_code == 0  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def built(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, object, Path]:
    """600 articles, then an ingest that edits 40 and deletes 20; returns (data, settings, first build)."""
    rng = random.Random(11)
    tmp = tmp_path_factory.mktemp("hot")
    data, settings = write_corpus(tmp, {f"doc{n:04d}.txt": _document(rng, n) for n in range(600)})
    _ingest(data, settings)
    first = indexdir.current_build(Path(settings.index_dir))
    assert first is not None
    for n in range(0, 400, 10):
        (data / f"doc{n:04d}.txt").write_text(_document(rng, n) + "\n\nEdited oil tanker.", encoding="utf-8")
    for n in range(5, 200, 10):
        (data / f"doc{n:04d}.txt").unlink()
    _ingest(data, settings)
    return data, settings, first


def _state(settings: object):
    return WhooshBackend(settings).searchers.current()  # type: ignore[arg-type]


def _stored_words(build: Path) -> dict[str, list[tuple[str, bytes]]]:
    import json

    out = {}
    for manifest in build.glob(f"{hot.PREFIX}*.json"):
        segment = manifest.name[len(hot.PREFIX):-len(".json")]
        out[segment] = [(f, bytes.fromhex(t)) for f, t, *_ in json.loads(manifest.read_text("utf-8"))["terms"]]
    return out


def test_every_segment_with_frequent_words_has_a_store_and_no_other(built: tuple[Path, object, Path]) -> None:
    _, settings, _ = built
    state = _state(settings)
    reader = state.searcher.reader()
    leaves = reader.leaf_readers()
    assert len(leaves) >= 2 and reader.doc_count_all() > reader.doc_count()
    segments = {leaf.segment().segment_id(): leaf for leaf, _ in leaves}
    stored = _stored_words(state.build)
    assert set(stored) <= set(segments)
    for name, leaf in segments.items():
        # Brute force: every word of a positional field with MIN_DOCS postings or more, and only those.
        expected = {(f, bytes(t)) for f in hot._positional(leaf.schema) for t, info in leaf.iter_field(f) if info.doc_frequency() >= MIN_DOCS}
        assert set(stored.get(name, [])) == expected, name
    assert sum(len(words) for words in stored.values()) > 50
    # Nothing is left of a segment merged away, and the store's files are the build's only extra ones.
    for item in state.build.glob(f"{hot.PREFIX}*"):
        assert item.name[len(hot.PREFIX):].rsplit(".", 1)[0] in segments


def test_stored_postings_equal_whoosh_blocks_word_by_word(built: tuple[Path, object, Path]) -> None:
    _, settings, _ = built
    state = _state(settings)
    reader = state.searcher.reader()
    store = hot.Store(state.build)
    plain, fast = PostingReader(reader), PostingReader(reader, store)
    rng = np.random.default_rng(3)
    words = {w for ws in _stored_words(state.build).values() for w in ws}
    used = 0
    for fieldname, text in sorted(words):
        a, b = plain.term(fieldname, text), fast.term(fieldname, text)
        assert any(isinstance(v, Span) for _, v in b.values)
        used += 1
        assert np.array_equal(a.docs, b.docs) and np.array_equal(a.weights, b.weights), (fieldname, text)
        every = np.arange(len(a.docs))
        for rows in (every, np.sort(rng.choice(every, size=max(1, len(every) // 7), replace=False)), every[-1:], every[:1]):
            pa, pb = positions(a, rows), positions(b, rows)
            assert np.array_equal(pa[0], pb[0]) and np.array_equal(pa[1], pb[1]), (fieldname, text, len(rows))
    assert used > 50


def _results(service: WhooshBackend, state: object, stored: object) -> list[tuple[list[int], list[float]]]:
    snap = state.snapshot  # type: ignore[attr-defined]
    engine = VectorEngine(state.searcher.reader(), state.searcher.schema, snap.articles, snap.days,  # type: ignore[attr-defined]
                          snap.days.max() + 1, {}, None, state.lexicon, snap.facets, stored)  # type: ignore[attr-defined]
    out = []
    for text in QUERIES:
        if "~3" in text:
            continue  # a slop phrase goes to Whoosh's matchers, not this engine
        m = engine.evaluate(service.planner.parse(text, state), scored=True)
        out.append((m.docs.tolist(), np.round(m.scores, 9).tolist()))
    return out


def test_queries_match_and_score_alike_with_and_without_the_store(built: tuple[Path, object, Path]) -> None:
    _, settings, _ = built
    service = WhooshBackend(settings)  # type: ignore[arg-type]
    state = service.searchers.current()
    with_store, without = _results(service, state, hot.Store(state.build)), _results(service, state, None)
    assert with_store == without
    assert sum(len(docs) for docs, _ in with_store) > 1000


def test_whole_searches_are_identical_on_a_copy_without_the_store(built: tuple[Path, object, Path], tmp_path: Path) -> None:
    _, settings, _ = built
    build = _state(settings).build
    bare = tmp_path / "index"
    (bare / indexdir.BUILDS).mkdir(parents=True)
    copy = bare / indexdir.BUILDS / build.name
    shutil.copytree(build, copy)
    for item in copy.glob(f"{hot.PREFIX}*"):
        item.unlink()
    (bare / indexdir.CURRENT).symlink_to(Path(indexdir.BUILDS) / build.name)
    a, b = WhooshBackend(settings), WhooshBackend(make_settings(tmp_path))  # type: ignore[arg-type]
    for text in [*QUERIES, '"the company said interest"', "said AND the", '"rates rose"']:
        ra = a.search(SearchRequest(q=text, per_page=50, sort="relevance"))
        rb = b.search(SearchRequest(q=text, per_page=50, sort="relevance"))
        assert ra.total == rb.total, text
        assert [(h.id, round(h.score, 6)) for h in ra.hits] == [(h.id, round(h.score, 6)) for h in rb.hits], text
        assert [h.snippet for h in ra.hits] == [h.snippet for h in rb.hits], text


def test_the_first_build_keeps_its_store_after_the_incremental_ingest(built: tuple[Path, object, Path]) -> None:
    """The incremental build linked the first build's stores and removed the merged-away ones from itself only."""
    from whoosh.filedb.filestore import FileStorage

    _, _, first = built
    if not first.exists():
        pytest.skip("the first build was pruned")
    words = _stored_words(first)
    assert words, "the first build's store is gone"
    ix = FileStorage(str(first), supports_mmap=False, readonly=True).open_index()
    with ix.reader() as reader:
        plain, fast = PostingReader(reader), PostingReader(reader, hot.Store(first))
        for fieldname, text in sorted({w for ws in words.values() for w in ws}):
            a, b = plain.term(fieldname, text), fast.term(fieldname, text)
            assert any(isinstance(v, Span) for _, v in b.values)
            every = np.arange(len(a.docs))
            assert np.array_equal(a.docs, b.docs) and np.array_equal(positions(a, every)[1], positions(b, every)[1])


def test_writing_again_changes_nothing(built: tuple[Path, object, Path]) -> None:
    _, settings, _ = built
    build = _state(settings).build
    before = {p.name: p.stat().st_mtime_ns for p in build.glob(f"{hot.PREFIX}*")}
    assert hot.write(build)["segments"] == 0
    assert {p.name: p.stat().st_mtime_ns for p in build.glob(f"{hot.PREFIX}*")} == before


def test_a_damaged_store_is_ignored_and_answers_stay_right(built: tuple[Path, object, Path], tmp_path: Path) -> None:
    _, settings, _ = built
    build = _state(settings).build
    copy = tmp_path / "build"
    shutil.copytree(build, copy)
    for item in copy.glob(f"{hot.PREFIX}*.docs"):
        with open(item, "r+b") as fh:
            fh.truncate(8)  # shorter than the manifest says
    sorted(copy.glob(f"{hot.PREFIX}*.json"))[0].write_text("{not json", "utf-8")
    service = WhooshBackend(settings)  # type: ignore[arg-type]
    state = service.searchers.current()
    assert _results(service, state, hot.Store(copy)) == _results(service, state, None)


def test_searches_read_the_store(built: tuple[Path, object, Path]) -> None:
    """The served engine uses the store: a frequent word's postings come from it, not from Whoosh's blocks."""
    _, settings, _ = built
    state = _state(settings)
    engine = state.engine(ARTICLE)
    said = engine.postings.term("body", b"said")
    assert any(isinstance(v, Span) for _, v in said.values)


def test_a_store_of_another_format_or_half_written_is_written_again(built: tuple[Path, object, Path], tmp_path: Path) -> None:
    _, settings, _ = built
    build = _state(settings).build
    copy = tmp_path / "build"
    shutil.copytree(build, copy)
    manifests = sorted(copy.glob(f"{hot.PREFIX}*.json"))
    assert len(manifests) >= 2
    older, half = manifests[0], manifests[1]
    older.write_text(older.read_text("utf-8").replace(f'"format":{hot.FORMAT},', '"format":1,', 1), "utf-8")
    (copy / (older.name[:-len(".json")] + ".starts")).write_bytes(b"\0" * 16)  # a file of the old layout
    half.unlink()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(hot, "MIN_DOCS", MIN_DOCS)
        assert hot.write(copy)["segments"] == 2
    assert not (copy / (older.name[:-len(".json")] + ".starts")).exists()
    assert {p.name: p.read_bytes() for p in copy.glob(f"{hot.PREFIX}*")} == {p.name: p.read_bytes() for p in build.glob(f"{hot.PREFIX}*")}


def test_two_processes_write_the_same_store(built: tuple[Path, object, Path], tmp_path: Path) -> None:
    _, settings, _ = built
    build = _state(settings).build
    copy = tmp_path / "build"
    shutil.copytree(build, copy)
    for item in copy.glob(f"{hot.PREFIX}*"):
        item.unlink()
    with pytest.MonkeyPatch.context() as mp:
        mp.setattr(hot, "MIN_DOCS", MIN_DOCS)
        assert hot.write(copy, procs=2)["segments"] >= 2
    assert {p.name: p.read_bytes() for p in copy.glob(f"{hot.PREFIX}*")} == {p.name: p.read_bytes() for p in build.glob(f"{hot.PREFIX}*")}


def test_an_ingest_of_nothing_publishes_an_empty_index(tmp_path: Path) -> None:
    data = tmp_path / "data"
    data.mkdir()
    settings = make_settings(tmp_path)
    assert ingest([data], settings, progress=False).exit_code == 0
    build = indexdir.current_build(Path(settings.index_dir))
    assert build is not None and not list(build.glob(f"{hot.PREFIX}*"))
    assert WhooshBackend(settings).search(SearchRequest(q="said")).total == 0
