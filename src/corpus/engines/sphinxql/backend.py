"""The sphinxql SearchBackend: searches through the front daemon's distributed index.

Sphinx does the placement, the fan-out to shards (agents) and the merge; corpus compiles the
query (query.py), reads the served slot from `corpus_meta` once per call, and turns rows into
the plain values of search.types. Facet counts and the timeline are GROUP BY queries over the
whole match (max_matches above the number of distinct values, so they are exact), one per
facet with every other facet's selection (multi-select).
"""

from __future__ import annotations

import bisect
import fnmatch
import html
import json
import re
import time
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import numpy as np

from ... import analysis
from ...analysis import UNDETERMINED
from ...config import Settings
from ...errors import BadRequest, NoIndex, NotFound
from ...fields import DEFAULT_FACETS, FACET_NAMES
from ...search import syntax
from ...search.analyze import Variant, analyze
from ...search.facets import facet_page
from ...search.parser import parse
from ...search.types import (
    NO_DAY,
    ArticleRecord,
    AuthorMatch,
    AuthorPage,
    AuthorRecord,
    Bucket,
    CorpusStats,
    Export,
    ExportRow,
    Facet,
    FacetTable,
    Hit,
    IndexInfo,
    Matches,
    SearchRequest,
    SearchResult,
    Timeline,
)
from . import codec
from .cluster import front_index
from .conn import Front
from .query import DEFAULT, compile_tree, date_days
from .stats import read_words, words_path

HIT_COLUMNS = "id, doc, title_s, body_s, facets_s, meta_s"
# BM25F as the whoosh engine scores it (k1 = 1.2, b = 0.75, title weighed twice), from Sphinx's
# field-level factors: per field, tf_idf (sum of tf * idf over the query's keywords) saturated by
# the field's mean tf and normalised by the field's length (title_len, body_len) over the average
# length of the whole build (from corpus_meta, so every shard uses the same one). The field weight
# doubles as the field's identity (title and title_x weigh 2, body and body_x 1, kind 0).
FIELD_WEIGHTS = "field_weights=(title=2, body=1, title_x=2, body_x=1, kind=0)"
BM25F = ("sum(tf_idf*user_weight*2.2/(user_weight*hit_count/word_count + 1.2*(0.25+0.75*"
         "if(user_weight==2, title_len, body_len)/if(user_weight==2, {title:.4f}, {body:.4f}))))*100000")
MAX_EXPANSIONS = 4096  # words one prefix or wildcard may stand for, as on the whoosh engine
# max_matches of a GROUP BY must be above its number of groups for exact counts, and Sphinx
# allocates that many slots per query per shard (0.3 s at a million): a facet uses the build's
# own bound on distinct values (corpus_meta), a timeline the number of periods in its span.
GROUPS_MAX = 1_000_000
BATCH = 1000


class Served:
    """What `corpus_meta` says is served: slot, build name and generation."""

    def __init__(self, row: dict[str, Any]) -> None:
        self.slot = str(row["slot"])
        self.build = str(row["build"])
        self.generation = int(row["generation"])
        self.index = front_index(self.slot)
        self.version = f"{self.build}:{self.generation}"
        try:
            lengths = json.loads(row.get("lengths") or "{}")
        except ValueError:
            lengths = {}
        self.lengths = {name: max(float(lengths.get(name) or 1.0), 0.0001) for name in ("title", "body")}
        self.groups = min(GROUPS_MAX, max(20, int(lengths.get("groups") or GROUPS_MAX) + 1))


