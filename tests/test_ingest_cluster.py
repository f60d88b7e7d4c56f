"""`corpus ingest --cluster`: reading and normalising on a real Dask scheduler and real worker processes.

The oracle is the plain ingest: the same corpus ingested without --cluster must give the same
index (every article, search totals, facet counts, the timeline) and the same report. A worker
killed with SIGKILL mid-ingest has its tasks rerun (nothing lost, nothing doubled); a scheduler
that cannot be reached stops the ingest before anything is written.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import pytest

from corpus.cli import main as cli
from corpus.engines import open_backend
from corpus.errors import CorpusError
from corpus.ingest import Ingester, ingest, reading
from corpus.search import SearchRequest
from corpus.search.request import QueryParams, parse_search
from sphinx_cluster import running, settings_for
from support import FIXTURES, ROOT, make_settings

distributed = pytest.importorskip("distributed", reason="the cluster extra is not installed: pip install -e '.[cluster]'")

DASK = shutil.which("dask", path=str(Path(sys.executable).parent)) or shutil.which("dask")
# The report's fields that differ between any two runs, or between two index folders.
VOLATILE = {"seconds", "started_at", "timings", "build", "index_dir"}
QUERIES = ["", "the", "oil OR war", '"of the"', "title:report", "serb*", "date:[1900 TO 2030]"]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class DaskCluster:
    """A scheduler and worker processes on 127.0.0.1, each its own process (no nanny), so SIGKILL is real."""

    def __init__(self, tmp: Path, workers: int = 2, src: Path = ROOT / "src") -> None:
        self.tmp = tmp
        tmp.mkdir(parents=True, exist_ok=True)
        self.logs: list[Any] = []
        self.address = f"tcp://127.0.0.1:{free_port()}"
        # The workers import this tree's corpus, whatever else is installed.
        self.env = dict(os.environ, PYTHONPATH=os.pathsep.join([str(src), os.environ.get("PYTHONPATH", "")]),
                        DASK_DISTRIBUTED__LOGGING__DISTRIBUTED="error")
        port = self.address.rsplit(":", 1)[1]
        self.scheduler = self._start([DASK, "scheduler", "--host", "127.0.0.1", "--port", port, "--no-dashboard"], "scheduler")
        self.workers: list[subprocess.Popen[bytes]] = []
        self.client = None
        self.client = distributed.Client(self.address, timeout=30, set_as_default=False)
        for _ in range(workers):
            self.add_worker()

    def _log(self, name: str) -> Any:
        log = open(self.tmp / f"{name}-{time.monotonic_ns()}.log", "wb")  # noqa: SIM115 (closed in close())
        self.logs.append(log)
        return log

    def _start(self, argv: list[str], name: str) -> subprocess.Popen[bytes]:
        return subprocess.Popen(argv, stdout=self._log(name), stderr=subprocess.STDOUT, env=self.env, start_new_session=True)

    def add_worker(self, src: Path | None = None) -> None:
        """Start one more single-threaded worker (importing corpus from src) and wait until the scheduler has it."""
        wanted = len(self.client.scheduler_info()["workers"]) + 1
        env = self.env if src is None else dict(self.env, PYTHONPATH=str(src))
        self.workers.append(subprocess.Popen(
            [DASK, "worker", self.address, "--host", "127.0.0.1", "--nthreads", "1", "--no-nanny", "--no-dashboard",
             "--memory-limit", "0"], stdout=self._log("worker"), stderr=subprocess.STDOUT, env=env, start_new_session=True))
        self.client.wait_for_workers(wanted, timeout=60)

    def wait_workers(self, n: int, timeout: float = 30) -> None:
        """Wait until the scheduler has exactly n workers (a killed one takes a moment to be dropped)."""
        deadline = time.monotonic() + timeout
        while len(self.client.scheduler_info()["workers"]) != n:
            assert time.monotonic() < deadline, f"the scheduler did not get to {n} workers"
            time.sleep(0.05)

    def pids(self) -> dict[str, int]:
        """Worker address -> the pid of the process that runs its tasks."""
        return self.client.run(os.getpid)

    def processing(self) -> dict[str, list[str]]:
        """Worker address -> the keys of the corpus tasks it is running now (asked of the scheduler)."""
        def look(dask_scheduler: Any) -> dict[str, list[str]]:
            return {addr: [str(ts.key) for ts in ws.processing if str(ts.key).startswith("corpus-read-")]
                    for addr, ws in dask_scheduler.workers.items()}
        return self.client.run_on_scheduler(look)

    def keys_seen(self) -> list[str]:
        """Every corpus task the scheduler holds now, in whatever state."""
        def look(dask_scheduler: Any) -> list[str]:
            return [str(k) for k in dask_scheduler.tasks if str(k).startswith("corpus-read-")]
        return self.client.run_on_scheduler(look)

    def close(self) -> None:
        if self.client is not None:
            self.client.close()
        for proc in [*self.workers, self.scheduler]:
            if proc.poll() is None:
                proc.terminate()
        for proc in [*self.workers, self.scheduler]:
            try:
                proc.wait(timeout=3)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        for log in self.logs:
            log.close()


@pytest.fixture(scope="module")
def cluster(tmp_path_factory):
    started = DaskCluster(tmp_path_factory.mktemp("dask"))
    try:
        yield started
    finally:
        started.close()


def fixture_corpus(dest: Path) -> Path:
    """Every fixture corpus in one folder: every format, sidecars, folder defaults, aliases, hostile files."""
    for name in ("formats", "metadata", "mini", "multilingual", "hostile"):
        shutil.copytree(FIXTURES / name, dest / name, symlinks=True)
    (dest / "zz-copies").mkdir()  # exact duplicates of a text file and of every record of a JSON Lines file
    shutil.copy(FIXTURES / "mini" / "wire" / "corn.txt", dest / "zz-copies" / "corn-again.txt")
    shutil.copy(FIXTURES / "formats" / "articles.jsonl", dest / "zz-copies" / "articles-again.jsonl")
    return dest


def report_of(report: Any) -> dict[str, Any]:
    """A report without what differs between runs. Skips are compared as a set: a local run names a
    file that cannot be read while earlier records are still being normalised, so where the two kinds
    of skip interleave depends on batching (and on CORPUS_INGEST_PROCS), not on --cluster."""
    data = report if isinstance(report, dict) else report.to_json()
    out = {k: v for k, v in data.items() if k not in VOLATILE}
    for name in ("skipped_items", "kept_items"):
        out[name] = sorted(out[name], key=lambda item: json.dumps(item, sort_keys=True))
    return out


def index_of(settings: Any, queries: tuple[str, ...] = QUERIES) -> dict[str, Any]:
    """What a reader of the index sees: every article in full, and searches with their facets and timeline."""
    backend = open_backend(settings)
    everything = backend.export(SearchRequest(sort="newest", facets=()))
    ids = [row.hit.id for row in everything.rows]
    articles = {doc_id: asdict(backend.article(doc_id)) for doc_id in ids}
    searches = {}
    for q in queries:
        result = backend.search(parse_search(QueryParams([("q", q), ("per_page", "50"), ("sort", "newest"),
                                                          ("facet_size", "200")]), settings))
        searches[q] = {
            "total": result.total, "ids": [h.id for h in result.hits],
            "facets": {name: [(v.value, v.count) for v in f.values] for name, f in result.facets.items()},
            "timeline": asdict(result.timeline) if result.timeline else None,
        }
    stats = backend.stats()
    return {"total": everything.total, "ids": sorted(ids), "articles": articles, "searches": searches,
            "authors": stats.authors, "documents": stats.documents,
            "stats_facets": {n: [(v.value, v.count) for v in f.values] for n, f in stats.facets.items()}}


def live_build(settings: Any) -> str:
    return os.readlink(Path(settings.index_dir) / "current")


def test_cluster_ingest_equals_the_plain_ingest_then_stays_equal_incrementally(cluster, tmp_path, monkeypatch, capsys):
    data = fixture_corpus(tmp_path / "data")
    plain, clustered = make_settings(tmp_path / "plain"), make_settings(tmp_path / "cluster")
    first_plain = ingest([data], plain, progress=False)
    # The cluster run goes through the command line, with the scheduler given by CORPUS_DASK.
    monkeypatch.setenv("CORPUS_DASK", cluster.address)
    monkeypatch.setenv("CORPUS_INGEST_PROCS", "1")
    code = cli(["--index-dir", str(clustered.index_dir), "ingest", "--json", "-q", str(data)])
    first_cluster = json.loads(capsys.readouterr().out)
    assert code == first_plain.exit_code == 3  # the hostile files are skipped, and named
    assert report_of(first_cluster) == report_of(first_plain)
    assert first_plain.reconciliation["balanced"] and first_plain.added > 50
    assert first_plain.duplicate > 0 and first_plain.skipped > 10 and first_plain.field_choices
    before = index_of(plain)
    assert before["total"] == first_plain.documents and before["searches"]["the"]["total"] > 0
    assert index_of(clustered) == before

    # Edit one file, delete one, add one holding a duplicate: both ways, the same changes.
    (data / "mini" / "wire" / "oil-prices.txt").write_text("Title: Oil edited\n\nThe oil story, rewritten for this test.\n")
    gone = next(p for p in sorted((data / "formats").iterdir()) if p.suffix == ".txt")
    gone.unlink()
    shutil.copy(data / "hostile" / "good.txt", data / "mini" / "copy-of-good.txt")
    second_plain = ingest([data], plain, progress=False)
    second_cluster = ingest([data], clustered, progress=False, cluster=cluster.address)
    assert report_of(second_cluster) == report_of(second_plain)
    assert second_plain.updated >= 1 and second_plain.removed >= 1 and second_plain.files_unchanged > 50
    after = index_of(plain)
    assert after != before
    assert index_of(clustered) == after

    # Nothing changed: nothing is read on the cluster, nothing is written, the build stays.
    # (Files that produced a skip are read again, as without --cluster.)
    build = live_build(clustered)
    third = ingest([data], clustered, progress=False, cluster=cluster.address)
    assert report_of(third) == report_of(ingest([data], plain, progress=False))
    assert (third.added, third.updated, third.removed) == (0, 0, 0) and third.files_unchanged > 50
    assert live_build(clustered) == build
    assert index_of(clustered) == after


def test_files_too_big_for_one_task_are_read_by_the_writer_in_their_turn(cluster, tmp_path, monkeypatch):
    data = fixture_corpus(tmp_path / "data")
    monkeypatch.setattr(reading, "LOCAL_FILE_BYTES", 3000)  # so some fixture files count as too big
    files = sorted((p, p.name) for p in data.rglob("*") if p.is_file())
    runs = reading.split_large(files)
    assert [f for _, run in runs for f in run] == files
    assert any(here for here, _ in runs) and any(not here for here, _ in runs)
    assert all(len(run) == 1 and run[0][0].stat().st_size > 3000 for here, run in runs if here)
    plain, clustered = make_settings(tmp_path / "plain"), make_settings(tmp_path / "cluster")
    expected = ingest([data], plain, progress=False)
    report = ingest([data], clustered, progress=False, cluster=cluster.address)
    assert report_of(report) == report_of(expected)
    assert index_of(clustered) == index_of(plain)


def test_with_the_sphinxql_engine_the_cluster_ingest_builds_the_same_index(cluster, tmp_path):
    data = fixture_corpus(tmp_path / "data")
    with running(tmp_path / "sphinx") as shards:
        settings = make_settings(tmp_path, **settings_for(shards))
        expected = ingest([data], settings, progress=False)
        before = index_of(settings, queries=("the",))  # a search on this engine takes seconds here: one
        # The same corpus built again, fresh, from the cluster's tasks: the same index and report.
        report = ingest([data], settings, progress=False, rebuild=True, cluster=cluster.address)
        assert report.rebuilt and report_of(report) == report_of(expected)
        assert index_of(settings, queries=("the",)) == before and before["total"] == expected.documents > 50
        # Nothing changed: nothing is added, updated or removed.
        again = ingest([data], settings, progress=False, cluster=cluster.address)
        assert (again.added, again.updated, again.removed) == (0, 0, 0) and again.documents == expected.documents


FIRST = ("Anna", "Boris", "Clara", "Dmitri", "Elena", "Frank", "Greta")
LAST = ("Novak", "Petrov", "Seton", "Masaryk", "Steed", "Lewis", "Namier", "Benes", "Kerr", "Tomas", "Ward")


def many_files(dest: Path, n: int, start: int = 0) -> Path:
    """Small articles start..start+n-1 (some exact copies of others, some sharing authors), one file each."""
    dest.mkdir(exist_ok=True)
    words = ("oil", "grain", "treaty", "harbour", "election", "railway", "tariff", "strike", "loan", "frontier")
    for i in range(start, start + n):
        base = i - 7 if i % 50 == 49 else i  # every fiftieth file repeats an earlier one word for word
        topic = words[base % len(words)]
        author, number = f"{FIRST[base % len(FIRST)]} {LAST[base % len(LAST)]}", 10000 + base
        body = f"The {topic} question came up again in report {number}. " * 6
        (dest / f"a{i:05d}.txt").write_text(
            f"Title: Report {number} on the {topic}\nAuthor: {author}\nDate: 19{10 + base % 15}-0{1 + base % 9}-1{base % 10}\n\n"
            f"{body}\n\nReport {number} closes the {topic} file.\n", encoding="utf-8")
    return dest


def test_a_worker_killed_mid_ingest_has_its_tasks_rerun_nothing_lost_nothing_doubled(cluster, tmp_path):
    data = many_files(tmp_path / "many", 1600)  # 50 tasks of 32 files: seconds of work, so the kill lands mid-ingest
    plain, clustered = make_settings(tmp_path / "plain"), make_settings(tmp_path / "cluster")
    expected = ingest([data], plain, progress=False)
    assert expected.duplicate == 32 and expected.added == 1568

    pids = cluster.pids()
    chosen: dict[str, Any] = {}

    def busy_worker() -> int | None:  # a third of the way in, a worker running a task
        numbers = task_numbers(cluster)
        busy = {addr: keys for addr, keys in cluster.processing().items() if keys}
        if not (numbers and max(numbers) >= 10 and busy):
            return None
        chosen["victim"], chosen["keys"] = sorted(busy.items())[0]
        return int(pids[chosen["victim"]])

    killed = kill_mid_ingest(clustered, cluster, data, busy_worker, "a worker", wait=120)
    outcome, still_running, victim, victim_keys = killed.outcome, killed.alive, chosen["victim"], chosen["keys"]
    killed_at, took = killed.killed_at, killed.took
    try:
        assert still_running, "the kill did not land mid-ingest"
        assert "error" not in outcome, outcome.get("error")
        report = outcome["report"]
        assert victim not in cluster.client.scheduler_info()["workers"]
        # Nothing lost, nothing doubled: the same report and the same index as the plain ingest.
        assert report_of(report) == report_of(expected)
        assert report.reconciliation == expected.reconciliation and report.reconciliation["balanced"]
        backend = open_backend(clustered)
        everything = backend.export(SearchRequest(sort="newest", facets=()))
        ids = [row.hit.id for row in everything.rows]
        assert len(ids) == len(set(ids)) == everything.total == expected.documents == 1568
        assert index_of(clustered) == index_of(plain)
        print(f"worker {victim} killed {killed_at:.1f}s into the ingest while running {victim_keys}; "
              f"ingest done in {took:.1f}s against {expected.seconds:.1f}s plain; {everything.total} documents")
    finally:
        cluster.add_worker()  # the next test finds two workers again


def test_a_scheduler_killed_mid_ingest_stops_it_and_nothing_served_changes(tmp_path):
    data = many_files(tmp_path / "many", 300)
    settings = make_settings(tmp_path)
    ingest([data], settings, progress=False)
    served, before = live_build(settings), index_of(settings, queries=("oil",))
    many_files(data, 900, start=300)
    own = DaskCluster(tmp_path / "dask")  # its own scheduler, since this one dies
    try:
        outcome = kill_mid_ingest(settings, own, data, after_tasks(own, own.scheduler.pid), "the scheduler", wait=120).outcome
    finally:
        own.client = None  # its scheduler is gone: nothing to say goodbye to
        own.close()
    assert "report" not in outcome
    error = outcome["error"]
    assert isinstance(error, CorpusError) and "connection to the scheduler was lost" in error.message
    assert "the index was not changed" in error.message
    assert live_build(settings) == served and index_of(settings, queries=("oil",)) == before
    # The lock went with the failed run: the next ingest (here without a cluster) takes it and reads the new files.
    after = ingest([data], settings, progress=False)
    assert after.added == 900 - 18 and after.duplicate == 18 + 6


@dataclass
class Killed:
    outcome: dict[str, Any]  # "report" or "error"
    alive: bool  # the ingest was still running just after the kill
    killed_at: float  # seconds from the start of the ingest to the kill
    took: float  # seconds from the start of the ingest to its end
    after: float  # seconds from the kill to the end


def kill_mid_ingest(settings: Any, cluster: DaskCluster, data: Path, choose: Callable[[], int | None], what: str,
                    wait: float, then: Callable[[], None] | None = None) -> Killed:
    """Ingest on the cluster in a thread and kill -9 the process `choose` names once it names one
    (then run `then`); wait for the ingest to end."""
    outcome: dict[str, Any] = {}

    def run() -> None:
        try:
            outcome["report"] = Ingester(settings, progress=False, cluster=cluster.address).run([data])
        except BaseException as exc:
            outcome["error"] = exc

    ingesting = threading.Thread(target=run)
    clock = time.monotonic()
    ingesting.start()
    deadline = clock + 60
    pid = None
    while time.monotonic() < deadline and ingesting.is_alive() and pid is None:
        pid = choose()
        if pid is None:
            time.sleep(0.02)
    assert pid is not None, f"the ingest ended before {what} could be killed: {outcome}"
    os.kill(pid, signal.SIGKILL)
    killed = time.monotonic()
    alive = ingesting.is_alive()
    if then is not None:
        then()
    ingesting.join(timeout=wait)
    assert not ingesting.is_alive()
    end = time.monotonic()
    return Killed(outcome, alive, killed - clock, end - clock, end - killed)


def after_tasks(cluster: DaskCluster, pid: int, tasks: int = 5) -> Callable[[], int | None]:
    """A chooser for kill_mid_ingest: this process, once `tasks` tasks were submitted."""
    return lambda: pid if max(task_numbers(cluster), default=0) >= tasks else None


def task_numbers(cluster: DaskCluster) -> list[int]:
    """The numbers of the corpus tasks the scheduler holds now (the n-th task submitted is number n)."""
    return [int(k.rsplit("-", 1)[1]) for k in cluster.keys_seen()]


def test_a_cluster_left_without_workers_stops_the_ingest_and_nothing_served_changes(tmp_path, monkeypatch):
    cluster_module = pytest.importorskip("corpus.ingest.cluster")
    monkeypatch.setattr(cluster_module, "NO_WORKERS_GRACE", 3.0)  # 60 s in real use
    data = many_files(tmp_path / "many", 300)
    settings = make_settings(tmp_path)
    ingest([data], settings, progress=False)
    served = live_build(settings)
    many_files(data, 900, start=300)
    own = DaskCluster(tmp_path / "dask", workers=1)
    try:
        killed = kill_mid_ingest(settings, own, data, after_tasks(own, next(iter(own.pids().values()))), "its only worker", wait=60)
        outcome, waited = killed.outcome, killed.after
    finally:
        own.close()
    error = outcome.get("error")
    assert isinstance(error, CorpusError) and "has had no workers for 3 s" in error.message, outcome
    assert 3.0 <= waited < 20
    assert live_build(settings) == served and index_of(settings, queries=())["total"] == 294


def test_an_unreachable_scheduler_stops_the_ingest_before_anything_is_written(tmp_path, monkeypatch, capsys):
    data = fixture_corpus(tmp_path / "data")
    settings = make_settings(tmp_path)
    ingest([data / "mini"], settings, progress=False)
    served, before = live_build(settings), index_of(settings)
    listing = sorted((str(p.relative_to(settings.index_dir)), p.stat().st_mtime_ns) for p in Path(settings.index_dir).rglob("*"))
    address = f"tcp://127.0.0.1:{free_port()}"  # nothing listens there
    monkeypatch.setenv("CORPUS_DASK_TIMEOUT", "1.5")
    clock = time.monotonic()
    code = cli(["--index-dir", str(settings.index_dir), "ingest", "-q", "--cluster", address, str(data)])
    err = capsys.readouterr().err
    assert code == 1
    assert f"corpus ingest: cannot reach the Dask scheduler at {address} within 1.5 s (nothing listens on that port)" in err
    assert "the index was not changed" in err and "Traceback" not in err
    assert time.monotonic() - clock < 15
    assert cli(["--index-dir", str(settings.index_dir), "ingest", "-q", "--cluster", "tcp://127.0.0.1", str(data)]) == 1
    assert "--cluster takes tcp://HOST:PORT" in capsys.readouterr().err
    assert sorted((str(p.relative_to(settings.index_dir)), p.stat().st_mtime_ns)
                  for p in Path(settings.index_dir).rglob("*")) == listing
    assert live_build(settings) == served and index_of(settings) == before


def test_workers_running_other_corpus_code_are_refused_at_the_start_and_when_they_join_later(tmp_path):
    other = tmp_path / "other-src"
    shutil.copytree(ROOT / "src", other, ignore=shutil.ignore_patterns("__pycache__"))
    with open(other / "corpus" / "normalize.py", "a", encoding="utf-8") as f:
        f.write("\n# an edit: this worker's articles could differ from the writer's\n")
    settings = make_settings(tmp_path)
    data = many_files(tmp_path / "many", 1200)
    own = DaskCluster(tmp_path / "dask", workers=1, src=other)
    try:
        with pytest.raises(CorpusError, match=r"runs another version of corpus .*install the same one on every worker"):
            ingest([FIXTURES / "mini"], settings, progress=False, cluster=own.address)
        assert not Path(settings.index_dir).exists()
        # A worker that joins after that first look is refused by the tasks themselves.
        os.kill(next(iter(own.pids().values())), signal.SIGKILL)
        own.wait_workers(0)
        own.add_worker(src=ROOT / "src")
        good = next(iter(own.pids().values()))

        def replace() -> None:
            own.wait_workers(0)
            own.add_worker(src=other)

        outcome = kill_mid_ingest(settings, own, data, after_tasks(own, good), "its worker", wait=60, then=replace).outcome
    finally:
        own.close()
    error = outcome.get("error")
    assert isinstance(error, CorpusError), outcome
    assert error.message.startswith(f"reading on the Dask cluster at {own.address} failed: a Dask worker runs another version")
    assert "the index was not changed" in error.message
    assert indexdir_builds(settings) == []


def indexdir_builds(settings: Any) -> list[str]:
    """The builds that were published (none, when no ingest ever finished)."""
    current = Path(settings.index_dir) / "current"
    return [os.readlink(current)] if current.is_symlink() else []


def test_without_dask_the_cluster_flag_says_what_to_install(tmp_path, monkeypatch):
    monkeypatch.delitem(sys.modules, "corpus.ingest.cluster", raising=False)
    monkeypatch.setitem(sys.modules, "distributed", None)  # as if the extra were not installed
    with pytest.raises(CorpusError, match=r"install corpus\[cluster\]"):
        reading.open_cluster("tcp://127.0.0.1:1", [tmp_path], 1.0)


def test_importing_corpus_does_not_import_dask():
    code = ("import sys, corpus, corpus.cli, corpus.ingest, corpus.ingest.pipeline, corpus.web; "
            "print(sorted(m for m in sys.modules if m.split('.')[0] in ('dask', 'distributed')))")
    env = dict(os.environ, PYTHONPATH=str(ROOT / "src"))
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, env=env, check=True, timeout=120)
    assert out.stdout.strip() == "[]"
