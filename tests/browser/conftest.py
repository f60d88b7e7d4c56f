"""Browser fixtures: Debian's Chromium driven by Playwright against a real gunicorn over the mini corpus.

Nothing is downloaded at run time: the browser is /usr/bin/chromium (the Makefile's `chromium`
target installs it) and axe-core comes from tests/browser/node_modules (`npm ci --prefix tests/browser`).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from corpus.config import Settings
from corpus.ingest import ingest

HERE = Path(__file__).resolve().parent
TESTS = HERE.parent
CHROMIUM = Path("/usr/bin/chromium")
AXE = HERE / "node_modules" / "axe-core" / "axe.min.js"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


def _missing(what: str, how: str) -> None:
    # In CI a missing tool is a failure, never a silent skip; on a developer's machine, a skip that says how.
    message = f"{what} is missing; {how}"
    if os.environ.get("CI"):
        pytest.fail(message)
    pytest.skip(message)


@pytest.fixture(scope="session")
def browser_index(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """An index built from tests/fixtures/mini, private to the browser tests."""
    tmp = tmp_path_factory.mktemp("browser")
    data = tmp / "data"
    shutil.copytree(TESTS / "fixtures" / "mini", data)
    settings = Settings.from_env(environ={}, index_dir=tmp / "index", data_dir=data, ingest_procs=1)
    report = ingest([data], settings, progress=False)
    assert report.exit_code == 0, report.summary()
    return tmp / "index"


@pytest.fixture(scope="session")
def base_url(browser_index: Path) -> Iterator[str]:
    """A real gunicorn serving the browser tests' index."""
    from servers import gunicorn

    # The helper pipes gunicorn's output without reading it: send the access log (hundreds of lines
    # here) to a file, or the pipe fills and gunicorn blocks mid-test.
    access_log = browser_index.parent / "access.log"
    with gunicorn(browser_index, workers=2, extra_env={"GUNICORN_CMD_ARGS": f"--access-logfile {access_log}"}) as base:
        yield base


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    """Headless Debian Chromium, shared by every browser test."""
    if not CHROMIUM.exists():
        _missing("/usr/bin/chromium", "run `make chromium` (apt-get install chromium)")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS, headless=True)
        yield b
        b.close()


@pytest.fixture(params=list(VIEWPORTS), ids=list(VIEWPORTS))
def viewport(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def page(browser: Any, base_url: str, viewport: str) -> Iterator[Any]:
    """A fresh page at desktop or phone size, with JavaScript on."""
    context = browser.new_context(viewport=VIEWPORTS[viewport], base_url=base_url)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    pg.viewport_name = viewport
    yield pg
    context.close()


@pytest.fixture
def nojs_page(browser: Any, base_url: str) -> Iterator[Any]:
    """A desktop page with JavaScript disabled."""
    context = browser.new_context(viewport=VIEWPORTS["desktop"], base_url=base_url, java_script_enabled=False)
    context.set_default_timeout(15_000)
    pg = context.new_page()
    pg.viewport_name = "nojs"
    yield pg
    context.close()


@pytest.fixture(scope="session")
def axe_source() -> str:
    if not AXE.exists():
        _missing(str(AXE), "run `npm ci --prefix tests/browser` (or `make test`, which does)")
    return AXE.read_text(encoding="utf-8")
