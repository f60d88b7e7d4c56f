"""The concordance against brute force: every line, count, sort order and export row.

The oracle reads each article's stored text back from the API, finds its words with a regular
expression of its own, and looks the query up by each word's index term (`analysis.term`, the
definition of what a word stands for); lines, sort keys and counts are then worked out here.
"""

from __future__ import annotations

import csv
import io
import json
import re
from pathlib import Path

import pytest

from concord_support import build_app, documents
from corpus import analysis
from corpus.concord import lines as lines_module
from corpus.concord import store as token_store
from corpus.ingest import ingest
from corpus.web import create_app
from support import make_settings


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory):
    app = build_app(tmp_path_factory.mktemp("concordance"))
    with app.test_client() as c:
        yield c


@pytest.fixture(scope="module")
def stored(client) -> dict[str, dict]:
    """Every article as the API gives it back: the stored text and metadata."""
    out = {}
    for doc in documents():
        resp = client.get(f"/api/articles/{doc['id']}")
        assert resp.status_code == 200
        out[doc["id"]] = resp.get_json()
    return out


WORD_RE = re.compile(r"\w+(?:\.\w+)*")


def _tokens(text: str) -> list[tuple[str, int, int]]:
    return [(m.group(), m.start(), m.end()) for m in WORD_RE.finditer(text)]


def _term(word: str) -> str:
    return analysis.analyzer("en").term(word)


def _squash(text: str) -> str:
    return " ".join(text.split())


def brute(stored: dict[str, dict], match, width: int = 8, keep=lambda a: True) -> list[dict]:
    """Every occurrence in document order: (id, field, position) with its context cut by hand.

    `match(terms, i)` gives the length of a match starting at token i, or 0.
    """
    lines = []
    for doc_id in sorted(stored):
        art = stored[doc_id]
        if not keep(art):
            continue
        for field in ("title", "body"):
            text = art[field] or ""
            toks = _tokens(text)
            terms = [_term(w) for w, _, _ in toks]
            for i in range(len(toks)):
                n = match(terms, i)
                if not n:
                    continue
                lo, hi = max(0, i - width), min(len(toks), i + n + width)
                left = text[toks[lo][1]:toks[i][1]] if lo < i else ""
                right = text[toks[i + n - 1][2]:toks[hi - 1][2]] if hi > i + n else ""
                lines.append({
                    "id": doc_id, "field": field, "position": i, "left": _squash(left),
                    "match": _squash(text[toks[i][1]:toks[i + n - 1][2]]), "right": _squash(right),
                    "forms": [analysis.fold(w) for w, _, _ in toks], "end": i + n, "date": art["date"],
                    "source": art["source"],
                })
    return lines


def word(term: str):
    return lambda terms, i: 1 if terms[i] == term else 0


def phrase(*words: str):
    wanted = [_term(w) for w in words]
    return lambda terms, i: len(wanted) if terms[i:i + len(wanted)] == wanted else 0


def prefix(start: str):
    return lambda terms, i: 1 if terms[i].startswith(start) else 0


def _all_lines(client, query: str, **params) -> tuple[dict, list[dict]]:
    first = client.get("/api/concordance", query_string={"q": query, "per_page": 500, **params})
    assert first.status_code == 200, first.get_data(as_text=True)
    data = first.get_json()
    lines = list(data["lines"])
    for page in range(2, data["pages"] + 1):
        more = client.get("/api/concordance", query_string={"q": query, "per_page": 500, "page": page, **params})
        lines += more.get_json()["lines"]
    return data, lines


CASES = {
    "word": ("oil", word(_term("oil")), {}),
    "phrase": ('"crude oil"', phrase("crude", "oil"), {}),
    "prefix": ("expo*", prefix("expo"), {}),
    "accented": ("zurich", word(_term("zurich")), {}),
    "filtered": ("rates", word(_term("rates")), {"source": "Reuters"}),
}


def _keep(params: dict):
    if "source" in params:
        return lambda art: art["source"] == params["source"]
    return lambda art: True


