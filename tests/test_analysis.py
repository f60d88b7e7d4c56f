"""corpus.analysis checked by brute force over the multilingual fixtures (and Reuters when present)."""

from __future__ import annotations

import html
import json
import re
import unicodedata
from pathlib import Path

import pytest
import regex
from whoosh.analysis import STOP_WORDS, StemmingAnalyzer

from corpus import analysis
from corpus.analysis import analyze, analyze_query, detect_language, language_code, query_variants
from corpus.analysis.languages import STEMMED
from corpus.readers import read_file
from corpus.readers.base import Skipped
from support import ROOT

FIXTURES = ROOT / "tests" / "fixtures" / "multilingual"
REUTERS = ROOT.parent / "shared" / "corpora" / "reuters21578" / "reuters21578.jsonl"
TAG_RE = re.compile(r"<[^>]+>")
LANGUAGES = ("ru", "uk", "de", "fr", "es", "zh", "ja", "ko", "ar")


def fixture_docs() -> list[tuple[str, str, str]]:
    """(name, language, text) of every fixture article, the language taken from the file name or id."""
    docs = []
    for path in sorted((FIXTURES / "text").glob("*.txt")):
        docs.append((path.name, path.name.split("-")[0], path.read_text(encoding="utf-8")))
    for path in sorted((FIXTURES / "html").glob("*.html")):
        body = path.read_text(encoding="utf-8").split("<body>", 1)[1]
        docs.append((path.name, path.name.split("-")[0], html.unescape(TAG_RE.sub(" ", body))))
    for record in json.loads((FIXTURES / "records.json").read_text(encoding="utf-8")):
        docs.append((record["id"], record["id"].split("-")[0], record["title"] + "\n" + record["body"]))
    return docs


DOCS = fixture_docs()


def terms_of(text: str, language: str) -> set[str]:
    """The set of terms an index would hold for a text."""
    return {t.term for t in analyze(text, language)}


def found_by(word: str, language: str) -> set[str]:
    """Names of the fixture documents whose terms contain every term of the analysed query word."""
    wanted = analyze_query(word, [language])[language]
    assert wanted
    return {name for name, lang, text in DOCS if lang == language and set(wanted) <= terms_of(text, language)}


def written(pattern: str, language: str) -> set[str]:
    """Names of the fixture documents where the regular expression matches the text (the brute force)."""
    rx = regex.compile(pattern, regex.IGNORECASE | regex.VERSION1)
    return {name for name, lang, text in DOCS if lang == language and rx.search(text)}


def test_fixtures_cover_every_language_in_every_layout_and_corpus_reads_them():
    layouts: dict[str, set[str]] = {lang: set() for lang in LANGUAGES}
    for path in sorted((FIXTURES / "text").glob("*.txt")) + sorted((FIXTURES / "html").glob("*.html")):
        layouts[path.name.split("-")[0]].add(path.suffix)
        records = [r for r in read_file(path, FIXTURES) if not isinstance(r, Skipped)]
        assert len(records) == 1 and records[0].fields.get("body"), path
    for record in json.loads((FIXTURES / "records.json").read_text(encoding="utf-8")):
        if record["id"].split("-")[0] in layouts:
            layouts[record["id"].split("-")[0]].add(".json")
    assert all(found == {".txt", ".html", ".json"} for found in layouts.values()), layouts
    assert sum(1 for r in read_file(FIXTURES / "records.json", FIXTURES) if not isinstance(r, Skipped)) == 15


# --- tokens: offsets, positions, nothing dropped, nothing cut -----------------------------------


@pytest.mark.parametrize("name, language, text", DOCS, ids=[d[0] for d in DOCS])
def test_offsets_give_the_written_text_and_positions_count_every_token(name, language, text):
    tokens = list(analyze(text, language))
    assert tokens
    assert [t.position for t in tokens] == list(range(len(tokens)))
    for token in tokens:
        assert 0 <= token.start < token.end <= len(text)
        assert text[token.start:token.end] == token.text
        assert token.term
    assert [t.start for t in tokens] == sorted(t.start for t in tokens)


