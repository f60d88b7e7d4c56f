"""`gunicorn wsgi:app` serves the same app, reading CORPUS_INDEX_DIR."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request

from servers import gunicorn


def test_gunicorn_serves_search_and_api(sample_settings):
    with gunicorn(sample_settings.index_dir) as base:
        with urllib.request.urlopen(base + "/api/search?q=Putin", timeout=10) as response:
            data = json.load(response)
            assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert data["total"] == 1
        assert data["hits"][0]["author"] == ["Paul Goble"]
        with urllib.request.urlopen(base + "/search?q=elites", timeout=10) as response:
            html = response.read().decode()
        assert re.search(r"<mark>elites?</mark>", html)
        try:
            urllib.request.urlopen(base + "/articles/..%2F..%2Fetc%2Fpasswd", timeout=10)
            raise AssertionError("expected a 404")
        except urllib.error.HTTPError as exc:
            assert exc.code == 404
