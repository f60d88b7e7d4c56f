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
