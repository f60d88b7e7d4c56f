"""What a view reaches through the current app and request: the search service, the settings, links."""

from __future__ import annotations

import logging
import os
import time

from flask import Flask, current_app, request

from ..config import Settings
from ..search import SearchBackend
from ..search.serialize import Links

log = logging.getLogger("corpus.web")


def test_stall(q: str) -> None:
    """A test-only fault: hang this request forever when CORPUS_TEST_STALL is exactly its query.

    Inert unless the variable is set. CORPUS_TEST_STALL_MODE picks how it hangs: `spin` (the
    default) loops in pure Python, where the worker's watchdog can interrupt it; `sleep` waits in a
    C call and `swallow` catches every exception, so that only replacing the worker ends them.
    """
    stall = os.environ.get("CORPUS_TEST_STALL")
    if not stall or stall != q:
        return
    mode = os.environ.get("CORPUS_TEST_STALL_MODE", "spin")
    log.warning("CORPUS_TEST_STALL: stalling the query %r (%s)", q, mode)
    if mode == "sleep":
        while True:
            time.sleep(3600)
    spins = 0
    while True:
        try:
            while True:
                spins += 1
        except BaseException:
            if mode != "swallow":
                raise


def service(app: Flask | None = None) -> SearchBackend:
    """The search service of the current app."""
    return (app or current_app).extensions["corpus.search"]  # type: ignore[no-any-return]


def settings(app: Flask | None = None) -> Settings:
    """The settings of the current app."""
    return (app or current_app).extensions["corpus.settings"]  # type: ignore[no-any-return]


def links() -> Links:
    """Links under the current request's mount point (its SCRIPT_NAME), as url_for would build them."""
    return Links(root=request.script_root)
