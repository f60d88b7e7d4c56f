"""Every word in every language, end to end: the multilingual fixtures ingested and searched through the API.

Each expectation is brute force over the texts as the index stores them (the bodies and titles the
API exports): a regular expression of the written forms, a substring of a CJK run, or the token
sequence of a phrase. The language of each fixture is the first part of its file name or id.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from typing import Any

import pytest
import regex

from corpus import analysis
from corpus.ingest import ingest
from corpus.web import create_app
from support import FIXTURES, copy_corpus, make_settings

MULTILINGUAL = FIXTURES / "multilingual"
LANGUAGES = ("ru", "uk", "de", "fr", "es", "zh", "ja", "ko", "ar")


@pytest.fixture(scope="module")
def client(tmp_path_factory: pytest.TempPathFactory) -> Any:
    tmp = tmp_path_factory.mktemp("multilingual")
    data = copy_corpus(MULTILINGUAL, tmp / "data")
    (data / "README.md").unlink()
    settings = make_settings(tmp)
    report = ingest([data], settings, progress=False)
    assert report.exit_code == 0, report
    app = create_app(settings)
    with app.test_client() as c:
        yield c


@pytest.fixture(scope="module")
def docs(client: Any) -> dict[str, dict[str, Any]]:
    """Every article as stored: id -> the export row (title, body, language, ...)."""
    rows = client.get("/api/export?format=jsonl&fields=id,title,body,source").get_data(as_text=True).splitlines()
    out = {}
    for line in rows:
        row = json.loads(line)
        if "id" not in row:
            continue  # the provenance line, when there is one
        article = client.get(f"/api/articles/{row['id']}").get_json()
        row["language"] = article["language"]
        row["origin"] = article["origin"]
        out[row["id"]] = row
    assert len(out) >= 30
    return out


def written_language(doc: dict[str, Any]) -> str:
    """The language a fixture is written in: the first part of its file name, or of its record id."""
    origin = doc["origin"].split("/")[-1]
    name = origin if not origin.startswith("records.json") else doc["id"]
    return name.split("-")[0]


def text(doc: dict[str, Any]) -> str:
    return f"{doc['title']}\n\n{doc['body']}"


def search(client: Any, q: str, **filters: str) -> set[str]:
    params = {"q": q, "per_page": "100", **filters}
    data = client.get("/api/search", query_string=params).get_json()
    assert "hits" in data, data
    assert data["total"] == len(data["hits"])
    return {h["id"] for h in data["hits"]}


def brute(docs: dict[str, dict[str, Any]], pattern: str, language: str | None = None) -> set[str]:
    rx = regex.compile(pattern, regex.IGNORECASE | regex.VERSION1)
    return {i for i, d in docs.items() if (language is None or d["language"] == language) and rx.search(text(d))}


def test_each_fixture_is_in_its_language_and_the_facet_counts_them(client: Any, docs: dict[str, dict[str, Any]]) -> None:
    for doc in docs.values():
        assert doc["language"] == written_language(doc), doc["id"]
    counts = Counter(d["language"] for d in docs.values())
    assert set(LANGUAGES) <= set(counts)
    facet = client.get("/api/search?per_page=1&facet=language&facet_size=100").get_json()["facets"]["language"]
    assert {v["value"]: v["count"] for v in facet} == dict(counts)
    # Selecting a language narrows a search to it.
    for language in LANGUAGES:
        assert search(client, "", language=language) == {i for i, d in docs.items() if d["language"] == language}


INFLECTIONS = [
    ("Путина", "ru", r"\bПутин(а|е|у|ым)?\b"),
    ("Москвы", "ru", r"\bМоскв(а|е|ы|у|ой)\b"),
    ("Häusern", "de", r"\bH(ä|a)us(er|ern|es)?\b"),
    ("élections", "fr", r"\bélections?\b"),
    ("corrupciones", "es", r"\bcorrupci(ón|on|ones)\b"),
    ("مدرسة", "ar", r"(?<![\p{Arabic}])(ال|بال|لل)?مدرس(ة|ه)(?![\p{Arabic}])"),
]


@pytest.mark.parametrize("word, language, pattern", INFLECTIONS)
def test_an_inflected_form_finds_every_inflection_in_its_language(client: Any, docs: Any, word: str, language: str,
                                                                   pattern: str) -> None:
    expected = brute(docs, pattern, language)
    assert len(expected) >= 2
    assert search(client, word, language=language) == expected
    assert expected <= search(client, word)  # a bare query finds them without naming the language


@pytest.mark.parametrize("word, language", [("中美", "zh"), ("合作", "zh"), ("日米", "ja"), ("協力", "ja"),
                                             ("한미", "ko"), ("협력", "ko")])
def test_a_word_inside_a_cjk_run_is_found(client: Any, docs: Any, word: str, language: str) -> None:
    expected = {i for i, d in docs.items() if word in text(d)}
    assert expected and any(word + "" in text(d) and len(text(d)) > 20 for d in docs.values())
    assert search(client, word) == expected


@pytest.mark.parametrize("a, b", [("anticorrupcion", "Anticorrupción"), ("Zurich", "Zürich"), ("ЁЛКА", "елка")])
def test_folded_and_unfolded_spellings_find_each_other(client: Any, docs: Any, a: str, b: str) -> None:
    folded = analysis.fold(a)
    expected = {i for i, d in docs.items() if folded in {analysis.fold(t.text) for t in analysis.analyze(text(d), d["language"])}}
    assert expected
    assert search(client, a) == search(client, b) == expected


@pytest.mark.parametrize("phrase, language", [("state of emergency", "en"), ("中美合作", "zh"), ("日米協力", "ja"),
                                               ("한미협력", "ko"), ("российская элита", "ru")])
def test_phrases_match_their_words_in_order(client: Any, docs: Any, phrase: str, language: str) -> None:
    wanted = analysis.analyzer(language).terms(phrase)
    expected = set()
    for i, d in docs.items():
        for part in (d["title"], d["body"]):
            terms = analysis.analyzer(d["language"]).terms(part)
            if any(terms[k:k + len(wanted)] == wanted for k in range(len(terms))):
                expected.add(i)
    assert expected
    assert search(client, f'"{phrase}"') == expected


def test_the_exact_form_finds_only_the_word_as_written(client: Any, docs: Any) -> None:
    assert search(client, "=Häusern") == brute(docs, r"\bHäusern\b")
    assert search(client, "=Häusern") < search(client, "Häusern")
    assert search(client, "=Путина") == brute(docs, r"\bПутина\b") != search(client, "Путина")
    assert search(client, '="state of emergency"') == brute(docs, r"\bstate of emergency\b")


@pytest.mark.parametrize("q, language", [("Путина", "ru"), ("Häusern", "de"), ("中美", "zh"), ("協力", "ja"),
                                          ("협력", "ko"), ("مدرسة", "ar"), ("anticorrupcion", "es")])
def test_highlights_mark_whole_words_as_written(client: Any, q: str, language: str) -> None:
    data = client.get("/api/search", query_string={"q": q, "language": language}).get_json()
    assert data["hits"]
    wanted = set(analysis.analyzer(language).terms(q))
    for hit in data["hits"]:
        marked = re.findall(r"<mark>(.*?)</mark>", hit["snippet"])
        assert marked, hit["snippet"]
        for word in marked:
            terms = set(analysis.analyzer(language).terms(word))
            assert terms & wanted or (len(wanted) > 0 and all(len(t) == 2 for t in wanted)), (word, q)
            # A mark never cuts a character: the marked text is whole tokens of the article.
            assert regex.fullmatch(r"[\p{L}\p{M}\p{N}.]+", word), word


def test_article_pages_show_the_language(client: Any, docs: Any) -> None:
    some = next(i for i, d in docs.items() if d["language"] == "ru")
    page = client.get(f"/articles/{some}").get_data(as_text=True)
    assert "Language" in page and "ru" in page


def test_did_you_mean_offers_a_word_of_the_same_script(client: Any, docs: Any) -> None:
    # "Москвы" misspelled: the suggestion is the Russian word the corpus holds, never an English one.
    data = client.get("/api/search", query_string={"q": "Масквы"}).get_json()
    assert data["total"] == 0
    assert data["suggestion"] and regex.fullmatch(r"\p{Cyrillic}+", data["suggestion"]), data["suggestion"]
    assert search(client, data["suggestion"]) == brute(docs, r"\bМоскв(а|е|ы|у|ой)\b", None) & search(client, data["suggestion"])
    # A word the index holds in any of its languages is left alone.
    assert client.get("/api/search", query_string={"q": "Путина"}).get_json()["suggestion"] is None


def test_more_like_this_stays_in_the_language(client: Any, docs: Any) -> None:
    """Similar articles are in the article's own language: a name or a number shared across languages is no likeness."""
    shown = 0
    for some, doc in docs.items():
        page = client.get(f"/articles/{some}").get_data(as_text=True)
        similar = re.findall(r'<section class="similar".*?</section>', page, re.DOTALL)
        linked = re.findall(r'href="/articles/([^"]+)"', similar[0]) if similar else []
        assert all(docs[i]["language"] == doc["language"] for i in linked), (some, linked)
        shown += len(linked)
    assert shown >= 10
