"""A Sphinx cluster described by one small file (hosts and shards): every node's searchd config,
and starting and stopping the daemons of the nodes on this machine.

Each shard daemon holds two real-time indexes per shard, `corpus_s<N>_a` and `corpus_s<N>_b`
(slots): a build fills the slot nobody serves, then publish points the front at it. The front
daemon holds one distributed index per slot (`corpus_a`, `corpus_b`, an `agent` line per shard
and mirror) and `corpus_meta`, the one-row pointer to the served slot.
"""

from __future__ import annotations

import os
import shutil
import signal
import socket
import subprocess
import time
import tomllib
from dataclasses import dataclass
from pathlib import Path

import pymysql

from .stats import empty_idf, idf_path, pid_folder

SLOTS = ("a", "b")


@dataclass(frozen=True)
class Node:
    """One searchd: where it listens (SphinxQL for corpus, the API for agents)."""

    host: str
    sql_port: int
    api_port: int


@dataclass(frozen=True)
class Layout:
    """The front node and, per shard, its copies (the first is the primary, the rest mirrors)."""

    front: Node
    shards: tuple[tuple[Node, ...], ...]

    @property
    def nodes(self) -> list[Node]:
        return [self.front, *(copy for copies in self.shards for copy in copies)]


def shard_index(shard: int, slot: str) -> str:
    """The real-time index of one shard in one slot."""
    return f"corpus_s{shard}_{slot}"


def front_index(slot: str) -> str:
    """The distributed index of one slot on the front."""
    return f"corpus_{slot}"


def read_layout(path: Path) -> Layout:
    """The cluster file: [front] host, sql_port, api_port; [[shard]] the same, with optional [[shard.mirror]]."""
    with open(path, "rb") as fh:
        data = tomllib.load(fh)
    front = _node(data["front"])
    shards = []
    for spec in data.get("shard", []):
        copies = [_node(spec)] + [_node(m) for m in spec.get("mirror", [])]
        shards.append(tuple(copies))
    if not shards:
        raise ValueError(f"{path}: no [[shard]]")
    return Layout(front, tuple(shards))


def _node(spec: dict) -> Node:
    return Node(str(spec.get("host", "127.0.0.1")), int(spec["sql_port"]), int(spec["api_port"]))


def addresses(nodes: tuple[Node, ...] | list[Node]) -> str:
    """host:port,host:port (SphinxQL ports), as CORPUS_SPHINX_SHARDS lists a shard's copies."""
    return ",".join(f"{n.host}:{n.sql_port}" for n in nodes)


# ----- searchd configs

# Our analysis hands Sphinx finished terms (folded and stemmed by corpus.analysis), one per
# position, separated by spaces. Every letter and digit of every script is a word character,
# mapped to itself: Sphinx must neither fold nor split what corpus already analysed.
CHARSET = "0..9, A..Z, a..z, _, U+AA, U+B5, U+BA, U+C0..U+D6, U+D8..U+F6, U+F8..U+2FF, U+370..U+1FFF, U+2070..U+218F, U+2C00..U+2DFF, U+2E80..U+D7FF, U+F900..U+FDFF, U+FE70..U+FEFF, U+FF10..U+FF19, U+FF21..U+FF3A, U+FF41..U+FF5A, U+FF66..U+FFDC, U+10000..U+2FFFF"

FIELDS = ("title", "body", "title_x", "body_x", "kind")
STRINGS = ("doc", "title_s", "body_s", "meta_s", "facets_s", "hash_s", "path_s", "root_s", "dedupe_s")
MULTI = ("author_h", "source_h", "region_h", "category_h", "language_h")


def stats_folder(state: Path) -> Path:
    """The folder of the global IDF files (one per slot) and of the shard daemons' pid files."""
    return state / "stats"