@pytest.mark.parametrize("name", sorted(CASES))
def test_lines_and_counts_equal_brute_force(client, stored, name):
    query, match, params = CASES[name]
    expected = brute(stored, match, keep=_keep(params))
    assert expected, "the fixture must hold occurrences of every case"
    data, lines = _all_lines(client, query, **params)
    assert data["occurrences"] == len(expected) == len(lines)
    assert data["documents"] == len({e["id"] for e in expected})
    got = [(x["id"], x["field"], x["position"], x["left"], x["match"], x["right"]) for x in lines]
    assert got == [(e["id"], e["field"], e["position"], e["left"], e["match"], e["right"]) for e in expected]
    for line in lines:
        assert line["title"] == stored[line["id"]]["title"]
        assert line["source"] == stored[line["id"]]["source"]


def _word_key(e: dict, key: str) -> str:
    k = int(key[1:])
    at = e["position"] - k if key[0] == "L" else e["end"] + k - 1
    return e["forms"][at] if 0 <= at < len(e["forms"]) else ""


def _doc_key(e: dict) -> tuple:
    return (e["id"], 0 if e["field"] == "title" else 1, e["position"])


@pytest.mark.parametrize("sort", ["L3", "L2", "L1", "R1", "R2", "R3", "R1,R2", "L1,R1", "date", "source", "source,L1"])
@pytest.mark.parametrize("name", ["word", "phrase", "prefix"])
def test_sort_orders_equal_brute_force(client, stored, name, sort):
    query, match, _ = CASES[name]
    expected = brute(stored, match)
    keys = sort.split(",")

    def key(e: dict) -> tuple:
        out: list = []
        for k in keys:
            if k == "date":
                out.append(e["date"] or "\uffff")
            elif k == "source":
                out.append(e["source"].casefold() if e["source"] else "\uffff")
            else:
                out.append(_word_key(e, k))
        return (*out, *_doc_key(e))

    expected.sort(key=key)
    _, lines = _all_lines(client, query, sort=sort)
    assert [(x["id"], x["field"], x["position"]) for x in lines] == [(e["id"], e["field"], e["position"]) for e in expected]
    assert len(lines) == len(expected)


def test_sorting_folds_case_and_accents(client, stored):
    """Café and cafe (and Zürich and zurich) sort as one word, whatever their case as written."""
    _, lines = _all_lines(client, "oil", sort="R1")
    firsts = [WORD_RE.search(x["right"]) for x in lines]
    keys = [analysis.fold(m.group()) if m else "" for m in firsts]
    assert keys == sorted(keys)
    written = [m.group() for m in firsts if m and analysis.fold(m.group()) == "cafe"]
    assert {"Café", "cafe"} <= set(written)  # both spellings, sorted together as one word


def test_width_and_sentence_cut(client, stored):
    expected = brute(stored, word(_term("oil")), width=3)
    _, lines = _all_lines(client, "oil", width=3)
    assert [(x["left"], x["right"]) for x in lines] == [(e["left"], e["right"]) for e in expected]
    _, cut = _all_lines(client, "oil", width=40, cut="sentence")
    assert len(cut) == len(expected)
    for line in cut:
        assert not re.search(r"[.!?]", line["left"]), line
        assert not re.search(r"[.!?]", line["right"][:-1] if line["right"] else ""), line
    _, wide = _all_lines(client, "oil", width=40)
    assert any(len(a["left"]) > len(b["left"]) for a, b in zip(wide, cut, strict=True))


def test_paging_is_exact_and_sample_is_reproducible(client, stored):
    expected = brute(stored, word(_term("oil")))
    seen = []
    page = 1
    while True:
        data = client.get("/api/concordance", query_string={"q": "oil", "per_page": 7, "page": page}).get_json()
        seen += [(x["id"], x["field"], x["position"]) for x in data["lines"]]
        assert data["occurrences"] == len(expected)
        if page >= data["pages"]:
            break
        page += 1
    assert seen == [(e["id"], e["field"], e["position"]) for e in expected]
    one = client.get("/api/concordance", query_string={"q": "oil", "sample": 5, "seed": 9}).get_json()
    two = client.get("/api/concordance", query_string={"q": "oil", "sample": 5, "seed": 9}).get_json()
    other = client.get("/api/concordance", query_string={"q": "oil", "sample": 5, "seed": 10}).get_json()
    assert one["sample"] == {"size": 5, "seed": 9}
    assert one["shown"] == 5 and one["occurrences"] == len(expected)
    assert one["lines"] == two["lines"]
    assert one["lines"] != other["lines"]
    everything = {(e["id"], e["field"], e["position"]) for e in expected}
    assert {(x["id"], x["field"], x["position"]) for x in one["lines"]} <= everything