class SphinxBackend:
    """SearchBackend over a Sphinx cluster (CORPUS_SPHINX_FRONT)."""

    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.front = Front(settings)
        self._languages: dict[str, tuple[str, ...]] = {}
        self._words: dict[str, list[str] | None] = {}
        self._tables: dict[str, dict[str, Any]] = {}

    # ----- the served slot
    def served(self) -> Served:
        rows, _ = self.front.query("SELECT slot, build, generation, lengths FROM corpus_meta WHERE id = 1")
        if not rows or not rows[0]["slot"]:
            raise NoIndex("nothing is published on the cluster yet: run `corpus ingest` with CORPUS_ENGINE=sphinxql")
        return Served(rows[0])

    def version(self) -> str:
        """build:generation of the served slot."""
        return self.served().version

    def index_info(self) -> IndexInfo:
        """Which build is served and how many articles and authors it holds."""
        return self._info(self.served())

    def _info(self, served: Served) -> IndexInfo:
        rows, _ = self.front.query(f"SELECT isauthor, COUNT(*) c FROM {served.index} GROUP BY isauthor")
        counts = {int(r["isauthor"]): int(r["c"]) for r in rows}
        return IndexInfo(build=served.build, documents=counts.get(0, 0), authors=counts.get(1, 0), updated=None)

    # ----- queries
    def _languages_of(self, served: Served) -> tuple[str, ...]:
        found = self._languages.get(served.version)
        if found is None:
            rows, _ = self.front.query(
                f"SELECT groupby() g, COUNT(*) c, facets_s FROM {served.index} WHERE isauthor = 0 GROUP BY language_h "
                f"LIMIT {served.groups} OPTION max_matches={served.groups}")
            names = {codec.facet_name(r, "language", int(r["g"])) for r in rows}
            found = tuple(sorted(n for n in names if n)) or (UNDETERMINED,)
            self._languages = {served.version: found}
        return found

    def _tree(self, q: str, served: Served) -> syntax.Node | None:
        if len(q) > self.settings.max_query_length:
            raise BadRequest(f"the query is longer than {self.settings.max_query_length} characters", param="q")
        languages = self._languages_of(served)

        def analyzer(field: str, text: str, whole: bool, exact: bool) -> list[Variant]:
            if field not in ("title", "body"):
                return [([codec.token(analysis.fold(text))], None)] if text.strip() else []
            by_terms: dict[tuple[str, ...], list[str]] = {}
            for language in languages:
                if whole:  # a prefix or wildcard: one normalised token, as the whoosh engine makes it
                    term = (analysis.exact(text) if exact else analysis.analyzer(language).term(text)) if text else ""
                    terms = [term] if term else []
                else:
                    terms = analysis.analyzer(language, exact).terms(text)
                by_terms.setdefault(tuple(terms), []).append(language)
            if len(by_terms) == 1:
                return [(list(next(iter(by_terms))), None)]
            return [(list(t), tuple(langs)) for t, langs in by_terms.items()]

        try:
            return analyze(parse(q), analyzer, DEFAULT)
        except RecursionError:  # the shared parser recurses once per parenthesis
            raise BadRequest("the query nests parentheses too deeply", param="q") from None

    def _where(self, req: SearchRequest, match: str, day_from: int | None, day_to: int | None,
               skip: str | None = None) -> tuple[str, list[Any]]:
        clauses, args = ["isauthor = 0"], []
        if match:
            clauses.insert(0, "MATCH(%s)")
            args.append(match)
        for name, values in req.filters:
            if not values or name == skip:
                continue
            if name not in FACET_NAMES:
                raise BadRequest(f"unknown facet {name!r}", param=name)
            if name == "year":
                years = [int(v) for v in values if v.isdigit()] or [-1]
                clauses.append(f"year IN ({', '.join(str(y) for y in years)})")
            else:
                hashes = ", ".join(str(codec.value_hash(name, v)) for v in values)
                clauses.append(f"{codec.FACET_ATTRS[name]} IN ({hashes})")
        lo = [d for d in (day_from, date_days(req.date_from)) if d is not None]
        hi = [d for d in (day_to, date_days(req.date_to)) if d is not None]
        if lo or hi:
            clauses.append("dated = 1")
            if lo:
                clauses.append(f"day >= {int(max(lo))}")
            if hi:
                clauses.append(f"day <= {int(min(hi))}")
        return " AND ".join(clauses), args

    def _ranking(self, served: Served) -> str:
        expression = BM25F.format(**served.lengths)
        ranking = f"ranker=expr('{expression}'), {FIELD_WEIGHTS}"
        # With the global IDF file (stats.py) every shard ranks with the whole corpus's statistics.
        return ranking + ", global_idf=1" if self.settings.sphinx_stats else ranking

    def _expander(self, served: Served) -> Any:
        """Prefixes and wildcards to the served build's words (stats.words_path), or None without a word list."""
        if served.version not in self._words:
            words = read_words(words_path(Path(self.settings.sphinx_stats), served.slot)) if self.settings.sphinx_stats else None
            self._words = {served.version: words}
        words = self._words[served.version]
        if words is None:
            return None

        def expand(kind: str, text: str) -> list[str]:
            if kind == "prefix":
                start = bisect.bisect_left(words, text)
                end = bisect.bisect_left(words, text + "\U0010ffff")
                found = words[start:end]
            else:
                pattern = re.compile(fnmatch.translate(text))
                found = [w for w in words if pattern.match(w)]
            if len(found) > MAX_EXPANSIONS:
                raise BadRequest(f"{text}{'*' if kind == 'prefix' else ''} stands for more than {MAX_EXPANSIONS:,} words: "
                                 "make it longer", param="q")
            return found

        return expand

    def _compile(self, tree: syntax.Node | None, served: Served) -> Any:
        try:
            return compile_tree(tree, self._expander(served))
        except RecursionError:
            raise BadRequest("the query nests parentheses too deeply", param="q") from None

    def _order(self, req: SearchRequest, match: str, served: Served) -> tuple[str, str]:
        if req.sort == "relevance" and match:
            return "WEIGHT() DESC, doc ASC", self._ranking(served)
        if req.sort == "oldest":
            return "dated DESC, day ASC, doc ASC", "ranker=none"
        return "dated DESC, day DESC, doc ASC", "ranker=none"

    def _page(self, served: Served, req: SearchRequest, where: str, args: list[Any], start: int, count: int,
              match: str) -> tuple[list[dict[str, Any]], int]:
        order, options = self._order(req, match, served)
        sql = (f"SELECT {HIT_COLUMNS}, WEIGHT() w FROM {served.index} WHERE {where} ORDER BY {order} "
               f"LIMIT {int(start)}, {int(count)} OPTION max_matches={int(start + count)}, {options}")
        rows, meta = self.front.query(sql, args, meta=True)
        return rows, int(meta.get("total_found", 0))

    def search(self, req: SearchRequest) -> SearchResult:
        """One page of hits with exact total, facet counts (multi-select), timeline and author matches."""
        started = time.perf_counter()
        served = self.served()
        tree = self._tree(req.q, served)
        compiled = self._compile(tree, served)
        where, args = self._where(req, compiled.match, compiled.day_from, compiled.day_to)
        start = (req.page - 1) * req.per_page
        rows, total = self._page(served, req, where, args, start, req.per_page, compiled.match)
        terms = _query_terms(tree) if req.highlight else set()
        ranked = req.sort == "relevance" and bool(compiled.match)
        hits = [codec.hit(r, _snippet(r, terms), float(r["w"]) if ranked else None) for r in rows]
        facets = {name: self._facet(served, name, req, compiled.match, compiled.day_from, compiled.day_to) for name in req.facets}
        line = self._timeline(served, where, args) if req.timeline else None
        authors = []
        if req.authors and tree is not None:
            names = {w.casefold() for w in req.q.split()}
            authors = [m for m in self._author_matches(served) if names & set(m[1].casefold().split())][:5]
        return SearchResult(
            request=req, parsed=syntax.render(tree), total=total, hits=hits, facets=facets, timeline=line, suggestion=None,
            authors=[AuthorMatch(slug, name, "", count) for slug, name, count in authors],
            took_ms=round((time.perf_counter() - started) * 1000, 2), index=self._info(served),
        )

    def _author_matches(self, served: Served) -> list[tuple[str, str, int]]:
        return [(a.slug, a.name, a.article_count) for a in self._authors(served)]

    def _facet(self, served: Served, name: str, req: SearchRequest, match: str, day_from: int | None, day_to: int | None,
               size: int | None = None, prefix: str = "", offset: int = 0) -> Facet:
        if name not in FACET_NAMES:
            raise BadRequest(f"unknown facet {name!r}", param="facet")
        where, args = self._where(req, match, day_from, day_to, skip=name)
        if name == "year":
            rows, _ = self.front.query(
                f"SELECT year, COUNT(*) c FROM {served.index} WHERE {where} AND dated = 1 GROUP BY year "
                f"LIMIT {served.groups} OPTION max_matches={served.groups}", args)
            pairs = sorted(((str(r["year"]), int(r["c"])) for r in rows), reverse=True)
        else:
            rows, _ = self.front.query(
                f"SELECT groupby() g, COUNT(*) c, facets_s FROM {served.index} WHERE {where} GROUP BY {codec.FACET_ATTRS[name]} "
                f"LIMIT {served.groups} OPTION max_matches={served.groups}", args)
            pairs = [(n, int(r["c"])) for r in rows if (n := codec.facet_name(r, name, int(r["g"]))) is not None]
            pairs.sort(key=lambda p: (-p[1], p[0].casefold()))
        return facet_page(name, pairs, req, size, prefix, offset)

    def _timeline(self, served: Served, where: str, args: list[Any]) -> Timeline:
        _, meta = self.front.query(f"SELECT id FROM {served.index} WHERE {where} LIMIT 1", args, meta=True)
        total = int(meta.get("total_found", 0))
        span, _ = self.front.query(
            f"SELECT MIN(day) lo, MAX(day) hi, COUNT(*) c FROM {served.index} WHERE {where} AND dated = 1", args)
        dated = int(span[0]["c"]) if span else 0
        if not dated:
            return Timeline(interval="year", buckets=[], undated=total)
        lo, hi = codec.day_date(int(span[0]["lo"])), codec.day_date(int(span[0]["hi"]))
        days = (hi - lo).days
        interval = "year" if days > 3 * 366 else "month" if days > 45 else "day"
        attr = {"year": "year", "month": "month", "day": "day"}[interval]
        keys = _periods(lo, hi, interval)
        bound = len(keys) + 1
        counts = self._groups(served, attr, where, args, bound)
        within = f"isauthor = 0 AND dated = 1 AND day >= {(keys[0][2] - codec.EPOCH).days} AND day <= {(keys[-1][3] - codec.EPOCH).days}"
        corpus = self._groups(served, attr, within, [], bound)
        buckets = [Bucket(period=p, start=s, end=e, count=counts.get(k, 0), corpus_count=corpus.get(k, 0)) for k, p, s, e in keys]
        return Timeline(interval=interval, buckets=buckets, undated=total - dated)

    def _groups(self, served: Served, attr: str, where: str, args: list[Any], bound: int) -> dict[int, int]:
        rows, _ = self.front.query(
            f"SELECT {attr}, COUNT(*) c FROM {served.index} WHERE {where} AND dated = 1 GROUP BY {attr} "
            f"LIMIT {int(bound)} OPTION max_matches={max(20, int(bound))}", args)
        return {int(r[attr]): int(r["c"]) for r in rows}

    def facet_values(self, name: str, req: SearchRequest, prefix: str = "", page: int = 1, size: int = 50) -> Facet:
        """Every value of one facet for a search, paged, optionally by prefix."""
        if name not in FACET_NAMES:
            raise BadRequest(f"unknown facet {name!r}", param="facet")
        served = self.served()
        compiled = self._compile(self._tree(req.q, served), served)
        return self._facet(served, name, req, compiled.match, compiled.day_from, compiled.day_to, size=size, prefix=prefix,
                           offset=(page - 1) * size)

    def export(self, req: SearchRequest, cap: int = 0, bodies: bool = False) -> Export:
        """Every match in the search's order, read from the front a batch at a time."""
        served = self.served()
        tree = self._tree(req.q, served)
        compiled = self._compile(tree, served)
        where, args = self._where(req, compiled.match, compiled.day_from, compiled.day_to)
        first, total = self._page(served, req, where, args, 0, BATCH, compiled.match)
        wanted = min(total, cap) if cap else total
        ranked = req.sort == "relevance" and bool(compiled.match)

        def rows() -> Iterator[ExportRow]:
            batch, offset, sent = first, 0, 0
            while batch and sent < wanted:
                for r in batch:
                    if sent >= wanted:
                        return
                    body = r.get("body_s") or ""
                    yield ExportRow(codec.hit(r, _opening(body), float(r["w"]) if ranked else None), body if bodies else None)
                    sent += 1
                offset += len(batch)
                if offset >= wanted:
                    return
                batch, _ = self._page(served, req, where, args, offset, BATCH, compiled.match)

        return Export(total=total, rows=rows())

    def matches(self, req: SearchRequest) -> Matches:
        """Which articles a search matches, numbered by Sphinx id, with days and facet tables (no token store).

        What the share columns and provenance need. The concordance views also need a token store,
        which this engine does not build: they answer 503 saying so (docs/scaling.md).
        """
        served = self.served()
        table = self._table(served)
        tree = self._tree(req.q, served)
        compiled = self._compile(tree, served)
        subcorpus = self._filtered(table, req, compiled.day_from, compiled.day_to)
        matched = subcorpus.copy()
        if compiled.match and compiled.match != "(@kind article)":
            found = np.zeros(len(table["ids"]), dtype=bool)
            last = 0
            number = table["number"]
            while True:
                rows, _ = self.front.query(
                    f"SELECT id FROM {served.index} WHERE MATCH(%s) AND isauthor = 0 AND id > {last} ORDER BY id ASC "
                    f"LIMIT {BATCH} OPTION max_matches={BATCH}, ranker=none", [compiled.match])
                for r in rows:
                    n = number.get(int(r["id"]))
                    if n is not None:
                        found[n] = True
                if len(rows) < BATCH:
                    break
                last = int(rows[-1]["id"])
            matched &= found
        return Matches(request=req, parsed=syntax.render(tree), version=served.version,
                       build=str(Path(self.settings.index_dir) / "sphinxql-has-no-token-store"), index=self._info(served),
                       ids=table["ids"], matched=matched, subcorpus=subcorpus, days=table["days"], facets=table["facets"],
                       patterns=())

    def _table(self, served: Served) -> dict[str, Any]:
        """Every article of the served build, by Sphinx id: ids, days and facet tables (once per version)."""
        found = self._tables.get(served.version)
        if found is not None:
            return found
        ids: list[str] = []
        days: list[int] = []
        pairs: dict[str, tuple[list[int], list[int], dict[str, int]]] = {name: ([], [], {}) for name in FACET_NAMES if name != "year"}
        last = 0
        while True:
            rows, _ = self.front.query(
                f"SELECT id, doc, day, dated, facets_s FROM {served.index} WHERE isauthor = 0 AND id > {last} ORDER BY id ASC "
                f"LIMIT {BATCH} OPTION max_matches={BATCH}")
            for r in rows:
                n = len(ids)
                ids.append(r["doc"])
                days.append(int(r["day"]) if int(r["dated"]) else NO_DAY)
                facets = json.loads(r.get("facets_s") or "{}")
                for name, (docs, ords, index) in pairs.items():
                    for value in facets.get(name, []):
                        docs.append(n)
                        ords.append(index.setdefault(value, len(index)))
            if len(rows) < BATCH:
                break
            last = int(rows[-1]["id"])
        numbers = {codec.doc_number(doc): n for n, doc in enumerate(ids)}
        day_array = np.asarray(days, dtype=np.int64)
        years = np.where(day_array == NO_DAY, 0, (day_array.astype("datetime64[D]").astype("datetime64[Y]").astype(int) + 1970))
        tables = {name: FacetTable(values=list(index), docs=np.asarray(docs, dtype=np.int64), ords=np.asarray(ords, dtype=np.int64))
                  for name, (docs, ords, index) in pairs.items()}
        year_values = sorted({str(y) for y in years[day_array != NO_DAY]})
        year_index = {v: i for i, v in enumerate(year_values)}
        dated = np.flatnonzero(day_array != NO_DAY)
        tables["year"] = FacetTable(values=year_values, docs=dated,
                                    ords=np.asarray([year_index[str(y)] for y in years[dated]], dtype=np.int64))
        found = {"ids": ids, "days": day_array.astype(np.int32), "facets": tables, "number": numbers}
        self._tables = {served.version: found}
        return found

    @staticmethod
    def _filtered(table: dict[str, Any], req: SearchRequest, day_from: int | None, day_to: int | None) -> Any:
        """The articles a request's facet filters and dates keep (OR within a facet, AND across)."""
        days = table["days"].astype(np.int64)
        keep = np.ones(len(table["ids"]), dtype=bool)
        for name, values in req.filters:
            if not values:
                continue
            facet = table["facets"].get(name)
            if facet is None:
                raise BadRequest(f"unknown facet {name!r}", param=name)
            chosen = {i for i, v in enumerate(facet.values) if v in set(values)}
            hit = np.zeros(len(keep), dtype=bool)
            if chosen:
                hit[np.asarray(facet.docs)[np.isin(np.asarray(facet.ords), list(chosen))]] = True
            keep &= hit
        lo = [d for d in (day_from, date_days(req.date_from)) if d is not None]
        hi = [d for d in (day_to, date_days(req.date_to)) if d is not None]
        if lo or hi:
            keep &= days != NO_DAY
            if lo:
                keep &= days >= max(lo)
            if hi:
                keep &= days <= min(hi)
        return keep

    def documents(self, doc_ids: list[str]) -> Iterator[ExportRow]:
        """Each article's hit and body, in the order asked."""
        for doc_id in doc_ids:
            record = self._row(doc_id)
            yield ExportRow(codec.hit(record, "", None), record.get("body_s") or "")

    def _row(self, doc_id: str, author: bool = False) -> dict[str, Any]:
        served = self.served()
        rows, _ = self.front.query(
            f"SELECT {HIT_COLUMNS} FROM {served.index} WHERE id = {codec.doc_number(doc_id)} AND isauthor = {int(author)}")
        rows = [r for r in rows if r["doc"] == doc_id]
        if not rows:
            raise NotFound(f"no {'author' if author else 'article'} with id {doc_id!r}")
        return rows[0]

    def article(self, doc_id: str) -> ArticleRecord:
        """One article by id, or NotFound."""
        return codec.article_record(self._row(doc_id))

    def highlight_article(self, record: ArticleRecord, q: str) -> list[str] | None:
        """The article's paragraphs with the query's terms marked, or None."""
        try:
            tree = self._tree(q, self.served())
        except BadRequest:
            return None
        if tree is None:
            return None
        terms = _query_terms(tree)
        return [_mark(p, terms, record.language) for p in record.paragraphs]

    def more_like_this(self, doc_id: str, limit: int = 5) -> list[Hit]:
        """Articles sharing this one's most frequent words (no stop words), by Sphinx's ranking."""
        row = self._row(doc_id)
        record = codec.article_record(row)
        tf: dict[str, int] = {}
        for tok in analysis.analyze(record.body, record.language):
            if not analysis.is_stop_word(tok.text, record.language) and len(tok.term) > 1:
                tf[codec.token(tok.term)] = tf.get(codec.token(tok.term), 0) + 1
        words = [w for w, _ in sorted(tf.items(), key=lambda p: (-p[1], p[0]))[:25] if w]
        if not words:
            return []
        served = self.served()
        match = "@body " + " | ".join(words)
        rows, _ = self.front.query(
            f"SELECT {HIT_COLUMNS}, WEIGHT() w FROM {served.index} WHERE MATCH(%s) AND isauthor = 0 AND id != {int(row['id'])} "
            f"AND language_h = {codec.value_hash('language', record.language)} ORDER BY WEIGHT() DESC, doc ASC "
            f"LIMIT {int(limit)} OPTION {self._ranking(served)}", [match])
        return [codec.hit(r, _opening(r.get("body_s") or ""), float(r["w"])) for r in rows]

    def _authors(self, served: Served) -> list[AuthorRecord]:
        out: list[AuthorRecord] = []
        last = 0
        while True:
            rows, _ = self.front.query(
                f"SELECT id, meta_s FROM {served.index} WHERE isauthor = 1 AND id > {last} ORDER BY id ASC "
                f"LIMIT {BATCH} OPTION max_matches={BATCH}")
            out.extend(codec.author_record(r) for r in rows)
            if len(rows) < BATCH:
                return out
            last = int(rows[-1]["id"])

    def author(self, slug: str) -> AuthorRecord:
        """One author by slug, or NotFound."""
        return codec.author_record(self._row(codec.author_doc_id(slug), author=True))

    def authors(self, prefix: str = "", page: int = 1, per_page: int = 50) -> AuthorPage:
        """Authors by number of articles then name, optionally by name prefix, paged."""
        records = self._authors(self.served())
        if prefix:
            folded = prefix.casefold()
            records = [r for r in records if r.name.casefold().startswith(folded) or any(w.startswith(folded) for w in r.name.casefold().split())]
        records.sort(key=lambda r: (-r.article_count, r.name.casefold()))
        start = (page - 1) * per_page
        return AuthorPage(total=len(records), authors=records[start:start + per_page])

    def stats(self) -> CorpusStats:
        """Counts and span of the whole corpus, top facet values and its timeline."""
        served = self.served()
        everything = SearchRequest(facet_size=10)
        facets = {name: self._facet(served, name, everything, "", None, None) for name in DEFAULT_FACETS}
        line = self._timeline(served, "isauthor = 0", [])
        info = self._info(served)
        span, _ = self.front.query(f"SELECT MIN(day) lo, MAX(day) hi, COUNT(*) c FROM {served.index} WHERE isauthor = 0 AND dated = 1")
        dated = int(span[0]["c"]) if span else 0
        date_span = [codec.day_date(int(span[0]["lo"])).isoformat(), codec.day_date(int(span[0]["hi"])).isoformat()] if dated else None
        return CorpusStats(index=info, documents=info.documents, authors=info.authors, sources=facets["source"].distinct,
                           regions=facets["region"].distinct, undated=info.documents - dated, date_span=date_span,
                           facets=facets, timeline=line)


