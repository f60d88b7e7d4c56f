"""Helpers shared by the tests: paths and index builders (import from here, not from conftest).

Test folders have conftest.py files of their own (tests/browser/), and `from conftest import`
would pick whichever was imported first; this module has one name in the whole suite.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from corpus.config import Settings

ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"
SAMPLE = ROOT / "corpus_data" / "000_58784f50d73ecb9e.txt"
SHARED_CORPORA = ROOT.parent / "shared" / "corpora"
REUTERS_DIR = SHARED_CORPORA / "reuters21578"


def make_settings(tmp: Path, **overrides: object) -> Settings:
    """Settings for a temporary index; one ingest process keeps small tests quick."""
    return Settings.from_env(environ={}, index_dir=tmp / "index", data_dir=tmp / "data", ingest_procs=1, **overrides)


def copy_corpus(src: Path, dest: Path) -> Path:
    """A private copy of a fixture corpus, so tests may edit and delete files."""
    shutil.copytree(src, dest)
    return dest


def write_corpus(tmp: Path, files: dict[str, str | bytes]) -> tuple[Path, Settings]:
    """A corpus folder holding these files (name -> text or bytes), and settings for an index beside it."""
    data = tmp / "data"
    data.mkdir(exist_ok=True)
    for name, content in files.items():
        path = data / name
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return data, make_settings(tmp)
