"""A short in-process A/B of a few queries on two revisions' Reuters indexes, for a quiet moment.

    .venv/bin/python bench/ab_micro.py BASE_COMMIT HEAD_COMMIT [QUERY ...]

Uses the worktrees and indexes bench/ab.py left under bench/work/ab/<commit[:12]>/ (run that
first). Each revision's child process opens its index, warms up, and times each query 15 times
(median); the two alternate for 3 rounds (A B, B A, A B) and the table gives the median of the
rounds' medians and the ratio HEAD/BASE. Meant for when bench/ab.py's longer run was shared with
other work: it takes a minute, so it fits between two jobs on a shared machine.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys

from common import BIN, WORK

CHILD = r'''
import json, sys, time
sys.path.insert(0, sys.argv[1])
from pathlib import Path
from corpus.config import Settings
from corpus.engines import open_backend
from corpus.search import SearchRequest
svc = open_backend(Settings.from_env(index_dir=Path(sys.argv[2]), result_cache=0))
queries = json.loads(sys.argv[3])
for q in queries:
    svc.search(SearchRequest(q=q, per_page=10))
out = {}
for q in queries:
    times = []
    for _ in range(15):
        started = time.perf_counter()
        svc.search(SearchRequest(q=q, per_page=10))
        times.append((time.perf_counter() - started) * 1000)
    out[q] = sorted(times)[7]
print(json.dumps(out))
'''
DEFAULT = ['"interest rates"', '"the company said"', "gold OR silver", "title:oil"]


def main() -> None:
    base, head, *queries = sys.argv[1:]
    queries = queries or DEFAULT
    runs: dict[str, list[dict[str, float]]] = {base[:12]: [], head[:12]: []}
    for r in range(3):
        for commit in (list(runs) if r % 2 == 0 else list(runs)[::-1]):
            tree = WORK / "ab" / commit
            out = subprocess.run([str(BIN / "python"), "-c", CHILD, str(tree / "src"), str(tree / "bench-index"), json.dumps(queries)],
                                 capture_output=True, text=True, check=True).stdout
            runs[commit].append(json.loads(out.strip().splitlines()[-1]))
    print(f"| query | {base[:10]} median ms | {head[:10]} median ms | head / base |\n|---|---|---|---|")
    for q in queries:
        b = statistics.median(x[q] for x in runs[base[:12]])
        h = statistics.median(x[q] for x in runs[head[:12]])
        print(f"| `{q}` | {b:.2f} | {h:.2f} | {h / b:.2f} |")


if __name__ == "__main__":
    main()
