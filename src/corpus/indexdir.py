"""The layout of the index folder, with no search engine in it.

    index/
      current -> builds/<build id>     the build that is served (a symlink, swapped atomically)
      builds/<build id>/               one complete index each; old ones are pruned
      ingest.lock                      held (flock) by the running ingest; the kernel frees it on death
      last-ingest.json                 the report of the last ingest
"""

from __future__ import annotations

import fcntl
import os
import shutil
import signal
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

from .errors import IngestLocked

CURRENT = "current"
BUILDS = "builds"
LOCK = "ingest.lock"
REPORT = "last-ingest.json"
MANIFEST = "manifest.json"
KEEP_OLD_BUILDS = 2


def current_build(index_dir: Path) -> Path | None:
    """The folder of the served build, or None when nothing has been ingested yet."""
    link = index_dir / CURRENT
    try:
        target = os.readlink(link)
    except OSError:
        return None
    path = (index_dir / target).resolve()
    return path if path.is_dir() else None


def new_build(index_dir: Path) -> Path:
    """Create an empty folder for a new build beside the live one."""
    # Names sort in creation order, to the nanosecond: prune() keeps the builds just before the
    # live one, and several ingests can finish within one second.
    now = time.time_ns()
    build_id = time.strftime("%Y%m%dT%H%M%S", time.gmtime(now // 10**9)) + f".{now % 10**9:09d}-" + uuid.uuid4().hex[:8]
    path = index_dir / BUILDS / build_id
    path.mkdir(parents=True)
    return path


def clone_build(index_dir: Path, live: Path) -> Path:
    """A new build that starts as a copy of the live one, made of hard links.

    Whoosh never rewrites a segment file once written (a commit writes new segments and a new
    table of contents), so linking is safe and takes milliseconds. The writer then works on
    the copy, and the served build is never touched: a killed or failed ingest leaves it as it was.
    """
    build = new_build(index_dir)
    for item in live.iterdir():
        if item.is_file() and not item.name.endswith(".lock") and "WRITELOCK" not in item.name:
            os.link(item, build / item.name)
    return build


def discard(build: Path) -> None:
    """Remove a build that was not swapped in."""
    shutil.rmtree(build, ignore_errors=True)


def swap_in(index_dir: Path, build: Path) -> None:
    """Point `current` at build in one atomic rename, then prune builds nobody serves."""
    tmp = index_dir / f".{CURRENT}.{uuid.uuid4().hex[:8]}"
    os.symlink(os.path.relpath(build, index_dir), tmp)
    os.replace(tmp, index_dir / CURRENT)
    _fsync_dir(index_dir)
    prune(index_dir)


def prune(index_dir: Path) -> None:
    """Remove builds older than the last few, and half-built ones left by a killed ingest.

    Only called under the ingest lock, so no build is being written while it runs.
    """
    live = current_build(index_dir)
    builds_dir = index_dir / BUILDS
    if not builds_dir.is_dir():
        return
    builds = sorted((p for p in builds_dir.iterdir() if p.is_dir()), key=lambda p: p.name)
    # Searchers that were open on a previous build keep working while requests finish.
    live_name = live.name if live is not None else None
    older = [b.name for b in builds if live_name is not None and b.name < live_name]
    keep = {live_name, *older[-KEEP_OLD_BUILDS:]}
    for build in builds:
        if build.name not in keep:
            shutil.rmtree(build, ignore_errors=True)


def _fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


@contextmanager
def ingest_lock(index_dir: Path, wait: bool = False) -> Iterator[None]:
    """Hold the one-writer lock for an ingest, and make every process it forks die with it.

    The lock is a kernel lock (flock) on `ingest.lock`, freed when every process holding the
    file open is gone. Forked helpers (normalising workers, Whoosh's sub-writers) inherit the
    open file, so each one is made to die with the ingest (a parent-death signal) and writes its
    pid into the lock file. When the lock is busy but the ingest that took it is gone, the
    helpers it left are killed and the lock is taken over; a live ingest is never touched.
    """
    index_dir.mkdir(parents=True, exist_ok=True)
    path = index_dir / LOCK
    with open(path, "a+") as fh:
        _acquire(fh, index_dir, wait)
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} start {_start_time(os.getpid())} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        fh.flush()
        _guard.enter(path)
        try:
            yield
        finally:
            _guard.leave()


TAKEOVER_SECONDS = 10.0  # how long the helpers of a dead ingest may take to vanish once killed


def _acquire(fh: IO[str], index_dir: Path, wait: bool) -> None:
    deadline = time.monotonic() + TAKEOVER_SECONDS
    while True:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | fcntl.LOCK_NB)
            return
        except BlockingIOError:
            pass
        fh.seek(0)
        holder = _Holder.parse(fh.read())
        if holder.owner is not None and not holder.owner_alive():
            # The ingest that took the lock is dead; only helpers it forked can still hold the
            # file. Kill those (each checked by pid and start time) and try again.
            holder.kill_helpers()
            if time.monotonic() < deadline:
                time.sleep(0.05)
                continue
        if wait:
            time.sleep(0.2)
            deadline = time.monotonic() + TAKEOVER_SECONDS
            continue
        raise IngestLocked(
            f"another ingest is running on {index_dir} ({holder.describe()}); "
            "wait for it to finish, or pass --wait to queue behind it"
        )


