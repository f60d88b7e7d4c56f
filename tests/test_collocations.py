"""Collocations against an independent computation, sliced tables that add up, and hostile parameters."""

from __future__ import annotations

import math
import re
from collections import Counter

import pytest

from concord_support import build_app, documents
from corpus import analysis

WORD_RE = re.compile(r"\w+(?:\.\w+)*")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    app = build_app(tmp_path_factory.mktemp("collocations"))
    with app.test_client() as c:
        yield c


@pytest.fixture(scope="module")
def texts(client) -> dict[str, dict]:
    out = {}
    for doc in documents():
        out[doc["id"]] = client.get(f"/api/articles/{doc['id']}").get_json()
    return out


def _g2(o11: float, o12: float, o21: float, o22: float) -> float:
    n = o11 + o12 + o21 + o22
    rows, cols = (o11 + o12, o21 + o22), (o11 + o21, o12 + o22)
    total = 0.0
    for observed, r, c in ((o11, 0, 0), (o12, 0, 1), (o21, 1, 0), (o22, 1, 1)):
        expected = rows[r] * cols[c] / n
        if observed:
            total += observed * math.log(observed / expected)
    return 2 * total


def oracle(texts: dict[str, dict], node: str, left: int, right: int, keep=lambda art: True) -> dict:
    """Window counts and measures worked out from the stored texts, without the token store."""
    term = analysis.analyzer("en").term(node)
    observed: Counter[str] = Counter()
    frequency: Counter[str] = Counter()
    n_tokens = slots = f_node = 0
    for art in texts.values():
        if not keep(art):
            continue
        for field in ("title", "body"):
            words = WORD_RE.findall(art[field] or "")
            forms = [analysis.fold(w) for w in words]
            frequency.update(forms)
            n_tokens += len(words)
            for i, w in enumerate(words):
                if analysis.analyzer("en").term(w) != term:
                    continue
                f_node += 1
                window = forms[max(0, i - left):i] + forms[i + 1:i + 1 + right]
                slots += len(window)
                observed.update(window)
    rows = {}
    for form, o in observed.items():
        f_c = frequency[form]
        e = slots * f_c / n_tokens
        g2 = _g2(o, slots - o, f_c - o, n_tokens - slots - f_c + o)
        rows[form] = {"observed": o, "frequency": f_c, "expected": e, "mi": math.log2(o / e),
                      "logdice": 14 + math.log2(2 * o / (f_node + f_c)), "g2": g2 if o >= e else -g2}
    return {"rows": rows, "node_frequency": f_node, "window_tokens": slots, "corpus_tokens": n_tokens}


@pytest.mark.parametrize(("node", "left", "right"), [("oil", 5, 5), ("rates", 3, 2), ("said", 0, 4)])
def test_measures_equal_an_independent_computation(client, texts, node, left, right):
    expected = oracle(texts, node, left, right)
    data = client.get("/api/collocations", query_string={"q": node, "left": left, "right": right, "min": 1,
                                                         "limit": 1000}).get_json()
    assert data["node_frequency"] == expected["node_frequency"] > 0
    assert data["window_tokens"] == expected["window_tokens"]
    assert data["corpus_tokens"] == expected["corpus_tokens"]
    got = {row["word"]: row for row in data["collocates"]}
    assert set(got) == set(expected["rows"])
    for word, want in expected["rows"].items():
        row = got[word]
        assert row["observed"] == want["observed"] and row["frequency"] == want["frequency"], word
        for measure in ("expected", "mi", "logdice", "g2"):
            assert row[measure] == pytest.approx(want[measure], abs=1e-3), (word, measure)


@pytest.mark.parametrize("sort", ["logdice", "g2", "mi", "observed", "expected", "frequency"])
def test_sorted_by_each_measure_and_min(client, texts, sort):
    data = client.get("/api/collocations", query_string={"q": "oil", "sort": sort, "min": 3, "limit": 1000}).get_json()
    values = [(row[sort], row["word"]) for row in data["collocates"]]
    assert values == sorted(values, key=lambda p: (-p[0], p[1]))
    expected = oracle(texts, "oil", 5, 5)["rows"]
    assert {row["word"] for row in data["collocates"]} == {w for w, r in expected.items() if r["observed"] >= 3}


def test_stop_words_are_kept_unless_asked(client):
    kept = {r["word"] for r in client.get("/api/collocations?q=oil&min=1&limit=1000").get_json()["collocates"]}
    dropped = {r["word"] for r in client.get("/api/collocations?q=oil&min=1&limit=1000&stop=true").get_json()["collocates"]}
    assert {"the", "of", "to"} <= kept
    assert not {"the", "of", "to", "a", "in"} & dropped
    assert dropped == {w for w in kept if w not in analysis.stop_words_of("en")}


