"""Keywords (keyness), compared queries, shares and provenance on the generated fixture corpus.

Every number is worked out again here from the stored texts of the articles (their API answers),
tokenised with the analysis module and counted in plain Python, without the token store.
"""

from __future__ import annotations

import csv
import functools
import hashlib
import io
import itertools
import json
import math
import zipfile
from collections import Counter
from datetime import date

import pytest

from concord_support import build_app, documents
from corpus import analysis
from corpus.ingest import ingest
from support import make_settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    app = build_app(tmp_path_factory.mktemp("research"))
    with app.test_client() as c:
        yield c


@pytest.fixture(scope="module")
def texts(client) -> dict[str, dict]:
    return {doc["id"]: client.get(f"/api/articles/{doc['id']}").get_json() for doc in documents()}


def _ids(client, params: dict) -> set[str]:
    rows = client.get("/api/export", query_string={**params, "format": "jsonl", "fields": "id"}).get_data(as_text=True)
    return {json.loads(line)["id"] for line in rows.splitlines() if line}


def _units(art: dict, n: int) -> list[str]:
    """The words (or phrases of n words, inside the title or the body) of an article, folded."""
    out = []
    for text in (art["title"], art["body"]):
        forms = [analysis.fold(t.text) for t in analysis.analyze(text, art["language"])]
        out += [" ".join(forms[i:i + n]) for i in range(len(forms) - n + 1)]
    return out


def _side(texts: dict[str, dict], ids: set[str], n: int) -> tuple[Counter, Counter, int]:
    tf: Counter = Counter()
    df: Counter = Counter()
    for doc_id in ids:
        units = _units(texts[doc_id], n)
        tf.update(units)
        df.update(set(units))
    return tf, df, sum(tf.values())


def _g2(a: int, b: int, c: int, d: int) -> float:
    e1, e2 = c * (a + b) / (c + d), d * (a + b) / (c + d)
    return 2 * ((a * math.log(a / e1) if a else 0) + (b * math.log(b / e2) if b else 0))


@functools.cache
def _chi2_sf(x: float) -> float:
    """P(chi-square with 1 degree of freedom >= x), by integrating its density numerically (no erfc)."""
    if x <= 0:
        return 1.0
    # P = 1 - P(|Z| < sqrt(x)); the normal density integrated by Simpson's rule over [0, sqrt(x)].
    z, steps = math.sqrt(x), 2000
    h = z / steps
    f = [math.exp(-(i * h) ** 2 / 2) for i in range(steps + 1)]
    area = h / 3 * (f[0] + f[-1] + 4 * sum(f[1:-1:2]) + 2 * sum(f[2:-1:2]))
    return max(0.0, 1 - 2 * area / math.sqrt(2 * math.pi))


def oracle(texts, target: set[str], reference: set[str], n: int, minimum: int, stops=frozenset()):
    ta, tda, c = _side(texts, target, n)
    tb, tdb, d = _side(texts, reference, n)
    over, under = {}, {}
    for word in set(ta) | set(tb):
        parts = word.split(" ")
        if parts[0] in stops or parts[-1] in stops:
            continue
        a, b = ta[word], tb[word]
        g2 = _g2(a, b, c, d)
        row = {"target_frequency": a, "reference_frequency": b, "target_documents": tda[word],
               "reference_documents": tdb[word], "target_per_million": a * 1e6 / c, "reference_per_million": b * 1e6 / d,
               "p": _chi2_sf(g2), "log_ratio": math.log2(((a or 0.5) / c) / ((b or 0.5) / d)),
               "low_count": a < 5 or b < 5}
        if a * d > b * c and a >= minimum:
            over[word] = {**row, "g2": g2}
        elif a * d < b * c and b >= minimum:
            under[word] = {**row, "g2": -g2}
    return over, under, c, d


def _close(x: float, y: float, rel: float = 1e-3, abs_: float = 2e-4) -> bool:
    return math.isclose(x, y, rel_tol=rel, abs_tol=abs_)