@pytest.mark.parametrize("name, language, text", DOCS, ids=[d[0] for d in DOCS])
def test_no_token_cuts_a_character_and_every_word_character_is_in_a_token(name, language, text):
    boundaries = {m.start() for m in regex.finditer(r"\X", text)} | {len(text)}
    covered = [False] * len(text)
    for token in analyze(text, language):
        assert token.start in boundaries and token.end in boundaries, (token, name)
        for i in range(token.start, token.end):
            covered[i] = True
    # Stop words included: every letter, mark and digit of the text is inside some token.
    missed = [ch for ch, inside in zip(text, covered, strict=True) if regex.match(r"\w", ch) and not inside]
    assert missed == []


def test_stop_words_and_one_letter_words_are_tokens():
    assert [t.term for t in analyze("To be or not to be", "en")] == ["to", "be", "or", "not", "to", "be"]
    assert [t.text for t in analyze("state of emergency", "en")] == ["state", "of", "emergency"]
    assert [t.text for t in analyze("Я и ты", "ru")] == ["Я", "и", "ты"]


def test_english_tokenises_as_whoosh_does():
    tokens = list(analyze("The U.S. said o'neil's 3.5% rise, Reuter", "en"))
    assert [t.text for t in tokens] == ["The", "U.S", "said", "o", "neil", "s", "3.5", "rise", "Reuter"]


def test_english_terms_equal_whooshs_stemming_analyzer_but_for_the_words_it_drops():
    whoosh = StemmingAnalyzer()
    english = [text for _name, lang, text in DOCS if lang == "en"] + [
        "Running runners ran; the committee's generalizations were operating, planned and added.",
        "SHR 25 CTS VS 20 CTS NET 801,000 VS 703,000 U.S. DLRS",
    ]
    for text in english:
        today = [t.text for t in whoosh(text)]
        ours = [t.term for t in analyze(text, "en") if len(t.text) > 1 and t.text.lower() not in STOP_WORDS]
        assert ours == today


@pytest.mark.corpora
def test_english_terms_equal_whooshs_on_reuters():
    if not REUTERS.exists():
        pytest.skip(f"{REUTERS} is absent (Reuters-21578 lives in ../shared/corpora)")
    whoosh = StemmingAnalyzer()
    differ = []
    with REUTERS.open(encoding="utf-8") as f:
        for number, line in enumerate(f):
            if number % 10:  # every tenth document: 2,158 documents, a few seconds
                continue
            body = json.loads(line).get("body") or ""
            today = [t.text for t in whoosh(body)]
            ours = [t.term for t in analyze(body, "en") if len(t.text) > 1 and t.text.lower() not in STOP_WORDS]
            if ours != today:
                differ.append(number)
    assert differ == []


# --- CJK and the other space-less scripts --------------------------------------------------------


def is_cjk(ch: str) -> bool:
    """Han, kana or Hangul, by the Unicode name (independent of the tokenizer's script classes)."""
    name = unicodedata.name(ch, "")
    return name.startswith(("CJK UNIFIED", "CJK COMPATIBILITY IDEOGRAPH", "HIRAGANA", "KATAKANA", "HANGUL")) or ch in "ー〇々"


@pytest.mark.parametrize("name, language, text", [d for d in DOCS if d[1] in ("zh", "ja", "ko")], ids=lambda v: str(v)[:20])
def test_every_pair_of_every_cjk_run_is_a_token_in_order(name, language, text):
    expected = []
    i = 0
    while i < len(text):
        if not is_cjk(text[i]):
            i += 1
            continue
        j = i
        while j < len(text) and is_cjk(text[j]):
            j += 1
        run = text[i:j]
        expected += [run] if len(run) == 1 else [run[k:k + 2] for k in range(len(run) - 1)]
        i = j
    got = [t.text for t in analyze(text, language) if any(is_cjk(ch) for ch in t.text)]
    assert got == expected


