"""Shared fixtures: real indexes built from fixture corpora in temporary folders."""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from corpus.config import Settings
from corpus.engines import open_backend
from corpus.ingest import ingest
from corpus.search import SearchBackend
from corpus.web import create_app
from support import FIXTURES, REUTERS_DIR, SAMPLE, copy_corpus, make_settings


@pytest.fixture
def sample_settings(tmp_path: Path) -> Settings:
    """An index built from the bundled sample article."""
    data = tmp_path / "data"
    data.mkdir()
    shutil.copy(SAMPLE, data / SAMPLE.name)
    settings = make_settings(tmp_path)
    report = ingest([data], settings, progress=False)
    assert report.exit_code == 0, report.summary()
    return settings


@pytest.fixture(scope="session")
def mini_settings(tmp_path_factory: pytest.TempPathFactory) -> Settings:
    """An index built from tests/fixtures/mini (shared read-only by the tests that use it)."""
    tmp = tmp_path_factory.mktemp("mini")
    data = copy_corpus(FIXTURES / "mini", tmp / "data")
    settings = make_settings(tmp)
    report = ingest([data], settings, progress=False)
    assert report.exit_code == 0, report.summary()
    return settings


@pytest.fixture(scope="session")
def mini_service(mini_settings: Settings) -> SearchBackend:
    return open_backend(mini_settings)


@pytest.fixture
def sample_client(sample_settings: Settings) -> Iterator[object]:
    app = create_app(sample_settings)
    with app.test_client() as client:
        yield client


@pytest.fixture(scope="session")
def mini_app(mini_settings: Settings) -> object:
    return create_app(mini_settings)


@pytest.fixture
def mini_client(mini_app: object) -> Iterator[object]:
    with mini_app.test_client() as client:  # type: ignore[attr-defined]
        yield client


@pytest.fixture(scope="session")
def reuters_index(tmp_path_factory: pytest.TempPathFactory):
    """Reuters-21578 ingested once per session: (settings, report). Skips when ../shared is absent."""
    if not (REUTERS_DIR / "reuters21578.jsonl").is_file():
        pytest.skip(f"the Reuters-21578 corpus is not at {REUTERS_DIR} (a fresh clone has no ../shared)")
    tmp = tmp_path_factory.mktemp("reuters")
    settings = Settings.from_env(environ={}, index_dir=tmp / "index", data_dir=REUTERS_DIR)
    report = ingest([REUTERS_DIR], settings, progress=False)
    return settings, report
