"""One frozen settings object: defaults, then CORPUS_* environment variables, then overrides."""

from __future__ import annotations

import os
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

from .errors import ConfigError


def _setting(default: Any, help: str, env: str) -> Any:
    return field(default=default, metadata={"help": help, "env": env})


@dataclass(frozen=True)
class Settings:
    """Every user-visible setting; each has a CORPUS_* environment variable."""

    data_dir: Path = _setting(Path("corpus_data"), "Folder that `corpus ingest` reads by default.", "CORPUS_DATA_DIR")
    index_dir: Path = _setting(Path("index"), "Folder that holds the search index.", "CORPUS_INDEX_DIR")
    engine: str = _setting("whoosh", "Search engine that holds the index (engines: whoosh, sphinxql).", "CORPUS_ENGINE")
    host: str = _setting("127.0.0.1", "Address the server listens on.", "CORPUS_HOST")
    port: int = _setting(8000, "Port the server listens on.", "CORPUS_PORT")
    workers: int = _setting(0, "gunicorn worker processes (0 means one per core).", "CORPUS_WORKERS")
    threads: int = _setting(8, "Request threads per worker process; each opens its own searcher.", "CORPUS_THREADS")
    header_timeout: float = _setting(10.0, "Seconds a client has to send a whole request head (and a small body) before it gets a 408 and is closed.", "CORPUS_HEADER_TIMEOUT")
    keepalive: int = _setting(5, "Seconds an idle kept-alive connection stays open for the next request.", "CORPUS_KEEPALIVE")
    send_timeout: float = _setting(30.0, "Seconds one write of an answer may wait on a client that does not read before the connection is dropped.", "CORPUS_SEND_TIMEOUT")
    query_time_limit: float = _setting(5.0, "Seconds a single search may run before it is stopped.", "CORPUS_QUERY_TIME_LIMIT")
    max_query_length: int = _setting(400, "Longest query string accepted, in characters.", "CORPUS_MAX_QUERY_LENGTH")
    max_per_page: int = _setting(100, "Largest per_page value accepted.", "CORPUS_MAX_PER_PAGE")
    export_cap: int = _setting(0, "Most rows one export may return (0 means no cap).", "CORPUS_EXPORT_CAP")
    dayfirst: bool = _setting(False, "Read ambiguous dates such as 03/04/2025 as day/month.", "CORPUS_DAYFIRST")
    ingest_procs: int = _setting(0, "Worker processes that read and normalise during ingest (0 means one per core).", "CORPUS_INGEST_PROCS")
    dask: str = _setting("", "Dask scheduler (tcp://HOST:PORT) that `corpus ingest` reads and normalises on, as --cluster does; empty means on this machine.", "CORPUS_DASK")
    dask_timeout: float = _setting(10.0, "Seconds `corpus ingest --cluster` waits to reach the Dask scheduler and for it to have a worker.", "CORPUS_DASK_TIMEOUT")
    postings_cache_mb: int = _setting(64, "Megabytes of decoded posting lists kept per worker for words searched recently (0 turns the cache off).", "CORPUS_POSTINGS_CACHE_MB")
    result_cache: int = _setting(256, "Whole search results kept per worker for repeated searches (0 turns the cache off).", "CORPUS_RESULT_CACHE")
    sphinx_front: str = _setting("127.0.0.1:9406", "sphinxql engine: host:port (SphinxQL) of the front daemon that searches go to.", "CORPUS_SPHINX_FRONT")
    sphinx_shards: str = _setting("127.0.0.1:9407;127.0.0.1:9408", "sphinxql engine: the shard daemons that ingest writes to, host:port (SphinxQL); shards separated by ';', a shard's mirrors by ','.", "CORPUS_SPHINX_SHARDS")
    sphinx_stats: str = _setting("", "sphinxql engine: folder of the global IDF files that every shard daemon reads (and, for daemons on this machine, their pid files), so ranking uses statistics over the whole corpus; empty means each shard ranks with its own.", "CORPUS_SPHINX_STATS")
    sphinx_timeout: float = _setting(10.0, "sphinxql engine: seconds to connect to or wait on a daemon before it counts as unavailable.", "CORPUS_SPHINX_TIMEOUT")

    @classmethod
    def from_env(cls, environ: dict[str, str] | None = None, **overrides: Any) -> Settings:
        """Build settings from defaults, then the environment, then explicit overrides."""
        environ = dict(os.environ if environ is None else environ)
        values: dict[str, Any] = {}
        for f in fields(cls):
            raw = environ.get(f.metadata["env"])
            if raw is not None and raw != "":
                values[f.name] = _coerce(f.name, f.default, raw)
        for name, value in overrides.items():
            if value is not None:
                values[name] = value
        settings = cls(**values)
        return replace(settings, data_dir=Path(settings.data_dir), index_dir=Path(settings.index_dir))

    @classmethod
    def documented(cls) -> list[tuple[str, str, Any]]:
        """(environment variable, help, default) for every setting, for --help and docs."""
        return [(f.metadata["env"], f.metadata["help"], f.default) for f in fields(cls)]


def _coerce(name: str, default: Any, raw: str) -> Any:
    try:
        if isinstance(default, bool):
            if raw.lower() in {"1", "true", "yes", "on"}:
                return True
            if raw.lower() in {"0", "false", "no", "off"}:
                return False
            raise ValueError(raw)
        if isinstance(default, int):
            return int(raw)
        if isinstance(default, float):
            return float(raw)
        if isinstance(default, Path):
            return Path(raw)
        return raw
    except ValueError:
        raise ConfigError(f"setting {name}: cannot read {raw!r} as {type(default).__name__}") from None
