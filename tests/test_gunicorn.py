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


def test_a_query_over_the_time_limit_gets_a_clear_503_and_the_worker_stays_responsive(mini_settings):
    with gunicorn(mini_settings.index_dir, workers=1, extra_env={"CORPUS_QUERY_TIME_LIMIT": "0.000001"}) as base:
        for _ in range(3):
            try:
                urllib.request.urlopen(base + "/api/search?q=exporters+OR+oil", timeout=10)
                raise AssertionError("expected a 503")
            except urllib.error.HTTPError as exc:
                assert exc.code == 503
                error = json.load(exc)["error"]
                assert error["code"] == "query_timeout" and "took longer than" in error["message"]
        # The same single worker answers the next requests at once.
        with urllib.request.urlopen(base + "/help", timeout=10) as response:
            assert response.status == 200
        with urllib.request.urlopen(base + "/articles/wire-oil-prices", timeout=10) as response:
            assert response.status == 200
