"""The pages and the JSON API over the sample article (Flask test client)."""

from __future__ import annotations

import re


def test_search_page_lists_the_sample_with_a_marked_snippet(sample_client):
    response = sample_client.get("/search?q=elites")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "West Must Take Five Steps Now To Encourage Members Of Russian Elite" in html
    assert "Paul Goble" in html
    assert re.search(r"<mark>elites?</mark>", html)


def test_article_page_shows_body_and_author_box_without_boilerplate(sample_client):
    response = sample_client.get("/articles/000_58784f50d73ecb9e")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "Between 1953 and 1990" in html
    assert 'class="author-box"' in html
    assert "Paul Goble is a longtime specialist" in html
    assert "Leave a Reply" not in html
    assert "Your email address will not be published" not in html


def test_api_search_shape(sample_client):
    response = sample_client.get("/api/search?q=Putin")
    assert response.status_code == 200
    assert response.content_type.startswith("application/json")
    data = response.get_json()
    assert data["total"] == 1
    [hit] = data["hits"]
    assert hit["id"] == "000_58784f50d73ecb9e"
    assert hit["title"].startswith("West Must Take Five Steps")
    assert hit["author"] == ["Paul Goble"]
    assert hit["date"] is None
    assert hit["source"] is None
    assert isinstance(hit["region"], list) and "Russia" in hit["region"]
    assert set(data["facets"]) == {"author", "source", "region", "year", "language"}
    assert data["facets"]["author"][0]["value"] == "Paul Goble"
    assert data["facets"]["author"][0]["count"] == 1
    assert data["facets"]["region"][0] == {
        "value": "Russia", "count": 1, "selected": False, "corpus_count": 1, "share": 1.0,
        "toggle_url": "/api/search?q=Putin&region=Russia",
    }
    assert data["facets"]["source"] == [] and data["facets"]["year"] == []


def test_no_index_gives_503_with_advice(tmp_path):
    from corpus.web import create_app
    from support import make_settings

    client = create_app(make_settings(tmp_path)).test_client()
    page = client.get("/search?q=x")
    assert page.status_code == 503
    assert "corpus ingest" in page.get_data(as_text=True)
    api = client.get("/api/search?q=x")
    assert api.status_code == 503
    assert api.get_json()["error"]["code"] == "no_index"


def test_security_headers_are_set(sample_client):
    response = sample_client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "'unsafe-inline'" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"]
