"""SIGKILL an ingest at several points: the served index stays intact and the next ingest completes."""

from __future__ import annotations

import os
import shutil
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpus import indexdir
from corpus.engines import open_backend
from corpus.ingest import ingest
from corpus.search import SearchRequest
from support import FIXTURES, copy_corpus, make_settings

EXTRA = 400  # generated articles added by the ingest that gets killed


def add_articles(data: Path, count: int) -> None:
    folder = data / "extra"
    folder.mkdir()
    for i in range(count):
        words = " ".join(f"word{(i * 7 + j) % 997}" for j in range(120))
        (folder / f"doc{i:04d}.txt").write_text(
            f"Title: Generated report {i}\nDate: 2020-{i % 12 + 1:02d}-01\nSource: Generator\n\nCrashtest {words}.\n"
        )


def run_ingest(index: Path, data: Path, pause_at: str, *extra: str) -> subprocess.Popen[str]:
    env = dict(os.environ, CORPUS_TEST_PAUSE_AT=pause_at, CORPUS_INGEST_PROCS="1")
    return subprocess.Popen(
        [sys.executable, "-m", "corpus.cli", "--index-dir", str(index), "ingest", "-q", *extra, str(data)],
        env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True,
    )


def wait_for_marker(proc: subprocess.Popen[str], name: str, timeout: float = 120) -> None:
    assert proc.stderr is not None
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stderr.readline()
        if not line and proc.poll() is not None:
            raise AssertionError(f"ingest ended (exit {proc.returncode}) before reaching {name}")
        if line.strip() == f"corpus-checkpoint {name}":
            return
    raise AssertionError(f"ingest did not reach {name} within {timeout}s")


def served_total(settings) -> int:
    """Open the served index from scratch, as a freshly started worker would, and count."""
    return open_backend(settings).search(SearchRequest(facets=())).total


@pytest.fixture
def served(tmp_path: Path):
    data = copy_corpus(FIXTURES / "mini", tmp_path / "data")
    settings = make_settings(tmp_path)
    ingest([data], settings, progress=False)
    base = served_total(settings)
    add_articles(data, EXTRA)
    return data, settings, base


@pytest.mark.parametrize(
    ("point", "extra", "delay"),
    [
        ("before-commit", (), 0.0),  # documents written to the writer, nothing committed
        ("before-commit:0", (), 0.15),  # killed while the commit is writing segments
        ("after-commit", (), 0.0),  # articles committed in the new build, authors not yet
        ("before-swap", (), 0.0),  # new build complete but not yet served
        ("before-swap", ("--rebuild",), 0.0),  # a rebuild, killed just before its swap
    ],
)
def test_sigkill_leaves_the_served_index_intact_and_the_next_ingest_completes(served, point, extra, delay):
    data, settings, base = served
    live_before = indexdir.current_build(settings.index_dir)
    proc = run_ingest(settings.index_dir, data, point, *extra)
    try:
        wait_for_marker(proc, point.split(":")[0])
        time.sleep(delay)
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=30)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == -signal.SIGKILL
    # The served build is the one from before, whole and searchable.
    assert indexdir.current_build(settings.index_dir) == live_before
    assert served_total(settings) == base
    assert open_backend(settings).search(SearchRequest(q="oil")).total == 3
    # The lock died with the process; the next ingest runs and reaches the full document set.
    report = ingest([data], settings, progress=False)
    assert report.exit_code == 0, report.summary()
    assert served_total(settings) == base + EXTRA
    assert open_backend(settings).search(SearchRequest(q="crashtest", facets=())).total == EXTRA
    # Half-built builds do not pile up.
    builds = list((settings.index_dir / indexdir.BUILDS).iterdir())
    assert len(builds) <= indexdir.KEEP_OLD_BUILDS + 1


def test_uninterrupted_ingest_reaches_the_same_set(served):
    data, settings, base = served
    report = ingest([data], settings, progress=False)
    assert report.added == EXTRA
    assert served_total(settings) == base + EXTRA


# ----- kill -9 of multi-process builds: helpers die with the ingest, the lock is free at once

KILL_TRIALS = 20
KILL_SEED = 20261201  # the random moments are reproducible; the seed is in the failure message


def corpus_cli(index: Path, *args: str, procs: int = 2, **popen: object) -> subprocess.Popen[str]:
    env = dict(os.environ, CORPUS_INGEST_PROCS=str(procs))
    env.pop("CORPUS_TEST_PAUSE_AT", None)
    return subprocess.Popen([sys.executable, "-m", "corpus.cli", "--index-dir", str(index), *args],
                            env=env, text=True, **popen)  # type: ignore[call-overload]


def stats(index: Path) -> dict:
    import json

    out = subprocess.run([sys.executable, "-m", "corpus.cli", "--index-dir", str(index), "stats", "--json"],
                         capture_output=True, text=True, check=True, timeout=120).stdout
    data = json.loads(out)
    return {"documents": data["documents"], "authors": data["authors"], "facets": data["facets"]}


def helpers_alive(index: Path) -> list[int]:
    """Helpers named in the lock file that still run (pid and start time both match)."""
    holder = indexdir._Holder.parse((index / indexdir.LOCK).read_text())
    return [pid for pid, start in holder.helpers if indexdir._alive(pid, start)]


