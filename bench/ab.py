"""Two revisions of corpus side by side, in one run: ingest, in-process search and HTTP load.

    .venv/bin/python bench/ab.py BASE [HEAD] [--reps N] [--rounds N] [--load-seconds N]

Each revision is checked out into bench/work/ab/<commit>/ (a git worktree) and run from there with
the project venv (PYTHONPATH puts that checkout's src/ first; each child prints which corpus it
imported, and the run stops if it is not the right one). Each revision ingests Reuters-21578 with
its own code into its own index; then rounds alternate between the two (A B, B A, ...) so that
whatever else the machine is doing falls on both alike: in-process full searches of the fixed query
set (bench/queries.py), and wrk (or the Python load generator) against each revision's own
`corpus serve`. Medians are over every repetition of every query of a kind; the ratio is HEAD/BASE.
Writes bench/results/ab.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

from common import BIN, ROOT, WORK, cpu_seconds, free_port, log, machine, run_measured, stop, tree, wait_http, write_json
from queries import KINDS

REUTERS = ROOT.parent / "shared" / "corpora" / "reuters21578"
AB = WORK / "ab"
CHILD = Path(__file__).resolve().parent / "ab_child.py"


def sha(rev: str) -> str:
    return subprocess.run(["git", "rev-parse", rev], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()


def checkout(commit: str) -> Path:
    """A worktree of the commit under bench/work/ab/ (reused when already there)."""
    path = AB / commit[:12]
    if not (path / "src" / "corpus").is_dir():
        AB.mkdir(parents=True, exist_ok=True)
        subprocess.run(["git", "worktree", "add", "--detach", "--force", str(path), commit], cwd=ROOT, check=True,
                       capture_output=True)
    return path


def env_for(src: Path, **extra: str) -> dict[str, str]:
    return dict(os.environ, PYTHONPATH=str(src / "src"), CORPUS_RESULT_CACHE="0", **extra)


def ingest(tree_: Path) -> dict[str, Any]:
    index = tree_ / "bench-index"
    if (index / "current").exists():
        log(f"ingest: reusing {index}")
        return {"reused": True}
    run = run_measured([str(BIN / "python"), "-m", "corpus.cli", "--index-dir", str(index), "ingest", "-q", str(REUTERS)],
                       env=env_for(tree_), cwd=tree_)
    if run["returncode"] not in (0, 3):
        raise RuntimeError(f"ingest failed in {tree_}:\n{run['output'][-2000:]}")
    return {"seconds": round(run["seconds"], 1), "cpu_seconds": round(run["cpu_seconds"], 1),
            "peak_tree_rss_mb": run["peak_tree_rss_mb"]}


def search_round(tree_: Path, reps: int) -> dict[str, list[float]]:
    out = subprocess.run([str(BIN / "python"), str(CHILD), str(tree_ / "src"), str(tree_ / "bench-index"), str(reps)],
                         env=env_for(tree_), cwd=tree_, capture_output=True, text=True, check=True, timeout=1800)
    data = json.loads(out.stdout.strip().splitlines()[-1])
    if Path(data["corpus_file"]).resolve().parents[1] != (tree_ / "src").resolve():
        raise RuntimeError(f"the child imported {data['corpus_file']}, not the checkout {tree_}")
    for q, why in (data.get("refused") or {}).items():
        log(f"  {tree_.name} refuses {q}: {why}")
    return data["ms"]


def load_round(tree_: Path, seconds: int, concurrency: int) -> dict[str, Any]:
    import load_bench

    port = free_port()
    env = env_for(tree_, CORPUS_INDEX_DIR=str(tree_ / "bench-index"), CORPUS_HOST="127.0.0.1", CORPUS_PORT=str(port))
    logf = open(WORK / "ab-serve.log", "a")  # noqa: SIM115 - closed below
    proc = subprocess.Popen([str(BIN / "python"), "-m", "corpus.cli", "serve"], cwd=tree_, env=env, stdout=logf,
                            stderr=subprocess.STDOUT, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/api/search?q=&per_page=1", proc)
        for path in load_bench.paths():  # every worker thread opens the index before the timed run
            for _ in range(4):
                subprocess.run(["curl", "-s", "-o", "/dev/null", base + path], check=False, timeout=60)
        pids = tree(proc.pid)
        cpu0 = cpu_seconds(pids)
        result = load_bench.with_wrk(base, concurrency, seconds) if _has_wrk() else load_bench.with_python(base, concurrency, seconds)
        result["server_cpu_ms_per_request"] = round((cpu_seconds(pids) - cpu0) * 1000 / max(1, result["requests"]), 2)
        return result
    finally:
        stop(proc)
        logf.close()


def _has_wrk() -> bool:
    return subprocess.run(["sh", "-c", "command -v wrk"], capture_output=True).returncode == 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base")
    parser.add_argument("head", nargs="?", default="HEAD")
    parser.add_argument("--reps", type=int, default=3, help="repetitions of each query per round (default 3)")
    parser.add_argument("--rounds", type=int, default=4, help="alternating rounds of each revision (default 4)")
    parser.add_argument("--load-seconds", type=int, default=15)
    parser.add_argument("--concurrency", type=int, default=4)
    args = parser.parse_args()
    if not (REUTERS / "reuters21578.jsonl").is_file():
        print(f"Reuters-21578 is not at {REUTERS}", file=sys.stderr)
        return 1
    commits = {"base": sha(args.base), "head": sha(args.head)}
    trees = {name: checkout(c) for name, c in commits.items()}
    started = time.strftime("%Y-%m-%d %H:%M:%S UTC", time.gmtime())
    result: dict[str, Any] = {"started": started, "commits": commits, "machine": machine(), "reps": args.reps,
                              "rounds": args.rounds, "ingest": {}, "search": {}, "load": {}}
    for name in ("base", "head"):
        log(f"ingest {name} {commits[name][:12]}")
        result["ingest"][name] = ingest(trees[name])
    samples: dict[str, dict[str, list[float]]] = {"base": {}, "head": {}}
    loads: dict[str, list[dict[str, Any]]] = {"base": [], "head": []}
    for r in range(args.rounds):
        order = ("base", "head") if r % 2 == 0 else ("head", "base")
        for name in order:
            log(f"round {r + 1}: search {name}")
            for kind, ms in search_round(trees[name], args.reps).items():
                samples[name].setdefault(kind, []).extend(ms)
        for name in order:
            log(f"round {r + 1}: load {name}")
            loads[name].append(load_round(trees[name], args.load_seconds, args.concurrency))
    for kind in KINDS:
        base_ms, head_ms = samples["base"].get(kind, []), samples["head"].get(kind, [])
        if base_ms and head_ms:
            b, h = statistics.median(base_ms), statistics.median(head_ms)
            result["search"][kind] = {"base_median_ms": round(b, 2), "head_median_ms": round(h, 2),
                                      "ratio": round(h / b, 3), "n": len(head_ms)}
    for name in ("base", "head"):
        runs = loads[name]
        result["load"][name] = {"requests_per_s_median": statistics.median(x["requests_per_s"] for x in runs),
                                "p50_ms_median": statistics.median(x["p50_ms"] for x in runs),
                                "p95_ms_median": statistics.median(x["p95_ms"] for x in runs),
                                "server_cpu_ms_per_request_median": statistics.median(x["server_cpu_ms_per_request"] for x in runs),
                                "errors": sum(x["errors"] for x in runs), "runs": runs}
    write_json(ROOT / "bench" / "results" / "ab.json", result)
    print(report(result))
    return 0


def report(result: dict[str, Any]) -> str:
    """A Markdown table of the comparison."""
    c = result["commits"]
    lines = [f"A/B run of {result['started']}: base `{c['base'][:10]}`, head `{c['head'][:10]}`, "
             f"{result['rounds']} alternating rounds x {result['reps']} repetitions of each query.", "",
             "| full search, in-process | base median ms | head median ms | head / base |", "|---|---|---|---|"]
    for kind, s in result["search"].items():
        lines.append(f"| {kind} | {s['base_median_ms']} | {s['head_median_ms']} | {s['ratio']:.2f} |")
    lb, lh = result["load"]["base"], result["load"]["head"]
    lines += ["", "| HTTP load (`corpus serve`) | base | head | head / base |", "|---|---|---|---|",
              f"| requests/s (median of rounds) | {lb['requests_per_s_median']} | {lh['requests_per_s_median']} | "
              f"{lh['requests_per_s_median'] / lb['requests_per_s_median']:.2f} |",
              f"| p50 ms | {lb['p50_ms_median']} | {lh['p50_ms_median']} | {lh['p50_ms_median'] / max(lb['p50_ms_median'], 0.1):.2f} |",
              f"| p95 ms | {lb['p95_ms_median']} | {lh['p95_ms_median']} | {lh['p95_ms_median'] / max(lb['p95_ms_median'], 0.1):.2f} |",
              f"| server CPU ms per request | {lb['server_cpu_ms_per_request_median']} | {lh['server_cpu_ms_per_request_median']} | "
              f"{lh['server_cpu_ms_per_request_median'] / max(lb['server_cpu_ms_per_request_median'], 0.01):.2f} |",
              f"| errors | {lb['errors']} | {lh['errors']} | |"]
    ib, ih = result["ingest"]["base"], result["ingest"]["head"]
    if "seconds" in ib and "seconds" in ih:
        lines += ["", "| Reuters ingest | base | head | head / base |", "|---|---|---|---|",
                  f"| wall s | {ib['seconds']} | {ih['seconds']} | {ih['seconds'] / ib['seconds']:.2f} |",
                  f"| CPU s (all processes) | {ib['cpu_seconds']} | {ih['cpu_seconds']} | {ih['cpu_seconds'] / ib['cpu_seconds']:.2f} |",
                  f"| peak RSS of the process tree, MB | {ib['peak_tree_rss_mb']} | {ih['peak_tree_rss_mb']} | "
                  f"{ih['peak_tree_rss_mb'] / ib['peak_tree_rss_mb']:.2f} |"]
    return "\n".join(lines)


if __name__ == "__main__":
    raise SystemExit(main())
