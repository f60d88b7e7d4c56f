"""Run one ingest through the public entry point and print its report as JSON (run in a subprocess)."""

from __future__ import annotations

import argparse
import json
import time
from dataclasses import asdict
from pathlib import Path

from corpus.config import Settings
from corpus.ingest import ingest


def main() -> None:
    """Parse arguments, ingest, print one JSON line with the report and the wall time."""
    ap = argparse.ArgumentParser()
    ap.add_argument("--index", required=True, type=Path)
    ap.add_argument("--rebuild", action="store_true")
    ap.add_argument("paths", nargs="+", type=Path)
    args = ap.parse_args()
    settings = Settings.from_env(index_dir=args.index)
    started = time.perf_counter()
    report = ingest(list(args.paths), settings, rebuild=args.rebuild)
    seconds = time.perf_counter() - started
    data = asdict(report)
    for key in ("skipped_items", "duplicate_items"):
        data[key] = data[key][:20]  # enough to see why; the counts are kept whole
    print("REPORT " + json.dumps({"inner_seconds": seconds, "report": data}))


if __name__ == "__main__":
    main()
