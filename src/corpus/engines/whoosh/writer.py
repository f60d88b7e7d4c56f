"""The Whoosh IndexWriter: create or clone a build, put and delete, commit, publish or discard.

Every ingest writes a new build (a hard-linked copy of the live one for incremental runs) and
swaps it in when done, so the served build is never written to.
"""

from __future__ import annotations

import os
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.reading import TermNotFound

from ... import indexdir
from ...concord import store as tokens
from ...config import Settings
from ...documents import Article, Author, Byline, IndexedDoc, slugify
from . import codec, hot
from .schema import ARTICLE, AUTHOR, build_schema, current_analysis


def pool_mb(procs: int) -> int:
    """Megabytes of postings each of Whoosh's writer processes holds before spilling a sorted run to disk.

    Every token is indexed, so Reuters makes about 3 million postings (some 500 MB by Whoosh's
    estimate); with 128 MB per process each spilled twice and merged its runs back, which cost a
    third of the ingest (114 s against 72 s with 512 MB, bench/README.md). An eighth of the
    machine's memory is shared out, between 64 and 512 MB per process.
    """
    try:
        total_mb = os.sysconf("SC_PHYS_PAGES") * os.sysconf("SC_PAGE_SIZE") // (1024 * 1024)
    except (ValueError, OSError, AttributeError):
        total_mb = 4096
    return max(64, min(512, total_mb // 8 // max(1, procs)))


class WhooshWriter:
    """One build of a Whoosh index, open for writing."""

    def __init__(self, settings: Settings, rebuild: bool = False, procs: int = 1) -> None:
        self.index_dir = Path(settings.index_dir)
        indexdir.prune(self.index_dir)  # half-built builds left by a killed ingest
        live = indexdir.current_build(self.index_dir)
        self.live_name = live.name if live is not None else ""
        self.fresh = rebuild or live is None or not whoosh_index.exists_in(str(live))
        # A build whose text was analysed by another version of the analysis cannot be added to:
        # its terms are not what queries now look for, so this run builds afresh.
        self.reanalysed = not self.fresh and not current_analysis(whoosh_index.open_dir(str(live)).schema)
        # A build without a token store (made before the concordance existed) is rebuilt once, so
        # that every article has its tokens.
        self.untokenised = not self.fresh and not tokens.exists(live)  # type: ignore[arg-type]
        self.fresh = self.fresh or self.reanalysed or self.untokenised
        self.folder = indexdir.new_build(self.index_dir) if self.fresh or live is None else indexdir.clone_build(self.index_dir, live)
        self.name = self.folder.name
        self._writer: Any = None
        try:
            self.ix = whoosh_index.create_in(str(self.folder), build_schema()) if self.fresh else whoosh_index.open_dir(str(self.folder))
        except BaseException:
            indexdir.discard(self.folder)
            raise
        self._docnums: dict[str, int] = {}
        self.procs = procs
        try:
            self.tokens = tokens.StoreWriter(self.folder, self.fresh)
        except BaseException:
            self.ix.close()
            indexdir.discard(self.folder)
            raise

    # ----- what the build holds
    def indexed(self) -> dict[str, IndexedDoc]:
        """id -> (hash, path, root, dedupe) for every live article, read from columns (no stored bodies)."""
        existing: dict[str, IndexedDoc] = {}
        if self.fresh:
            return existing
        names = ("id", "hash", "path", "root", "dedupe")
        with self.ix.searcher() as searcher:
            for leaf, offset in searcher.reader().leaf_readers():
                if not leaf.doc_count():
                    continue
                try:
                    articles = set(leaf.postings("kind", ARTICLE).all_ids())
                except TermNotFound:
                    continue
                columns = {n: leaf.column_reader(n, translate=True) if leaf.has_column(n) else None for n in names}
                for docnum in articles:
                    values = {n: (c[docnum] if c is not None else "") or "" for n, c in columns.items()}
                    existing[values["id"]] = IndexedDoc(values["hash"], values["path"], values["root"], values["dedupe"])
                    self._docnums[values["id"]] = offset + docnum
        return existing

    def author_names(self) -> dict[str, str]:
        """slug -> the author name already in the build."""
        if self.fresh:
            return {}
        with self.ix.searcher() as searcher:
            names = (term.decode("utf-8") for term in searcher.reader().lexicon("author"))
            return {slugify(name): name for name in names}

    def generation(self) -> int:
        """The build's generation: it changes with every commit."""
        return int(self.ix.latest_generation())

    def counts(self) -> tuple[int, int]:
        """(articles, authors) live in the build (doc_frequency would also count deleted ones not yet merged away)."""
        with self.ix.searcher() as searcher:
            return _count_kind(searcher, ARTICLE), _count_kind(searcher, AUTHOR)

    def bylines(self) -> Iterator[Byline]:
        """Who wrote each article, when, where and with which bios: what author documents are made from."""
        with self.ix.searcher() as searcher:
            for stored in searcher.all_stored_fields():
                if stored.get("kind") == ARTICLE:
                    yield codec.byline(stored)

    # ----- writing
    def begin(self) -> Any:
        """Open Whoosh's writer now (a fresh build starts its writer processes here)."""
        return self._open()

    def _open(self) -> Any:
        if self._writer is None:
            # A fresh build has nothing to update or delete, so it can use Whoosh's multi-process
            # writer (one sub-writer per core, each making its own segment); an incremental run
            # adds new documents and deletes replaced ones by number with the ordinary writer.
            if self.fresh and self.procs > 1 and os.environ.get("CORPUS_WRITER_PROCS", "") != "1":
                self._writer = self.ix.writer(procs=self.procs, multisegment=True, limitmb=pool_mb(self.procs))
            else:
                self._writer = self.ix.writer(limitmb=pool_mb(1))
        return self._writer

    def put(self, article: Article, digest: str, dedupe: str) -> None:
        """Add an article; a changed one is put again and its old version removed with delete()."""
        self._open().add_document(**codec.article_fields(article, digest, dedupe))
        self.tokens.put(article)

    def delete(self, doc_id: str) -> None:
        """Delete the indexed version of an article: by its number when known (no search), else by id."""
        writer = self._open()
        self.tokens.delete(doc_id)
        docnum = self._docnums.pop(doc_id, -1)
        if docnum >= 0:
            writer.delete_document(docnum)
        else:
            writer.delete_by_term("id", doc_id)

    def commit(self) -> None:
        """Make what was put and deleted durable in the build (not yet served)."""
        self._open().commit()
        self.tokens.commit()
        self._writer = None
        self._docnums.clear()  # numbers change with the commit's merges

    def cancel(self) -> None:
        """Forget what was put and deleted since the last commit."""
        if self._writer is not None:
            self._writer.cancel()
            self._writer = None
        self.tokens.cancel()

    def put_authors(self, authors: Iterable[Author]) -> None:
        """Replace every author document with these, and commit."""
        writer = self.ix.writer(limitmb=128)
        try:
            writer.delete_by_term("kind", AUTHOR)
            for author in authors:
                writer.add_document(**codec.author_fields(author))
            writer.commit()
        except BaseException:
            writer.cancel()
            raise

    # ----- the end of a build
    def close(self) -> None:
        """Close the build's files (what was not committed is lost)."""
        self.cancel()
        self.ix.close()

    def publish(self) -> None:
        """Serve the build: the swap is atomic, readers see the old or the new build, never a mix.

        First the frequent words of each new segment are decoded into the build's own store (hot.py).
        """
        hot.write(self.folder, self.procs)
        indexdir.swap_in(self.index_dir, self.folder)

    def discard(self) -> None:
        """Throw the build away; the served index is untouched."""
        indexdir.discard(self.folder)


def _count_kind(searcher: Any, kind: str) -> int:
    """Live documents of one kind."""
    total = 0
    for leaf, _offset in searcher.reader().leaf_readers():
        if not leaf.doc_count():
            continue
        try:
            total += sum(1 for _ in leaf.postings("kind", kind).all_ids())
        except TermNotFound:
            continue
    return total
