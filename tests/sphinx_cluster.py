"""Throwaway Sphinx clusters for the tests: real searchd daemons on free loopback ports.

A test that needs one skips, saying why, only when Debian's sphinxsearch is not installed
(`.ci/run` installs it, so CI never skips).
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from corpus.engines.sphinxql.cluster import Cluster, addresses, local_layout, searchd, stats_folder


def need_searchd() -> None:
    """Skip the calling test when searchd cannot be found."""
    if searchd() is None:
        pytest.skip("searchd not found: install Debian's sphinxsearch (apt-get install sphinxsearch; .ci/run does)")


@contextmanager
def running(state: Path, shards: int = 2, mirrors: int = 0) -> Iterator[Cluster]:
    """A started cluster of `shards` shards in `state`, stopped (every daemon it started) on exit."""
    need_searchd()
    cluster = Cluster(local_layout(shards, mirrors), state)
    try:
        cluster.start()
        yield cluster
    finally:
        cluster.stop()


def settings_for(cluster: Cluster) -> dict[str, Any]:
    """Settings overrides that point corpus at the cluster."""
    front = cluster.layout.front
    return {"engine": "sphinxql", "sphinx_front": f"{front.host}:{front.sql_port}",
            "sphinx_shards": ";".join(addresses(c) for c in cluster.layout.shards), "sphinx_timeout": 3.0,
            "sphinx_stats": str(stats_folder(cluster.state))}