def test_facets_and_timeline_of_documents_with_lines(client, stored):
    expected = brute(stored, word(_term("oil")))
    data = client.get("/api/concordance", query_string={"q": "oil"}).get_json()
    docs = {e["id"] for e in expected}
    by_source: dict[str, int] = {}
    for doc_id in docs:
        by_source[stored[doc_id]["source"]] = by_source.get(stored[doc_id]["source"], 0) + 1
    assert {v["value"]: v["documents"] for v in data["facets"]["source"]} == by_source
    buckets = data["timeline"]["buckets"]
    dated = [e for e in expected if e["date"]]
    assert sum(b["count"] for b in buckets) == len(dated)
    assert data["timeline"]["interval"] == "year"
    per_year: dict[str, int] = {}
    tokens: dict[str, int] = {}
    for e in dated:
        per_year[e["date"][:4]] = per_year.get(e["date"][:4], 0) + 1
    for art in stored.values():
        if art["date"]:
            tokens[art["date"][:4]] = tokens.get(art["date"][:4], 0) + len(_tokens(art["title"])) + len(_tokens(art["body"]))
    for b in buckets:
        assert b["count"] == per_year.get(b["period"], 0)
        assert b["tokens"] == tokens.get(b["period"], 0)
        assert b["per_million"] == round(b["count"] * 1e6 / b["tokens"], 2)


def test_sliced_concordance_adds_up(client, stored):
    data = client.get("/api/concordance", query_string={"q": "oil", "by": "year", "per_page": 3}).get_json()
    assert sum(s["occurrences"] for s in data["slices"]) == data["occurrences"]
    assert sum(s["documents"] for s in data["slices"]) == data["documents"]
    assert data["slices"][-1]["value"] is None  # the undated articles
    for s in data["slices"]:
        assert all((x["date"] or "")[:4] == (s["value"] or "") for x in s["lines"])


@pytest.mark.parametrize("fmt", ["csv", "jsonl"])
@pytest.mark.parametrize("name", ["word", "phrase", "prefix", "filtered"])
def test_export_rows_equal_brute_force(client, stored, fmt, name):
    query, match, params = CASES[name]
    expected = brute(stored, match, keep=_keep(params))
    resp = client.get("/api/concordance/export", query_string={"q": query, "format": fmt, "sort": "R1", **params})
    assert resp.status_code == 200
    assert resp.headers["X-Export-Rows"] == str(len(expected))
    text = resp.get_data(as_text=True)
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(text)))
        assert rows[0][0].startswith("# corpus concordance: ")
        note = json.loads(rows[0][0][len("# corpus concordance: "):])
        header, body = rows[1], rows[2:]
        records = [dict(zip(header, r, strict=True)) for r in body]
        for r in records:
            r["position"] = int(r["position"])
    else:
        lines = [json.loads(x) for x in text.splitlines()]
        note = lines[0]["provenance"]
        records = lines[1:]
    assert note["q"] == query and note["occurrences"] == len(expected) and note["lines"] == len(expected)
    assert note["filters"] == ({"source": [params["source"]]} if params else {})
    expected.sort(key=lambda e: (_word_key(e, "R1"), *_doc_key(e)))
    assert [(r["id"], r["field"], r["position"], r["match"]) for r in records] == \
        [(e["id"], e["field"], e["position"], e["match"]) for e in expected]
    for r, e in zip(records, expected, strict=True):
        if fmt == "jsonl" or not e["left"].startswith(("=", "+", "-", "@")):
            assert r["left"] == e["left"] and r["right"] == e["right"]


