"""The one benchmark command: `make bench` or `.venv/bin/python bench/run.py [--quick] [--only ...]`.

Runs ingest, search (in-process and over HTTP), load, the Datasette peer, the Whoosh groupedby
baseline and per-worker memory; writes bench/results/<name>.json and the summary table in
bench/README.md. --quick uses 2,000 Reuters documents, short runs, and writes under bench/work/quick/
so the committed results stay as they are.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent))


STEPS = ("ingest", "search", "baseline", "peer", "load", "scale", "search10", "memory")


def parse_args() -> argparse.Namespace:
    """Command-line flags."""
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--quick", action="store_true", help="2,000 documents, scales 1x and 2x, short runs (a smoke test)")
    ap.add_argument("--only", default=",".join(s for s in STEPS if s != "search10"),
                    help=f"comma-separated steps to run (default all but search10): {', '.join(STEPS)}; steps after "
                         "ingest reuse the indexes a previous run left in bench/work/; scale (5x, 10x, and the search "
                         "at 10x) runs last; search10 repeats only the 10x search on the index scale left")
    ap.add_argument("--scales", default=None, help="scale curve factors (default 1,5,10,20,50; quick 1,2)")
    ap.add_argument("--load-scales", default=None,
                    help="scales at which the scale step also runs the load test (c=16) and the worker memory probe "
                         "(default: every scale)")
    ap.add_argument("--no-reuse", action="store_true", help="re-ingest every scale even when its stamped index matches")
    ap.add_argument("--publish-seconds", type=float, default=None,
                    help="seconds of searching before and after the publish probe's swap (default 10; quick 2)")
    ap.add_argument("--reps", type=int, default=None, help="timed repetitions of each query (default 7; quick 2)")
    ap.add_argument("--report", action="store_true", help="only rewrite the summary from the JSON files already there")
    ap.add_argument("--load-seconds", type=int, default=None, help="seconds per concurrency level (default 20; quick 3)")
    return ap.parse_args()


def main() -> int:
    """Run the chosen steps and write the results."""
    args = parse_args()
    # Measure every search for real: the per-worker result cache (CORPUS_RESULT_CACHE) would answer
    # the repeated timing rounds from memory. Set it in the environment to measure the cache itself.
    os.environ.setdefault("CORPUS_RESULT_CACHE", "0")
    if args.quick:  # a test may point CORPUS_BENCH_WORK at a folder of its own
        os.environ["CORPUS_BENCH_WORK"] = os.environ.get("CORPUS_BENCH_WORK") or str(
            Path(__file__).resolve().parent / "work" / "quick")
    import corpora
    import report
    from common import BENCH, CORPORA, RESULTS, WORK, busy, children, code_version, gunicorn, log, machine
    from common import write_json as _write_json

    def write_json(path: Path, data: dict[str, Any]) -> None:
        data["code"] = code_version()  # which source the step measured
        _write_json(path, data)

    steps = [s.strip() for s in args.only.split(",") if s.strip()]
    unknown = set(steps) - set(STEPS)
    if unknown:
        sys.exit(f"unknown steps: {', '.join(sorted(unknown))}; choose from {', '.join(STEPS)}")
    if not corpora.reuters_file().is_file():
        sys.exit(f"the benchmarks need the Reuters corpus at {corpora.reuters_file()} (../shared/corpora from the project root)")
    quick = args.quick
    scales = [int(x) for x in (args.scales or ("1,2" if quick else "1,5,10,20,50")).split(",")]
    reps = args.reps or (2 if quick else 7)
    load_seconds = args.load_seconds or (3 if quick else 20)
    out_dir = WORK if quick else RESULTS
    cores = os.cpu_count() or 1
    WORK.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()

    if args.report:
        return _report(out_dir, quick, report, BENCH)
    base = corpora.load_reuters()
    full_size = len(base)
    if quick:
        base = base[:2000]
    fmt = "jsonl" if corpora.jsonl_supported() else "txt"
    run_info = {"started": time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime()), "quick": quick,
                "steps": steps, "scales": scales, "reps": reps, "load_seconds": load_seconds,
                "documents": len(base), "corpus_format": fmt, "corpora": str(CORPORA), "machine": machine()}
    log(f"benchmarks: {', '.join(steps)}; {len(base):,} of {full_size:,} Reuters documents as {fmt}")
    results: dict[str, Any] = {"run": run_info}

    if "ingest" in steps:
        import ingest_bench

        results["ingest"] = ingest_bench.run(base, fmt)
        write_json(out_dir / "ingest.json", results["ingest"])
    small = _index(out_dir / "ingest.json", "1")
    if small is None and set(steps) & {"search", "baseline", "load", "memory"}:
        sys.exit("no Reuters index yet: run the ingest step first (or everything)")

    if "search" in steps and small:
        import search_bench

        log("search: in-process, 1x")
        results["search"] = {"in_process_1x": search_bench.in_process(small, reps)}
        log("search: over HTTP, 1x")
        with gunicorn(small, cores) as (url, proc):
            results["search"]["http_1x"] = search_bench.over_http(url, reps, [proc.pid, *children(proc.pid)])
        write_json(out_dir / "search.json", results["search"])

    if "baseline" in steps and small:
        import baseline

        log("baseline: Whoosh groupedby, 1x")
        results["baseline"] = baseline.run(small, reps, (1987, 1987))
        write_json(out_dir / "baseline.json", results["baseline"])

    if "peer" in steps:
        import peer

        source = corpora.reuters_file()
        if quick:
            source = WORK / "corpora" / "subset.jsonl"
            corpora.write_corpus(source.parent / "subset", base, "jsonl")
            (source.parent / "subset" / "part-0000.jsonl").replace(source)
        log("peer: loading SQLite with sqlite-utils")
        loaded = peer.load(source)
        log(f"  {loaded['seconds']} s, {loaded['rows']} rows")
        with peer.datasette(Path(loaded["path"])) as (url, pid):
            results["peer"] = {"load": loaded, "datasette": peer.run(url, reps, pid), "server": "datasette serve on 127.0.0.1"}
        write_json(out_dir / "peer.json", results["peer"])

    if "load" in steps and small:
        import load_bench

        log(f"load: gunicorn with {cores} workers, {load_seconds} s per level")
        with gunicorn(small, cores) as (url, proc):
            levels = load_bench.run(url, [1, 4, 16], load_seconds, [proc.pid, *children(proc.pid)])
            results["load"] = {"workers": cores, "levels": levels}
        write_json(out_dir / "load.json", results["load"])

    # The scale curve comes last: it takes longest, and everything above stands without it.
    if "scale" in steps:
        import scale_bench

        load_scales = set(scales) if args.load_scales is None else {int(x) for x in args.load_scales.split(",") if x}
        results["scale"] = scale_bench.run(
            base, fmt, scales, max(2, reps // 2), load_seconds, load_scales, _load(out_dir / "ingest.json").get("full"),
            small, not args.no_reuse, cores, args.publish_seconds or (2.0 if quick else 10.0), None)
        top = max(scales)
        # The keys the summary and the search10 step read: the search at the top scale.
        results["scale"]["search_scale"] = top
        results["scale"]["search"] = results["scale"]["points"][str(top)]["search"]
        scale_bench.svg_chart(results["scale"], out_dir / "scale.svg")
        write_json(out_dir / "scale.json", results["scale"])

    if "search10" in steps:
        import search_bench

        scaled = _load(out_dir / "scale.json")
        top = max((int(k) for k in scaled.get("indexes", {})), default=0)
        if top:
            log(f"search: in-process, {top}x (the index the scale step left)")
            scaled["search_scale"] = top
            try:
                scaled["search"] = search_bench.in_process(Path(scaled["indexes"][str(top)]), max(2, reps // 2))
                scaled.pop("search_error", None)
            except Exception as exc:  # a failing search is a finding to report, not a reason to lose the run
                import traceback

                log(f"  the search failed: {exc!r}; the previous {top}x figures are kept")
                scaled["search_error"] = {"error": repr(exc), "at": time.strftime("%H:%M:%S UTC", time.gmtime()),
                                          "traceback": traceback.format_exc()[-3000:]}
            write_json(out_dir / "scale.json", scaled)

    if "memory" in steps and small:
        import scale_bench

        results["memory"] = {}
        largest = _load(out_dir / "scale.json").get("indexes", {})
        targets = {"1": small, **{k: Path(v) for k, v in largest.items()}}
        for scale in sorted({"1", max(targets, key=int)}, key=int):
            log(f"memory: gunicorn workers on the {scale}x index")
            with gunicorn(targets[scale], cores) as (url, proc):
                results["memory"][scale] = scale_bench.worker_rss(url, proc)
            log(f"  {results['memory'][scale]}")
        write_json(out_dir / "memory.json", results["memory"])

    run_info["seconds"] = round(time.monotonic() - started, 1)
    run_info["busy_at_end"] = busy()
    write_json(out_dir / "run.json", run_info)
    _report(out_dir, quick, report, BENCH)
    log(f"done in {run_info['seconds']:.0f} s")
    return 0


def _report(out_dir: Path, quick: bool, report: Any, bench: Path) -> int:
    """Render the summary from the step files in out_dir into bench/README.md (or summary.md for --quick)."""
    from common import log

    names = ("ingest", "search", "baseline", "peer", "load", "scale", "memory")
    everything = {name: _load(out_dir / f"{name}.json") for name in ("run", *names)}
    # Steps may come from different invocations (--only); say which code each measured, and when.
    everything["written"] = {name: everything[name].get("code") for name in names if everything[name]}
    table = report.summary(everything)
    if quick:
        (out_dir / "summary.md").write_text(table)
        log(f"quick summary written to {out_dir / 'summary.md'}")
    else:
        report.write_readme(bench / "README.md", table)
        log("summary written to bench/README.md")
    print(table)
    return 0


def _load(path: Path) -> dict[str, Any]:
    return json.loads(path.read_text()) if path.is_file() else {}


def _index(path: Path, scale: str) -> Path | None:
    found = _load(path).get("indexes", {}).get(scale)
    return Path(found) if found else None


if __name__ == "__main__":
    sys.exit(main())
