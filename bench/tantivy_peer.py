"""The in-process peer: tantivy-py (the Rust engine behind Quickwit) doing the same work as our search.

    .venv/bin/python bench/tantivy_peer.py --index INDEX_DIR [--reps N]

INDEX_DIR is a corpus index of Reuters-21578 (for instance one `bench/ab.py` or `make bench`
left in bench/work/). The Reuters records that corpus indexed (its recorded duplicates left out)
are indexed into tantivy (title and body with its
English stemmer, author, source, region and category as raw keyword fast fields, the date as a
date fast field), then every query of the fixed set (bench/queries.py) is answered by both, in
one process, alternating query by query, as a whole search: the top 10 with the exact count, the
five facets (author, source, region, year, category; 10 values each) as aggregations, the monthly
timeline as a range aggregation over the same months ours shows, and snippets of the 10 hits.
Prints and writes bench/results/tantivy.json: medians per kind and the ratio ours / tantivy.

Query forms tantivy's parser lacks are built from its query objects: a prefix (`export*`) is a
regex query on title and body, a date filter a range query ANDed with the words.
"""

from __future__ import annotations

import argparse
import json
import shutil
import statistics
import time
from collections import defaultdict
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import tantivy
from common import ROOT, WORK, log, machine, write_json
from queries import KINDS, QUERIES

REUTERS = ROOT.parent / "shared" / "corpora" / "reuters21578" / "reuters21578.jsonl"
FACETS = ("author", "source", "region", "category")  # keyword fields; the year is a range aggregation
SIZE = 10


def _list(value: Any) -> list[str]:
    if not value:
        return []
    return [str(v) for v in value] if isinstance(value, list) else [str(value)]


def indexed_ids(index_dir: Path) -> set[str]:
    """The ids of the articles in a corpus index (duplicates were recorded, not indexed), read with Whoosh."""
    from whoosh import index as whoosh_index

    build = (index_dir / "current").resolve()
    ix = whoosh_index.open_dir(str(build))
    with ix.searcher() as searcher:
        return {fields["id"] for fields in searcher.all_stored_fields() if fields.get("kind") == "article"}


def open_ours(index_dir: Path) -> Any:
    """Our search, opened the way the checkout being measured opens it."""
    from corpus.config import Settings

    settings = Settings.from_env(index_dir=index_dir, result_cache=0)
    try:
        from corpus.engines import open_backend  # type: ignore[attr-defined]
    except ImportError:
        from corpus.search import SearchService

        return SearchService(settings)
    return open_backend(settings)


def build(path: Path, keep: set[str]) -> tuple[tantivy.Index, tantivy.Schema, dict[str, Any]]:
    """Index the Reuters records that corpus indexed (keep) into a fresh tantivy index at path."""
    sb = tantivy.SchemaBuilder()
    sb.add_text_field("id", stored=True, tokenizer_name="raw")
    sb.add_text_field("title", stored=True, tokenizer_name="en_stem")
    sb.add_text_field("body", stored=True, tokenizer_name="en_stem")
    for name in FACETS:
        sb.add_text_field(name, stored=True, tokenizer_name="raw", fast=True)
    sb.add_date_field("date", stored=True, indexed=True, fast=True)
    schema = sb.build()
    shutil.rmtree(path, ignore_errors=True)
    path.mkdir(parents=True)
    started = time.perf_counter()
    index = tantivy.Index(schema, path=str(path))
    writer = index.writer(heap_size=512_000_000)
    count = 0
    with open(REUTERS, encoding="utf-8") as fh:
        for line in fh:
            rec = json.loads(line)
            if rec["id"] not in keep:
                continue
            fields: dict[str, Any] = {"id": rec["id"], "title": rec.get("title") or "", "body": rec.get("body") or "",
                                      "author": _list(rec.get("author")), "source": _list(rec.get("source")),
                                      "region": _list(rec.get("region")), "category": _list(rec.get("topics"))}
            if rec.get("date"):
                fields["date"] = datetime.fromisoformat(rec["date"].replace("Z", "+00:00")).astimezone(UTC)
            writer.add_document(tantivy.Document(**{k: v for k, v in fields.items() if v != []}))
            count += 1
    writer.commit()
    writer.wait_merging_threads()
    index.reload()
    return index, schema, {"documents": count, "seconds": round(time.perf_counter() - started, 2),
                           "documents_per_s": round(count / (time.perf_counter() - started))}


def _ns(d: date) -> float:
    """Tantivy's date fast fields aggregate in nanoseconds since the epoch."""
    return datetime(d.year, d.month, d.day, tzinfo=UTC).timestamp() * 1e9


def _months(first: date, last: date) -> list[tuple[date, date]]:
    out, y, m = [], first.year, first.month
    while (y, m) <= (last.year, last.month):
        nxt = (y + 1, 1) if m == 12 else (y, m + 1)
        out.append((date(y, m, 1), date(*nxt, 1)))
        y, m = nxt
    return out