@pytest.mark.parametrize("word, language, run", [
    ("中美", "zh", "中美合作"), ("合作", "zh", "中美合作"), ("美合", "zh", "中美合作"),
    ("日米", "ja", "日米協力"), ("協力", "ja", "日米協力"),
    ("한미", "ko", "한미협력"), ("협력", "ko", "한미협력"),
])
def test_a_word_inside_a_cjk_run_finds_exactly_the_documents_that_contain_it(word, language, run):
    assert written(re.escape(run), language)  # the fixture has the run
    assert found_by(word, language) == written(re.escape(word), language)


@pytest.mark.parametrize("phrase, language", [("中美合作", "zh"), ("清洁能源", "zh"), ("日米協力", "ja"), ("宇宙計画", "ja"), ("한미협력", "ko")])
def test_a_cjk_phrase_is_its_pairs_at_consecutive_positions_in_the_documents_that_contain_it(phrase, language):
    wanted = analyze_query(phrase, [language])[language]
    assert len(wanted) == len(phrase) - 1
    matching = set()
    for name, lang, text in DOCS:
        if lang != language:
            continue
        terms = [t.term for t in analyze(text, language)]
        if any(terms[i:i + len(wanted)] == wanted for i in range(len(terms))):
            matching.add(name)
    assert matching and matching == written(re.escape(phrase), language)


def test_a_lone_cjk_character_is_a_unigram_and_width_is_folded():
    assert [(t.text, t.term) for t in analyze("中 美", "zh")] == [("中", "中"), ("美", "美")]
    # Half-width katakana with a separate voiced mark: the pair never splits ﾊ from ﾞ, and folds to バ.
    assert [t.term for t in analyze("ﾊﾞﾝｸ", "ja")] == ["バン", "ンク"]
    assert [t.term for t in analyze("ＵＳＡ Ｔｏｋｙｏ", "en")] == ["usa", "tokyo"]


def test_thai_is_cut_into_pairs_of_grapheme_clusters():
    text = "กรุงเทพ"  # the tone-less vowel signs ุ and the like stay with their consonant
    tokens = list(analyze(text, "th"))
    clusters = regex.findall(r"\X", text)
    assert [t.text for t in tokens] == ["".join(clusters[i:i + 2]) for i in range(len(clusters) - 1)]


# --- stemming ------------------------------------------------------------------------------------

# An inflected form, a pattern of its inflections as written in the fixtures (the brute force).
INFLECTIONS = [
    ("Путина", "ru", r"\bПутин(а|е|у|ым)?\b"),
    ("Путин", "ru", r"\bПутин(а|е|у|ым)?\b"),
    ("Москвы", "ru", r"\bМоскв(а|е|ы|у|ой)\b"),
    ("Häusern", "de", r"\bH(ä|a)us(er|ern|es)?\b"),
    ("Haus", "de", r"\bH(ä|a)us(er|ern|es)?\b"),
    ("élection", "fr", r"\bélections?\b"),
    ("élections", "fr", r"\bélections?\b"),
    ("corrupciones", "es", r"\bcorrupci(ón|ones)\b"),
    ("corrupción", "es", r"\bcorrupci(ón|ones)\b"),
    ("مدرسة", "ar", r"(?<![\p{Arabic}])(ال|بال|لل)?مدرس(ة|ه)(?![\p{Arabic}])"),
]


@pytest.mark.parametrize("word, language, pattern", INFLECTIONS)
def test_an_inflected_form_finds_the_documents_with_any_inflection(word, language, pattern):
    assert language in STEMMED
    expected = written(pattern, language)
    assert len(expected) >= 2  # the fixtures hold more than one inflection, in more than one file
    assert found_by(word, language) == expected


@pytest.mark.parametrize("inflected, base, language", [
    ("Путина", "Путин", "ru"), ("ёлку", "елка", "ru"), ("Häusern", "Haus", "de"), ("Häuser", "Haus", "de"),
    ("élections", "élection", "fr"), ("régionales", "régional", "fr"), ("corrupciones", "corrupción", "es"),
    ("المدرسة", "مدرسة", "ar"), ("بالمدرسة", "مدرسة", "ar"), ("Θεσσαλονίκης", "Θεσσαλονίκη", "el"),
    ("runs", "run", "en"), ("elections", "election", "en"),
])
def test_an_inflected_form_and_its_base_are_one_term(inflected, base, language):
    assert analysis.analyzer(language).term(inflected) == analysis.analyzer(language).term(base)


