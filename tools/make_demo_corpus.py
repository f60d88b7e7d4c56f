#!/usr/bin/env python3
"""Regenerate corpus_data/demo/new_europe.jsonl.gz, the demo slice of The New Europe (1916-1920).

The slice is cut from the newEuropeReviewR data package's tne_articles.jsonl (MIT licence; by default
read from ../shared/corpora/new_europe/ beside the project) and is byte-reproducible: running this
script twice, on any machine, writes identical bytes.

How the articles are chosen, without any randomness:
- strata are (year, type of text); each stratum gets a share of the target proportional to its size
  (largest remainders, at least one article per stratum), so years and article types keep the spread
  of the whole run and authors keep their relative weight;
- within a stratum, articles are taken in the order of the SHA-256 of their doc_id, except that an
  article whose country value the slice does not hold yet is taken first, so every country (and
  combination of countries) of the full corpus appears at least once.

Each record keeps the package's fields doc_id, article (title), text, author (as printed),
author_norm, date, type, countries, volume and number, in that order; the slice is sorted by doc_id
(the order of publication). Three country codes of the package's own dictionary are not ISO codes
and are written out as names: ah (Austria-Hungary), jw (Jewish affairs), ln (League of Nations).

    .venv/bin/python tools/make_demo_corpus.py            # rewrite the committed slice
    .venv/bin/python tools/make_demo_corpus.py --out X    # write it elsewhere (the test does)
"""

from __future__ import annotations

import argparse
import gzip
import hashlib
import io
import json
import os
import sys
from collections import Counter, defaultdict
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parents[1]
SOURCE = ROOT.parent / "shared" / "corpora" / "new_europe" / "tne_articles.jsonl"
OUT = ROOT / "corpus_data" / "demo" / "new_europe.jsonl.gz"
TARGET = 600
FIELDS = ("doc_id", "article", "text", "author", "author_norm", "date", "type", "countries", "volume", "number")
# The package's dictionary codes that are not countries' ISO codes (left alone, they would show as "ah").
DICTIONARY_CODES = {"ah": "Austria-Hungary", "jw": "Jewish affairs", "ln": "League of Nations"}


def stable_hash(doc_id: str) -> str:
    return hashlib.sha256(doc_id.encode("utf-8")).hexdigest()


def quotas(sizes: dict[tuple[str, str], int], target: int) -> dict[tuple[str, str], int]:
    """Each stratum's share of target, proportional to its size: largest remainders, at least one."""
    total = sum(sizes.values())
    exact = {key: target * n / total for key, n in sizes.items()}
    out = {key: min(sizes[key], max(1, int(share))) for key, share in exact.items()}
    by_remainder = sorted(sizes, key=lambda key: (-(exact[key] - int(exact[key])), key))
    for key in by_remainder:
        if sum(out.values()) >= target:
            break
        if out[key] < sizes[key]:
            out[key] += 1
    return out


def countries(value: Any) -> Any:
    """The countries field with the dictionary's own codes written out; None stays None."""
    if not isinstance(value, str):
        return value
    return ", ".join(DICTIONARY_CODES.get(code.strip(), code.strip()) for code in value.split(","))


def choose(rows: list[dict[str, Any]], target: int = TARGET) -> list[dict[str, Any]]:
    strata: dict[tuple[str, str], list[dict[str, Any]]] = defaultdict(list)
    for row in rows:
        strata[(str(row.get("date") or "")[:4], str(row.get("type") or ""))].append(row)
    share = quotas({key: len(members) for key, members in strata.items()}, target)
    seen_countries: set[str] = set()
    chosen: list[dict[str, Any]] = []
    for key in sorted(strata):
        members = sorted(strata[key], key=lambda row: stable_hash(row["doc_id"]))
        taken: list[dict[str, Any]] = []
        for row in members:  # first pass: articles that bring a country value the slice lacks
            if len(taken) == share[key]:
                break
            if repr(row.get("countries")) not in seen_countries:
                seen_countries.add(repr(row.get("countries")))
                taken.append(row)
        ids = {row["doc_id"] for row in taken}
        taken += [row for row in members if row["doc_id"] not in ids][: share[key] - len(taken)]
        chosen += taken
    return sorted(chosen, key=lambda row: row["doc_id"])


def render(rows: list[dict[str, Any]]) -> bytes:
    lines = []
    for row in rows:
        record = {name: row.get(name) for name in FIELDS}
        record["countries"] = countries(record["countries"])
        lines.append(json.dumps(record, ensure_ascii=False, separators=(", ", ": ")) + "\n")
    buf = io.BytesIO()
    # mtime=0 and no file name in the header: the same rows always give the same bytes.
    with gzip.GzipFile(filename="", mode="wb", fileobj=buf, compresslevel=9, mtime=0) as gz:
        gz.write("".join(lines).encode("utf-8"))
    return buf.getvalue()


def summary(rows: list[dict[str, Any]], size: int) -> str:
    authors = Counter(row["author_norm"] for row in rows if row.get("author_norm") != "not_signed")
    years = Counter(str(row["date"])[:4] for row in rows)
    types = Counter(row["type"] for row in rows)
    places = {code.strip() for row in rows if isinstance(row.get("countries"), str) for code in row["countries"].split(",")}
    unsigned = sum(row.get("author_norm") == "not_signed" for row in rows)
    return (f"{len(rows)} articles, {len(authors)} signed authors ({unsigned} unsigned), {len(places)} countries, "
            f"years {dict(sorted(years.items()))}, types {dict(types.most_common())}, {size:,} bytes")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--source", type=Path, default=SOURCE, help=f"tne_articles.jsonl (default {SOURCE})")
    parser.add_argument("--out", type=Path, default=OUT, help="where to write the slice (default: the committed file)")
    parser.add_argument("--target", type=int, default=TARGET, help=f"articles in the slice (default {TARGET})")
    args = parser.parse_args(argv)
    if not args.source.is_file():
        print(f"{args.source} is missing: the slice is cut from The New Europe's tne_articles.jsonl", file=sys.stderr)
        return 1
    with args.source.open(encoding="utf-8") as fh:
        rows = [json.loads(line) for line in fh if line.strip()]
    chosen = choose(rows, args.target)
    data = render(chosen)
    args.out.parent.mkdir(parents=True, exist_ok=True)
    tmp = args.out.with_name(args.out.name + ".tmp")
    tmp.write_bytes(data)
    os.replace(tmp, args.out)
    print(f"{args.out}: {summary(chosen, len(data))}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
