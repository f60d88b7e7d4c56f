"""Profile a missed target with pyinstrument: `bench/profile.py search|ingest|http ...`; writes bench/results/profiles/.

search: SearchService.search over the query set (or --q) on an index, in-process.
ingest: corpus.ingest.ingest() of the first --docs Reuters records into a fresh index, in-process
reingest: the same, then profiles a second ingest with nothing changed
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
    from corpus.search import SearchService

    svc = SearchService(Settings.from_env(index_dir=index))
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


def main() -> None:
    """Parse arguments, profile, write the text report."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("what", choices=("search", "ingest", "reingest"))
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
    text = profile_search(args.index, args.q, args.reps, args.mode) if args.what == "search" else profile_ingest(args.docs, again=args.what == "reingest")
    out = RESULTS / "profiles" / f"{args.name or args.what}.txt"
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(text)
    print(text)
    log(f"written to {out}")


if __name__ == "__main__":
    main()