def _check(answer: dict, over: dict, under: dict, c: int, d: int, sort: str = "g2") -> None:
    assert answer["target_tokens"] == c and answer["reference_tokens"] == d
    assert answer["candidates"] == {"over": len(over), "under": len(under)}
    for listed, expected in ((answer["over"], over), (answer["under"], under)):
        assert [x["word"] for x in listed] and {x["word"] for x in listed} == set(expected)  # the whole list
        for row in listed:
            want = expected[row["word"]]
            for key in ("target_frequency", "reference_frequency", "target_documents", "reference_documents", "low_count"):
                assert row[key] == want[key], (row["word"], key)
            for key in ("target_per_million", "reference_per_million", "g2", "log_ratio"):
                assert _close(row[key], want[key]), (row["word"], key, row[key], want[key])
            assert _close(row["p"], want["p"], rel=1e-3, abs_=1e-6), (row["word"], row["p"], want["p"])
        key = "g2" if sort == "g2" else "log_ratio"
        values = [abs(x[key]) for x in listed]
        assert all(x >= y - 1e-3 for x, y in itertools.pairwise(values)), f"not sorted by {key}"


def test_keywords_of_a_search_against_the_rest(client, texts):
    target = _ids(client, {"q": "opec"})
    rest = set(texts) - target
    answer = client.get("/api/keywords", query_string={"q": "opec", "limit": 1000, "min": 2}).get_json()
    assert answer["target_documents"] == len(target) and answer["reference_documents"] == len(rest)
    _check(answer, *oracle(texts, target, rest, 1, 2))
    assert answer["over"][0]["word"] == "opec" and answer["over"][0]["reference_frequency"] == 0


def test_phrases_of_two_words_against_the_corpus_sorted_by_log_ratio(client, texts):
    target = _ids(client, {"q": "grain", "source": "Reuters"})
    answer = client.get("/api/keywords", query_string={"q": "grain", "source": "Reuters", "vs": "corpus", "ngram": 2,
                                                         "sort": "logratio", "limit": 1000, "stop": "en"}).get_json()
    assert answer["ngram"] == 2 and answer["stop"] == ["en"]
    _check(answer, *oracle(texts, target, set(texts), 2, 3, analysis.stop_words_of("en")), sort="logratio")


def test_phrases_of_three_words_against_a_second_search(client, texts):
    target = _ids(client, {"source": "Reuters", "from": "1986", "to": "1987"})
    reference = _ids(client, {"q": "wheat OR rates"})
    answer = client.get("/api/keywords", query_string={"source": "Reuters", "from": "1986", "to": "1987", "vs_q": "wheat OR rates",
                                                         "ngram": 3, "min": 2, "limit": 1000}).get_json()
    assert answer["vs"] == "search" and answer["reference"]["q"] == "wheat OR rates"
    assert answer["target_documents"] == len(target) and answer["reference_documents"] == len(reference)
    _check(answer, *oracle(texts, target, reference, 3, 2))


def _check_top(answer: dict, over: dict, under: dict, c: int, d: int, limit: int) -> None:
    """A list cut at `limit`: its rows are the oracle's, and they are the oracle's `limit` highest G²."""
    assert answer["target_tokens"] == c and answer["reference_tokens"] == d
    assert answer["candidates"] == {"over": len(over), "under": len(under)}
    for listed, expected in ((answer["over"], over), (answer["under"], under)):
        assert len(listed) == min(limit, len(expected))
        for row in listed:
            want = expected[row["word"]]
            for key in ("target_frequency", "reference_frequency", "target_documents", "reference_documents"):
                assert row[key] == want[key], (row["word"], key)
            assert _close(row["g2"], want["g2"]), row["word"]
        best = sorted((abs(x["g2"]) for x in expected.values()), reverse=True)[:limit]
        assert all(_close(abs(x["g2"]), y) for x, y in zip(listed, best, strict=True))


@pytest.mark.parametrize("dates", [{}, {"from": "1986"}, {"from": "1986", "to": "1987"}],
                         ids=["whole corpus", "most of it", "under half"])
