"""Start a real gunicorn on a free loopback port for tests that need one."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@contextmanager
def gunicorn(index_dir: Path, workers: int = 2, extra_env: dict[str, str] | None = None,
             app: str = "wsgi:app", log_path: Path | None = None) -> Iterator[str]:
    """Run `gunicorn wsgi:app` from the project root against index_dir; yields the base URL.

    Its output goes to a file (log_path, or a temporary one), never to an unread pipe that
    would fill up and stall the server under load.
    """
    port = free_port()
    env = dict(os.environ, CORPUS_INDEX_DIR=str(index_dir), CORPUS_HOST="127.0.0.1", CORPUS_PORT=str(port),
               CORPUS_WORKERS=str(workers), **(extra_env or {}))
    bindir = Path(sys.executable).parent
    log = open(log_path, "w") if log_path else tempfile.TemporaryFile("w+")  # noqa: SIM115
    proc = subprocess.Popen([str(bindir / "gunicorn"), app], cwd=ROOT, env=env,
                            stdout=log, stderr=subprocess.STDOUT, text=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                log.flush()
                raise RuntimeError(f"gunicorn exited: {Path(log.name).read_text() if log_path else ''}")
            try:
                urllib.request.urlopen(base + "/help", timeout=2).read()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise RuntimeError("gunicorn did not answer within 30 s") from None
                time.sleep(0.2)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=15)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        log.close()
