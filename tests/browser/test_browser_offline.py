"""Every page loads only from the app itself, with no script errors and nothing blocked by the CSP."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.browser

PATHS = ["/", "/search?q=exporters", "/search?q=exporters&region=Japan&sort=oldest", "/facets/region?q=exporters",
         "/articles/wire-oil-glut?q=oil", "/authors/anna-reed", "/help", "/articles/missing"]


@pytest.mark.parametrize("viewport", ["desktop"], indirect=True)
def test_pages_use_no_network_and_log_no_errors(page, base_url):
    requests: list[str] = []
    problems: list[str] = []
    page.on("request", lambda r: requests.append(r.url))
    page.on("console", lambda m: problems.append(f"{m.type}: {m.text}") if m.type in ("error", "warning") else None)
    page.on("pageerror", lambda e: problems.append(f"pageerror: {e}"))
    for path in PATHS:
        page.goto(path)
        page.wait_for_load_state("networkidle")
    assert requests, "no request was seen"
    outside = [u for u in requests if not u.startswith(base_url + "/")]
    assert outside == []
    # The stylesheet, the script and the icon were all fetched from the app.
    for asset in ("/static/corpus.css", "/static/corpus.js"):
        assert base_url + asset in requests
    # A 404 page logs one console error for its own status; anything else is a real problem.
    problems = [p for p in problems if "404" not in p]
    assert problems == []
