"""`make cluster` and `make cluster-down` (tools/cluster.py): start a cluster from a cluster file,
print the settings as export lines, and stop exactly what was started.

The test uses a cluster file of its own (free ports) and a state folder in a temporary folder.
It runs `make -s cluster` when the project's .venv exists (as under `make test`), else the same
script with this interpreter. The Dask part (a scheduler and two workers) is checked when the dask command of the [cluster]
extra is installed.
"""

from __future__ import annotations

import os
import shlex
import socket
import subprocess
import sys
from pathlib import Path

import pymysql

from corpus.engines.sphinxql.cluster import free_ports
from sphinx_cluster import need_searchd
from support import ROOT

DASK = Path(sys.executable).parent / "dask"  # this interpreter's venv's, when the [cluster] extra is installed


def _run(command: str, config, state, dask_port: int) -> subprocess.CompletedProcess:
    if (ROOT / ".venv" / "bin" / "python").exists():
        args = ["make", "-s", command, f"CLUSTER_CONFIG={config}", f"CLUSTER_STATE={state}",
                f"CLUSTER_ARGS=--dask-port {dask_port}"]
    else:
        args = [sys.executable, str(ROOT / "tools" / "cluster.py"), "up" if command == "cluster" else "down",
                "--config", str(config), "--state", str(state)]
        if command == "cluster":
            args += ["--dask", str(DASK), "--dask-port", str(dask_port)]
    return subprocess.run(args, cwd=ROOT, capture_output=True, text=True, timeout=120)


def _pids(state) -> set[int]:
    found = set()
    for pid_file in state.rglob("*.pid"):
        try:
            found.add(int(pid_file.read_text().split()[0]))
        except (OSError, ValueError, IndexError):
            pass
    return found


def _running(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def test_make_cluster_prints_exports_and_cluster_down_stops_what_it_started(tmp_path):
    need_searchd()
    ports = free_ports(7)
    config = tmp_path / "cluster.toml"
    config.write_text(
        f'[front]\nhost = "127.0.0.1"\nsql_port = {ports[0]}\napi_port = {ports[1]}\n\n'
        f'[[shard]]\nhost = "127.0.0.1"\nsql_port = {ports[2]}\napi_port = {ports[3]}\n\n'
        f'[[shard]]\nhost = "127.0.0.1"\nsql_port = {ports[4]}\napi_port = {ports[5]}\n')
    state = tmp_path / "state"
    started = _run("cluster", config, state, ports[6])
    try:
        assert started.returncode == 0, started.stderr
        exports = {}
        for line in started.stdout.splitlines():
            assert line.startswith("export "), f"stdout must be only export lines (eval): {line!r}"
            name, _, value = line[len("export "):].partition("=")
            exports[name] = shlex.split(value)[0]
        assert exports["CORPUS_ENGINE"] == "sphinxql"
        assert exports["CORPUS_SPHINX_FRONT"] == f"127.0.0.1:{ports[0]}"
        assert exports["CORPUS_SPHINX_SHARDS"] == f"127.0.0.1:{ports[2]};127.0.0.1:{ports[4]}"
        assert os.path.isdir(exports["CORPUS_SPHINX_STATS"])
        dask = (ROOT / ".venv" / "bin" / "dask") if (ROOT / ".venv" / "bin" / "python").exists() else DASK
        if dask.exists():
            assert exports["CORPUS_DASK"] == f"tcp://127.0.0.1:{ports[6]}"
            with socket.create_connection(("127.0.0.1", ports[6]), timeout=2):
                pass
            assert len(list((state / "pids").glob("dask-worker*.pid"))) == 2
        for port in (ports[0], ports[2], ports[4]):
            pymysql.connect(host="127.0.0.1", port=port, connect_timeout=2).close()
        pids = _pids(state)
        assert len(pids) >= 3 and all(os.path.exists(f"/proc/{p}") for p in pids)
    finally:
        stopped = _run("cluster-down", config, state, ports[6])
    assert stopped.returncode == 0, stopped.stderr
    alive = [p for p in pids if _running(p)]
    assert not alive, f"still running after cluster-down: {alive}"