@pytest.mark.parametrize("n", [1, 2, 3])
def test_short_lists_against_the_rest_under_date_filters(client, texts, dates, n):
    # The rest of the corpus is read from each part's unit counts, less the rows the dates leave out
    # (or, when those are more than the rows kept, by counting the kept rows): both ways give the oracle.
    target = _ids(client, {"q": "oil", **dates})
    rest = _ids(client, dates) - target
    for limit in (3, 1000):
        answer = client.get("/api/keywords", query_string={"q": "oil", **dates, "ngram": n, "min": 1, "limit": limit}).get_json()
        assert answer["target_documents"] == len(target) and answer["reference_documents"] == len(rest)
        _check_top(answer, *oracle(texts, target, rest, n, 1), limit)


def test_keywords_after_incremental_ingests_and_on_a_build_without_unit_counts(tmp_path):
    # Two more ingests add parts to the token store and leave replaced and deleted rows dead in the
    # first: the counts kept per part must be read less those rows.
    app = build_app(tmp_path)
    data = tmp_path / "data"
    docs = [json.loads(line) for line in (data / "docs.jsonl").read_text("utf-8").splitlines()]
    docs[5]["body"] = "crude oil prices rose sharply. the market said crude oil fell."
    del docs[9]
    (data / "docs.jsonl").write_text("\n".join(json.dumps(d) for d in docs) + "\n", encoding="utf-8")
    assert ingest([data], make_settings(tmp_path), progress=False).exit_code == 0
    (data / "more.jsonl").write_text(json.dumps({"id": "extra", "title": "Crude oil", "body": "crude oil rose. oil rose.",
                                                 "language": "en", "date": "1987-02-03"}) + "\n", encoding="utf-8")
    assert ingest([data], make_settings(tmp_path), progress=False).exit_code == 0
    build = next(p for p in (tmp_path / "index" / "builds").iterdir() if (p / "tokens.json").exists()
                 and p.resolve() == (tmp_path / "index" / "current").resolve())
    manifest = json.loads((build / "tokens.json").read_text("utf-8"))
    assert len(manifest["parts"]) == 3 and manifest["parts"][0]["dead"]
    assert all(part["ngrams"]["n"] == [2, 3] for part in manifest["parts"])
    with app.test_client() as c:
        texts = {doc_id: c.get(f"/api/articles/{doc_id}").get_json() for doc_id in _ids(c, {})}
        assert len(texts) == len(docs) + 1

        def check() -> None:
            for q, n in (("crude", 2), ("crude", 3), ("opec", 2), ("zurich", 3)):
                target = _ids(c, {"q": q})
                answer = c.get("/api/keywords", query_string={"q": q, "ngram": n, "min": 1, "limit": 1000}).get_json()
                _check_top(answer, *oracle(texts, target, set(texts) - target, n, 1), 1000)

        check()
        # A build written before parts kept their unit counts: the reference is counted instead.
        for part in manifest["parts"]:
            del part["ngrams"]
        (build / "tokens.json").write_text(json.dumps(manifest), encoding="utf-8")
        check()


def test_each_word_links_to_the_concordance_of_the_query_plus_the_word(client):
    answer = client.get("/api/keywords", query_string={"q": "opec", "source": "Reuters", "limit": 3}).get_json()
    link = answer["over"][0]["concordance"]
    assert link.startswith("/concordance?")
    page = client.get(link)
    assert page.status_code == 200
    lines = client.get("/api" + link + "&per_page=1").get_json()
    assert lines["q"] == f'(opec) "{answer["over"][0]["word"]}"' and lines["filters"] == {"source": ["Reuters"]}
    assert lines["occurrences"] > 0


def _wilson(k: int, n: int) -> tuple[float, float]:
    z = 1.959963984540054
    p = k / n
    centre = (p + z * z / (2 * n)) / (1 + z * z / n)
    half = z / (1 + z * z / n) * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n))
    return centre - half, centre + half


