"""Contract tests for /api/*: every endpoint's shape (checked against the served OpenAPI schemas) and its errors."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import jsonschema_rs
import pytest

from corpus.web import create_app


@pytest.fixture(scope="module")
def openapi(mini_app: Any) -> dict[str, Any]:
    with mini_app.test_client() as client:
        return client.get("/api/openapi.json").get_json()  # type: ignore[no-any-return]


def conforms(openapi: dict[str, Any], schema: str, body: Any) -> None:
    """Assert that body matches components/schemas/<schema> of the served OpenAPI document."""
    validator = jsonschema_rs.validator_for({"$ref": f"#/components/schemas/{schema}", "components": openapi["components"]})
    errors = [f"{e.instance_path}: {e.message}" for e in validator.iter_errors(body)]
    assert not errors, errors


def get_json(client: Any, url: str, status: int = 200) -> Any:
    response = client.get(url)
    assert response.status_code == status, response.get_data(as_text=True)
    assert response.content_type.startswith("application/json")
    return response.get_json()


# ----- /api/search


def test_search_answers_the_whole_documented_shape(mini_client, openapi):
    data = get_json(mini_client, "/api/search?q=oil")
    conforms(openapi, "SearchResponse", data)
    assert data["query"] == {"q": "oil", "parsed": data["query"]["parsed"], "filters": {}, "from": None, "to": None,
                             "sort": "relevance"}
    assert "oil" in data["query"]["parsed"]
    assert (data["total"], data["page"], data["per_page"], data["pages"]) == (3, 1, 10, 1)
    assert data["took_ms"] >= 0
    assert [h["id"] for h in data["hits"]] == ["wire-oil-glut", "wire-oil-prices", "wire-opec-quota"]
    glut = data["hits"][0]
    assert glut["author"] == ["Anna Reed", "Tom Baker"] and glut["source"] == "Reuters"
    assert glut["date"] == "1987-03-15T00:00:00Z" and glut["region"] == ["United States"]
    assert "<mark>oil</mark>" in glut["snippet"] and glut["score"] > 0
    assert glut["links"] == {"html": "/articles/wire-oil-glut", "json": "/api/articles/wire-oil-glut"}
    assert set(data["facets"]) == {"author", "source", "region", "year", "language"}
    # 3 of the 7 Reuters articles of the corpus (the same date filter: none) match.
    assert {"value": "Reuters", "count": 3, "selected": False, "corpus_count": 7, "share": round(3 / 7, 6),
            "toggle_url": "/api/search?q=oil&source=Reuters"} in data["facets"]["source"]
    assert data["timeline"]["interval"] == "month"  # the hits span 1987-03 to 1988-01
    buckets = {b["period"]: (b["count"], b["corpus_count"]) for b in data["timeline"]["buckets"]}
    assert buckets["1987-03"] == (2, 3) and buckets["1988-01"] == (1, 1) and buckets["1987-06"] == (0, 0)
    assert data["suggestion"] is None
    assert data["index"]["documents"] == 12 and data["index"]["build"] and data["index"]["updated"]


def test_search_links_lead_to_the_article_page_and_its_json(mini_client):
    hit = get_json(mini_client, "/api/search?q=wheat")["hits"][0]
    assert mini_client.get(hit["links"]["html"]).status_code == 200
    assert get_json(mini_client, hit["links"]["json"])["id"] == hit["id"]


def test_search_takes_every_parameter_of_the_page(mini_client):
    both = get_json(mini_client, "/api/search?author=Anna+Reed&author=Kenji+Sato&sort=oldest&per_page=2&page=2")
    assert both["query"]["filters"] == {"author": ["Anna Reed", "Kenji Sato"]}
    assert (both["total"], both["pages"], both["page"], both["per_page"]) == (5, 3, 2, 2)
    assert [h["id"] for h in both["hits"]] == ["wire-yen", "wire-yen-may"]
    dated = get_json(mini_client, "/api/search?from=1987-04&to=1987-04-30&source=Reuters&region=Canada")
    assert [h["id"] for h in dated["hits"]] == ["wire-wheat"]
    assert (dated["query"]["from"], dated["query"]["to"]) == ("1987-04-01", "1987-04-30")
    small = get_json(mini_client, "/api/search?facet_size=1&facet=source&highlight=false&q=rates")
    assert set(small["facets"]) == {"source"} and len(small["facets"]["source"]) == 1
    assert all("<mark>" not in h["snippet"] for h in small["hits"])


def test_search_suggests_a_spelling_and_lists_matching_authors(mini_client):
    assert get_json(mini_client, "/api/search?q=wheta")["suggestion"] == "wheat"
    authors = get_json(mini_client, "/api/search?q=Novak")["authors"]
    assert [a["slug"] for a in authors] == ["maria-novak"]
    assert authors[0]["links"]["json"] == "/api/authors/maria-novak"


def test_following_toggle_url_selects_the_value_and_following_it_again_removes_it(mini_client):
    start = get_json(mini_client, "/api/search?q=rates")
    for facet in ("author", "region", "year"):
        for value in start["facets"][facet]:
            on = get_json(mini_client, value["toggle_url"])
            assert on["query"]["filters"].get(facet) == [value["value"]]
            assert on["total"] == value["count"]
            again = next(v for v in on["facets"][facet] if v["value"] == value["value"])
            assert again["selected"] is True and again["count"] == value["count"]
            off = get_json(mini_client, again["toggle_url"])
            assert off["query"]["filters"] == {} and off["total"] == start["total"]
            assert [h["id"] for h in off["hits"]] == [h["id"] for h in start["hits"]]


def test_two_selected_values_of_one_facet_are_ored_and_each_toggles_alone(mini_client):
    one = get_json(mini_client, "/api/search?region=Japan")
    canada = next(v for v in one["facets"]["region"] if v["value"] == "Canada")
    two = get_json(mini_client, canada["toggle_url"])
    assert two["query"]["filters"] == {"region": ["Japan", "Canada"]}
    assert two["total"] == one["total"] + canada["count"]
    japan = next(v for v in two["facets"]["region"] if v["value"] == "Japan")
    assert get_json(mini_client, japan["toggle_url"])["query"]["filters"] == {"region": ["Canada"]}


BAD_PARAMETERS = [
    ("/api/search?page=x", "page"), ("/api/search?page=0", "page"), ("/api/search?page=1.5", "page"),
    ("/api/search?per_page=101", "per_page"), ("/api/search?per_page=-1", "per_page"),
    ("/api/search?from=2024-13", "from"), ("/api/search?to=yesterday", "to"), ("/api/search?from=2025&to=2024", "from"),
    ("/api/search?sort=popular", "sort"), ("/api/search?facet=colour", "facet"), ("/api/search?highlight=maybe", "highlight"),
    ("/api/search?facet_size=0", "facet_size"), ("/api/search?year=87", "year"), ("/api/search?q=" + "x" * 401, "q"),
    ("/api/facets/colour", "name"), ("/api/facets/author?per_page=500", "per_page"), ("/api/facets/region?sort=x", "sort"),
    ("/api/authors?page=two", "page"), ("/api/authors?prefix=" + "a" * 401, "prefix"),
    ("/api/export?format=xlsx", "format"), ("/api/export?fields=id,colour", "fields"), ("/api/export?from=2024-02-30", "from"),
    ("/api/export?bom=perhaps", "bom"), ("/api/export?formulas=run", "formulas"),
]


@pytest.mark.parametrize(("url", "param"), BAD_PARAMETERS)
def test_a_bad_parameter_is_a_json_400_that_names_it(mini_client, openapi, url, param):
    data = get_json(mini_client, url, 400)
    conforms(openapi, "Error", data)
    assert data["error"]["code"] == "bad_request" and data["error"]["param"] == param
    assert data["error"]["message"]


def test_a_query_syntax_error_is_a_json_400_naming_q(mini_client):
    data = get_json(mini_client, "/api/search?q=date%3A%3E2024-13", 400)
    assert data["error"]["code"] == "query_syntax" and data["error"]["param"] == "q"


@pytest.mark.parametrize("url", ["/api/articles/no-such-article", "/api/authors/nobody", "/api/articles/..%2Fetc",
                                 "/api/nothing-here", "/api/articles/", "/api/search/extra"])
def test_unknown_ids_and_routes_are_json_404s(mini_client, openapi, url):
    data = get_json(mini_client, url, 404)
    conforms(openapi, "Error", data)
    assert data["error"]["code"] == "not_found"


def test_a_wrong_method_is_a_json_405(mini_client):
    response = mini_client.post("/api/search?q=oil")
    assert response.status_code == 405 and response.content_type.startswith("application/json")
    assert response.get_json()["error"]["code"] == "method_not_allowed"


@pytest.mark.parametrize("url", ["/api/search?q=x", "/api/articles/wire-corn", "/api/authors", "/api/authors/anna-reed",
                                 "/api/facets/author", "/api/stats", "/api/export"])
def test_no_index_is_a_json_503_and_the_schema_is_still_served(tmp_path, url):
    from support import make_settings

    client = create_app(make_settings(tmp_path)).test_client()
    response = client.get(url)
    assert response.status_code == 503 and response.content_type.startswith("application/json")
    assert response.get_json()["error"]["code"] == "no_index"
    assert client.get("/api/openapi.json").status_code == 200


# ----- the other endpoints


def test_article_has_body_bios_and_all_stored_metadata(mini_client, openapi):
    data = get_json(mini_client, "/api/articles/opinion-elites")
    conforms(openapi, "Article", data)
    assert data["title"] == "Why elites stay put" and data["author"] == ["Maria Novak"]
    assert data["body"] and data["paragraphs"] and "State Department" in data["bios"]["Maria Novak"]
    assert data["source"] == "Eurasia Review" and data["region"] == ["Russia"] and data["origin"]
    assert data["links"] == {"html": "/articles/opinion-elites", "json": "/api/articles/opinion-elites"}
    assert data["authors"] == [{"name": "Maria Novak", "slug": "maria-novak", "bio": data["bios"]["Maria Novak"],
                                "links": {"html": "/authors/maria-novak", "json": "/api/authors/maria-novak"}}]
    unsigned = get_json(mini_client, "/api/articles/opinion-unsigned")
    assert unsigned["author"] == [] and unsigned["authors"] == [] and unsigned["bios"] == {}


def test_authors_list_pages_and_prefix(mini_client, openapi):
    everyone = get_json(mini_client, "/api/authors")
    conforms(openapi, "AuthorList", everyone)
    assert everyone["total"] == 6 and len(everyone["authors"]) == 6
    counts = [a["article_count"] for a in everyone["authors"]]
    assert counts == sorted(counts, reverse=True)
    paged = [get_json(mini_client, f"/api/authors?per_page=4&page={p}") for p in (1, 2)]
    assert [p["pages"] for p in paged] == [2, 2]
    assert [a["slug"] for p in paged for a in p["authors"]] == [a["slug"] for a in everyone["authors"]]
    assert [a["name"] for a in get_json(mini_client, "/api/authors?prefix=sat")["authors"]] == ["Kenji Sato"]


def test_one_author(mini_client, openapi):
    data = get_json(mini_client, "/api/authors/maria-novak")
    conforms(openapi, "Author", data)
    assert data["name"] == "Maria Novak" and data["article_count"] == 2 and "Baltic" in data["bio"]
    assert data["sources"] == ["Eurasia Review"]


def test_facet_endpoint_pages_through_every_value_with_the_search_counts(mini_client, openapi):
    search = get_json(mini_client, "/api/search?q=rates&facet=region&facet_size=200")
    expected = [(v["value"], v["count"], v["toggle_url"]) for v in search["facets"]["region"]]
    first = get_json(mini_client, "/api/facets/region?q=rates&per_page=2")
    conforms(openapi, "FacetPage", first)
    assert first["total"] == len(expected) and first["pages"] == -(-len(expected) // 2)
    walked = []
    for page in range(1, first["pages"] + 1):
        values = get_json(mini_client, f"/api/facets/region?q=rates&per_page=2&page={page}")["values"]
        walked += [(v["value"], v["count"]) for v in values]
    assert walked == [(value, count) for value, count, _ in expected]
    selected = [v for page in (1, 2, 3) for v in
                get_json(mini_client, f"/api/facets/region?q=rates&region=Japan&per_page=2&page={page}")["values"]]
    assert [(v["value"], v["count"]) for v in selected] == [(value, count) for value, count, _ in expected]
    assert [v["value"] for v in selected if v["selected"]] == ["Japan"]
    assert get_json(mini_client, "/api/facets/region?q=rates&per_page=200")["per_page"] == 200  # above a search page's cap
    japan = get_json(mini_client, "/api/facets/region?q=rates&prefix=jap")["values"]
    assert [(v["value"], v["count"]) for v in japan] == [("Japan", 1)]
    assert get_json(mini_client, japan[0]["toggle_url"])["query"]["filters"] == {"region": ["Japan"]}


def test_stats(mini_client, openapi):
    data = get_json(mini_client, "/api/stats")
    conforms(openapi, "Stats", data)
    assert (data["documents"], data["authors"], data["undated"]) == (12, 6, 1)
    assert data["date_span"] == ["1987-03-02", "2025-02-01"]
    reuters = next(v for v in data["facets"]["source"] if v["value"] == "Reuters")
    assert get_json(mini_client, reuters["toggle_url"])["total"] == reuters["count"] == 7
    assert sum(b["count"] for b in data["timeline"]["buckets"]) == 11


def test_openapi_lists_every_api_route_of_the_app(mini_app, openapi):
    routes = set()
    for rule in mini_app.url_map.iter_rules():
        if rule.rule.startswith("/api/"):
            routes.add(rule.rule.replace("<doc_id>", "{doc_id}").replace("<slug>", "{slug}").replace("<name>", "{name}"))
    assert routes == set(openapi["paths"])


# ----- headers: ETag, 304, Cache-Control, CORS


def test_etag_gives_304_for_the_same_url_and_index(mini_client):
    first = mini_client.get("/api/search?q=oil")
    tag = first.headers["ETag"]
    assert tag.startswith('W/"') and first.headers["Cache-Control"].startswith("public")
    again = mini_client.get("/api/search?q=oil", headers={"If-None-Match": tag})
    assert again.status_code == 304 and again.get_data() == b"" and again.headers["ETag"] == tag
    assert "Content-Type" not in again.headers and again.headers["Cache-Control"].startswith("public")
    other = mini_client.get("/api/search?q=oil&page=1")
    assert other.headers["ETag"] != tag
    assert mini_client.get("/api/search?q=oil&page=1", headers={"If-None-Match": tag}).status_code == 200
    for url in ("/api/stats", "/api/articles/wire-corn", "/api/export?format=jsonl", "/api/openapi.json"):
        etag = mini_client.get(url).headers["ETag"]
        assert mini_client.get(url, headers={"If-None-Match": etag}).status_code == 304


def test_etag_changes_when_the_index_changes(tmp_path):
    from corpus.ingest import ingest
    from support import FIXTURES, copy_corpus, make_settings

    data = copy_corpus(FIXTURES / "mini", tmp_path / "data")
    settings = make_settings(tmp_path)
    ingest([data], settings, progress=False)
    client = create_app(settings).test_client()
    before = client.get("/api/search?q=oil").headers["ETag"]
    (data / "wire" / "oil-more.txt").write_text("Title: More oil\nDate: 1987-06-01\n\nOil again.\n", encoding="utf-8")
    ingest([data], settings, progress=False)
    after = client.get("/api/search?q=oil", headers={"If-None-Match": before})
    assert after.status_code == 200 and after.get_json()["total"] == 4
    assert after.headers["ETag"] != before


def test_cors_on_gets_and_preflight_and_no_store_on_errors(mini_client):
    ok = mini_client.get("/api/stats", headers={"Origin": "https://notebook.example"})
    assert ok.headers["Access-Control-Allow-Origin"] == "*"
    assert "ETag" in ok.headers["Access-Control-Expose-Headers"]
    preflight = mini_client.options("/api/search", headers={"Origin": "https://notebook.example",
                                                            "Access-Control-Request-Method": "GET",
                                                            "Access-Control-Request-Headers": "If-None-Match"})
    assert preflight.status_code == 204 and preflight.data == b"" and "Content-Type" not in preflight.headers
    assert "GET" in preflight.headers["Access-Control-Allow-Methods"]
    assert "If-None-Match" in preflight.headers["Access-Control-Allow-Headers"]
    bad = mini_client.get("/api/search?page=x")
    assert bad.headers["Cache-Control"] == "no-store" and "ETag" not in bad.headers
    assert bad.headers["Access-Control-Allow-Origin"] == "*"


def test_per_page_cap_follows_the_setting(mini_settings):
    client = create_app(replace(mini_settings, max_per_page=5)).test_client()
    assert client.get("/api/search?per_page=5").status_code == 200
    assert client.get("/api/search?per_page=6").get_json()["error"]["param"] == "per_page"
    spec = client.get("/api/openapi.json").get_json()
    per_page = next(p for p in spec["paths"]["/api/search"]["get"]["parameters"] if p["name"] == "per_page")
    assert per_page["schema"]["maximum"] == 5



def test_openapi_documents_exactly_the_parameters_the_handlers_read(openapi):
    from corpus.search.request import SEARCH_PARAMS

    def names(path: str) -> set[str]:
        return {p["name"] for p in openapi["paths"][path]["get"]["parameters"]}

    assert names("/api/search") == set(SEARCH_PARAMS)
    assert names("/api/export") == set(SEARCH_PARAMS) - {"facet", "facet_size", "highlight"} | {"format", "fields", "bom", "formulas"}
    assert names("/api/facets/{name}") == set(SEARCH_PARAMS) - {"facet", "facet_size"} | {"name", "prefix"}
    assert names("/api/authors") == {"prefix", "page", "per_page"}


API_ROUTES = ["/api/search?q=oil", "/api/export", "/api/articles/wire-oil-prices", "/api/articles/no-such-article",
              "/api/authors", "/api/authors/tom-baker", "/api/facets/author", "/api/stats", "/api/openapi.json"]


@pytest.mark.parametrize("url", API_ROUTES)
def test_options_on_every_api_route_is_an_empty_204_with_cors(mini_client, url):
    response = mini_client.options(url, headers={"Origin": "https://notebook.example"})
    assert response.status_code == 204 and response.data == b""
    assert "Content-Type" not in response.headers
    assert response.headers["Access-Control-Allow-Origin"] == "*"
    assert response.headers["X-Content-Type-Options"] == "nosniff"


def test_options_on_an_unknown_api_route_is_a_json_404_with_cors(mini_client):
    response = mini_client.options("/api/nope")
    assert response.status_code == 404 and response.content_type.startswith("application/json")
    assert response.get_json()["error"]["code"] == "not_found"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


@pytest.mark.parametrize(("url", "status"), [("/api/search?page=x", 400), ("/api/search?q=date:[2025+TO", 400),
                                             ("/api/articles/no-such-article", 404), ("/api/authors/nobody-at-all", 404),
                                             ("/api/nope", 404), ("/api/export?format=xlsx", 400),
                                             ("/api/facets/colour", 400)])
def test_if_none_match_star_never_hides_an_error(mini_client, url, status):
    response = mini_client.get(url, headers={"If-None-Match": "*"})
    assert response.status_code == status
    assert response.get_json()["error"]["code"]
    assert "ETag" not in response.headers and response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("url", ["/api/search?q=oil", "/api/articles/wire-oil-prices", "/api/export?q=oil", "/api/stats"])
def test_if_none_match_star_is_a_304_for_an_answer_that_exists(mini_client, url):
    response = mini_client.get(url, headers={"If-None-Match": "*"})
    assert response.status_code == 304 and response.data == b"" and "Content-Type" not in response.headers
    assert response.headers["ETag"].startswith('W/"')
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Access-Control-Allow-Origin"] == "*"


PYTHON_SPEAK = ("invalid literal", "base 10", "index out of range", "int()", "float()", "Traceback", "NoneType",
                "object has no attribute", "unsupported operand", "Exceeds the limit", "codec", "Error(")
ODD_VALUES = ["x", "1.5", "1e3", " ", "+-5", "--1", "0x10", "١", "１２", "9" * 5000, "1_000", "\x00", "[]", "-", "2025-",
              "2025--01", "2025-13-01", "99999-01", "2024-02-30", "0000", "2025-1-1-1", "%", "1,2"]


@pytest.mark.parametrize("param", ["page", "per_page", "facet_size", "from", "to", "year", "sort", "highlight", "facet",
                                   "format", "fields", "bom", "formulas", "prefix"])
def test_parameter_errors_say_what_is_wrong_in_the_users_words(mini_client, param):
    for value in ODD_VALUES:
        for path in ("/api/search", "/api/export", "/api/authors", "/api/facets/author"):
            response = mini_client.get(path, query_string={param: value})
            response.get_data()
            response.close()
            assert response.status_code in (200, 400), (path, param, value, response.status_code)
            if response.status_code == 400:
                error = response.get_json()["error"]
                assert error["param"] == param, (path, param, value, error)
                assert not any(phrase in error["message"] for phrase in PYTHON_SPEAK), (path, param, value, error)
                assert len(error["message"]) < 300
