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
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

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
    """Hold the one-writer lock. The kernel releases it if the process dies, so it never goes stale."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / LOCK, "a+") as fh:
        try:
            fcntl.flock(fh, fcntl.LOCK_EX | (0 if wait else fcntl.LOCK_NB))
        except BlockingIOError:
            fh.seek(0)
            holder = fh.read().strip()
            raise IngestLocked(
                f"another ingest is running on {index_dir} ({holder or 'unknown process'}); "
                "wait for it to finish, or pass --wait to queue behind it"
            ) from None
        fh.seek(0)
        fh.truncate()
        fh.write(f"pid {os.getpid()} since {time.strftime('%Y-%m-%d %H:%M:%S')}\n")
        fh.flush()
        yield
