"""Connections to the cluster's daemons (PyMySQL over SphinxQL), and the errors they turn into.

The front answers searches; when an agent (a shard daemon) cannot be reached, Sphinx still
answers with what the other shards found and a warning naming the agent. A smaller total
would be a wrong answer, so every query's warnings are read and such a warning is a 503
`shard_unavailable` naming the shard.
"""

from __future__ import annotations

import re
import threading
from dataclasses import dataclass
from typing import Any

import pymysql
import pymysql.cursors

from ...config import Settings
from ...errors import ConfigError, CorpusError


class ShardUnavailable(CorpusError):
    """A shard (or the front) of the cluster does not answer: the answer would be incomplete."""

    status = 503
    code = "shard_unavailable"


class Unsupported(CorpusError):
    """An operation the sphinxql engine does not implement (docs/scaling.md lists them)."""

    status = 501
    code = "unsupported"


@dataclass(frozen=True)
class Address:
    host: str
    port: int

    def __str__(self) -> str:
        return f"{self.host}:{self.port}"


def parse_address(text: str, setting: str) -> Address:
    """host:port."""
    host, _, port = text.strip().rpartition(":")
    if not host or not port.isdigit():
        raise ConfigError(f"{setting}: {text!r} is not host:port")
    return Address(host, int(port))


def parse_shards(text: str) -> list[list[Address]]:
    """CORPUS_SPHINX_SHARDS: shards separated by ';', each shard's copies (primary, then mirrors) by ','."""
    shards = [[parse_address(c, "CORPUS_SPHINX_SHARDS") for c in part.split(",") if c.strip()] for part in text.split(";") if part.strip()]
    if not shards:
        raise ConfigError("CORPUS_SPHINX_SHARDS: no shard listed (host:port[,mirror];host:port...)")
    return shards


_AGENT = re.compile(r"agent ([^:\s]+):(\d+)")


def connect(address: Address, timeout: float, name: str) -> Any:
    """A SphinxQL connection (autocommit: Sphinx's real-time indexes are transactional otherwise)."""
    try:
        return pymysql.connect(host=address.host, port=address.port, connect_timeout=max(1, int(timeout)),
                               read_timeout=max(1, int(timeout)), write_timeout=max(1, int(timeout)), autocommit=True,
                               charset="utf8", cursorclass=pymysql.cursors.DictCursor)
    except pymysql.err.MySQLError as exc:
        raise ShardUnavailable(f"{name} ({address}) does not answer: {exc.args[-1] if exc.args else exc}") from None


class Front:
    """One connection to the front per thread; every query checked for agents that did not answer."""

    def __init__(self, settings: Settings) -> None:
        self.address = parse_address(settings.sphinx_front, "CORPUS_SPHINX_FRONT")
        self.shards = parse_shards(settings.sphinx_shards)
        self.timeout = settings.sphinx_timeout
        self._local = threading.local()
        # agent API port -> shard name; the front's config lists agents by their API ports, which
        # the cluster file pairs with SphinxQL ports (tools/cluster.py keeps api = sql + 6).
        self._names = {(a.host, a.port + 6): f"shard {n} ({a})" for n, copies in enumerate(self.shards) for a in copies}

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.address, self.timeout, "the front")
        return conn

    def query(self, sql: str, args: Any = None, meta: bool = False) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """(rows, SHOW META) of one statement; a warning about an agent is ShardUnavailable."""
        for attempt in (0, 1):
            conn = self._conn()
            try:
                with conn.cursor() as cur:
                    cur.execute(sql, args)
                    rows = list(cur.fetchall())
                    warned = cur.connection.warning_count if hasattr(cur.connection, "warning_count") else 0
                    info: dict[str, str] = {}
                    if meta or warned:
                        cur.execute("SHOW META")
                        info = {r["Variable_name"]: r["Value"] for r in cur.fetchall()}
                    if "warning" in info:
                        self._raise_for(info["warning"])
                    return rows, info
            except (pymysql.err.OperationalError, pymysql.err.InterfaceError) as exc:
                self._local.conn = None
                try:
                    conn.close()
                except Exception:
                    pass
                if attempt:
                    text = str(exc.args[-1]) if exc.args else str(exc)
                    if "agent" in text:
                        self._raise_for(text)
                    raise ShardUnavailable(f"the front ({self.address}) does not answer: {text}") from None
            except pymysql.err.ProgrammingError as exc:
                text = str(exc.args[-1]) if exc.args else str(exc)
                if "agent" in text:
                    self._raise_for(text)
                raise
        raise AssertionError("unreachable")

    def _raise_for(self, warning: str) -> None:
        found = _AGENT.findall(warning)
        names = sorted({self._names.get((h, int(p)), f"agent {h}:{p}") for h, p in found}) or ["a shard"]
        raise ShardUnavailable(f"{', '.join(names)} did not answer; the result would be incomplete ({warning.strip()})")
