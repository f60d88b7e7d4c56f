"""Words for "did you mean": the corpus's own spellings, counted at ingest.

Whoosh's way to suggest real words for a stemmed field is a second, unstemmed copy of every body
word in the index (`spelling=True`), which made up a quarter of the indexing time. Instead the
ingest workers count the words they read, and each build keeps one small file of every word with
its count; suggestions search that sorted word list (see search.service).
"""

from __future__ import annotations

import json
import os
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path

from rapidfuzz import process
from rapidfuzz.distance import Levenshtein

FILENAME = "spelling.json"
WORD_RE = re.compile(r"\b[^\W\d_]{3,24}\b")


def count_words(texts: Iterable[str]) -> Counter[str]:
    """Lower-case words of 3 to 24 letters, counted."""
    counts: Counter[str] = Counter()
    for text in texts:
        counts.update(w.lower() for w in WORD_RE.findall(text))
    return counts


def load(build: Path) -> dict[str, int]:
    """word -> count for a build; empty when it has none."""
    try:
        data = json.loads((build / FILENAME).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def save(build: Path, words: Counter[str], previous: dict[str, int]) -> None:
    """Add this run's word counts to the build's list and write it (atomically)."""
    merged = Counter(previous)
    merged.update(words)
    tmp = build / (FILENAME + ".tmp")
    tmp.write_text(json.dumps(dict(sorted(merged.items())), ensure_ascii=False, separators=(",", ":")), encoding="utf-8")
    os.replace(tmp, build / FILENAME)


class Words:
    """A build's spelling words and their counts, grouped by length for bounded look-ups.

    A word more than N letters longer or shorter than another is more than N edits from it, so
    a look-up compares only the few lengths inside that window, not the whole list.
    """

    def __init__(self, counts: dict[str, int]) -> None:
        self.counts = counts
        self.by_length: dict[int, list[str]] = {}
        for word in sorted(counts):
            self.by_length.setdefault(len(word), []).append(word)

    def near(self, word: str, maxdist: int) -> list[tuple[str, int]]:
        """(spelling word, edit distance) for every word within maxdist edits, closest first, then alphabetically."""
        found: list[tuple[str, int]] = []
        for length in range(max(1, len(word) - maxdist), len(word) + maxdist + 1):
            group = self.by_length.get(length)
            if group:
                near = process.extract(word, group, scorer=Levenshtein.distance, score_cutoff=maxdist, limit=None)
                found += [(w, int(distance)) for w, distance, _ in near]
        found.sort(key=lambda f: (f[1], f[0]))
        return found