class _Holder:
    """What the lock file says about the ingest holding it: its pid and its helpers' pids."""

    def __init__(self, owner: tuple[int, str] | None, helpers: list[tuple[int, str]], text: str) -> None:
        self.owner, self.helpers, self.text = owner, helpers, text

    @classmethod
    def parse(cls, text: str) -> _Holder:
        owner: tuple[int, str] | None = None
        helpers: list[tuple[int, str]] = []
        for line in text.splitlines():
            parts = line.split()
            if len(parts) >= 4 and parts[0] in ("pid", "helper") and parts[1].isdigit() and parts[2] == "start":
                entry = (int(parts[1]), parts[3])
                if parts[0] == "pid" and owner is None:
                    owner = entry
                elif parts[0] == "helper":
                    helpers.append(entry)
        return cls(owner, helpers, text)

    def owner_alive(self) -> bool:
        return self.owner is not None and _alive(*self.owner)

    def kill_helpers(self) -> None:
        for pid, start in self.helpers:
            if pid != os.getpid() and _alive(pid, start):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def describe(self) -> str:
        if self.owner is None:
            return "unknown process"
        since = self.text.splitlines()[0].partition(" since ")[2].strip()
        return f"pid {self.owner[0]}" + (f" since {since}" if since else "")


def _start_time(pid: int) -> str:
    """The process's start time in clock ticks since boot (field 22 of /proc/PID/stat): pid plus this is unique."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except OSError:
        return "0"
    return stat.rsplit(")", 1)[1].split()[19]


def _alive(pid: int, start: str) -> bool:
    """Whether the process that had this pid and start time still runs (a reused pid does not count)."""
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    if start == "0" or not Path("/proc").is_dir():
        return True
    current = _start_time(pid)
    if current == "0":
        return False
    try:
        state = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0]
    except OSError:
        return False
    return current == start and state != "Z"


class _ForkGuard:
    """Makes processes forked during an ingest die with it and register in the lock file.

    Registered once per process with os.register_at_fork; it does nothing outside an ingest.
    """

    def __init__(self) -> None:
        self.lock_path: Path | None = None
        self.owner = 0
        self.registered = False

    def enter(self, lock_path: Path) -> None:
        self.lock_path, self.owner = lock_path, os.getpid()
        if not self.registered:
            os.register_at_fork(after_in_child=self._in_child)
            self.registered = True

    def leave(self) -> None:
        self.lock_path = None

    def _in_child(self) -> None:
        if self.lock_path is None:
            return
        _die_with_parent(self.owner)
        self.owner = os.getpid()  # a helper's own forks die with the helper
        try:
            with open(self.lock_path, "a") as fh:
                fh.write(f"helper {os.getpid()} start {_start_time(os.getpid())}\n")
        except OSError:
            pass


_guard = _ForkGuard()


def _die_with_parent(parent: int) -> None:
    """Ask the kernel to SIGKILL this process when `parent`, the process that forked it, dies (Linux)."""
    try:
        import ctypes

        libc = ctypes.CDLL(None, use_errno=True)
        libc.prctl(PR_SET_PDEATHSIG, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):
        return  # not Linux: the takeover in _acquire still frees the lock
    if os.getppid() != parent:  # the parent died before the signal was armed
        os._exit(1)


PR_SET_PDEATHSIG = 1
