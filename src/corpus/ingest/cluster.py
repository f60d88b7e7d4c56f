"""Reading and normalising on a Dask distributed cluster (`corpus ingest --cluster tcp://HOST:PORT`).

Imported only when a cluster is asked for (reading.open_cluster), so the rest of corpus never
needs Dask. Each task is `reading.read_group` over a few files, which every worker must be able to
read under the same path. Results come back to the one writer in the order the tasks were
submitted, so duplicates, ids and author spellings are decided exactly as in a local run; only a
few tasks are in flight at a time, so memory follows the task size, not the corpus.

A task only reads and returns values: when a worker dies, the scheduler runs its tasks again on
another worker, and the writer takes each result once, so nothing is lost and nothing is doubled.
"""

from __future__ import annotations

import asyncio
import logging
import os
import socket
import time
import uuid
from collections import deque
from collections.abc import Iterable, Iterator
from concurrent.futures import CancelledError
from pathlib import Path
from typing import Any

from distributed import Client, Future
from distributed.scheduler import KilledWorker

from ..errors import CorpusError
from ..readers.base import display_path, plain_reason
from .reading import GroupResult, code_fingerprint, read_group

log = logging.getLogger("corpus.ingest")

WAIT = 2.0  # seconds between looks at the cluster while a result is awaited
NO_WORKERS_GRACE = 60.0  # seconds a cluster may have no worker at all before the ingest gives up
TASKS_PER_THREAD = 2  # tasks in flight per worker thread: one running, one queued behind it


def _look_around(roots: list[str]) -> tuple[str, list[str]]:
    """On a worker: the fingerprint of the corpus it runs, and the roots it cannot see."""
    return code_fingerprint(), [r for r in roots if not os.path.exists(r)]


def _probe(address: str, timeout: float, unreachable: str) -> None:
    """Open and close a plain TCP connection to a tcp:// address first: a wrong name or port gets a
    precise reason, and no half-made Dask client is left behind to complain when it is collected."""
    scheme, _, rest = address.rpartition("://")
    host, _, port = rest.rpartition(":")
    if scheme == "tls" and host and port.isdigit():
        return  # a TLS scheduler: its certificates are Dask's business
    if scheme not in ("", "tcp") or not host or not port.isdigit():
        raise CorpusError(f"--cluster takes tcp://HOST:PORT (or tls://HOST:PORT), e.g. tcp://127.0.0.1:8786, not {address!r}")
    try:
        socket.create_connection((host.strip("[]"), int(port)), timeout=timeout).close()
    except socket.gaierror:
        raise CorpusError(f"{unreachable} (no host is called {host!r}); nothing was read and the index was not changed") from None
    except OSError as exc:
        why = "nothing listens on that port" if isinstance(exc, ConnectionRefusedError) else plain_reason(exc)
        raise CorpusError(f"{unreachable} ({why}); nothing was read and the index was not changed") from None