def shard_config(layout: Layout, shard: int, copy: int, state: Path) -> str:
    """searchd config of one copy of one shard: its two slot indexes, ranked with the slot's global IDF file."""
    node = layout.shards[shard][copy]
    data = state / f"shard{shard}-{copy}"
    stats = stats_folder(state)
    indexes = []
    for slot in SLOTS:
        lines = [f"index {shard_index(shard, slot)}", "{", "    type = rt", f"    path = {data}/{shard_index(shard, slot)}",
                 "    dict = keywords", "    min_infix_len = 1", f"    charset_table = {CHARSET}",
                 "    index_field_lengths = 1", "    rt_mem_limit = 256M", f"    global_idf = {idf_path(stats, slot)}"]
        lines += [f"    rt_field = {f}" for f in FIELDS]
        lines += [f"    rt_attr_string = {s}" for s in STRINGS]
        lines += ["    rt_attr_bigint = day", "    rt_attr_uint = dated", "    rt_attr_uint = year", "    rt_attr_uint = month",
                  "    rt_attr_uint = isauthor"]
        lines += [f"    rt_attr_multi_64 = {m}" for m in MULTI]
        lines.append("}")
        indexes.append("\n".join(lines))
    # seamless_rotate = 0: only then does SIGHUP reload global IDF files when no plain index rotates.
    return "\n\n".join([*indexes, _searchd(node, data, pid_folder(stats) / f"shard{shard}-{copy}.pid", seamless=False)]) + "\n"


def front_config(layout: Layout, state: Path) -> str:
    """searchd config of the front: a distributed index per slot, and the served-slot pointer."""
    data = state / "front"
    parts = []
    for slot in SLOTS:
        lines = [f"index {front_index(slot)}", "{", "    type = distributed"]
        for shard, copies in enumerate(layout.shards):
            mirrors = "|".join(f"{c.host}:{c.api_port}" for c in copies)
            lines.append(f"    agent = {mirrors}:{shard_index(shard, slot)}")
        lines += ["    agent_connect_timeout = 300", "    agent_query_timeout = 10000"]
        if any(len(c) > 1 for c in layout.shards):
            lines.append("    ha_strategy = nodeads")
        lines.append("}")
        parts.append("\n".join(lines))
    parts.append("\n".join(["index corpus_meta", "{", "    type = rt", f"    path = {data}/corpus_meta", "    rt_field = note",
                            "    rt_attr_string = slot", "    rt_attr_string = build", "    rt_attr_string = lengths", "    rt_attr_bigint = generation",
                            "    rt_attr_bigint = shards", "}"]))
    # With mirrors, a query whose agent fails is sent again, each time to a copy chosen afresh
    # (ha_strategy nodeads avoids a copy after 3 errors in a row); 8, searchd's maximum, because
    # with 3 one query of 302 met the dead copy on every try right after the kill.
    retry = ["agent_retry_count = 8", "agent_retry_delay = 20"] if any(len(c) > 1 for c in layout.shards) else []
    parts.append(_searchd(layout.front, data, extra=retry))
    return "\n\n".join(parts) + "\n"


def _searchd(node: Node, data: Path, pid_file: Path | None = None, seamless: bool = True, extra: list[str] | None = None) -> str:
    return "\n".join([
        "searchd", "{",
        f"    listen = {node.host}:{node.sql_port}:mysql41", f"    listen = {node.host}:{node.api_port}",
        f"    log = {data}/searchd.log", f"    query_log = {data}/query.log", f"    pid_file = {pid_file or data / 'searchd.pid'}",
        f"    binlog_path = {data}", "    workers = threads", "    collation_server = utf8_general_ci",
        # searchd's default backlog is 5: a burst of searches through the front then had an agent
        # connection refused by a live shard (seen once in ~1,700 requests with 8 threads).
        "    listen_backlog = 128",
        f"    seamless_rotate = {int(seamless)}", "    max_packet_size = 32M", "    read_timeout = 5", "    client_timeout = 300",
        "    mysql_version_string = 5.0.37", *(f"    {line}" for line in extra or []), "}",
    ])


# ----- the daemons on this machine

def searchd() -> str | None:
    """Path of Debian's searchd, or None when sphinxsearch is not installed."""
    return shutil.which("searchd") or (("/usr/bin/searchd") if os.path.exists("/usr/bin/searchd") else None)


