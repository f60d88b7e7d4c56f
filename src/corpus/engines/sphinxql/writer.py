"""The sphinxql IndexWriter: fills the slot nobody serves on every shard, then points the front at it.

Each shard daemon holds two real-time indexes (slots a and b); `corpus_meta` on the front says
which slot is served. A build empties the other slot on every copy of every shard, copies the
served documents into it (an incremental ingest) or starts empty (a rebuild), applies the puts and
deletes at each commit, and publish() replaces the one row of `corpus_meta`: a search reads
that row once, so it sees the old slot or the new one, never a mix. A failed or discarded build
leaves the served slot untouched. Documents go to shard `hash(id) % shards`, to every copy of
that shard (a mirror); a write to any copy that fails raises, and the ingest does not publish.

The build's folder in CORPUS_INDEX_DIR keeps what ingest keeps beside any build (manifest,
spelling list); it is swapped in with the slot.
"""

from __future__ import annotations

import json
import time
from collections import Counter
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import pymysql

from ... import indexdir
from ...config import Settings
from ...documents import Article, Author, Byline, IndexedDoc, slugify
from . import codec
from .cluster import SLOTS, front_index, shard_index
from .conn import Address, Front, ShardUnavailable, connect, parse_shards
from .stats import (
    PROBE_ID,
    PROBE_RANKER,
    PROBE_TERM,
    idf_path,
    new_probe,
    probe_weight,
    read_probe,
    signal_daemons,
    words_path,
    write_idf,
    write_words,
)

COPY_BATCH = 500


