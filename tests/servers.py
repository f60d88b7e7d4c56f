"""Start a real gunicorn on a free loopback port for tests that need one.

`serve()` starts it exactly as production does, with `corpus serve`; `gunicorn()` runs
`gunicorn wsgi:app` from the project root, the other documented way. Each server runs in its own
process group, and the whole group (arbiter and workers) is killed when the test is done.
"""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import IO

ROOT = Path(__file__).resolve().parents[1]
BINDIR = Path(sys.executable).parent


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def _running(argv: list[str], env: dict[str, str], port: int, log_path: Path | None) -> Iterator[str]:
    """Run argv in a new process group until it answers /help on port; yields the base URL.

    Its output goes to a file (log_path, or a temporary one), never to an unread pipe that
    would fill up and stall the server under load.
    """
    log: IO[str] = open(log_path, "w") if log_path else tempfile.NamedTemporaryFile("w+", suffix=".log")  # noqa: SIM115
    proc = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT, text=True,
                            start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 60
        while True:
            if proc.poll() is not None:
                log.flush()
                raise RuntimeError(f"the server exited: {Path(log.name).read_text()}")
            try:
                urllib.request.urlopen(base + "/help", timeout=5).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("the server did not answer within 60 s") from None
                time.sleep(0.2)
        yield base
    finally:
        _stop(proc)
        log.close()


def _stop(proc: subprocess.Popen[str]) -> None:
    """SIGTERM to the whole group, then SIGKILL to whatever is left of it."""
    try:
        os.killpg(proc.pid, signal.SIGTERM)
    except ProcessLookupError:
        pass
    try:
        proc.wait(timeout=25)
    except subprocess.TimeoutExpired:
        pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)  # workers that outlived the arbiter too
    except ProcessLookupError:
        pass
    proc.wait()


def _env(index_dir: Path, port: int, workers: int, extra_env: dict[str, str] | None) -> dict[str, str]:
    return dict(os.environ, CORPUS_INDEX_DIR=str(index_dir), CORPUS_HOST="127.0.0.1", CORPUS_PORT=str(port),
                CORPUS_WORKERS=str(workers), **(extra_env or {}))


@contextmanager
def serve(index_dir: Path, workers: int = 2, extra_env: dict[str, str] | None = None,
          log_path: Path | None = None) -> Iterator[str]:
    """Run `corpus serve` (the production command) against index_dir; yields the base URL."""
    port = free_port()
    argv = [str(BINDIR / "corpus"), "--index-dir", str(index_dir), "serve", "--host", "127.0.0.1",
            "--port", str(port), "--workers", str(workers)]
    with _running(argv, _env(index_dir, port, workers, extra_env), port, log_path) as base:
        yield base


@contextmanager
def gunicorn(index_dir: Path, workers: int = 2, extra_env: dict[str, str] | None = None,
             app: str = "wsgi:app", log_path: Path | None = None) -> Iterator[str]:
    """Run `gunicorn wsgi:app` from the project root against index_dir; yields the base URL."""
    port = free_port()
    with _running([str(BINDIR / "gunicorn"), app], _env(index_dir, port, workers, extra_env), port, log_path) as base:
        yield base