@dataclass
class Cluster:
    """The daemons of one layout whose state (configs, data, pid files) lives in one folder."""

    layout: Layout
    state: Path

    def configs(self) -> list[tuple[str, Path]]:
        """(name, config path) of every node, front first; written when missing or changed."""
        self.state.mkdir(parents=True, exist_ok=True)
        out = [("front", self.state / "front.conf", front_config(self.layout, self.state), self.state / "front")]
        for shard, copies in enumerate(self.layout.shards):
            for copy in range(len(copies)):
                name = f"shard{shard}-{copy}"
                out.append((name, self.state / f"{name}.conf", shard_config(self.layout, shard, copy, self.state), self.state / name))
        stats = stats_folder(self.state)
        pid_folder(stats).mkdir(parents=True, exist_ok=True)
        for slot in SLOTS:
            empty_idf(idf_path(stats, slot))
        written = []
        for name, path, text, data in out:
            data.mkdir(parents=True, exist_ok=True)
            if not path.exists() or path.read_text() != text:
                path.write_text(text)
            written.append((name, path))
        return written

    def start(self, timeout: float = 20.0, hosts: set[str] | None = None) -> None:
        """Start every node's searchd (shards first), or only those on `hosts`, and wait until each answers."""
        binary = searchd()
        if binary is None:
            raise RuntimeError("searchd not found: install Debian's sphinxsearch (apt-get install sphinxsearch)")
        configs = self.configs()
        nodes = dict(zip([name for name, _ in configs], [self.layout.front, *(c for cs in self.layout.shards for c in cs)], strict=True))
        started = [node for node in nodes.values() if hosts is None or node.host in hosts]
        for name, path in reversed(configs):
            if (hosts is None or nodes[name].host in hosts) and self.pid(name) is None:
                subprocess.run([binary, "--config", str(path)], check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + timeout
        for node in started:
            while not _answers(node):
                if time.monotonic() > deadline:
                    raise RuntimeError(f"searchd on {node.host}:{node.sql_port} did not answer within {timeout:g} s")
                time.sleep(0.05)

    def pid_file(self, name: str) -> Path:
        """Where one node's searchd writes its pid (shards: in the statistics folder, for the writer's SIGHUP)."""
        return self.state / "front" / "searchd.pid" if name == "front" else pid_folder(stats_folder(self.state)) / f"{name}.pid"

    def pid(self, name: str) -> int | None:
        """The live pid of one node's searchd, or None."""
        pid_file = self.pid_file(name)
        try:
            pid = int(pid_file.read_text().split()[0])
            os.kill(pid, 0)
        except (OSError, ValueError, IndexError):
            return None
        return pid

    def stop(self, timeout: float = 20.0) -> None:
        """Stop exactly the daemons this folder's pid files name (SIGTERM, then SIGKILL after the timeout)."""
        pids = [p for p in (self.pid(name) for name, _ in self.configs()) if p is not None]
        for pid in pids:
            try:
                os.kill(pid, signal.SIGTERM)
            except OSError:
                pass
        deadline = time.monotonic() + timeout
        for pid in pids:
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.05)
            if _alive(pid):
                try:
                    os.kill(pid, signal.SIGKILL)
                except OSError:
                    pass

    def exports(self) -> dict[str, str]:
        """The settings that point corpus at this cluster."""
        return {
            "CORPUS_ENGINE": "sphinxql",
            "CORPUS_SPHINX_FRONT": f"{self.layout.front.host}:{self.layout.front.sql_port}",
            "CORPUS_SPHINX_SHARDS": ";".join(addresses(c) for c in self.layout.shards),
            "CORPUS_SPHINX_STATS": str(stats_folder(self.state).resolve()),
        }


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a zombie child of ours is dead
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return False


def _answers(node: Node) -> bool:
    try:
        conn = pymysql.connect(host=node.host, port=node.sql_port, connect_timeout=1)
    except pymysql.err.MySQLError:
        return False
    conn.close()
    return True


def free_ports(count: int) -> list[int]:
    """Ports nobody listens on at the moment, for a throwaway cluster (tests)."""
    socks, ports = [], []
    for _ in range(count):
        sock = socket.socket()
        sock.bind(("127.0.0.1", 0))
        socks.append(sock)
        ports.append(sock.getsockname()[1])
    for sock in socks:
        sock.close()
    return ports


def local_layout(shards: int, mirrors: int = 0) -> Layout:
    """A layout on loopback with free ports: a front and `shards` shards of 1 + mirrors copies."""
    ports = iter(free_ports(2 * (1 + shards * (1 + mirrors))))
    front = Node("127.0.0.1", next(ports), next(ports))
    copies = tuple(tuple(Node("127.0.0.1", next(ports), next(ports)) for _ in range(1 + mirrors)) for _ in range(shards))
    return Layout(front, copies)
