"""corpus.analysis against Whoosh's StemmingAnalyzer on Reuters bodies: same terms? how fast?

    .venv/bin/python bench/analysis.py [--limit N] [--reps 3]

Agreement: for every document, today's Whoosh terms (StemmingAnalyzer: stop words and one-letter
words dropped) are compared with corpus.analysis's English terms after dropping the same words;
they should be identical but for folding (accents, casefold). Also the stemmer alone over the
vocabulary: Snowball's English (Porter2) and Snowball's Porter against Whoosh's Porter.

Speed: the same bodies, in one process, alternately (best of --reps): Whoosh's analyzer as the
index uses it (positions and character offsets on), corpus.analysis's tokens with positions and
offsets, and the same with detect_language added. Each analyzer's word cache is warm, as in a
long ingest.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT / "src"))

import Stemmer  # noqa: E402
from whoosh.analysis import STOP_WORDS, StemmingAnalyzer  # noqa: E402
from whoosh.lang.porter import stem as whoosh_stem  # noqa: E402

from corpus.analysis import analyze, analyzer, detect_language  # noqa: E402

REUTERS = (ROOT / ".." / "shared" / "corpora" / "reuters21578" / "reuters21578.jsonl").resolve()


def bodies(limit: int | None) -> list[str]:
    """Reuters titles and bodies, one string per document with text."""
    out = []
    with REUTERS.open(encoding="utf-8") as f:
        for line in f:
            record = json.loads(line)
            text = f"{record.get('title') or ''}\n{record.get('body') or ''}".strip()
            if text:
                out.append(text)
            if limit and len(out) >= limit:
                break
    return out


def agreement(docs: list[str]) -> None:
    """Print how often corpus.analysis gives today's Whoosh terms, per document and per stemmed word."""
    whoosh = StemmingAnalyzer()
    same = 0
    for text in docs:
        today = [t.text for t in whoosh(text)]
        ours = [t.term for t in analyze(text, "en") if len(t.text) >= 2 and t.text.lower() not in STOP_WORDS]
        same += today == ours
    print(f"documents whose terms equal today's (stop words aside): {same}/{len(docs)} = {100 * same / len(docs):.2f}%")
    vocab: collections.Counter[str] = collections.Counter()
    for text in docs:
        vocab.update(t.text.lower() for t in analyze(text, "en"))
    total = sum(vocab.values())
    for name in ("porter", "english"):
        stemmer = Stemmer.Stemmer(name)
        differ = [w for w in vocab if stemmer.stemWord(w) != whoosh_stem(w)]
        tokens = sum(vocab[w] for w in differ)
        print(f"Snowball {name} vs Whoosh Porter: {100 * (1 - len(differ) / len(vocab)):.2f}% of {len(vocab)} words, "
              f"{100 * (1 - tokens / total):.2f}% of {total} tokens agree")


def speed(docs: list[str], reps: int) -> None:
    """Print ms per document of each chain, best of reps, and the ratios to Whoosh."""
    whoosh = StemmingAnalyzer()
    english = analyzer("en")

    def run_whoosh() -> None:
        for text in docs:
            for _ in whoosh(text, positions=True, chars=True):
                pass

    def run_ours() -> None:
        for text in docs:
            for _ in english.tokens(text):
                pass

    def run_ours_detect() -> None:
        for text in docs:
            detect_language(text)
            for _ in english.tokens(text):
                pass

    runs = {"whoosh StemmingAnalyzer": run_whoosh, "corpus.analysis": run_ours, "corpus.analysis + detect_language": run_ours_detect}
    best = dict.fromkeys(runs, float("inf"))
    for fn in runs.values():
        fn()  # warm caches and the detector's model
    for _ in range(reps):
        for name, fn in runs.items():
            start = time.perf_counter()
            fn()
            best[name] = min(best[name], time.perf_counter() - start)
    base = best["whoosh StemmingAnalyzer"]
    for name, seconds in best.items():
        print(f"{name}: {1000 * seconds / len(docs):.3f} ms/doc, {seconds / base:.2f}x Whoosh")


def main() -> None:
    """Agreement, then speed."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="only the first N documents")
    parser.add_argument("--reps", type=int, default=3)
    args = parser.parse_args()
    if not REUTERS.exists():
        sys.exit(f"{REUTERS} is absent")
    docs = bodies(args.limit)
    print(f"{len(docs)} Reuters documents")
    agreement(docs)
    speed(docs, args.reps)


if __name__ == "__main__":
    main()