def test_compare_counts_shares_intervals_and_overlaps(client, texts):
    params = {"q1": "opec", "label1": "OPEC", "q2": "grain", "q3": "rates -opec", "source": ["Reuters", "Wire Service"],
              "interval": "year"}
    answer = client.get("/api/compare", query_string=params).get_json()
    shared = {"source": ["Reuters", "Wire Service"]}
    sets = [_ids(client, {"q": q, **shared}) for q in ("opec", "grain", "rates -opec")]
    subcorpus = _ids(client, shared)
    assert [q["label"] for q in answer["queries"]] == ["OPEC", "grain", "rates -opec"]
    assert [q["total"] for q in answer["queries"]] == [len(s) for s in sets]
    assert answer["subcorpus"] == len(subcorpus)
    year = {i: (texts[i]["date"] or "")[:4] for i in texts}
    for period in answer["periods"]:
        n = sum(1 for i in subcorpus if year[i] == period["period"])
        assert period["denominator"] == n
        for cell, ids in zip(period["series"], sets, strict=True):
            k = sum(1 for i in ids if year[i] == period["period"])
            assert cell["count"] == k
            if n:
                lo, hi = _wilson(k, n)
                assert _close(cell["share"], k / n, abs_=1e-6) and _close(cell["share_low"], lo, abs_=1e-6)
                assert _close(cell["share_high"], hi, abs_=1e-6)
                assert cell["share_low"] <= cell["share"] <= cell["share_high"]
            assert cell["low_count"] == (n < 30 or k < 5)
    # every dated match is in one period
    for q, ids in zip(answer["queries"], sets, strict=True):
        assert sum(p["series"][answer["queries"].index(q)]["count"] for p in answer["periods"]) + q["undated"] == len(ids)
    for i, a in enumerate(sets):
        for j, b in enumerate(sets):
            assert answer["overlap"]["documents"][i][j] == len(a & b)
            assert _close(answer["overlap"]["jaccard"][i][j], len(a & b) / len(a | b), abs_=1e-6)
    for name, values in answer["queries"][0]["facets"].items():
        for v in values:
            if name == "source":
                assert v["count"] == sum(1 for i in sets[0] if texts[i]["source"] == v["value"])
                assert v["corpus_count"] == sum(1 for i in texts if texts[i]["source"] == v["value"])


def test_compare_exports_series_and_overlap_as_csv_with_provenance(client):
    params = {"q1": "opec", "q2": "=Café", "label2": "=HYPERLINK(1)"}
    answer = client.get("/api/compare", query_string=params).get_json()
    series = client.get("/api/compare", query_string={**params, "format": "csv"}).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(series)))
    assert rows[0][0].startswith("# corpus comparison (series): ")
    note = json.loads(rows[0][0].split(": ", 1)[1])
    assert note["queries"][1]["q"] == "=Café" and note["index"]["build"] == answer["provenance"]["index"]["build"]
    assert rows[1][:4] == ["period", "start", "end", "denominator"]
    assert len(rows) == 2 + 2 * len(answer["periods"])
    assert all(r[5] == "'=HYPERLINK(1)" for r in rows[2:] if r[4] == "2")  # the label is neutralised
    first = answer["periods"][0]
    assert rows[2][3] == str(first["denominator"]) and rows[2][7] == str(first["series"][0]["count"])
    overlap = list(csv.reader(io.StringIO(client.get("/api/compare", query_string={**params, "format": "csv", "table": "overlap"})
                                          .get_data(as_text=True))))
    assert overlap[1] == ["query_a", "label_a", "query_b", "label_b", "overlap", "jaccard"]
    assert int(overlap[3][4]) == answer["overlap"]["documents"][0][1]


def test_search_facets_and_timeline_carry_the_corpus_count(client, texts):
    answer = client.get("/api/search", query_string={"q": "opec", "from": "1986", "to": "1987"}).get_json()
    in_dates = [i for i in texts if texts[i]["date"] and "1986" <= texts[i]["date"][:4] <= "1987"]
    for v in answer["facets"]["source"]:
        of = sum(1 for i in in_dates if texts[i]["source"] == v["value"])
        assert v["corpus_count"] == of and _close(v["share"], v["count"] / of, abs_=1e-6)
    for b in answer["timeline"]["buckets"]:
        assert b["share"] == (round(b["count"] / b["corpus_count"], 6) if b["corpus_count"] else None)
    note = answer["provenance"]
    assert note["queries"][0]["q"] == "opec" and note["queries"][0]["from"] == "1986-01-01"
    assert note["counts"]["total"] == answer["total"] and note["software"]["name"] == "corpus"
    assert note["index"]["build"] == answer["index"]["build"] and note["generated"].endswith("Z")


