"""The searcher lifecycle: one Whoosh searcher per thread on the served build, reopened when it changes.

Every thread's searcher on one index generation shares one Snapshot of facet ordinals, one
posting cache and one lexicon. Each call checks (cheaply) whether an ingest has committed or
swapped in a new build, and reopens.
"""

from __future__ import annotations

import threading
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from whoosh import index as whoosh_index
from whoosh.filedb.filestore import FileStorage

from ... import indexdir, spelling
from ...config import Settings
from ...errors import NoIndex
from ...search.types import IndexInfo
from . import hot
from .expand import Lexicon
from .query import Compiler
from .schema import ARTICLE, current_analysis
from .snapshot import NO_DATE, Snapshot
from .vector import PostingCache, VectorEngine


class Generation:
    """What one thread holds open: a searcher on one build, and that generation's snapshot."""

    def __init__(self, build: Path, ix: Any, searcher: Any, snapshot: Snapshot, cache: PostingCache, lexicon: Lexicon,
                 stored: hot.Store) -> None:
        self.build, self.ix, self.searcher, self.snapshot, self.cache = build, ix, searcher, snapshot, cache
        self.lexicon = lexicon  # the generation's words, for expanding wildcards, fuzzy terms and ranges
        self.stored = stored  # the frequent words' postings, decoded at publish (hot.py)
        self._engines: dict[str, VectorEngine] = {}

    def engine(self, kind: str) -> VectorEngine:
        """The vector engine over this searcher's reader, limited to articles or to authors."""
        engine = self._engines.get(kind)
        if engine is None:
            snap = self.snapshot
            universe = snap.articles if kind == ARTICLE else snap.authors
            engine = self._engines[kind] = VectorEngine(self.searcher.reader(), self.searcher.schema, universe,
                                                        snap.days, NO_DATE, snap.lengths, self.cache, self.lexicon, snap.facets,
                                                        self.stored)
        return engine

    @property
    def version(self) -> str:
        """Build and generation: changes whenever the served index changes."""
        return f"{self.build.name}:{self.searcher.reader().generation()}"

    def info(self) -> IndexInfo:
        """Which build this is, how big it is and when it last changed."""
        try:
            updated = datetime.fromtimestamp(self.ix.last_modified(), tz=UTC).isoformat(timespec="seconds")
        except (OSError, ValueError):
            updated = None
        return IndexInfo(build=self.build.name, documents=self.snapshot.article_count,
                         authors=self.snapshot.author_count, updated=updated)


class Searchers:
    """Per-thread searchers over the index folder's current build, and what their generation shares."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.index_dir = Path(settings.index_dir)
        self._local = threading.local()
        self._lock = threading.Lock()
        self._snapshots: dict[tuple[str, int], tuple[Snapshot, PostingCache, Lexicon, hot.Store]] = {}
        self._parsers: dict[tuple[str, ...], Any] = {}
        self._spelling_build: Path | None = None
        self._spelling = spelling.Words({})

    def current(self) -> Generation:
        """This thread's generation, reopened when an ingest has changed the index."""
        build = indexdir.current_build(self.index_dir)
        state: Generation | None = getattr(self._local, "state", None)
        if state is not None and state.build == build and state.searcher.up_to_date():
            return state
        if build is None or not whoosh_index.exists_in(str(build)):
            raise NoIndex(f"there is no index in {self.index_dir} yet; run `corpus ingest` to build one")
        if state is not None:
            state.searcher.close()
        # Without mmap: Whoosh wraps each mapped sub-file of a compound segment in a BytesIO, which
        # copies it into private memory, once per searcher (646 MB for the 10x Reuters index).
        ix = FileStorage(str(build), supports_mmap=False, readonly=True).open_index()
        if not current_analysis(ix.schema):
            # Its words were analysed otherwise (stop words dropped, English stemming for every
            # language): queries would silently miss. The next ingest rebuilds it.
            raise NoIndex(f"the index in {self.index_dir} was built by an older version of corpus; "
                          "run `corpus ingest` to rebuild it")
        searcher = ix.searcher()
        key = (str(build), searcher.reader().generation())
        with self._lock:
            shared = self._snapshots.get(key)
            if shared is None:
                snapshot = Snapshot(searcher.reader())
                shared = (snapshot, PostingCache(self.settings.postings_cache_mb * 2**20), Lexicon(snapshot.languages), hot.Store(build))
                # Only the newest generation is worth keeping.
                self._snapshots = {key: shared}
        state = Generation(build, ix, searcher, *shared)
        self._local.state = state
        return state

    def held(self) -> Generation:
        """The generation this thread holds now, without looking for a newer one."""
        return self._local.state  # type: ignore[no-any-return]

    def parser(self, schema: Any, fields: tuple[str, ...]) -> Compiler:
        """The query-language compiler for these default fields (built once)."""
        parser = self._parsers.get(fields)
        if parser is None:
            parser = self._parsers[fields] = Compiler(schema, fields)
        return parser

    def spellings(self, build: Path) -> spelling.Words:
        """The build's words and their counts, grouped by length; read once per build."""
        with self._lock:
            if self._spelling_build != build:
                self._spelling = spelling.Words(spelling.load(build))
                self._spelling_build = build
            return self._spelling