@pytest.mark.parametrize("by", ["year", "source", "language"])
def test_sliced_tables_add_up_to_the_unsliced_one(client, by):
    params = {"q": "oil", "min": 1, "limit": 1000, "by": by}
    data = client.get("/api/collocations", query_string=params).get_json()
    assert len(data["slices"]) >= 1
    for key in ("node_frequency", "documents", "window_tokens", "corpus_tokens"):
        assert sum(s[key] for s in data["slices"]) == data[key], key
    whole = {r["word"]: r for r in data["collocates"]}
    for measure in ("observed", "frequency"):
        summed: Counter[str] = Counter()
        for s in data["slices"]:
            for r in s["collocates"]:
                summed[r["word"]] += r[measure]
        if measure == "observed":
            assert dict(summed) == {w: r["observed"] for w, r in whole.items()}
        else:
            # a word seen in a slice's windows counts its corpus frequency in that slice only
            assert all(summed[w] <= r["frequency"] for w, r in whole.items())


def test_filtered_collocations_are_relative_to_the_filtered_corpus(client, texts):
    expected = oracle(texts, "oil", 5, 5, keep=lambda art: art["source"] == "Reuters")
    data = client.get("/api/collocations", query_string={"q": "oil", "source": "Reuters", "min": 1, "limit": 1000}).get_json()
    assert data["corpus_tokens"] == expected["corpus_tokens"]
    assert {r["word"]: r["observed"] for r in data["collocates"]} == {w: r["observed"] for w, r in expected["rows"].items()}


def test_concordance_of_node_and_collocate_link(client):
    """Each collocate leads to the concordance of the node with that word near it."""
    data = client.get("/collocations?q=oil&min=1")
    assert data.status_code == 200
    html = data.get_data(as_text=True)
    assert "/concordance?q=oil&amp;near=crude" in html or "near=crude" in html


HOSTILE = [
    ("/api/concordance", {"width": "x"}), ("/api/concordance", {"width": "0"}), ("/api/concordance", {"width": "41"}),
    ("/api/concordance", {"width": "9" * 30}), ("/api/concordance", {"width": "1e3"}), ("/api/concordance", {"width": "-1"}),
    ("/api/concordance", {"sort": "R9"}), ("/api/concordance", {"sort": "R1,R1"}), ("/api/concordance", {"sort": "relevance"}),
    ("/api/concordance", {"sort": "L1," * 50}), ("/api/concordance", {"sort": "<script>"}),
    ("/api/concordance", {"sample": "0"}), ("/api/concordance", {"sample": "many"}),
    ("/api/concordance", {"sample": "99999999999999999999"}), ("/api/concordance", {"seed": "-3"}),
    ("/api/concordance", {"by": "colour"}), ("/api/concordance", {"by": "x" * 5000}), ("/api/concordance", {"cut": "word"}),
    ("/api/concordance", {"page": "0"}), ("/api/concordance", {"per_page": "100000"}),
    ("/api/concordance/export", {"format": "xlsx"}), ("/api/concordance/export", {"sort": "R7"}),
    ("/api/collocations", {"window": "x"}), ("/api/collocations", {"window": "0"}), ("/api/collocations", {"window": "11"}),
    ("/api/collocations", {"window": "10" * 20}), ("/api/collocations", {"left": "0", "right": "0"}),
    ("/api/collocations", {"min": "0"}), ("/api/collocations", {"min": "three"}), ("/api/collocations", {"min": "9" * 40}),
    ("/api/collocations", {"sort": "t-score"}), ("/api/collocations", {"by": "colour"}), ("/api/collocations", {"stop": "maybe"}),
    ("/api/collocations", {"limit": "0"}),
    ("/concordance", {"width": "x"}), ("/concordance", {"sort": "R9"}), ("/collocations", {"window": "x"}),
    ("/collocations", {"min": "-1"}), ("/concordance", {"by": "colour"}), ("/collocations", {"by": "colour"}),
    ("/concordance", {"sample": "x"}),
]


@pytest.mark.parametrize(("path", "params"), HOSTILE)
def test_hostile_parameters_get_a_clear_400(client, path, params):
    resp = client.get(path, query_string={"q": "oil", **params})
    assert resp.status_code == 400, (path, params, resp.status_code)
    name = next(iter(params))
    if path.startswith("/api/"):
        error = resp.get_json()["error"]
        assert error["code"] == "bad_request" and error["param"] == name, error
        assert len(error["message"]) < 300
    else:
        assert "<script>" not in resp.get_data(as_text=True)