def test_the_search_page_timeline_shows_shares_without_javascript(client):
    counts = client.get("/search", query_string={"q": "opec"}).get_data(as_text=True)
    shares = client.get("/search", query_string={"q": "opec", "scale": "shares"}).get_data(as_text=True)
    assert "scale=shares" in counts and "Share of the period" in shares
    assert "Cite this search" in counts and "format=bundle" in counts


@pytest.mark.parametrize("url", ["/keywords", "/keywords?q=opec&min=1&ngram=2", "/keywords?q=opec&vs_q=grain&stop=true",
                                 "/compare", "/compare?q1=opec&label1=%3Cb%3EO%3C/b%3E&q2=grain&scale=shares",
                                 "/compare?q1=opec&q2=grain&q3=rates&source=Reuters&interval=month"])
def test_the_research_pages_render_their_numbers_escaped(client, url):
    resp = client.get(url)
    assert resp.status_code == 200
    html = resp.get_data(as_text=True)
    assert "<b>O</b>" not in html
    if "q1=" in url:
        answer = client.get("/api" + url.replace("&scale=shares", "")).get_json()
        assert f'<td class="num">{answer["periods"][0]["denominator"]}</td>' in html
        assert "Cite this comparison" in html and "format=bundle" in html
    elif "q=" in url:
        answer = client.get("/api" + url).get_json()
        assert answer["over"][0]["word"] in html and "Cite this list" in html


def _bundle(client, params: dict) -> tuple[bytes, dict, zipfile.ZipFile]:
    resp = client.get("/api/export", query_string={**params, "format": "bundle"})
    assert resp.status_code == 200 and resp.mimetype == "application/zip"
    z = zipfile.ZipFile(io.BytesIO(resp.data))
    return resp.data, json.loads(z.read("provenance.json")), z


def test_a_bundle_is_the_same_bytes_twice_and_its_digest_checks(client):
    params = {"q": "opec OR grain", "source": "Reuters", "sort": "oldest"}
    _, note1, z1 = _bundle(client, params)
    _, note2, z2 = _bundle(client, params)
    assert z1.namelist() == ["data.csv", "SHA256SUMS", "provenance.json"]
    data = z1.read("data.csv")
    assert data == z2.read("data.csv")
    digest = hashlib.sha256(data).hexdigest()
    assert z1.read("SHA256SUMS").decode() == f"{digest}  data.csv\n"
    assert note1["files"]["data.csv"] == {"sha256": digest, "bytes": len(data)}
    assert {k: v for k, v in note1.items() if k != "generated"} == {k: v for k, v in note2.items() if k != "generated"}
    assert [i.date_time for i in z1.infolist()] == [(1980, 1, 1, 0, 0, 0)] * 3
    # The data file is the CSV export, row for row.
    assert data == client.get("/api/export", query_string={**params, "format": "csv"}).data
    assert note1["counts"]["total"] == len(_ids(client, params))
    assert note1["queries"][0]["parsed"] and note1["queries"][0]["filters"] == {"source": ["Reuters"]}


def test_after_a_new_ingest_the_provenance_names_the_new_build(tmp_path):
    app = build_app(tmp_path)
    with app.test_client() as c:
        _, before, _ = _bundle(c, {"q": "opec"})
        (tmp_path / "data" / "more.jsonl").write_text(json.dumps({"id": "extra", "title": "OPEC again", "body": "opec oil",
                                                                   "language": "en"}) + "\n", encoding="utf-8")
        assert ingest([tmp_path / "data"], make_settings(tmp_path), progress=False).exit_code == 0
        _, after, _ = _bundle(c, {"q": "opec"})
        assert after["index"]["build"] != before["index"]["build"]
        assert after["counts"]["total"] == before["counts"]["total"] + 1
        kw = c.get("/api/keywords", query_string={"q": "opec"}).get_json()
        assert kw["provenance"]["index"]["build"] == after["index"]["build"]