def _periods(lo: date, hi: date, interval: str) -> list[tuple[int, str, date, date]]:
    """(group key, period, start, end) of every period from lo to hi."""
    unit = {"year": "Y", "month": "M", "day": "D"}[interval]
    first = np.datetime64(lo.isoformat()).astype(f"datetime64[{unit}]")
    last = np.datetime64(hi.isoformat()).astype(f"datetime64[{unit}]")
    out = []
    for i in range(int((last - first).astype(int)) + 1):
        start: date = (first + i).astype("datetime64[D]").astype(date)
        end: date = ((first + i + 1).astype("datetime64[D]") - np.timedelta64(1, "D")).astype(date)
        if interval == "year":
            out.append((start.year, f"{start.year}", start, end))
        elif interval == "month":
            out.append((start.year * 12 + start.month - 1, f"{start.year}-{start.month:02d}", start, end))
        else:
            out.append(((start - codec.EPOCH).days, start.isoformat(), start, end))
    return out


def _query_terms(tree: syntax.Node | None) -> set[str]:
    if tree is None:
        return set()
    terms: set[str] = set()
    for leaf in syntax.leaves(tree):
        if isinstance(leaf, syntax.Term):
            terms.add(leaf.text)
        elif isinstance(leaf, syntax.Phrase):
            terms.update(leaf.words)
    return terms


def _mark(text: str, terms: set[str], language: str) -> str:
    """The text escaped, with every token whose term the query searches wrapped in <mark>."""
    out, last = [], 0
    for tok in analysis.analyze(text, language):
        if tok.term in terms:
            out.append(html.escape(text[last:tok.start]))
            out.append(f"<mark>{html.escape(text[tok.start:tok.end])}</mark>")
            last = tok.end
    out.append(html.escape(text[last:]))
    return "".join(out)


def _opening(body: str, size: int = 240) -> str:
    text = " ".join(body.split())
    return html.escape(text if len(text) <= size else text[:size].rsplit(" ", 1)[0] + " …")


def _snippet(row: dict[str, Any], terms: set[str]) -> str:
    """The first sentence-sized window holding a query term, marked; else the opening."""
    body = row.get("body_s") or ""
    if not terms:
        return _opening(body)
    language = (json.loads(row.get("facets_s") or "{}").get("language") or [UNDETERMINED])[0]
    for tok in analysis.analyze(body, language):
        if tok.term in terms:
            start = max(0, tok.start - 100)
            piece = body[start:start + 240]
            return ("… " if start else "") + _mark(" ".join(piece.split()), terms, language)
    return _opening(body)
