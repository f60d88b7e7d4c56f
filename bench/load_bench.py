"""Load: the full query set over HTTP at fixed concurrency for a fixed time, with wrk (or a Python fallback)."""

from __future__ import annotations

import http.client
import os
import shutil
import subprocess
import threading
import time
from typing import Any
from urllib.parse import urlsplit

from common import WORK, busy, cpu_seconds, log, percentile
from queries import QUERIES
from search_bench import api_path

LUA = """
local paths = {%s}
local counter = 0
request = function()
  counter = counter + 1
  return wrk.format("GET", paths[(counter %% #paths) + 1])
end
done = function(summary, latency, requests)
  local e = summary.errors
  io.write(string.format("RESULT %%d %%d %%d %%d %%d %%d %%d %%d %%d %%d\\n", summary.requests, summary.duration,
    e.connect, e.read, e.write, e.status, e.timeout, latency:percentile(50), latency:percentile(95), latency.mean))
end
"""


def paths() -> list[str]:
    """Every query of the set as a full search (facets, timeline, highlights)."""
    return [api_path(q, dates, "full") for _kind, q, _fts, dates in QUERIES]


def with_wrk(base: str, concurrency: int, seconds: int) -> dict[str, Any]:
    """One wrk run; requests/s, p50, p95 and every kind of error wrk counts."""
    script = WORK / "load.lua"
    script.write_text(LUA % ", ".join(f'"{p}"' for p in paths()))
    threads = min(concurrency, 2)
    cmd = ["wrk", f"-t{threads}", f"-c{concurrency}", f"-d{seconds}s", "--timeout", "30s", "-s", str(script), base]
    out = subprocess.run(cmd, capture_output=True, text=True, timeout=seconds + 60).stdout
    line = next(ln for ln in out.splitlines() if ln.startswith("RESULT "))
    req, dur, connect, read, write, status, timeout, p50, p95, mean = (int(float(x)) for x in line.split()[1:])
    errors = connect + read + write + status + timeout
    return {"tool": "wrk", "concurrency": concurrency, "seconds": round(dur / 1e6, 1), "requests": req,
            "requests_per_s": round(req / (dur / 1e6), 1), "p50_ms": round(p50 / 1000, 1), "p95_ms": round(p95 / 1000, 1),
            "mean_ms": round(mean / 1000, 1), "errors": errors,
            "error_detail": {"connect": connect, "read": read, "write": write, "status": status, "timeout": timeout}}


def with_python(base: str, concurrency: int, seconds: int) -> dict[str, Any]:
    """A keep-alive thread-per-connection load generator, used when wrk is not installed."""
    url = urlsplit(base)
    todo = paths()
    lat: list[float] = []
    errors = [0]
    lock = threading.Lock()
    end = time.monotonic() + seconds

    def worker(offset: int) -> None:
        conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
        i = offset
        while time.monotonic() < end:
            t0 = time.perf_counter()
            try:
                conn.request("GET", todo[i % len(todo)])
                resp = conn.getresponse()
                resp.read()
                ok = resp.status == 200
            except OSError:
                ok = False
                conn.close()
                conn = http.client.HTTPConnection(url.hostname, url.port, timeout=30)
            ms = (time.perf_counter() - t0) * 1000
            with lock:
                lat.append(ms)
                errors[0] += not ok
            i += 1
        conn.close()

    started = time.perf_counter()
    threads = [threading.Thread(target=worker, args=(n,)) for n in range(concurrency)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    dur = time.perf_counter() - started
    return {"tool": "python", "concurrency": concurrency, "seconds": round(dur, 1), "requests": len(lat),
            "requests_per_s": round(len(lat) / dur, 1), "p50_ms": round(percentile(lat, 50), 1),
            "p95_ms": round(percentile(lat, 95), 1), "errors": errors[0]}


def run(base: str, levels: list[int], seconds: int, pids: list[int] | None = None) -> list[dict[str, Any]]:
    """Every concurrency level, in order, each for `seconds`; with the server's pids, its CPU per request too.

    CPU per request gives the throughput two idle cores could sustain (cores / CPU per request),
    which is what the shared machine's load hides.
    """
    runner = with_wrk if shutil.which("wrk") else with_python
    cores = os.cpu_count() or 1
    out = []
    for c in levels:
        before = cpu_seconds(pids or [])
        res = runner(base, c, seconds)
        if pids and res["requests"]:
            used = cpu_seconds(pids) - before
            res["server_cpu_s"] = round(used, 2)
            res["server_cpu_ms_per_request"] = round(1000 * used / res["requests"], 1)
            res["idle_capacity_per_s"] = round(cores / (used / res["requests"]), 1) if used else None
        log(f"  load c={c}: {res['requests_per_s']} req/s, p50 {res['p50_ms']} ms, p95 {res['p95_ms']} ms, "
            f"{res['errors']} errors")
        res["busy"] = busy()
        out.append(res)
    return out
