"""One revision's in-process search timings for bench/ab.py: argv = SRC INDEX REPS; prints one JSON line.

SRC goes first on sys.path, so the corpus imported is that checkout's; the JSON says which file it was.
"""

from __future__ import annotations

import json
import sys
import time
from collections import defaultdict
from datetime import datetime
from pathlib import Path

sys.path.insert(0, sys.argv[1])
sys.path.insert(1, str(Path(__file__).resolve().parent))

from queries import QUERIES

import corpus
from corpus.config import Settings
from corpus.search import SearchRequest


def main() -> None:
    index, reps = Path(sys.argv[2]), int(sys.argv[3])
    settings = Settings.from_env(index_dir=index, result_cache=0)
    try:  # the engine interface (a checkout from the engine refactor on)
        from corpus.engines import open_backend  # type: ignore[attr-defined]

        svc = open_backend(settings)
    except ImportError:
        from corpus.search import SearchService  # type: ignore[attr-defined]

        svc = SearchService(settings)

    def req(q: str, dates: tuple | None) -> SearchRequest:
        return SearchRequest(q=q, date_from=dates[0] if dates else None, date_to=dates[1] if dates else None, per_page=10)

    refused: dict[str, str] = {}
    queries = []
    for kind, q, _fts, dates in QUERIES:  # warm-up: open the index, load the facet arrays
        try:
            svc.search(req(q, dates))
            queries.append((kind, q, dates))
        except Exception as exc:  # a revision whose query language refuses the query (before every word was indexed)
            refused[q] = f"{type(exc).__name__}: {exc}"
    ms: dict[str, list[float]] = defaultdict(list)
    for _ in range(reps):
        for kind, q, dates in queries:
            started = time.perf_counter()
            svc.search(req(q, dates))
            ms[kind].append((time.perf_counter() - started) * 1000)
    print(json.dumps({"corpus_file": corpus.__file__, "ms": ms, "refused": refused, "at": datetime.now().isoformat()}))


if __name__ == "__main__":
    main()
