"""The summary: every figure next to its target, as Markdown, written between markers in bench/README.md."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from queries import KINDS

START, END = "<!-- results:start -->", "<!-- results:end -->"


def _get(data: dict[str, Any], *keys: Any) -> Any:
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _fmt(value: Any, digits: int = 1) -> str:
    if value is None:
        return "n/a"
    if isinstance(value, float):
        return f"{value:,.{digits}f}"
    return f"{value:,}" if isinstance(value, int) else str(value)


def _verdict(ok: bool | None) -> str:
    return "n/a" if ok is None else ("**holds**" if ok else "**missed**")


def _ratio(a: Any, b: Any) -> float | None:
    return round(a / b, 2) if a is not None and b else None


def targets(r: dict[str, Any]) -> list[tuple[str, str, str]]:
    """(target, figure, verdict) rows."""
    rows = []
    dps = _get(r, "ingest", "full", "docs_per_s")
    cps = _get(r, "ingest", "full", "docs_per_cpu_s")
    rows.append(("Full Reuters ingest ≥ 800 docs/s", f"{_fmt(dps)} docs/s wall ({_fmt(cps)} docs per CPU-second)", _verdict(None if dps is None else dps >= 800)))
    frac = _get(r, "ingest", "unchanged", "fraction_of_full")
    figure = "n/a" if frac is None else f"{frac * 100:.1f}% ({_fmt(_get(r, 'ingest', 'unchanged', 'seconds'))} s)"
    if _get(r, "ingest", "unchanged", "timed_out"):
        figure = f"stopped unfinished after {_fmt(_get(r, 'ingest', 'unchanged', 'seconds'))} s: ≥ {frac * 100:.0f}%"
    rows.append(("Re-ingest, nothing changed ≤ 10% of a full ingest", figure, _verdict(None if frac is None else frac <= 0.10)))
    for mode, label in (("full", ""), ("full_uncached", ", postings cache off")):
        one = _get(r, "search", "in_process_1x", "by_kind", mode) or {}
        if one:
            rows.append(_median_row(f"Whole search on Reuters{label}: median ≤ 50 ms, every kind", one, 50))
            if mode == "full":
                worst_p95 = max(one.items(), key=lambda kv: kv[1]["p95_ms"])
                rows.append(("Whole search on Reuters: p95 ≤ 150 ms, every kind",
                             f"worst {worst_p95[0]} {_fmt(worst_p95[1]['p95_ms'])} ms", _verdict(worst_p95[1]["p95_ms"] <= 150)))
    scale = _get(r, "scale", "search_scale")
    for mode, label in (("full", ""), ("full_uncached", ", postings cache off")):
        big = _get(r, "scale", "search", "by_kind", mode) or {}
        if big:
            rows.append(_median_row(f"Whole search at {scale}× Reuters{label}: median ≤ 150 ms, every kind", big, 150))
    ratios = peer_ratios(r, "full")
    if ratios:
        worst_kind = max(ratios, key=lambda k: ratios[k] or 0)
        cpu_ratios = peer_cpu_ratios(r, "full")
        rows.append(("Faceted search vs Datasette + FTS5: ratio ≤ 1.0, every kind",
                     f"worst {worst_kind} {_fmt(ratios[worst_kind], 2)}; at or under 1.0: "
                     f"{', '.join(k for k, v in ratios.items() if v is not None and v <= 1.0) or 'none'}; by server CPU: "
                     f"{', '.join(f'{k} {_fmt(v, 2)}' for k, v in cpu_ratios.items())}",
                     _verdict(all(v is not None and v <= 1.0 for v in ratios.values()))))
    levels = {lv["concurrency"]: lv for lv in (_get(r, "load", "levels") or [])}
    if 16 in levels:
        lv = levels[16]
        rows.append(("≥ 150 searches/s over HTTP at concurrency 16, 0 errors",
                     f"{_fmt(lv['requests_per_s'])} req/s, {lv['errors']} errors",
                     _verdict(lv["requests_per_s"] >= 150 and lv["errors"] == 0)))
    mem = {k: v for k, v in (r.get("memory") or {}).items() if k.isdigit()}
    if mem:
        top = str(max(int(k) for k in mem))
        worst_rss = mem[top].get("max_rss_mb")
        rows.append((f"RSS per gunicorn worker ≤ 300 MB at 10× Reuters (measured at {top}×)",
                     f"{_fmt(worst_rss)} MB (workers: {', '.join(_fmt(x) for x in mem[top].get('rss_mb', []))})",
                     _verdict(None if worst_rss is None else (worst_rss <= 300 if top == "10" else None))))
    return rows


def _median_row(target: str, kinds: dict[str, Any], limit: float) -> tuple[str, str, str]:
    """A target row for "median ≤ limit ms for every kind", naming the worst and every kind over."""
    worst = max(kinds.items(), key=lambda kv: kv[1]["median_ms"])
    worst_cpu = max(kinds.items(), key=lambda kv: kv[1].get("cpu_median_ms", 0))
    over = [k for k, v in kinds.items() if v["median_ms"] > limit]
    over_cpu = [k for k, v in kinds.items() if v.get("cpu_median_ms", 0) > limit]
    figure = (f"worst {worst[0]} {_fmt(worst[1]['median_ms'])} ms; over {limit:g} ms: {', '.join(over) or 'none'}; "
              f"CPU median worst {worst_cpu[0]} {_fmt(worst_cpu[1].get('cpu_median_ms'))} ms, over {limit:g} ms CPU: "
              f"{', '.join(over_cpu) or 'none'}")
    return target, figure, _verdict(worst[1]["median_ms"] <= limit)


def peer_ratios(r: dict[str, Any], mode: str) -> dict[str, float | None]:
    """Our HTTP median divided by Datasette's, per kind (both real servers, same run)."""
    ours = _get(r, "search", "http_1x", "by_kind", mode) or {}
    theirs = _get(r, "peer", "datasette", "by_kind", mode) or {}
    return {k: _ratio(ours[k]["median_ms"], theirs[k]["median_ms"]) for k in KINDS if k in ours and k in theirs}


