"""Profile a missed target with pyinstrument: `bench/profile.py search|ingest|http ...`; writes bench/results/profiles/.

search: SearchBackend.search over the query set (or --q) on an index, in-process.
ingest: corpus.ingest.ingest() of the first --docs Reuters records into a fresh index, in-process
reingest: the same, then profiles a second ingest with nothing changed
memory: a real gunicorn on --index; each worker's Rss/Pss/anonymous/file-backed MB after each query
        (the normalising worker processes are not profiled; the main process reads and writes).
Over HTTP, profile a gunicorn worker with `py-spy record --pid <worker pid>`.
"""

from __future__ import annotations

import argparse
import shutil
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from common import RESULTS, WORK, log

SHOW_ALL = False


def _profiler() -> object:
    from pyinstrument import Profiler

    return Profiler(interval=0.001)


def profile_search(index: Path, queries: list[str], reps: int, mode: str) -> str:
    """Profile repeated full (or bare) searches; returns the text report."""
    from queries import QUERIES
    from search_bench import request

    from corpus.config import Settings
    from corpus.engines import open_backend

    svc = open_backend(Settings.from_env(index_dir=index, result_cache=0))
    chosen = [(q, d) for _k, q, _f, d in QUERIES if not queries or q in queries] or [(q, None) for q in queries]
    for q, d in chosen:
        svc.search(request(q, d, mode))  # warm-up outside the profile
    prof = _profiler()
    prof.start()  # type: ignore[attr-defined]
    for _ in range(reps):
        for q, d in chosen:
            svc.search(request(q, d, mode))
    prof.stop()  # type: ignore[attr-defined]
    return str(prof.output_text(unicode=True, color=False, show_all=SHOW_ALL))  # type: ignore[attr-defined]


def profile_ingest(docs: int, again: bool = False) -> str:
    """Profile one fresh ingest of the first `docs` Reuters records (with again=True: a second, unchanged one)."""
    import corpora

    from corpus.config import Settings
    from corpus.ingest import ingest

    folder = WORK / "corpora" / f"profile-{docs}"
    corpora.write_corpus(folder, corpora.load_reuters()[:docs], "jsonl")
    index = WORK / "indexes" / "profile"
    shutil.rmtree(index, ignore_errors=True)
    index.mkdir(parents=True)
    if again:
        ingest([folder], Settings.from_env(index_dir=index))
    prof = _profiler()
    prof.start()  # type: ignore[attr-defined]
    started = time.perf_counter()
    ingest([folder], Settings.from_env(index_dir=index))
    log(f"ingest of {docs} documents took {time.perf_counter() - started:.1f} s under the profiler")
    prof.stop()  # type: ignore[attr-defined]
    return str(prof.output_text(unicode=True, color=False, show_all=SHOW_ALL))  # type: ignore[attr-defined]


def profile_memory(index: Path) -> str:
    """RSS and its parts for each gunicorn worker after each query of the set, on a fresh server."""
    import os

    from common import children, gunicorn, http_get, smaps
    from load_bench import paths
    from queries import QUERIES

    lines = [f"gunicorn on {index} (workers = cores); memory of each worker after each full search, sent to every worker",
             "columns: after which query, then per worker Rss / Pss / Anonymous / Pss_File (MB)"]
    with gunicorn(index, os.cpu_count() or 1) as (url, proc):
        workers = children(proc.pid)

        def row(label: str) -> None:
            parts = [f"{m.get('Rss')}/{m.get('Pss')}/{m.get('Anonymous')}/{m.get('Pss_File')}" for m in map(smaps, workers)]
            lines.append(f"{label:60s} " + "  ".join(parts))

        row("started (after one tiny warm-up search)")
        for (kind, q, _f, _d), path in zip(QUERIES, paths(), strict=True):
            for _ in range(4):  # requests spread over the workers
                http_get(url + path)
            row(f"{kind}: {q or '(all)'}")
    return "\n".join(lines) + "\n"


def main() -> None:
    """Parse arguments, profile, write the text report."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("search", "ingest", "reingest", "memory"))
    ap.add_argument("--index", type=Path, default=WORK / "indexes" / "reuters")
    ap.add_argument("--q", action="append", default=[], help="a query (repeatable); default the whole query set")
    ap.add_argument("--mode", default="full", choices=("full", "bare"))
    ap.add_argument("--reps", type=int, default=3)
    ap.add_argument("--docs", type=int, default=3000)
    ap.add_argument("--name", default=None, help="output file name (without .txt)")
    ap.add_argument("--all", action="store_true", help="show library frames too")
    args = ap.parse_args()
    global SHOW_ALL
    SHOW_ALL = args.all
    if args.what == "memory":
        text = profile_memory(args.index)
    elif args.what == "search":
        text = profile_search(args.index, args.q, args.reps, args.mode)
    else:
        text = profile_ingest(args.docs, again=args.what == "reingest")
    out = RESULTS / "profiles" / f"{args.name or args.what}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    log(f"written to {out}")


if __name__ == "__main__":
    main()