@pytest.mark.slow
def test_kill_9_at_random_moments_of_multiprocess_builds_never_blocks_the_next_ingest(tmp_path):
    import random

    data = copy_corpus(FIXTURES / "mini", tmp_path / "data")
    add_articles(data, EXTRA)
    # The reference: an uninterrupted fresh build, timed to spread the kills over a whole build.
    reference = tmp_path / "reference"
    started = time.monotonic()
    done = corpus_cli(reference, "ingest", "-q", str(data), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, err = done.communicate(timeout=300)
    assert done.returncode == 0, err
    duration = time.monotonic() - started
    expected = stats(reference)
    assert expected["documents"] > EXTRA

    rng = random.Random(KILL_SEED)
    index = tmp_path / "index"
    outcomes = []
    for trial in range(KILL_TRIALS):
        rebuild = trial % 2 == 1 and indexdir.current_build(index) is not None
        if not rebuild:
            shutil.rmtree(index, ignore_errors=True)  # a fresh build into an empty index folder
        before = indexdir.current_build(index)
        moment = rng.uniform(0.05, duration)
        victim = corpus_cli(index, "ingest", "-q", *(["--rebuild"] if rebuild else []), str(data),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        time.sleep(moment)
        victim.send_signal(signal.SIGKILL)  # the ingest only, as a user's kill -9 would: not its group
        victim.wait(timeout=30)
        # What is served is what was served before, or the complete new build if the kill came
        # after the swap: never a part of one.
        if indexdir.current_build(index) != before:
            assert stats(index) == expected, f"trial {trial} (seed {KILL_SEED}, kill at {moment:.2f}s)"
        # The next ingest starts at once: no "another ingest is running".
        started = time.monotonic()
        nxt = corpus_cli(index, "ingest", "-q", str(data), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, err = nxt.communicate(timeout=300)
        assert nxt.returncode == 0, f"trial {trial} (seed {KILL_SEED}, kill at {moment:.2f}s): {err}"
        assert "another ingest" not in err
        assert stats(index) == expected, f"trial {trial} (seed {KILL_SEED}, kill at {moment:.2f}s)"
        assert helpers_alive(index) == []
        outcomes.append({"trial": trial, "rebuild": rebuild, "kill_at_s": round(moment, 2),
                         "killed": victim.returncode == -signal.SIGKILL,
                         "next_ingest_s": round(time.monotonic() - started, 2)})
    assert sum(o["killed"] for o in outcomes) >= KILL_TRIALS // 2  # most kills landed mid-ingest
    artifacts = Path(__file__).parent / "artifacts"
    artifacts.mkdir(exist_ok=True)
    import json

    (artifacts / "kill-9-builds.json").write_text(json.dumps(
        {"seed": KILL_SEED, "build_seconds": round(duration, 2), "trials": outcomes}, indent=2))


def test_a_lock_held_only_by_a_dead_ingests_helper_is_taken_over(tmp_path):
    """An ingest died and left a helper holding the lock file: the next ingest kills it and goes on."""
    index = tmp_path / "index"
    index.mkdir()
    ready = tmp_path / "ready"
    script = f"""
import fcntl, os, sys, time
sys.path[:0] = {sys.path!r}
from corpus import indexdir
fh = open({str(index / indexdir.LOCK)!r}, "a+")
fcntl.flock(fh, fcntl.LOCK_EX)
child = os.fork()
if child == 0:  # a helper that outlives its ingest, with no parent-death signal
    time.sleep(600)
    os._exit(0)
fh.write(f"pid {{os.getpid()}} start {{indexdir._start_time(os.getpid())}} since now\\n")
fh.write(f"helper {{child}} start {{indexdir._start_time(child)}}\\n")
fh.flush()
open({str(ready)!r}, "w").write(str(child))
os._exit(0)  # the ingest dies; its helper keeps the lock
"""
    subprocess.run([sys.executable, "-c", script], check=True, timeout=30)
    helper = int(ready.read_text())
    start = indexdir._start_time(helper)
    try:
        assert indexdir._alive(helper, start)
        started = time.monotonic()
        with indexdir.ingest_lock(index):
            assert time.monotonic() - started < indexdir.TAKEOVER_SECONDS
            assert not indexdir._alive(helper, start)  # killed (a zombie at most, if nobody reaps it)
    finally:
        try:
            os.kill(helper, signal.SIGKILL)
        except ProcessLookupError:
            pass


def test_a_live_ingest_is_never_taken_over(tmp_path):
    data = copy_corpus(FIXTURES / "mini", tmp_path / "data")
    add_articles(data, EXTRA)
    settings = make_settings(tmp_path)
    proc = run_ingest(settings.index_dir, data, "before-commit")
    try:
        wait_for_marker(proc, "before-commit")
        again = corpus_cli(settings.index_dir, "ingest", "-q", str(data), stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        _, err = again.communicate(timeout=120)
        assert again.returncode == 4 and "another ingest is running" in err and f"pid {proc.pid}" in err
        assert proc.poll() is None
    finally:
        proc.kill()
        proc.wait(timeout=30)
