"""SIGKILL an ingest at several points: the served index stays intact and the next ingest completes."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from corpus import indexdir
from corpus.ingest import ingest
from corpus.search import SearchRequest, SearchService
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
    return SearchService(settings).search(SearchRequest(facets=())).total


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
    assert SearchService(settings).search(SearchRequest(q="oil")).total == 3
    # The lock died with the process; the next ingest runs and reaches the full document set.
    report = ingest([data], settings, progress=False)
    assert report.exit_code == 0, report.summary()
    assert served_total(settings) == base + EXTRA
    assert SearchService(settings).search(SearchRequest(q="crashtest", facets=())).total == EXTRA
    # Half-built builds do not pile up.
    builds = list((settings.index_dir / indexdir.BUILDS).iterdir())
    assert len(builds) <= indexdir.KEEP_OLD_BUILDS + 1


def test_uninterrupted_ingest_reaches_the_same_set(served):
    data, settings, base = served
    report = ingest([data], settings, progress=False)
    assert report.added == EXTRA
    assert served_total(settings) == base + EXTRA