class ClusterReader:
    """A connection to one Dask scheduler that runs read_group tasks, a bounded number in flight."""

    def __init__(self, address: str, roots: list[Path], timeout: float) -> None:
        self.address = address
        if not log.isEnabledFor(logging.DEBUG):
            # Dask logs a lost connection with a traceback; the ingest says it in one line instead (-v shows both).
            for name in ["distributed", *logging.root.manager.loggerDict]:
                if name.split(".")[0] == "distributed":
                    logging.getLogger(name).setLevel(logging.CRITICAL)
        unreachable = f"cannot reach the Dask scheduler at {address} within {timeout:g} s"
        _probe(address, timeout, unreachable)
        try:
            self.client = Client(address, timeout=timeout, set_as_default=False)
        except Exception as exc:  # something answered, but not as a Dask scheduler (even with a huge frame length)
            why = str(exc) if isinstance(exc, (ValueError, TypeError)) else "it did not answer as a Dask scheduler"
            raise CorpusError(f"{unreachable} ({why}); nothing was read and the index was not changed") from None
        try:
            try:
                self.client.wait_for_workers(1, timeout=timeout)
            except TimeoutError:
                raise CorpusError(f"the Dask scheduler at {address} has no workers (waited {timeout:g} s); "
                                  "nothing was read and the index was not changed") from None
            try:
                seen = self.client.run(_look_around, [str(r) for r in roots])
            except Exception as exc:  # most often: corpus is not installed on a worker
                raise CorpusError(f"the Dask workers at {address} cannot run corpus's reading ({exc}); install corpus "
                                  "on every worker; nothing was read and the index was not changed") from None
            ours = code_fingerprint()
            for worker, (theirs, missing) in sorted(seen.items()):
                if theirs != ours:
                    raise CorpusError(f"the Dask worker {worker} runs another version of corpus (code {theirs}, here {ours}); "
                                      "install the same one on every worker; nothing was read and the index was not changed")
                if missing:
                    raise CorpusError(f"the Dask worker {worker} cannot see {display_path(missing[0])}: the inputs must be "
                                      "on a path every worker can read; nothing was read and the index was not changed")
        except BaseException:
            self.close()
            raise

    def _threads(self) -> int:
        workers = self.client.scheduler_info().get("workers", {})
        return sum(int(w.get("nthreads", 1)) for w in workers.values()) or 1

    def read(self, groups: Iterable[list[tuple[str, str]]], root: str, mapping: dict[str, str], dayfirst: bool,
             keep_suspect: bool) -> Iterator[GroupResult]:
        """Submit one task per group, at most a few per worker thread at a time; results in submission order."""
        limit = max(2, TASKS_PER_THREAD * self._threads())
        run = uuid.uuid4().hex[:12]  # keys unique to this run, so an earlier run's results are never reused
        code = code_fingerprint()
        pending: deque[Future] = deque()
        try:
            for number, group in enumerate(groups):
                pending.append(self.client.submit(read_group, group, root, mapping, dayfirst, keep_suspect, code,
                                                  key=f"corpus-read-{run}-{number}", retries=0))
                if len(pending) >= limit:
                    yield self._take(pending.popleft())
            while pending:
                yield self._take(pending.popleft())
        finally:
            for future in pending:
                future.cancel()

    def _take(self, future: Future) -> GroupResult:
        """The result of one task; waits while the scheduler reruns it elsewhere after a worker died."""
        alone_since: float | None = None
        try:
            while True:
                try:
                    result: Any = future.result(timeout=WAIT)
                    break
                except TimeoutError:
                    if self.client.scheduler_info().get("workers"):
                        alone_since = None
                    elif alone_since is None:
                        alone_since = time.monotonic()
                    elif time.monotonic() - alone_since > NO_WORKERS_GRACE:
                        raise CorpusError(f"the Dask cluster at {self.address} has had no workers for "
                                          f"{NO_WORKERS_GRACE:g} s; the ingest stopped and the index was not changed") from None
        except KilledWorker as exc:
            raise CorpusError(f"a reading task killed every Dask worker it ran on ({plain_reason(exc)}); "
                              "the ingest stopped and the index was not changed") from None
        except CorpusError:
            raise
        except Exception as exc:  # the scheduler went away, the connection broke, or the task itself failed
            raise CorpusError(f"reading on the Dask cluster at {self.address} failed: {self._why(exc)}; "
                              "the ingest stopped and the index was not changed") from None
        finally:
            future.release()
        if not isinstance(result, GroupResult):
            raise CorpusError(f"a Dask task returned {type(result).__name__}, not a reading result")
        return result

    def _why(self, exc: BaseException) -> str:
        """In words: a lost scheduler, or what the task raised (its own message, from the worker)."""
        if self.client.status != "running" or isinstance(exc, (CancelledError, asyncio.CancelledError, OSError)):
            return "the connection to the scheduler was lost (is it still running?)"
        return str(exc) or plain_reason(exc)

    def close(self) -> None:
        """Disconnect; the cluster keeps running for others."""
        try:
            self.client.close(timeout=5)
        except Exception:  # closing a broken connection may fail; there is nothing left to release
            log.debug("closing the Dask client failed", exc_info=True)
