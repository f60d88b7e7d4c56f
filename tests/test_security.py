"""The public, read-only app: escaping of echoed parameters, odd ids, caps, headers, production settings."""

from __future__ import annotations

import importlib
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import quote, urlencode

import pytest

from support import ROOT

PAYLOAD = "\"'><script>alert(1)</script><img src=x onerror=alert(2)>"
PAGES = ["/", "/search", "/help", "/articles/wire-oil-prices", "/authors/tom-baker", "/facets/author"]
PARAMS = ["q", "author", "source", "region", "category", "from", "to", "sort", "page", "per_page", "facet_size", "prefix"]


def raw_markup(html: str) -> list[str]:
    """Live tags or attributes the payload would create if it were not escaped."""
    return re.findall(r"<script>alert|<img src=x onerror", html)


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("param", PARAMS)
def test_reflected_parameters_are_escaped_on_every_page(mini_client, path, param):
    response = mini_client.get(f"{path}?{urlencode({param: PAYLOAD})}")
    assert response.status_code in (200, 400, 404)
    assert raw_markup(response.get_data(as_text=True)) == []


@pytest.mark.parametrize("param", PARAMS)
def test_reflected_parameters_are_plain_json_on_the_api(mini_client, param):
    response = mini_client.get(f"/api/search?{urlencode({param: PAYLOAD})}")
    assert response.status_code in (200, 400)
    assert response.content_type.startswith("application/json")
    assert response.headers["X-Content-Type-Options"] == "nosniff"


ODD_IDS = [
    "..", "../..", "..%2F..%2Fetc%2Fpasswd", "%2e%2e%2f%2e%2e%2fetc%2fpasswd", "a%2F..%2Fb", "%00", "wire-oil-prices%00",
    "x" * 5000, "%2F", "wire-oil-prices%2F..", ".hidden", "~", "a..b", "%C0%AE%C0%AE", "author:tom-baker",
]


@pytest.mark.parametrize("odd", ODD_IDS)
@pytest.mark.parametrize("prefix", ["/articles/", "/authors/", "/api/articles/", "/api/authors/"])
def test_path_tricks_in_ids_give_404(mini_client, prefix, odd):
    response = mini_client.get(prefix + odd)
    assert response.status_code == 404, (prefix, odd, response.status_code)
    if prefix.startswith("/api/"):
        assert response.get_json()["error"]["code"] == "not_found"


def test_query_length_is_capped_at_400(mini_client):
    assert mini_client.get("/api/search?" + urlencode({"q": "oil " * 100})).status_code == 200  # exactly 400
    too_long = mini_client.get("/api/search?" + urlencode({"q": "oil " * 100 + "x"}))
    assert too_long.status_code == 400
    assert too_long.get_json()["error"]["param"] == "q"
    assert mini_client.get("/search?" + urlencode({"q": "x" * 401})).status_code == 400


def test_per_page_is_capped(mini_client):
    assert mini_client.get("/api/search?per_page=100").status_code == 200
    response = mini_client.get("/api/search?per_page=101")
    assert response.status_code == 400 and response.get_json()["error"]["param"] == "per_page"


@pytest.mark.parametrize("path", ["/", "/search?q=oil", "/articles/wire-oil-prices", "/api/search?q=oil", "/nope", "/api/nope"])
def test_security_headers_on_every_response(mini_client, path):
    headers = mini_client.get(path).headers
    csp = headers["Content-Security-Policy"]
    directives = dict(part.strip().split(" ", 1) for part in csp.split(";") if part.strip())
    assert directives["script-src"] == "'self'"  # no inline scripts, no eval, no other origin
    assert "'unsafe-inline'" not in csp and "'unsafe-eval'" not in csp
    assert directives["frame-ancestors"] == "'none'"
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] in ("no-referrer", "strict-origin-when-cross-origin", "same-origin")


def test_pages_hold_no_inline_script_or_style(mini_client):
    for path in PAGES:
        html = mini_client.get(path).get_data(as_text=True)
        assert not re.search(r"<script(?![^>]*\bsrc=)[^>]*>", html), path
        assert " style=" not in html and "<style" not in html, path
        assert not re.search(r"<[^>]*\son[a-z]+=", html), path  # no inline event handlers


def test_javascript_urls_from_the_corpus_never_become_links(tmp_path):
    from corpus.ingest import ingest
    from corpus.web import create_app
    from support import write_corpus

    data, settings = write_corpus(tmp_path, {
        "evil.txt": "Title: Evil link\nUrl: javascript:alert(1)\n\nBody text.\n",
        "data.txt": "Title: Data link\nUrl: data:text/html,<script>alert(1)</script>\n\nBody text.\n",
    })
    ingest([data], settings, progress=False)
    client = create_app(settings).test_client()
    for doc in ("evil", "data"):
        html = client.get(f"/articles/{doc}").get_data(as_text=True)
        assert "javascript:" not in html and "data:text" not in html
        assert client.get(f"/api/articles/{doc}").get_json()["url"] is None


def test_production_configuration_has_debug_off():
    env = {"CORPUS_INDEX_DIR": "/nonexistent"}
    code = "import wsgi; print(wsgi.app.debug, wsgi.app.testing, wsgi.app.config['PROPAGATE_EXCEPTIONS'])"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, env=env, capture_output=True, text=True, check=True).stdout
    assert out.split() == ["False", "False", "None"]
    conf = importlib.import_module("corpus.gunicorn_conf")
    assert conf.timeout >= 30 and conf.graceful_timeout > 0
    assert conf.limit_request_line <= 8190 and conf.limit_request_field_size <= 8190 and conf.limit_request_fields <= 100
    assert not getattr(conf, "reload", False) and conf.preload_app is False
    readme = (ROOT / "README.md").read_text()
    for documented in ("timeout", "4094", "8190", "Debug mode is never on"):
        assert documented in readme


def test_a_crafted_index_symlink_cannot_point_outside_the_index(tmp_path, mini_settings):
    """The served build is only ever a folder under index/builds; `current` is never followed elsewhere."""
    from corpus import indexdir

    build = indexdir.current_build(Path(mini_settings.index_dir))
    assert build is not None
    assert build.parent == (Path(mini_settings.index_dir) / indexdir.BUILDS).resolve()


def test_unknown_routes_and_methods(mini_client):
    assert mini_client.post("/api/search").status_code == 405
    assert mini_client.post("/api/search").get_json()["error"]["code"]
    assert mini_client.delete("/articles/wire-oil-prices").status_code == 405
    response = mini_client.get("/" + quote("<script>alert(1)</script>"))
    assert response.status_code == 404 and "<script>alert" not in response.get_data(as_text=True)


def test_method_not_allowed_says_which_methods_are(mini_client):
    response = mini_client.post("/api/search")
    assert response.status_code == 405
    assert "GET" in response.headers["Allow"]
    assert "GET" in mini_client.put("/search").headers["Allow"]
