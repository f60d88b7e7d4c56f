"""Ingest figures: a full ingest, a re-ingest with nothing changed, one after 1% changed, and a scale curve."""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path
from typing import Any

import corpora
from common import BENCH, WORK, busy, dir_size, log, run_measured, served_build


def run_ingest(index: Path, paths: list[Path], rebuild: bool = False, timeout: float | None = None) -> dict[str, Any]:
    """Ingest in a child process; wall time, peak RSS and the ingest report (or timed_out past `timeout`)."""
    cmd = [sys.executable, str(BENCH / "ingest_child.py"), "--index", str(index)]
    if rebuild:
        cmd.append("--rebuild")
    res = run_measured(cmd + [str(p) for p in paths], timeout=timeout)
    base = {"seconds": round(res["seconds"], 2), "cpu_seconds": round(res["cpu_seconds"], 2),
            "loadavg_after": busy()["loadavg"], "peak_rss_mb": res["peak_rss_mb"],
            "peak_tree_rss_mb": res["peak_tree_rss_mb"], "timed_out": res["timed_out"]}
    if res["timed_out"]:
        log(f"  stopped after {timeout:.0f} s (the time limit for this run)")
        return {**base, "ingest_seconds": None, "documents": None, "added": None, "updated": None, "unchanged": None,
                "removed": None, "duplicate": None, "skipped": None, "records_seen": None, "skipped_examples": []}
    line = next((ln for ln in res["output"].splitlines() if ln.startswith("REPORT ")), None)
    if res["returncode"] != 0 or line is None:
        raise RuntimeError(f"ingest failed ({res['returncode']}):\n{res['output'][-3000:]}")
    data = json.loads(line[len("REPORT "):])
    report = data["report"]
    return {**base, "ingest_seconds": round(data["inner_seconds"], 2),
            "documents": report["documents"], "added": report["added"], "updated": report["updated"],
            "unchanged": report["unchanged"], "removed": report["removed"], "duplicate": report["duplicate"],
            "skipped": report["skipped"], "records_seen": report["records_seen"],
            "skipped_examples": report["skipped_items"][:5],
            # The first 20 (ingest_child keeps 20) ids dropped as duplicates: the brute-force check leaves them out.
            "duplicate_ids": [d.get("id") for d in report.get("duplicate_items", []) if isinstance(d, dict)]}


def _rates(res: dict[str, Any], docs: int, nbytes: int, index: Path) -> dict[str, Any]:
    res["input_documents"] = docs
    res["input_mb"] = round(nbytes / 1e6, 1)
    res["docs_per_s"] = round(docs / res["seconds"], 1)
    res["mb_per_s"] = round(nbytes / 1e6 / res["seconds"], 2)
    res["docs_per_cpu_s"] = round(docs / res["cpu_seconds"], 1) if res["cpu_seconds"] else None
    res["index_mb"] = round(dir_size(served_build(index)) / 1e6, 1)
    return res


def fresh_index(name: str) -> Path:
    """An empty index folder under bench/work/indexes."""
    index = WORK / "indexes" / name
    if index.exists():
        shutil.rmtree(index)
    index.mkdir(parents=True)
    return index


def run(base: list[dict[str, Any]], fmt: str) -> dict[str, Any]:
    """The Reuters ingest figures; returns them with the path of the index built (for search)."""
    out: dict[str, Any] = {"format": fmt}
    docs = len(base)
    # The shipped file when it can be read as it is; otherwise its text-file rendering.
    if fmt == "jsonl" and docs == len(corpora.load_reuters()):
        source = corpora.REUTERS
        nbytes = corpora.reuters_file().stat().st_size
    else:
        source = WORK / "corpora" / f"reuters-{docs}-{fmt}"
        nbytes = corpora.write_corpus(source, base, fmt)
    out["source"] = str(source)

    index = fresh_index("reuters")
    log(f"ingest: full Reuters ({docs:,} documents) from {source}")
    out["full"] = _rates(run_ingest(index, [source]), docs, nbytes, index)
    log(f"  {out['full']['seconds']} s, {out['full']['docs_per_s']} docs/s")
    log("ingest: re-ingest with nothing changed")
    # A re-ingest is stopped once it has taken as long as the full ingest: the target is 10% of it.
    limit = max(60.0, out["full"]["seconds"])
    out["unchanged"] = _rates(run_ingest(index, [source], timeout=limit), docs, nbytes, index)
    out["unchanged"]["fraction_of_full"] = round(out["unchanged"]["seconds"] / out["full"]["seconds"], 3)
    log(f"  {out['unchanged']['seconds']} s")

    copy = corpora.reuters_copy(base, fmt)
    edit_index = fresh_index("reuters-edit")
    log("ingest: a second full ingest, of a private copy that will be edited")
    out["full_copy"] = _rates(run_ingest(edit_index, [copy]), docs, corpora.corpus_bytes(copy), edit_index)
    changed = corpora.change_one_percent(copy, base, fmt)
    log(f"ingest: re-ingest after {changed} documents (1%) changed")
    res = run_ingest(edit_index, [copy], timeout=max(60.0, out["full_copy"]["seconds"]))
    out["one_percent"] = _rates(res, docs, corpora.corpus_bytes(copy), edit_index)
    out["one_percent"]["changed_documents"] = changed
    out["one_percent"]["fraction_of_full"] = round(res["seconds"] / out["full_copy"]["seconds"], 3)
    shutil.rmtree(edit_index, ignore_errors=True)

    out["indexes"] = {"1": str(index)}
    return out


def run_scale(base: list[dict[str, Any]], fmt: str, scales: list[int], full: dict[str, Any] | None) -> dict[str, Any]:
    """The scale curve: generated corpora at each factor above 1; the 1x point is the real Reuters ingest."""
    docs = len(base)
    out: dict[str, Any] = {"points": {}, "indexes": {}}
    for scale in scales:
        if scale == 1:
            if full:
                out["points"]["1"] = dict(full, note="the real Reuters ingest")
            continue
        folder = corpora.build_scaled(base, scale, fmt)
        sindex = fresh_index(f"scale-{scale}x")
        log(f"ingest: {scale}x Reuters ({scale * docs:,} documents)")
        res = run_ingest(sindex, [folder])
        out["points"][str(scale)] = _rates(res, scale * docs, corpora.corpus_bytes(folder), sindex)
        log(f"  {res['seconds']} s, {out['points'][str(scale)]['docs_per_s']} docs/s, peak {res['peak_tree_rss_mb']} MB")
        out["indexes"][str(scale)] = str(sindex)
    return out
