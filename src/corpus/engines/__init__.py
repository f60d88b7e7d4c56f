"""The engines behind the SearchBackend and IndexWriter protocols, opened by name (CORPUS_ENGINE)."""

from __future__ import annotations

from collections.abc import Callable

from ..config import Settings
from ..errors import ConfigError
from ..search.backend import IndexWriter, SearchBackend
from ..search.cache import CachedBackend
from .sphinxql import SphinxBackend, SphinxWriter
from .whoosh import WhooshBackend, WhooshWriter

# name -> the function that opens its SearchBackend on these settings.
ENGINES: dict[str, Callable[[Settings], SearchBackend]] = {
    "sphinxql": SphinxBackend,
    "whoosh": WhooshBackend,
}
# name -> the function that starts a build of its index: (settings, rebuild, writer processes).
WRITERS: dict[str, Callable[[Settings, bool, int], IndexWriter]] = {
    "sphinxql": SphinxWriter,
    "whoosh": WhooshWriter,
}


def check_engine(name: str) -> str:
    """The engine name, or a ConfigError naming the engines there are."""
    if name not in ENGINES:
        raise ConfigError(f"CORPUS_ENGINE: unknown engine {name!r}; engines are {', '.join(ENGINES)}")
    return name


def open_backend(settings: Settings) -> SearchBackend:
    """The configured engine's SearchBackend, behind the result cache (CORPUS_RESULT_CACHE)."""
    backend = ENGINES[check_engine(settings.engine)](settings)
    return CachedBackend(backend, settings.result_cache)


def open_writer(settings: Settings, rebuild: bool = False, procs: int = 1) -> IndexWriter:
    """A new build of the configured engine's index: empty with rebuild (or when none is served), else a copy."""
    return WRITERS[check_engine(settings.engine)](settings, rebuild, procs)