def test_export_neutralises_formulas(client):
    text = client.get("/api/concordance/export", query_string={"q": "hyperlink", "format": "csv"}).get_data(as_text=True)
    rows = list(csv.reader(io.StringIO(text)))[2:]
    assert len(rows) == 1 and rows[0][10] == "Hyperlink" and rows[0][11].startswith("'=SUM(1) oil said")
    kept = client.get("/api/concordance/export", query_string={"q": "hyperlink", "formulas": "keep"}).get_data(as_text=True)
    assert list(csv.reader(io.StringIO(kept)))[2][11].startswith("=SUM(1) oil said")
    jsonl = client.get("/api/concordance/export", query_string={"q": "hyperlink", "format": "jsonl"}).get_data(as_text=True)
    assert json.loads(jsonl.splitlines()[1])["right"].startswith("=SUM(1) oil said")


def test_a_query_without_words_is_a_clear_400(client):
    for q in ("", "source:reuters", "-oil"):
        resp = client.get("/api/concordance", query_string={"q": q})
        assert resp.status_code == 400, q
        assert resp.get_json()["error"]["param"] == "q"


def test_token_store_is_carried_over_by_an_incremental_ingest(tmp_path: Path):
    data = tmp_path / "data"
    data.mkdir()
    (data / "a.txt").write_text("Alpha oil\n\nCrude oil rose. Oil fell.", encoding="utf-8")
    (data / "b.txt").write_text("Beta grain\n\nGrain and oil.", encoding="utf-8")
    settings = make_settings(tmp_path)
    assert ingest([data], settings, progress=False).exit_code == 0
    app = create_app(settings)
    c = app.test_client()
    assert c.get("/api/concordance?q=oil").get_json()["occurrences"] == 4
    (data / "b.txt").write_text("Beta grain\n\nGrain, oil and more oil.", encoding="utf-8")
    (data / "c.txt").write_text("Gamma\n\nNo oil here? Oil.", encoding="utf-8")
    assert ingest([data], settings, progress=False).exit_code == 0
    assert c.get("/api/concordance?q=oil").get_json()["occurrences"] == 7
    (data / "a.txt").unlink()
    assert ingest([data], settings, progress=False).exit_code == 0
    data_ = c.get("/api/concordance?q=oil").get_json()
    assert data_["occurrences"] == 4
    assert {x["id"] for x in data_["lines"]} == {"b", "c"}


def test_near_keeps_the_lines_with_the_word_nearby(client, stored):
    """near=crude&window=3: brute force over the forms within 3 words each side of each occurrence."""
    expected = [e for e in brute(stored, word(_term("prices")))
                if "crude" in e["forms"][max(0, e["position"] - 3):e["position"]] + e["forms"][e["end"]:e["end"] + 3]]
    assert expected
    data, lines = _all_lines(client, "prices", near="crude", window=3)
    assert [(x["id"], x["field"], x["position"]) for x in lines] == [(e["id"], e["field"], e["position"]) for e in expected]
    assert data["near"] == {"word": "crude", "window": 3}
    everything, _ = _all_lines(client, "prices")
    assert everything["occurrences"] > data["occurrences"]


def test_exact_forms_are_checked_against_the_text(client, stored):
    """=Café finds the accented spelling only (case aside), though the store folds both to cafe."""
    expected = [e for e in brute(stored, word(_term("cafe"))) if e["match"].casefold() == "café"]
    assert expected and len(expected) < len(brute(stored, word(_term("cafe"))))
    _, lines = _all_lines(client, "=Café")
    assert [(x["id"], x["field"], x["position"]) for x in lines] == [(e["id"], e["field"], e["position"]) for e in expected]


def test_overlapping_patterns_give_one_line_per_occurrence(client, stored):
    """oil OR "crude oil": each oil once, and a crude oil once, as the longer match where it starts."""
    oil = brute(stored, word(_term("oil")))
    crude_oil = brute(stored, phrase("crude", "oil"))
    data, lines = _all_lines(client, 'oil OR "crude oil"')
    starts = {(e["id"], e["field"], e["position"]) for e in crude_oil}
    assert data["occurrences"] == len(oil) + len(crude_oil)
    got = {(x["id"], x["field"], x["position"]): x["match"] for x in lines}
    assert len(got) == len(lines)
    for key in starts:
        assert [_term(w) for w in WORD_RE.findall(got[key])] == [_term("crude"), _term("oil")]


