"""Shared pieces of the benchmark harness: paths, statistics, machine facts, process memory."""

from __future__ import annotations

import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from importlib import metadata
from pathlib import Path
from typing import Any

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
# gitignored: generated corpora, indexes, the peer's database; --quick uses its own folder below it,
# so a smoke test never touches what a full run is using.
WORK = Path(os.environ.get("CORPUS_BENCH_WORK") or BENCH / "work")
RESULTS = BENCH / "results"
CORPORA = (ROOT / ".." / "shared" / "corpora").resolve()
REUTERS = CORPORA / "reuters21578"
BIN = Path(sys.executable).parent


def log(msg: str) -> None:
    """Progress on stderr, with the wall-clock time, so a long run shows where it is."""
    print(f"[{time.strftime('%H:%M:%S')}] {msg}", file=sys.stderr, flush=True)


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile by linear interpolation (pct in 0..100)."""
    if not values:
        return float("nan")
    ordered = sorted(values)
    k = (len(ordered) - 1) * pct / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary(ms: list[float], cpu_ms: list[float] | None = None) -> dict[str, Any]:
    """Median, p95, min and count of a list of milliseconds (and of CPU milliseconds when given)."""
    out = {"median_ms": round(statistics.median(ms), 2), "p95_ms": round(percentile(ms, 95), 2),
           "min_ms": round(min(ms), 2), "n": len(ms)}
    if cpu_ms:
        out["cpu_median_ms"] = round(statistics.median(cpu_ms), 2)
        out["cpu_p95_ms"] = round(percentile(cpu_ms, 95), 2)
    return out


def busy() -> dict[str, Any]:
    """How loaded the shared machine is right now: load averages and the busiest other processes."""
    return {"loadavg": [round(x, 2) for x in os.getloadavg()], "at": time.strftime("%H:%M:%S", time.gmtime())}


def dir_size(path: Path) -> int:
    """Bytes in every regular file below path."""
    total = 0
    for dirpath, _dirs, files in os.walk(path):
        for name in files:
            try:
                total += os.lstat(os.path.join(dirpath, name)).st_size
            except OSError:
                pass
    return total


def served_build(index_dir: Path) -> Path:
    """The build the `current` link points at (the whole folder if there is no link)."""
    link = index_dir / "current"
    return Path(os.path.realpath(link)) if link.exists() else index_dir


def rss_kb(pid: int) -> int:
    """Resident set size of one process in KiB (0 if it has gone)."""
    try:
        with open(f"/proc/{pid}/status") as fh:
            for line in fh:
                if line.startswith("VmRSS:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def cpu_seconds(pids: list[int]) -> float:
    """User plus system CPU seconds used so far by these processes (from /proc/<pid>/stat)."""
    tick = os.sysconf("SC_CLK_TCK")
    total = 0
    for pid in pids:
        try:
            with open(f"/proc/{pid}/stat") as fh:
                fields = fh.read().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime (fields 14 and 15 of stat)
        except (OSError, IndexError, ValueError):
            pass
    return total / tick


def smaps(pid: int) -> dict[str, float]:
    """Rss, Pss and their anonymous and file-backed parts in MB, from /proc/<pid>/smaps_rollup."""
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/smaps_rollup") as fh:
            for line in fh:
                parts = line.split()
                if len(parts) == 3 and parts[2] == "kB" and parts[0].rstrip(":") in (
                        "Rss", "Pss", "Pss_Anon", "Pss_File", "Anonymous", "Shared_Clean", "Private_Clean", "Private_Dirty"):
                    out[parts[0].rstrip(":")] = round(int(parts[1]) / 1024, 1)
    except OSError:
        pass
    return out


def children(pid: int) -> list[int]:
    """Direct children of a process, from /proc."""
    found: list[int] = []
    try:
        for tid in os.listdir(f"/proc/{pid}/task"):
            with open(f"/proc/{pid}/task/{tid}/children") as fh:
                found.extend(int(x) for x in fh.read().split())
    except OSError:
        pass
    return found


def tree(pid: int) -> list[int]:
    """A process and all its descendants."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(children(p))
    return out