def peer_cpu_ratios(r: dict[str, Any], mode: str) -> dict[str, float | None]:
    """Our server's mean CPU per request divided by Datasette's, per kind."""
    ours = _get(r, "search", "http_1x", "server_cpu_mean_ms", mode) or {}
    theirs = _get(r, "peer", "datasette", "server_cpu_mean_ms", mode) or {}
    return {k: _ratio(ours[k], theirs[k]) for k in KINDS if k in ours and k in theirs}


def summary(r: dict[str, Any]) -> str:
    """The whole Markdown summary."""
    run, m = r.get("run") or {}, _get(r, "run", "machine") or {}
    lines = [f"Run {run.get('started', '?')}, {run.get('seconds', '?')} s in all; steps: {', '.join(run.get('steps', []))}; "
             f"{_fmt(run.get('documents'))} Reuters documents read as {run.get('corpus_format')}; "
             f"{run.get('reps')} timed repetitions per query; {run.get('load_seconds')} s per load level.", "",
             f"Machine: {m.get('cores')} cores ({m.get('cpu')}), {m.get('memory_gb')} GB memory, {m.get('os')}, "
             f"Python {m.get('python')}. The machine is shared: load average {m.get('load_average_at_start')} at the start, "
             f"{_get(run, 'busy_at_end', 'loadavg')} at the end (each step's JSON records its own).", "",
             "Packages: " + ", ".join(f"{k} {v}" for k, v in (m.get("packages") or {}).items()) + ".", "",
             "Which code each step measured (steps may run separately with --only, and the project is installed "
             "editable, so a step measures the working tree of its time; uncommitted changes to src/ are named):", "",
             *[f"- {k}: commit {(v or {}).get('commit', '?')} at {(v or {}).get('at', '?')}"
               + (f", with uncommitted changes to {', '.join((v or {}).get('src_uncommitted', []))}" if (v or {}).get("src_uncommitted") else "")
               for k, v in (r.get("written") or {}).items()], "",
             "### Targets", "", "| target | figure | verdict |", "|---|---|---|"]
    lines += [f"| {a} | {b} | {c} |" for a, b, c in targets(r)]

    ing = r.get("ingest") or {}
    if ing:
        lines += ["", "### Ingest", "", f"Input format: {ing.get('format')}; source {ing.get('source')}.", "",
                  "| run | documents | seconds (wall, with interpreter start) | seconds inside ingest() | CPU s (all processes) | docs/s | docs per CPU-s | MB/s | index MB | peak RSS, main process MB | peak RSS, all processes MB | added / updated / unchanged / duplicate / skipped |",
                  "|---|---|---|---|---|---|---|---|---|---|---|---|"]
        named = [("full ingest", ing.get("full")), ("re-ingest, nothing changed", ing.get("unchanged")),
                 ("full ingest of a copy", ing.get("full_copy")), ("re-ingest, 1% changed", ing.get("one_percent"))]
        named += [(f"scale {k}×", v) for k, v in (_get(r, "scale", "points") or {}).items() if k != "1"]
        for name, x in named:
            if not x:
                continue
            extra = ""
            if "fraction_of_full" in x:
                extra = f" ({x['fraction_of_full'] * 100:.1f}% of full)"
            if x.get("timed_out"):
                extra = f" (**stopped unfinished** at the time limit: ≥ {x['fraction_of_full'] * 100:.0f}% of full)"
            lines.append(f"| {name}{extra} | {_fmt(x['input_documents'])} | {_fmt(x['seconds'])} | {_fmt(x.get('ingest_seconds'))} | {_fmt(x.get('cpu_seconds'))} | {_fmt(x['docs_per_s'])} | {_fmt(x.get('docs_per_cpu_s'))} | "
                         f"{_fmt(x['mb_per_s'], 2)} | {_fmt(x['index_mb'])} | {_fmt(x['peak_rss_mb'])} | {_fmt(x['peak_tree_rss_mb'])} | "
                         f"{x['added']} / {x['updated']} / {x['unchanged']} / {x['duplicate']} / {x['skipped']} |")
        lines += ["", "The 1× point of the scale curve is the full Reuters ingest above."]
        code = _get(r, "scale", "ingest_code")
        if code:
            lines.append("The 5× and 10× ingests ran earlier than the rows above, on older ingest code: "
                         + "; ".join(f"{k}× at commit {v['commit']} ({v['at']})" for k, v in code.items() if isinstance(v, dict))
                         + f". {code.get('note', '')}")

    search = r.get("search") or {}
    if search:
        scale = _get(r, "scale", "search_scale") or "10"
        lines += ["", "### Search, per query kind (medians and p95 in ms)", "",
                  "*full* = the whole search: 10 hits with highlights, facets author/source/region/year, timeline, "
                  "author matches. Cells are median / p95 wall ms, with the median CPU ms of the searching thread in "
                  "brackets (CPU time does not grow when other processes share the cores). *bare* = the 10 hits and the total only (over HTTP the API cannot switch facets or "
                  "the timeline off, so *bare* there means `highlight=false`). *uncached* = full with the postings cache "
                  "off (`CORPUS_POSTINGS_CACHE_MB=0`): every word's postings decoded from the index on every search, as "
                  "for the first search of a word after a start or an ingest; the other columns repeat each query, so "
                  "its words are in the cache.", "",
                  f"| kind | in-process full | in-process full, uncached | in-process bare | HTTP full | HTTP bare | {scale}× in-process full | {scale}× uncached | groupedby baseline | speed-up vs groupedby (wall) | speed-up vs groupedby (CPU) |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]

        def cell(*keys: Any) -> str:
            return cell_of(_get(search, *keys))

        def cell_of(x: Any) -> str:
            if not x:
                return "n/a"
            cpu = f" (CPU {_fmt(x['cpu_median_ms'])})" if "cpu_median_ms" in x else ""
            return f"{_fmt(x['median_ms'])} / {_fmt(x['p95_ms'])}{cpu}"

        for k in KINDS:
            ours = _get(search, "in_process_1x", "by_kind", "full", k, "median_ms")
            base = _get(r, "baseline", "by_kind", k, "median_ms")
            base_cell = cell_of(_get(r, "baseline", "by_kind", k))
            lines.append(f"| {k} | {cell('in_process_1x', 'by_kind', 'full', k)} | {cell('in_process_1x', 'by_kind', 'full_uncached', k)} | "
                         f"{cell('in_process_1x', 'by_kind', 'bare', k)} | "
                         f"{cell('http_1x', 'by_kind', 'full', k)} | {cell('http_1x', 'by_kind', 'bare', k)} | "
                         f"{cell_of(_get(r, 'scale', 'search', 'by_kind', 'full', k))} | "
                         f"{cell_of(_get(r, 'scale', 'search', 'by_kind', 'full_uncached', k))} | "
                         f"{base_cell} | {_fmt(_ratio(base, ours), 2)}× | "
                         f"{_fmt(_ratio(_get(r, 'baseline', 'by_kind', k, 'cpu_median_ms'), _get(search, 'in_process_1x', 'by_kind', 'full', k, 'cpu_median_ms')), 2)}× |")

    peer = r.get("peer") or {}
    if peer:
        full, bare = peer_ratios(r, "full"), peer_ratios(r, "bare")
        lines += ["", "### Against Datasette + SQLite FTS5 (same run, both over HTTP on loopback, medians in ms)", "",
                  f"Peer load (sqlite-utils insert, enable-fts with porter, indexes, vacuum): "
                  f"{_fmt(_get(peer, 'load', 'seconds'))} s for {_fmt(_get(peer, 'load', 'rows'))} rows, "
                  f"{_fmt(_get(peer, 'load', 'db_mb'))} MB; our full ingest: {_fmt(_get(r, 'ingest', 'full', 'seconds'))} s "
                  f"(ours / peer = {_fmt(_ratio(_get(r, 'ingest', 'full', 'seconds'), _get(peer, 'load', 'seconds')), 2)}). "
                  f"Server: {peer.get('server')}; errors {_get(peer, 'datasette', 'error_count')}.", "",
                  "Wall medians are taken in the same minutes on the same shared machine; the server CPU columns are each "
                  "server's mean CPU per request (gunicorn master and workers; the Datasette process), read from /proc "
                  "around every request, which other processes on the machine do not inflate.", "",
                  "| kind | ours, full | Datasette, facets + _facet_date | ours / Datasette | ours, bare | Datasette, no facets | ours / Datasette "
                  "| server CPU ms, ours / Datasette (full) | ratio by CPU (full) | ratio by CPU (bare) |",
                  "|---|---|---|---|---|---|---|---|---|---|"]
        cfull, cbare = peer_cpu_ratios(r, "full"), peer_cpu_ratios(r, "bare")
        for k in KINDS:
            lines.append(f"| {k} | {_fmt(_get(search, 'http_1x', 'by_kind', 'full', k, 'median_ms'))} | "
                         f"{_fmt(_get(peer, 'datasette', 'by_kind', 'full', k, 'median_ms'))} | {_fmt(full.get(k), 2)} | "
                         f"{_fmt(_get(search, 'http_1x', 'by_kind', 'bare', k, 'median_ms'))} | "
                         f"{_fmt(_get(peer, 'datasette', 'by_kind', 'bare', k, 'median_ms'))} | {_fmt(bare.get(k), 2)} | "
                         f"{_fmt(_get(search, 'http_1x', 'server_cpu_mean_ms', 'full', k))} / "
                         f"{_fmt(_get(peer, 'datasette', 'server_cpu_mean_ms', 'full', k))} | {_fmt(cfull.get(k), 2)} | {_fmt(cbare.get(k), 2)} |")

    load = r.get("load") or {}
    if load:
        lines += ["", f"### Load (gunicorn, {load.get('workers')} workers × 2 threads, full searches cycling through the query set)", "",
                  "*server CPU per request* is the gunicorn master's and workers' CPU time over the level divided by the "
                  "requests served; *idle capacity* is cores divided by it: the rate two otherwise idle cores could sustain "
                  "for this query mix (before wrk's own share).", "",
                  "| concurrency | tool | seconds | requests | requests/s | p50 ms | p95 ms | errors | server CPU ms per request | idle capacity, requests/s | load average after |",
                  "|---|---|---|---|---|---|---|---|---|---|---|"]
        for lv in load.get("levels", []):
            lines.append(f"| {lv['concurrency']} | {lv['tool']} | {lv['seconds']} | {lv['requests']} | {_fmt(lv['requests_per_s'])} | "
                         f"{_fmt(lv['p50_ms'])} | {_fmt(lv['p95_ms'])} | {lv['errors']} | {_fmt(lv.get('server_cpu_ms_per_request'))} | "
                         f"{_fmt(lv.get('idle_capacity_per_s'))} | {_get(lv, 'busy', 'loadavg')} |")

    mem = {k: v for k, v in (r.get("memory") or {}).items() if k.isdigit()}
    if mem:
        lines += ["", "### Memory per gunicorn worker (after every worker answered the query set)", "",
                  "| index | workers | RSS per worker MB | master MB |", "|---|---|---|---|"]
        for k, v in sorted(mem.items(), key=lambda kv: int(kv[0])):
            lines.append(f"| {k}× | {v['workers']} | {', '.join(_fmt(x) for x in v['rss_mb'])} | {_fmt(v['master_rss_mb'])} |")

    lines += scale_section(r.get("scale") or {})

    totals = _get(search, "in_process_1x", "totals") or {}
    if totals:
        lines += ["", "### Hit counts per query (a check that the engines answer the same question)", "",
                  "| query | ours | groupedby baseline | Datasette |", "|---|---|---|---|"]
        theirs = list((_get(peer, "datasette", "totals") or {}).values())
        base_totals = _get(r, "baseline", "totals") or {}
        for i, (name, n) in enumerate(totals.items()):
            lines.append(f"| `{name}` | {_fmt(n)} | {_fmt(base_totals.get(name))} | {_fmt(theirs[i] if i < len(theirs) else None)} |")
    return "\n".join(lines) + "\n"


def scale_section(sc: dict[str, Any]) -> list[str]:
    """The scale curve: one row per scale, the search medians per kind, the publish probe and the brute-force check."""
    points = {int(k): v for k, v in (sc.get("points") or {}).items()}
    if not points:
        return []
    xs = sorted(points)
    out = ["", "### Scale curve", "", "![ingest docs/s, search medians per kind and worker RSS against scale](results/scale.svg)", "",
           "Each index is reused when its stamp (sha256 of every tracked file under src/corpus, the scale, the corpus "
           "format and size) matches the last build's; *reused* rows give the figures of the ingest that built it.", "",
           "| scale | documents | ingest | docs/s | peak RSS, all processes MB | index MB | load c=16 req/s (p95 ms, errors) "
           "| worker RSS MB | publish → first search s | search p95 before / during switch ms | switch errors |",
           "|---|---|---|---|---|---|---|---|---|---|---|"]
    for x in xs:
        p = points[x]
        how = "reused, built at " + str(p.get("built_at_commit")) if p.get("reused") else f"built at {p.get('built_at_commit', '?')}"
        if p.get("stamp"):
            how += f", stamp `{p['stamp']}`"
        ld, mem, pub = p.get("load16") or {}, p.get("memory") or {}, p.get("publish") or {}
        load_cell = f"{_fmt(ld.get('requests_per_s'))} ({_fmt(ld.get('p95_ms'))}, {ld.get('errors')})" if ld else "n/a"
        out.append(f"| {x}× | {_fmt(p.get('input_documents'))} | {how} | {_fmt(p.get('docs_per_s'))} | {_fmt(p.get('peak_tree_rss_mb'))} | "
                   f"{_fmt(p.get('index_mb'))} | {load_cell} | {', '.join(_fmt(v) for v in mem.get('rss_mb', [])) or 'n/a'} | "
                   f"{_fmt(pub.get('publish_to_first_search_s'), 3)} | {_fmt(_get(pub, 'before', 'p95_ms'))} / {_fmt(_get(pub, 'during', 'p95_ms'))} | "
                   f"{_fmt(pub.get('errors'))} |")
    out += ["", "In-process search per kind at each scale: median / p95 ms of the full search, as served (postings cache on) "
            "and with the postings cache off.", "",
            "| kind | " + " | ".join(f"{x}× served | {x}× cache off" for x in xs) + " |",
            "|---|" + "---|---|" * len(xs)]
    for k in KINDS:
        cells = []
        for x in xs:
            for mode in ("full", "full_uncached"):
                v = _get(points[x], "search", "by_kind", mode, k)
                cells.append(f"{_fmt(v['median_ms'])} / {_fmt(v['p95_ms'])}" if v else "n/a")
        out.append(f"| {k} | " + " | ".join(cells) + " |")
    pubs = [(x, points[x]["publish"]) for x in xs if points[x].get("publish")]
    if pubs:
        out += ["", "Publish to first search: " + (pubs[0][1].get("method") or "") + "; target ≤ 5 s, no failed search, "
                "no search on the old build slower than its p95 before the swap. Searches on the old build slower than that "
                "after the swap: " + ", ".join(f"{x}× {p.get('old_build_searches_slower_than_p95_before')}" for x, p in pubs)
                + "; every thread on the new build after: " + ", ".join(f"{x}× {_fmt(p.get('last_thread_on_new_build_s'), 3)} s" for x, p in pubs) + "."]
    bf = sc.get("brute_force") or {}
    if bf:
        out += ["", f"### Brute-force counts at {bf.get('scale')}× ({_fmt(bf.get('documents_scanned'))} documents scanned in "
                f"{_fmt(bf.get('seconds'))} s; {bf.get('duplicates_left_out')} of {bf.get('duplicates_dropped_by_ingest')} "
                f"duplicates the ingest dropped left out{'' if bf.get('exact', True) else ', so the scan may count a few more'})", "",
                "| kind | query | engine | scan | verdict |", "|---|---|---|---|---|"]
        out += [f"| {q['kind']} | `{q['query']}` | {_fmt(q['engine'])} | {_fmt(q['scan'])} | {'**pass**' if q['pass'] else '**fail**'} |"
                for q in bf.get("queries", [])]
    return out


def write_readme(path: Path, table: str) -> None:
    """Replace the text between the result markers of bench/README.md (or append the block)."""
    text = path.read_text() if path.is_file() else ""
    block = f"{START}\n{table}{END}"
    if START in text and END in text:
        head, rest = text.split(START, 1)
        text = head + block + rest.split(END, 1)[1]
    else:
        text = text.rstrip("\n") + "\n\n## Results\n\n" + block + "\n"
    path.write_text(text)