class SphinxWriter:
    """One build of the cluster's index, in the slot the front does not serve."""

    def __init__(self, settings: Settings, rebuild: bool = False, procs: int = 1) -> None:
        self.settings = settings
        self.front = Front(settings)
        self.shards = parse_shards(settings.sphinx_shards)
        self._conns: dict[Address, Any] = {}
        rows, _ = self.front.query("SELECT slot, build, generation FROM corpus_meta WHERE id = 1")
        live = rows[0] if rows and rows[0]["slot"] else None
        self.live_slot = str(live["slot"]) if live else ""
        self.slot = "b" if self.live_slot == "a" else "a"
        self._generation = int(live["generation"]) if live else 0
        self.index_dir = Path(settings.index_dir)
        indexdir.prune(self.index_dir)
        live_folder = indexdir.current_build(self.index_dir)
        self.live_name = str(live["build"]) if live else ""
        self.fresh = rebuild or live is None or live_folder is None or live_folder.name != self.live_name
        self.folder = indexdir.new_build(self.index_dir) if self.fresh or live_folder is None else indexdir.clone_build(self.index_dir, live_folder)
        self.name = self.folder.name
        self._puts: dict[str, dict[str, Any]] = {}
        self._deletes: set[str] = set()
        self._where: dict[str, int] = {}
        # Document frequencies over the whole build (every shard), for the global IDF file (stats.py).
        self._df: Counter[str] = Counter()
        self._total = 0
        self._lengths = {"title": 0, "body": 0}  # tokens in every row's title and body, for the ranker's average lengths
        self._present: set[str] = set()
        self._values: dict[str, set[str]] = {}  # every facet value (and year) put in this build: a bound for GROUP BY
        try:
            for shard in range(len(self.shards)):
                index = shard_index(shard, self.slot)
                self._each_copy(shard, f"TRUNCATE RTINDEX {index}")
                self._each_copy(shard, f"REPLACE INTO {index} (id, kind, doc, isauthor) VALUES ({PROBE_ID}, %s, '', 2)", [PROBE_TERM])
            if not self.fresh:
                self._copy_live()
        except BaseException:
            indexdir.discard(self.folder)
            raise

    # ----- connections to every copy of every shard
    def _conn(self, address: Address, shard: int) -> Any:
        conn = self._conns.get(address)
        if conn is None:
            conn = self._conns[address] = connect(address, self.settings.sphinx_timeout, f"shard {shard}")
        return conn

    def _each_copy(self, shard: int, sql: str, args: Any = None) -> None:
        for address in self.shards[shard]:
            try:
                with self._conn(address, shard).cursor() as cur:
                    cur.execute(sql, args)
            except pymysql.err.OperationalError as exc:
                self._conns.pop(address, None)
                raise ShardUnavailable(f"shard {shard} ({address}) failed a write: {exc.args[-1] if exc.args else exc}") from None

    def _copy_live(self) -> None:
        """Copy the served slot's documents into this build's slot, shard by shard (text re-analysed from the stored text)."""
        live = front_index(self.live_slot)
        columns = ", ".join(c for c in codec.ROW_COLUMNS if c not in ("title", "body", "title_x", "body_x", "kind"))
        last = 0
        while True:
            rows, _ = self.front.query(
                f"SELECT {columns} FROM {live} WHERE id > {last} AND isauthor < 2 ORDER BY id ASC LIMIT {COPY_BATCH} "
                f"OPTION max_matches={COPY_BATCH}")
            by_shard: dict[int, list[dict[str, Any]]] = {}
            for r in rows:
                row = dict(r)
                row.update(codec.text_fields(row))
                for attr in codec.FACET_ATTRS.values():
                    value = row[attr]
                    row[attr] = tuple(int(v) for v in str(value).split(",") if v) if isinstance(value, str) else tuple(value or ())
                by_shard.setdefault(codec.shard_of(row["doc"], len(self.shards)), []).append(row)
            for shard, batch in by_shard.items():
                self._insert(shard, batch)
            if len(rows) < COPY_BATCH:
                return
            last = int(rows[-1]["id"])

    def _insert(self, shard: int, rows: list[dict[str, Any]]) -> None:
        if not rows:
            return
        cols = codec.ROW_COLUMNS
        values, args = [], []
        for row in rows:
            parts = []
            for c in cols:
                if c in codec.FACET_ATTRS.values():
                    parts.append("(" + ", ".join(str(int(v)) for v in row[c]) + ")")
                else:
                    parts.append("%s")
                    args.append(row[c])
            values.append("(" + ", ".join(parts) + ")")
        sql = f"REPLACE INTO {shard_index(shard, self.slot)} ({', '.join(cols)}) VALUES " + ", ".join(values)
        self._forget([row["doc"] for row in rows if row["doc"] in self._present])
        self._each_copy(shard, sql, args)
        for row in rows:
            self._count(row, 1)
            self._present.add(row["doc"])

    def _count(self, row: dict[str, Any], sign: int) -> None:
        terms = codec.row_terms(row)
        if sign > 0:
            self._df.update(terms)
            for name, values in json.loads(row.get("facets_s") or "{}").items():
                self._values.setdefault(name, set()).update(values)
            if row.get("year"):
                self._values.setdefault("year", set()).add(str(row["year"]))
        else:
            self._df.subtract(terms)
        self._total += sign
        for name in self._lengths:
            self._lengths[name] += sign * len(str(row.get(name) or "").split())

    def _forget(self, doc_ids: list[str]) -> None:
        """Take documents about to be replaced or deleted out of the frequencies (their old text, analysed again)."""
        for i in range(0, len(doc_ids), 100):
            numbers = ", ".join(str(codec.doc_number(d)) for d in doc_ids[i:i + 100])
            rows, _ = self.front.query(
                f"SELECT doc, isauthor, title_s, body_s, facets_s FROM {front_index(self.slot)} WHERE id IN ({numbers}) "
                f"AND isauthor < 2 LIMIT 1000 OPTION max_matches=1000")
            for r in rows:
                if r["doc"] in self._present:
                    self._count(codec.text_fields(dict(r)), -1)
                    self._present.discard(r["doc"])

    # ----- what the build holds
    def _scan(self, columns: str, author: int) -> Iterator[dict[str, Any]]:
        last = 0
        index = front_index(self.slot)
        while True:
            rows, _ = self.front.query(
                f"SELECT id, {columns} FROM {index} WHERE isauthor = {author} AND id > {last} ORDER BY id ASC "
                f"LIMIT {COPY_BATCH} OPTION max_matches={COPY_BATCH}")
            yield from rows
            if len(rows) < COPY_BATCH:
                return
            last = int(rows[-1]["id"])

    def indexed(self) -> dict[str, IndexedDoc]:
        """id -> (hash, path, root, dedupe) of every article in the build."""
        if self.fresh:
            return {}
        return {r["doc"]: IndexedDoc(r["hash_s"], r["path_s"], r["root_s"], r["dedupe_s"])
                for r in self._scan("doc, hash_s, path_s, root_s, dedupe_s", 0)}

    def author_names(self) -> dict[str, str]:
        """slug -> the author name already in the build."""
        if self.fresh:
            return {}
        names = {n for r in self._scan("facets_s", 0) for n in json.loads(r["facets_s"] or "{}").get("author", [])}
        return {slugify(n): n for n in names}

    def generation(self) -> int:
        """Changes with every commit (carried over from the served build)."""
        return self._generation

    def counts(self) -> tuple[int, int]:
        """(articles, authors) in the build."""
        rows, _ = self.front.query(f"SELECT isauthor, COUNT(*) c FROM {front_index(self.slot)} GROUP BY isauthor")
        counts = {int(r["isauthor"]): int(r["c"]) for r in rows}
        return counts.get(0, 0), counts.get(1, 0)

    def bylines(self) -> Iterator[Byline]:
        """Who wrote each article of the build, when, where."""
        for r in self._scan("facets_s, meta_s", 0):
            yield codec.byline(r)

    # ----- writing
    def begin(self) -> Any:
        """Nothing to start: rows are sent at each commit."""
        return self

    def put(self, article: Article, digest: str, dedupe: str) -> None:
        """Add an article at the next commit (a changed one replaces its old version: same Sphinx id)."""
        self._deletes.discard(article.id)
        self._puts[article.id] = codec.article_row(article, digest, dedupe)

    def delete(self, doc_id: str) -> None:
        """Remove the indexed version of an article at the next commit.

        A put of the same id since the last commit is kept: the pipeline puts a changed article
        and then deletes its indexed version, which the put's row (the same Sphinx id) replaces.
        """
        if doc_id not in self._puts:
            self._deletes.add(doc_id)

    def commit(self) -> None:
        """Send what was put and deleted to every copy of its shard."""
        n = len(self.shards)
        by_shard: dict[int, list[dict[str, Any]]] = {}
        for doc_id, row in self._puts.items():
            by_shard.setdefault(codec.shard_of(doc_id, n), []).append(row)
        for shard, rows in by_shard.items():
            for i in range(0, len(rows), 100):
                self._insert(shard, rows[i:i + 100])
        self._forget(sorted(d for d in self._deletes if d in self._present))
        for doc_id in sorted(self._deletes):
            shard = codec.shard_of(doc_id, n)
            self._each_copy(shard, f"DELETE FROM {shard_index(shard, self.slot)} WHERE id = {codec.doc_number(doc_id)}")
        self._puts.clear()
        self._deletes.clear()
        self._generation += 1

    def cancel(self) -> None:
        """Forget what was put and deleted since the last commit."""
        self._puts.clear()
        self._deletes.clear()

    def put_authors(self, authors: Iterable[Author]) -> None:
        """Replace every author document with these."""
        n = len(self.shards)
        old = list(self._scan("doc", 1))
        self._forget([r["doc"] for r in old if r["doc"] in self._present])
        for r in old:
            shard = codec.shard_of(r["doc"], n)
            self._each_copy(shard, f"DELETE FROM {shard_index(shard, self.slot)} WHERE id = {int(r['id'])}")
        by_shard: dict[int, list[dict[str, Any]]] = {}
        for author in authors:
            row = codec.author_row(author)
            by_shard.setdefault(codec.shard_of(row["doc"], n), []).append(row)
        for shard, rows in by_shard.items():
            for i in range(0, len(rows), 100):
                self._insert(shard, rows[i:i + 100])
        self._generation += 1

    # ----- the end of a build
    def close(self) -> None:
        """Drop the connections to the shards (what was not committed is lost)."""
        self.cancel()
        for conn in self._conns.values():
            try:
                conn.close()
            except Exception:
                pass
        self._conns.clear()

    def publish(self) -> None:
        """Point the front at this build's slot: one REPLACE of corpus_meta's only row, then swap the folder in.

        With CORPUS_SPHINX_STATS, first the slot's global IDF file, loaded by every copy of every shard.
        """
        if self.settings.sphinx_stats:
            self._publish_stats(Path(self.settings.sphinx_stats))
        self.front.query(
            "REPLACE INTO corpus_meta (id, note, slot, build, generation, shards, lengths) VALUES (1, '', %s, %s, %s, %s, %s)",
            [self.slot, self.name, self._generation, len(self.shards), json.dumps(self.average_lengths())])
        indexdir.swap_in(self.index_dir, self.folder)

    def average_lengths(self) -> dict[str, float]:
        """Average tokens per document in title and body over the whole build (the ranker's length normalisation)."""
        out: dict[str, float] = {name: round(total / self._total, 4) if self._total else 1.0 for name, total in self._lengths.items()}
        out["groups"] = max((len(v) for v in self._values.values()), default=0)
        return out

    def _publish_stats(self, folder: Path) -> None:
        """Write this slot's global IDF file, make the shards reload it, and wait until every copy ranks with it."""
        path = idf_path(folder, self.slot)
        probe = new_probe(self._total, read_probe(path))
        present = {t: c for t, c in self._df.items() if c > 0}
        write_idf(path, present, self._total, probe)
        write_words(words_path(folder, self.slot), list(present))
        signal_daemons(folder)
        expected = probe_weight(probe, self._total)
        deadline = time.monotonic() + max(5.0, 2 * self.settings.sphinx_timeout)
        for shard, copies in enumerate(self.shards):
            sql = (f"SELECT id, WEIGHT() w FROM {shard_index(shard, self.slot)} WHERE MATCH(%s) LIMIT 1 "
                   f"OPTION {PROBE_RANKER}")
            for address in copies:
                seen = None
                while True:
                    try:
                        with self._conn(address, shard).cursor() as cur:
                            cur.execute(sql, ["@kind " + PROBE_TERM])
                            rows = cur.fetchall()
                        seen = int(rows[0]["w"]) if rows else None
                    except pymysql.err.MySQLError:
                        self._conns.pop(address, None)
                    if seen is not None and abs(seen - expected) <= 1:
                        break
                    if time.monotonic() > deadline:
                        raise ShardUnavailable(
                            f"shard {shard} ({address}) did not load the new ranking statistics "
                            f"({idf_path(folder, self.slot)}; weight {seen}, expected {expected}): a daemon on another machine "
                            f"needs the file copied to it and a SIGHUP (docs/scaling.md); nothing was published")
                    time.sleep(0.05)

    def discard(self) -> None:
        """Throw the build away: the served slot was never written."""
        indexdir.discard(self.folder)


assert SLOTS == ("a", "b")