def run_measured(cmd: list[str], env: dict[str, str] | None = None, cwd: Path = ROOT,
                 timeout: float | None = None) -> dict[str, Any]:
    """Run a command; return its wall time, exit code, output, peak RSS of the process and of its whole tree.

    The process's own peak comes from wait4's rusage (the kernel's high-water mark); the tree's
    peak, which includes worker processes, is the largest sum seen by sampling /proc every 50 ms.
    """
    out_path = WORK / f".out.{os.getpid()}.{time.monotonic_ns()}"
    out_path.parent.mkdir(parents=True, exist_ok=True)
    with open(out_path, "w") as out:
        started = time.perf_counter()
        proc = subprocess.Popen(cmd, stdout=out, stderr=subprocess.STDOUT, env=env, cwd=cwd, start_new_session=True)
        peak_tree = 0
        timed_out = False
        stop = threading.Event()

        def sample() -> None:
            nonlocal peak_tree, timed_out
            while not stop.is_set():
                peak_tree = max(peak_tree, sum(rss_kb(p) for p in tree(proc.pid)))
                if timeout is not None and time.perf_counter() - started > timeout and not timed_out:
                    timed_out = True
                    os.killpg(proc.pid, signal.SIGKILL)  # our own child's group, which it leads
                stop.wait(0.05)

        sampler = threading.Thread(target=sample, daemon=True)
        sampler.start()
        _pid, status, usage = os.wait4(proc.pid, 0)
        seconds = time.perf_counter() - started
        stop.set()
        sampler.join()
        proc.returncode = os.waitstatus_to_exitcode(status)
    text = out_path.read_text(errors="replace")
    out_path.unlink()
    return {"seconds": seconds, "cpu_seconds": usage.ru_utime + usage.ru_stime, "returncode": proc.returncode,
            "timed_out": timed_out, "output": text,
            "peak_rss_mb": round(usage.ru_maxrss / 1024, 1), "peak_tree_rss_mb": round(peak_tree / 1024, 1)}


def free_port() -> int:
    """A free TCP port on the loopback address."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def wait_http(url: str, proc: subprocess.Popen[Any], seconds: float = 60) -> None:
    """Wait until url answers, failing early if the server process exits."""
    deadline = time.monotonic() + seconds
    while True:
        if proc.poll() is not None:
            raise RuntimeError(f"server exited with {proc.returncode} before answering {url}")
        try:
            urllib.request.urlopen(url, timeout=5).read()
            return
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError(f"{url} did not answer within {seconds:g} s") from None
            time.sleep(0.25)


def stop(proc: subprocess.Popen[Any]) -> None:
    """Terminate a server we started, by its own pid, and wait for it."""
    if proc.poll() is None:
        proc.terminate()
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


@contextmanager
def gunicorn(index_dir: Path, workers: int) -> Iterator[tuple[str, subprocess.Popen[Any]]]:
    """`gunicorn wsgi:app` from the project root on a free loopback port; yields (base URL, process)."""
    port = free_port()
    env = dict(os.environ, CORPUS_INDEX_DIR=str(index_dir), CORPUS_HOST="127.0.0.1", CORPUS_PORT=str(port),
               CORPUS_WORKERS=str(workers))
    logf = open(WORK / "gunicorn.log", "a")  # noqa: SIM115 - closed below, after the server stops
    proc = subprocess.Popen([str(BIN / "gunicorn"), "wsgi:app", "--access-logfile", "/dev/null"],
                            cwd=ROOT, env=env, stdout=logf, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        wait_http(base + "/api/search?q=&per_page=1", proc)
        yield base, proc
    finally:
        stop(proc)
        logf.close()


def http_get(url: str) -> tuple[int, float, bytes]:
    """(status, milliseconds, body) of one GET."""
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(url, timeout=60) as resp:
            body = resp.read()
            status = resp.status
    except urllib.error.HTTPError as exc:
        body, status = exc.read(), exc.code
    return status, (time.perf_counter() - started) * 1000, body


def machine() -> dict[str, Any]:
    """Cores, memory, CPU model, OS, Python and the versions of the packages that matter."""
    mem_kb = 0
    with open("/proc/meminfo") as fh:
        for line in fh:
            if line.startswith("MemTotal:"):
                mem_kb = int(line.split()[1])
    cpu = ""
    try:
        with open("/proc/cpuinfo") as fh:
            cpu = next((ln.split(":", 1)[1].strip() for ln in fh if ln.startswith("model name")), "")
    except OSError:
        pass
    versions = {}
    for name in ("corpus", "Whoosh", "flask", "gunicorn", "numpy", "datasette", "sqlite-utils"):
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    import sqlite3

    versions["sqlite"] = sqlite3.sqlite_version
    try:
        wrk = subprocess.run(["wrk", "--version"], capture_output=True, text=True).stdout.split("\n")[0]
    except OSError:
        wrk = None
    versions["wrk"] = wrk or None
    return {"cores": os.cpu_count(), "memory_gb": round(mem_kb / 1024**2, 1), "cpu": cpu,
            "os": platform.platform(), "python": platform.python_version(), "packages": versions,
            "load_average_at_start": os.getloadavg()}


def code_version() -> dict[str, Any]:
    """The commit measured and the source files that differed from it (others edit the tree meanwhile)."""
    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=20).stdout.rstrip("\n")
        except (OSError, subprocess.SubprocessError):
            return ""

    dirty = [line[3:] for line in git("status", "--porcelain", "--", "src").splitlines() if len(line) > 3]
    return {"commit": git("rev-parse", "--short", "HEAD").strip(), "src_uncommitted": dirty,
            "at": time.strftime("%H:%M:%S UTC", time.gmtime())}


def write_json(path: Path, data: Any) -> None:
    """Write JSON atomically enough for a results file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(json.dumps(data, indent=2, default=str) + "\n")
    os.replace(tmp, path)
