"""Full Reuters ingests of two revisions, alternated in one run: is HEAD's ingest as fast as BASE's?

    .venv/bin/python bench/ingest_ab.py BASE [HEAD] [--rounds N]

Each revision is checked out as a git worktree under bench/work/ab/ (as bench/ab.py does) and runs
`corpus ingest --rebuild` of ../shared/corpora/reuters21578 with its own code into a fresh index of
its own; rounds alternate (A B, B A, ...) so whatever else the machine does falls on both alike.
Reports the median wall time and CPU seconds (the ingest and its worker processes) of each, their
ratio HEAD/BASE, and the document counts (which must be equal). Writes bench/results/ingest_ab.json.
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
from typing import Any

from ab import REUTERS, checkout, env_for, sha
from common import BIN, WORK, log, machine, run_measured, write_json

RESULTS = WORK.parent / "results"


def one(tree_: Any, index: Any) -> dict[str, Any]:
    shutil.rmtree(index, ignore_errors=True)
    run = run_measured([str(BIN / "python"), "-m", "corpus.cli", "--index-dir", str(index), "ingest", "-q", "--json",
                        str(REUTERS)], env=env_for(tree_), cwd=tree_)
    if run["returncode"] not in (0, 3):
        raise RuntimeError(f"ingest failed in {tree_}:\n{run['output'][-2000:]}")
    out = run["output"]
    documents = int(out.split('"documents":', 1)[1].split(",", 1)[0])
    return {"seconds": run["seconds"], "cpu_seconds": run["cpu_seconds"], "documents": documents}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("base")
    parser.add_argument("head", nargs="?", default="HEAD")
    parser.add_argument("--rounds", type=int, default=3, help="ingests of each revision (default 3)")
    args = parser.parse_args()
    if not (REUTERS / "reuters21578.jsonl").is_file():
        print(f"the Reuters corpus is not at {REUTERS}", file=sys.stderr)
        return 2
    revs = {"base": sha(args.base), "head": sha(args.head)}
    trees = {k: checkout(v) for k, v in revs.items()}
    runs: dict[str, list[dict[str, Any]]] = {"base": [], "head": []}
    for i in range(args.rounds):
        order = ("base", "head") if i % 2 == 0 else ("head", "base")
        for side in order:
            result = one(trees[side], trees[side] / "bench-ingest-index")
            runs[side].append(result)
            log(f"round {i + 1} {side} {revs[side][:10]}: {result['seconds']:.1f} s wall, {result['cpu_seconds']:.1f} s CPU, "
                f"{result['documents']} documents")
    summary = {side: {"commit": revs[side], "median_seconds": round(statistics.median(r["seconds"] for r in rs), 2),
                      "median_cpu_seconds": round(statistics.median(r["cpu_seconds"] for r in rs), 2),
                      "documents": sorted({r["documents"] for r in rs}), "runs": rs}
               for side, rs in runs.items()}
    ratio = summary["head"]["median_seconds"] / summary["base"]["median_seconds"]
    cpu_ratio = summary["head"]["median_cpu_seconds"] / summary["base"]["median_cpu_seconds"]
    data = {"machine": machine(), "rounds": args.rounds, **summary,
            "ratio_wall": round(ratio, 3), "ratio_cpu": round(cpu_ratio, 3)}
    write_json(RESULTS / "ingest_ab.json", data)
    print(f"base {revs['base'][:10]}: median {summary['base']['median_seconds']:.1f} s wall, "
          f"{summary['base']['median_cpu_seconds']:.1f} s CPU; head {revs['head'][:10]}: median "
          f"{summary['head']['median_seconds']:.1f} s wall, {summary['head']['median_cpu_seconds']:.1f} s CPU; "
          f"HEAD/BASE wall {ratio:.3f}, CPU {cpu_ratio:.3f}; documents {summary['base']['documents']} vs {summary['head']['documents']}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