def test_languages_without_a_snowball_stemmer_are_folded_not_stemmed():
    assert "uk" not in STEMMED and "zh" not in STEMMED
    assert analysis.analyzer("uk").term("Києва") == "києва" != analysis.analyzer("uk").term("Київ")
    assert analysis.analyzer("uk").term("КИЄВА") == analysis.analyzer("uk").term("Києва")
    assert analysis.analyzer("und").term("Running") == "running"


# --- folding -------------------------------------------------------------------------------------


def unaccented(word: str) -> str:
    """A word as typed without accents: NFD, combining marks dropped, but й/ї and scripts from Devanagari on kept."""
    if any(ch >= "\u0900" for ch in word):
        return word  # Indic vowel signs, kana voicing marks and Thai vowels spell the word
    keep = str.maketrans({"й": "\uf001", "Й": "\uf002", "ї": "\uf003", "Ї": "\uf004"})
    back = str.maketrans({"\uf001": "й", "\uf002": "Й", "\uf003": "ї", "\uf004": "Ї"})
    decomposed = unicodedata.normalize("NFD", word.translate(keep))
    return unicodedata.normalize("NFC", "".join(ch for ch in decomposed if not unicodedata.combining(ch))).translate(back)


@pytest.mark.parametrize("language", sorted({d[1] for d in DOCS}))
def test_every_fixture_word_and_its_unaccented_upper_case_spelling_are_one_term(language):
    checked = 0
    for _name, lang, text in DOCS:
        if lang != language:
            continue
        for token in analyze(text, language):
            plain = unaccented(token.text)
            assert analysis.analyzer(language).term(plain.upper()) == token.term or not regex.fullmatch(r"\w+", token.text), token
            checked += plain != token.text
    if language in ("fr", "de", "es", "ar", "el", "ru"):
        assert checked  # the fixtures of these languages do have accented words


@pytest.mark.parametrize("a, b, language", [
    ("Anticorrupción", "anticorrupcion", "es"), ("Zürich", "Zurich", "de"), ("Zürich", "zurich", "en"),
    ("ёлка", "елка", "ru"), ("ЁЛКА", "елка", "ru"), ("الْعَرَبِيَّة", "العربية", "ar"), ("أحمد", "احمد", "ar"),
    ("كتـــاب", "كتاب", "ar"), ("مدرسة", "مدرسه", "ar"), ("کتاب", "كتاب", "fa"), ("ایران", "ايران", "fa"),
    ("می‌خواهم", "میخواهم", "fa"), ("Αθήνα", "ΑΘΗΝΑ", "el"), ("Straße", "STRASSE", "de"), ("Øresund", "oresund", "da"),
    ("ＬＡＴＩＮ", "latin", "und"), ("שָׁלוֹם", "שלום", "he"),
])
def test_folded_and_unfolded_spellings_are_one_term(a, b, language):
    assert analysis.analyzer(language).term(a) == analysis.analyzer(language).term(b)


def test_letters_of_their_own_keep_their_marks():
    assert analysis.fold("й") == "й" and analysis.fold("ї") == "ї"
    assert analysis.fold("мой") != analysis.fold("мои") and analysis.fold("Київ") == "київ"
    assert analysis.fold("हिंदी") == "हिंदी"  # the vowel sign and the anusvara spell the word


def test_a_folded_query_finds_the_accented_documents():
    assert found_by("anticorrupcion", "es") == written(r"\banticorrupción\b", "es") != set()
    assert found_by("zurich", "de") == written(r"\bZ(ü|u)rich\b", "de") != set()
    assert found_by("елка", "ru") == written(r"\b(ё|е)лк", "ru") != set()


# --- the exact chain -----------------------------------------------------------------------------


def test_the_exact_chain_keeps_the_spelling_but_not_the_case():
    exact = analysis.analyzer(exact=True)
    assert exact.term("Running") == "running" != analysis.analyzer("en").term("running")
    assert exact.term("Anticorrupción") == exact.term("ANTICORRUPCIÓN") == "anticorrupción"
    assert exact.term("anticorrupcion") != exact.term("Anticorrupción")
    assert exact.term("ёлка") != exact.term("елка")
    assert [t.term for t in analyze("中美合作", "zh", exact=True)] == ["中美", "美合", "合作"]
    assert analyze_query("Häusern", ["de", "en"], exact=True) == {"de": ["häusern"], "en": ["häusern"]}