class Peer:
    """Whole searches on the tantivy index, the same work as our full search."""

    def __init__(self, index: tantivy.Index, schema: tantivy.Schema, span: tuple[date, date]) -> None:
        self.index, self.schema = index, schema
        self.searcher = index.searcher()
        self.months = _months(*span)
        self.years = [(date(y, 1, 1), date(y + 1, 1, 1)) for y in range(span[0].year, span[1].year + 1)]

    def query(self, q: str, dates: tuple[date, date] | None) -> tantivy.Query:
        if q.endswith("*") and " " not in q:  # a prefix: tantivy's parser has none for single words
            stem = q[:-1].lower()
            words = tantivy.Query.boolean_query([(tantivy.Occur.Should, tantivy.Query.regex_query(self.schema, f, stem + ".*"))
                                                 for f in ("title", "body")])
        else:
            words = self.index.parse_query(q or "*", ["title", "body"])
        if dates is None:
            return words
        start = datetime(dates[0].year, dates[0].month, dates[0].day, tzinfo=UTC)
        end = datetime(dates[1].year, dates[1].month, dates[1].day, 23, 59, 59, tzinfo=UTC)
        when = tantivy.Query.range_query(self.schema, "date", tantivy.FieldType.Date, start, end)
        return tantivy.Query.boolean_query([(tantivy.Occur.Must, words), (tantivy.Occur.Must, when)])

    def search(self, q: str, dates: tuple[date, date] | None) -> int:
        query = self.query(q, dates)
        result = self.searcher.search(query, SIZE, count=True)
        aggs: dict[str, Any] = {name: {"terms": {"field": name, "size": SIZE}} for name in FACETS}
        aggs["year"] = {"range": {"field": "date", "ranges": [{"from": _ns(a), "to": _ns(b)} for a, b in self.years]}}
        aggs["timeline"] = {"range": {"field": "date", "ranges": [{"from": _ns(a), "to": _ns(b)} for a, b in self.months]}}
        self.searcher.aggregate(query, aggs)
        snippets = tantivy.SnippetGenerator.create(self.searcher, query, self.schema, "body")
        for _score, address in result.hits:
            snippets.snippet_from_doc(self.searcher.doc(address)).to_html()
        return int(result.count)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--index", type=Path, required=True, help="a corpus index of Reuters-21578")
    parser.add_argument("--reps", type=int, default=7)
    args = parser.parse_args()
    from corpus.search import SearchRequest

    log("tantivy: indexing the Reuters records corpus indexed")
    index, schema, built = build(WORK / "tantivy-index", indexed_ids(args.index))
    ours = open_ours(args.index)
    span = (date(1987, 2, 1), date(1987, 10, 31))  # Reuters-21578's dates: 26 Feb to 20 Oct 1987
    peer = Peer(index, schema, span)

    def our_request(q: str, dates: tuple[date, date] | None) -> Any:
        return SearchRequest(q=q, date_from=dates[0] if dates else None, date_to=dates[1] if dates else None,
                             per_page=SIZE, facet_size=SIZE, facets=("author", "source", "region", "year", "category"))

    totals = {}
    for kind, q, _fts, dates in QUERIES:  # warm-up, and the counts side by side
        totals[f"{kind}: {q or '(all)'}"] = {"corpus": ours.search(our_request(q, dates)).total, "tantivy": peer.search(q, dates)}
    ms: dict[str, dict[str, list[float]]] = {"corpus": defaultdict(list), "tantivy": defaultdict(list)}
    for rep in range(args.reps):
        for kind, q, _fts, dates in QUERIES:
            order = ("corpus", "tantivy") if rep % 2 == 0 else ("tantivy", "corpus")
            for name in order:
                started = time.perf_counter()
                if name == "corpus":
                    ours.search(our_request(q, dates))
                else:
                    peer.search(q, dates)
                ms[name][kind].append((time.perf_counter() - started) * 1000)
    kinds = {}
    for kind in KINDS:
        c, t = statistics.median(ms["corpus"][kind]), statistics.median(ms["tantivy"][kind])
        kinds[kind] = {"corpus_median_ms": round(c, 2), "tantivy_median_ms": round(t, 2), "ratio": round(c / t, 2)}
    result = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "machine": machine(),
              "tantivy": tantivy.__version__, "index": str(args.index), "reps": args.reps, "build": built,
              "kinds": kinds, "counts": totals}
    write_json(ROOT / "bench" / "results" / "tantivy.json", result)
    print("| kind | corpus median ms | tantivy median ms | corpus / tantivy |\n|---|---|---|---|")
    for kind, k in kinds.items():
        print(f"| {kind} | {k['corpus_median_ms']} | {k['tantivy_median_ms']} | {k['ratio']} |")
    print(f"tantivy indexed {built['documents']} records in {built['seconds']} s")
    for name, c in totals.items():
        print(f"  {name}: corpus {c['corpus']}, tantivy {c['tantivy']}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
