"""Connections to the cluster's daemons (PyMySQL over SphinxQL), and the errors they turn into.

The front answers searches; when an agent (a shard daemon) cannot be reached, Sphinx still
answers with what the other shards found and a warning naming the agent. A smaller total
would be a wrong answer, so every query's warnings are read and such a warning is a 503
`shard_unavailable` naming the shard.
"""

from __future__ import annotations

import re
import threading
import time
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


MIRROR_RETRIES = 6  # times a mirrored cluster is asked again after an agent failed (0.42 s of pauses at most)
_AGENT = re.compile(r"agent ([^:\s]+):(\d+)")
_DESCRIBED = re.compile(r"^(.+):(\d+):corpus_s(\d+)_[ab]$")  # an agent line as the front's DESCRIBE shows it


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
        self._agent_names: dict[tuple[str, int], str] | None = None
        self.mirrored = all(len(copies) > 1 for copies in self.shards)

    def _conn(self) -> Any:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            conn = self._local.conn = connect(self.address, self.timeout, "the front")
        return conn

    def query(self, sql: str, args: Any = None, meta: bool = False) -> tuple[list[dict[str, Any]], dict[str, str]]:
        """(rows, SHOW META) of one statement; a warning about an agent is ShardUnavailable."""
        retried = 0
        attempt = 0
        while True:
            conn = self._conn()
            try:
                with conn.cursor() as cur:
                    cur.execute(sql, args)
                    rows = list(cur.fetchall())
                    # Every statement's SHOW META is read: the warning about an agent that did not
                    # answer is there (PyMySQL does not expose a result's warning count).
                    cur.execute("SHOW META")
                    info: dict[str, str] = {r["Variable_name"]: r["Value"] for r in cur.fetchall()}
                    if "warning" in info and "agent" in info["warning"]:
                        if self._again(retried):
                            retried += 1
                            continue
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
                attempt += 1
            except pymysql.err.ProgrammingError as exc:
                text = str(exc.args[-1]) if exc.args else str(exc)
                if "agent" in text:
                    if self._again(retried):
                        retried += 1
                        continue
                    self._raise_for(text)
                raise

    def _again(self, retried: int) -> bool:
        """Whether to ask again after an agent failed: with mirrors, the front chose a copy that has
        just died, and asked again it chooses afresh (avoiding a copy after three errors in a row).
        The pause grows a little each time; without mirrors there is no other copy to ask."""
        if not self.mirrored or retried >= MIRROR_RETRIES:
            return False
        time.sleep(0.02 * (retried + 1))
        return True

    def agent_names(self) -> dict[tuple[str, int], str]:
        """(host, API port) of every agent -> "shard N (host:port)", read once from the front's DESCRIBE of its indexes."""
        if self._agent_names is None:
            names: dict[tuple[str, int], str] = {}
            try:
                conn = self._conn()
                with conn.cursor() as cur:
                    for index in ("corpus_a", "corpus_b"):
                        cur.execute(f"DESCRIBE {index}")
                        for row in cur.fetchall():
                            found = _DESCRIBED.match(str(row.get("Agent", "")))
                            if found:
                                names[(found[1], int(found[2]))] = f"shard {found[3]} ({found[1]}:{found[2]})"
            except pymysql.err.MySQLError:
                self._local.conn = None
                return {}
            self._agent_names = names
        return self._agent_names

    def _raise_for(self, warning: str) -> None:
        found = _AGENT.findall(warning)
        known = self.agent_names()
        names = sorted({known.get((h, int(p)), f"agent {h}:{p}") for h, p in found}) or ["a shard"]
        raise ShardUnavailable(f"{', '.join(names)} did not answer; the result would be incomplete ({warning.strip()})")