def test_keyword_csv_and_bundle(client):
    resp = client.get("/api/keywords", query_string={"q": "opec", "format": "csv", "limit": 5})
    rows = list(csv.reader(io.StringIO(resp.get_data(as_text=True))))
    assert rows[0][0].startswith("# corpus keywords: ") and rows[1][0] == "word"
    answer = client.get("/api/keywords", query_string={"q": "opec", "limit": 5}).get_json()
    assert [r[0] for r in rows[2:]] == [x["word"] for x in answer["over"] + answer["under"]]
    z1 = zipfile.ZipFile(io.BytesIO(client.get("/api/keywords", query_string={"q": "opec", "format": "bundle"}).data))
    z2 = zipfile.ZipFile(io.BytesIO(client.get("/api/keywords", query_string={"q": "opec", "format": "bundle"}).data))
    assert z1.read("keywords.csv") == z2.read("keywords.csv") and z1.read("keywords.csv").startswith(b"word,")


HOSTILE = [
    ("/api/keywords", {"vs": "elsewhere"}), ("/api/keywords", {"vs": "rest", "vs_q": "oil"}),
    ("/api/keywords", {"vs_q": "x" * 5000}), ("/api/keywords", {"vs_from": "1987-13"}), ("/api/keywords", {"vs_source": "x" * 500}),
    ("/api/keywords", {"sort": "chi2"}), ("/api/keywords", {"min": "0"}), ("/api/keywords", {"min": "9" * 40}),
    ("/api/keywords", {"ngram": "4"}), ("/api/keywords", {"ngram": "two"}), ("/api/keywords", {"stop": "klingon"}),
    ("/api/keywords", {"limit": "100000"}), ("/api/keywords", {"format": "xlsx"}), ("/api/keywords", {"from": "x"}),
    ("/api/compare", {"q": "oil"}), ("/api/compare", {"q7": "oil"}), ("/api/compare", {"label1": "x" * 200}),
    ("/api/compare", {"label3": "orphan"}), ("/api/compare", {"q2": "x" * 5000}), ("/api/compare", {"interval": "week"}),
    ("/api/compare", {"table": "pivot"}), ("/api/compare", {"format": "pdf"}), ("/api/compare", {"facet_size": "-1"}),
    ("/api/export", {"format": "tarball"}), ("/api/search", {"scale": "log"}),
    ("/keywords", {"ngram": "9"}), ("/compare", {"q9": "x"}), ("/search", {"scale": "<script>"}),
]


@pytest.mark.parametrize(("path", "params"), HOSTILE)
def test_hostile_parameters_get_a_clear_400(client, path, params):
    base = {"q1": "opec"} if "compare" in path else {"q": "opec"}
    if path.endswith("compare") and "q" in params:
        base = {}
    resp = client.get(path, query_string={**base, **params})
    if path == "/api/search":  # the API does not draw a timeline: scale is the page's
        assert resp.status_code == 200
        return
    assert resp.status_code == 400, (path, params, resp.status_code, resp.get_data(as_text=True)[:300])
    if path.startswith("/api/"):
        error = resp.get_json()["error"]
        assert error["code"] == "bad_request" and len(error["message"]) < 400, error
        assert error["param"] in (*params, "vs", "q1"), error
    else:
        assert "<script>" not in resp.get_data(as_text=True)


def test_vs_searches_and_compared_queries_honour_the_query_time_limit(tmp_path):
    from corpus.web import create_app
    build_app(tmp_path)
    app = create_app(make_settings(tmp_path, query_time_limit=1e-9))
    with app.test_client() as c:
        for path, params in (("/api/keywords", {"vs_q": "opec"}), ("/api/compare", {"q1": "opec", "q2": "grain"}),
                             ("/api/keywords", {"q": "opec"})):
            resp = c.get(path, query_string=params)
            assert resp.status_code == 503 and resp.get_json()["error"]["code"] == "query_timeout", (path, resp.status_code)


def test_dates_of_the_fixture_are_what_the_compare_test_reads(texts):
    assert all(t["date"] is None or date.fromisoformat(t["date"][:10]) for t in texts.values())