def test_many_incremental_ingests_are_merged_into_one_part(tmp_path: Path):
    """Each ingest adds a part of the token store; past MAX_PARTS they are merged, lines unchanged."""
    data = tmp_path / "data"
    data.mkdir()
    settings = make_settings(tmp_path)
    c = create_app(settings).test_client()
    counts = []
    for n in range(token_store.MAX_PARTS + 2):
        (data / f"d{n}.txt").write_text(f"Title {n}\n\nThe oil of day {n}. More oil.", encoding="utf-8")
        if n == 3:
            (data / "d1.txt").unlink()
        assert ingest([data], settings, progress=False).exit_code == 0
        build = (Path(settings.index_dir) / "current").resolve()
        counts.append(len(json.loads((build / token_store.MANIFEST).read_text())["parts"]))
    assert counts[:token_store.MAX_PARTS] == list(range(1, token_store.MAX_PARTS + 1))
    assert counts[token_store.MAX_PARTS] == 1  # the ninth part merged them all
    data_ = c.get("/api/concordance?q=oil&per_page=500").get_json()
    expected = 2 * (token_store.MAX_PARTS + 2 - 1)
    assert data_["occurrences"] == expected
    assert {x["id"] for x in data_["lines"]} == {f"d{n}" for n in range(token_store.MAX_PARTS + 2) if n != 1}


def test_each_language_finds_its_own_analysis_of_a_word(tmp_path: Path):
    """A word's variant in each language (its stem there) is looked for in that language's articles only."""
    docs = [
        {"id": "en-1", "title": "Running", "body": "The runner kept running. Runs and runners.", "language": "en"},
        {"id": "fr-1", "title": "Les nations", "body": "Les nations unies et la nation. Nationales, national.", "language": "fr"},
        {"id": "en-2", "title": "Nations", "body": "The nations and the national team ran.", "language": "en"},
    ]
    data = tmp_path / "data"
    data.mkdir()
    (data / "docs.jsonl").write_text("\n".join(json.dumps(d) for d in docs) + "\n", encoding="utf-8")
    settings = make_settings(tmp_path)
    assert ingest([data], settings, progress=False).exit_code == 0
    c = create_app(settings).test_client()
    for query in ("running", "nations", "national"):
        expected = []
        for d in docs:
            analyzer = analysis.analyzer(d["language"])
            wanted = analyzer.term(query)
            for field in ("title", "body"):
                for i, w in enumerate(WORD_RE.findall(d[field])):
                    if analyzer.term(w) == wanted:
                        expected.append((d["id"], field, i))
        lines = c.get("/api/concordance", query_string={"q": query, "per_page": 500}).get_json()["lines"]
        assert sorted((x["id"], x["field"], x["position"]) for x in lines) == sorted(expected), query
        assert expected


def _token_store_rss_kb(names: list[str]) -> int:
    """Resident kB of this process's mappings of these token-store parts' files."""
    total, inside = 0, False
    for line in Path("/proc/self/smaps").read_text().splitlines():
        if re.match(r"^[0-9a-f]+-[0-9a-f]+ ", line):
            inside = any(f"/tokens-{name}." in line for name in names)
        elif inside and line.startswith("Rss:"):
            total += int(line.split()[1])
    return total


def test_a_long_export_lets_go_of_the_token_store_pages_it_read(client, monkeypatch):
    # Every RELEASE_LINES lines the export releases the pages of the token store it touched (they
    # stay in the page cache), so what a worker holds does not grow with the export's length.
    whole = client.get("/api/concordance/export", query_string={"q": "oil OR crude OR said OR the OR a OR to OR of OR in OR market", "format": "csv"}).get_data()
    assert whole.count(b"\n") > 768
    released = []
    release = token_store.Part.release

    def spy(part: token_store.Part) -> None:
        release(part)
        released.append((part.name, _token_store_rss_kb([part.name])))

    monkeypatch.setattr(lines_module, "RELEASE_LINES", 256)
    monkeypatch.setattr(token_store.Part, "release", spy)
    again = client.get("/api/concordance/export", query_string={"q": "oil OR crude OR said OR the OR a OR to OR of OR in OR market", "format": "csv"}).get_data()
    assert again == whole  # releasing changes nothing read
    assert len(released) >= whole.count(b"\n") // 256 - 2
    names = sorted({name for name, _ in released})
    assert _token_store_rss_kb(names) > 0 and released[0][1] == 0  # a release really unmaps what was touched