# --- the query side ------------------------------------------------------------------------------


def test_a_query_is_analysed_for_every_language_in_the_index():
    terms = analyze_query("Путина", ["en", "ru", "uk"])
    assert terms == {"en": ["путина"], "ru": ["путин"], "uk": ["путина"]}
    assert query_variants("Путина", ["en", "ru", "uk"]) == [["путина"], ["путин"]]
    assert query_variants("Путина", []) == [["путина"]]
    ru_docs = {name for name, lang, _text in DOCS if lang == "ru"}
    found = {name for name, lang, text in DOCS
             if any(set(v) <= terms_of(text, lang) for v in query_variants("Путина", {d[1] for d in DOCS}))}
    assert found == written(r"\bПутин", "ru") and found <= ru_docs


# --- stop words ----------------------------------------------------------------------------------


def test_stop_words_are_a_filter_for_views_not_an_index_deletion():
    tokens = list(analyze("To be or not to be, that is the question", "en"))
    assert len(tokens) == 10
    kept = list(analysis.without_stop_words(tokens, "en"))
    assert [t.text for t in kept] == ["question"] and kept[0].position == 9
    assert analysis.is_stop_word("Über", "de") and analysis.is_stop_word("и", "ru") and analysis.is_stop_word("的", "zh")
    assert not analysis.is_stop_word("Путин", "ru")
    assert analysis.stop_words_of("xx") == frozenset()
    for language in ("en", "ru", "uk", "de", "fr", "es", "ar", "ja", "ko", "zh"):
        assert len(analysis.stop_words_of(language)) > 30, language


# --- languages -----------------------------------------------------------------------------------


@pytest.mark.parametrize("value, code", [
    ("en-US", "en"), ("English", "en"), ("eng", "en"), ("EN", "en"), ("pt_BR", "pt"), ("zh-Hant", "zh"),
    ("zh-Hans-CN", "zh"), ("uk-UA", "uk"), ("German", "de"), ("ger", "de"), ("deu", "de"), ("fra", "fr"),
    ("es_ES.UTF-8", "es"), ("kor", "ko"), ("ja-JP", "ja"), ("iw", "he"), ("Deutsch", "de"), ("русский", "ru"),
    ("haw", "und"), ("", "und"), (None, "und"), ("und", "und"), ("klingon-ish", "und"), ("xx", "und"),
])
def test_language_fields_become_iso_639_1(value, code):
    assert language_code(value) == code


@pytest.mark.parametrize("name, language, text", DOCS, ids=[d[0] for d in DOCS])
def test_every_fixture_is_detected_as_its_language(name, language, text):
    assert detect_language(text) == language


def test_text_too_short_to_tell_is_undetermined():
    for text in ("", "OK", "12,000 vs 9,000", "Paul Goble", "  \n "):
        assert detect_language(text) == "und"
    assert detect_language("中美合作推动能源") == "zh"  # eight Han characters are enough


@pytest.mark.corpora
def test_english_reuters_documents_of_more_than_20_words_are_english():
    if not REUTERS.exists():
        pytest.skip(f"{REUTERS} is absent (Reuters-21578 lives in ../shared/corpora)")
    total = english = 0
    with REUTERS.open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            text = f"{record.get('title') or ''}\n{record.get('body') or ''}"
            if len(text.split()) > 20:
                total += 1
                english += detect_language(text) == "en"
    assert total > 18000 and english / total >= 0.99


def test_analysis_imports_no_engine_and_no_flask():
    pattern = re.compile(r"^\s*(from|import)\s+(whoosh|flask|tantivy)\b", re.MULTILINE)
    package = ROOT / "src" / "corpus" / "analysis"
    offending = [p.name for p in Path(package).glob("*.py") if pattern.search(p.read_text(encoding="utf-8"))]
    assert offending == []
