"""Start and stop the local cluster that `make cluster` and `make cluster-down` run.

    python tools/cluster.py up   [--config tools/cluster.toml] [--state index/cluster]
    python tools/cluster.py down [--state index/cluster]

`up` writes every node's searchd config from the cluster file, starts the Sphinx nodes whose host
is this machine (the front and the shard daemons; each shard's mirrors too), and, when
`.venv/bin/dask` exists (the `[cluster]` extra), a Dask scheduler and two workers on loopback.
It prints `export CORPUS_...=...` lines on stdout, so `eval "$(make -s cluster)"` configures a
shell; everything else goes to stderr. Every process it starts is recorded in the state folder
(`<state>/pids/*.pid`, and searchd's own pid files), and `down` stops exactly those.
"""

from __future__ import annotations

import argparse
import os
import shlex
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "src"))

from corpus.engines.sphinxql.cluster import Cluster, read_layout  # noqa: E402

DASK_PORT = 8786
DASK_WORKERS = 2


def _local_hosts() -> set[str]:
    names = {"127.0.0.1", "localhost", "::1", socket.gethostname()}
    try:
        names.update(info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None))
    except OSError:
        pass
    return names


def _say(text: str) -> None:
    print(text, file=sys.stderr)


def _pid_dir(state: Path) -> Path:
    return state / "pids"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:
        with open(f"/proc/{pid}/stat") as fh:
            return fh.read().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def _wait_port(host: str, port: int, timeout: float) -> bool:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            with socket.create_connection((host, port), timeout=0.5):
                return True
        except OSError:
            time.sleep(0.1)
    return False


def _start_dask(state: Path, dask: Path, port: int) -> str | None:
    """A scheduler and two workers on loopback (each recorded by pid), or None without the dask command."""
    if not dask.exists():
        _say(f"no {dask} (pip install -e '.[cluster]'): no Dask scheduler started")
        return None
    address = f"tcp://127.0.0.1:{port}"
    logs = state / "dask"
    logs.mkdir(parents=True, exist_ok=True)
    commands = {"dask-scheduler": [str(dask), "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                   "--dashboard-address", ":0"]}
    for n in range(DASK_WORKERS):
        commands[f"dask-worker{n}"] = [str(dask), "worker", address, "--nworkers", "1", "--nthreads", "1",
                                       "--host", "127.0.0.1", "--dashboard-address", ":0", "--name", f"worker{n}"]
    for name, command in commands.items():
        pid_file = _pid_dir(state) / f"{name}.pid"
        if pid_file.exists() and _alive(int(pid_file.read_text().split()[0])):
            continue
        with open(logs / f"{name}.log", "ab") as log:
            process = subprocess.Popen(command, stdout=log, stderr=log, stdin=subprocess.DEVNULL, start_new_session=True)
        pid_file.write_text(f"{process.pid}\n")
        if name == "dask-scheduler" and not _wait_port("127.0.0.1", port, 30):
            raise SystemExit(f"the Dask scheduler did not listen on {address} within 30 s (see {logs}/{name}.log)")
    return address


def up(config: Path, state: Path, dask: Path, dask_port: int) -> int:
    layout = read_layout(config)
    local = _local_hosts()
    remote = [n for n in layout.nodes if n.host not in local]
    if remote:
        _say("nodes on other machines are not started here (run `tools/cluster.py up` there with the same file): "
             + ", ".join(f"{n.host}:{n.sql_port}" for n in remote))
    state.mkdir(parents=True, exist_ok=True)
    _pid_dir(state).mkdir(parents=True, exist_ok=True)
    (state / "config.toml").write_text(Path(config).read_text())
    cluster = Cluster(layout, state)
    cluster.start(hosts=local)
    _say(f"sphinx: front {layout.front.host}:{layout.front.sql_port}, {len(layout.shards)} shards; state in {state}")
    exports = cluster.exports()
    scheduler = _start_dask(state, dask, dask_port)
    if scheduler:
        exports["CORPUS_DASK"] = scheduler
    for name, value in exports.items():
        print(f"export {name}={shlex.quote(value)}")
    return 0


def down(state: Path) -> int:
    config = state / "config.toml"
    stopped = 0
    for pid_file in sorted(_pid_dir(state).glob("*.pid")) if _pid_dir(state).exists() else []:
        try:
            pid = int(pid_file.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        if _alive(pid):
            try:
                os.killpg(pid, signal.SIGTERM)  # each was started in a session of its own
            except OSError:
                os.kill(pid, signal.SIGTERM)
            deadline = time.monotonic() + 15
            while _alive(pid) and time.monotonic() < deadline:
                time.sleep(0.1)
            if _alive(pid):
                os.kill(pid, signal.SIGKILL)
            stopped += 1
        pid_file.unlink(missing_ok=True)
    if config.exists():
        cluster = Cluster(read_layout(config), state)
        running = [name for name, _ in cluster.configs() if cluster.pid(name) is not None]
        cluster.stop()
        stopped += len(running)
    _say(f"stopped {stopped} processes started from {state}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("command", choices=("up", "down"))
    parser.add_argument("--config", type=Path, default=ROOT / "tools" / "cluster.toml")
    parser.add_argument("--state", type=Path, default=ROOT / "index" / "cluster")
    parser.add_argument("--dask", type=Path, default=ROOT / ".venv" / "bin" / "dask", help="the dask command (the [cluster] extra's)")
    parser.add_argument("--dask-port", type=int, default=DASK_PORT)
    args = parser.parse_args(argv)
    state = args.state.resolve()
    return up(args.config, state, args.dask, args.dask_port) if args.command == "up" else down(state)


if __name__ == "__main__":
    raise SystemExit(main())
