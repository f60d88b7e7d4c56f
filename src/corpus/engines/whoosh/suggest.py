"""Spelling suggestions ("did you mean") and the authors shown beside results."""

from __future__ import annotations

import re
import time

from whoosh import query as wq

from ...analysis import UNDETERMINED
from ...errors import BadRequest, QueryTimeout
from ...search.deadline import Deadline
from ...search.types import AuthorMatch
from . import codec, highlight
from .analysis import terms
from .plan import Planner
from .postings import Unsupported
from .query import AUTHOR_FIELDS
from .ranking import best
from .schema import AUTHOR
from .searcher import Generation

MAX_SUGGEST_WORD = 24  # longer words get no spelling suggestion
SUGGEST_SECONDS = 0.5  # a suggestion is a courtesy: no more than this is spent looking for one


def suggest(planner: Planner, text: str, gen: Generation, total: int, deadline: Deadline) -> str | None:
    """A corrected query from index words, offered only when it finds more.

    Each plain word that the index does not hold is replaced by the closest word the corpus
    spells, from the build's word list (see corpus.spelling). Operators, fields and quoted
    text are kept as typed. A courtesy: it never runs past the search's own deadline, and
    gives up (no suggestion) rather than time the search out.
    """
    searcher = gen.searcher
    words = planner.searchers.spellings(gen.build)
    give_up = min(time.monotonic() + SUGGEST_SECONDS, deadline.at)
    languages = gen.snapshot.languages or (UNDETERMINED,)
    changed = False

    def fix(m: re.Match[str]) -> str:
        nonlocal changed
        word = m.group(0)
        # The word list holds words of 3 to 24 letters only (see corpus.spelling).
        if word.upper() in ("AND", "OR", "NOT", "TO") or not 3 <= len(word) <= MAX_SUGGEST_WORD or time.monotonic() > give_up:
            return word
        # A word the index holds in any of its languages (Путина as путин) needs no correction.
        stems = {t[0] for t in (terms(word, lang) for lang in languages) if t}
        if not stems or any(searcher.doc_frequency(f, stem) for stem in stems for f in ("body", "title")):
            return word
        typed = word.lower()
        found = [(w, distance) for w, distance in words.near(typed, 2) if w != typed]
        if not found:
            return word
        # The closest word first, then the one sharing the longest start (typing slips come
        # late in a word more often than early), then the most common.
        counts = words.counts
        best_word = min(found, key=lambda f: (f[1], -_shared_start(typed, f[0]), -counts.get(f[0], 0)))[0]
        changed = True
        return best_word

    corrected = re.sub(r'(?<![\w:*~"])[^\W\d_]+(?![\w:*~])', fix, text) if '"' not in text else text
    if not changed:
        return None
    try:
        own = Deadline(min(1.0, deadline.left))
        _, q = planner.query(corrected, gen, own)
        if q is None:
            return None
        count = int(planner.matched(q, gen, own).sum())
    except (BadRequest, QueryTimeout):
        return None
    return corrected if count > total else None


def author_matches(planner: Planner, text: str, gen: Generation, deadline: Deadline, limit: int = 5) -> list[AuthorMatch]:
    """Authors whose name, bio or title match: a side panel, so it gives way (no matches) to the deadline."""
    searcher = gen.searcher
    try:
        _, q = planner.query(text, gen, deadline, AUTHOR_FIELDS)
        if q is None:
            return []
        try:
            found = gen.engine(AUTHOR).evaluate(q, scored=True, check=deadline.check)
            assert found.scores is not None
            docnums = found.docs[best(found.docs, found.scores, gen.snapshot.id_rank, limit)].tolist()
        except Unsupported:
            ready = gen.engine(AUTHOR).precompute(q, True, deadline.check)
            docnums = [hit.docnum for hit in searcher.search(ready, filter=wq.Term("kind", AUTHOR), limit=limit)]
    except (BadRequest, QueryTimeout):
        return []
    terms = highlight.query_terms(q, searcher, fields=("bio",))
    out = []
    for docnum in docnums:
        stored = searcher.stored_fields(docnum)
        slug, name, count = codec.author_match_fields(stored)
        out.append(AuthorMatch(slug=slug, name=name, bio=highlight.snippet(stored.get("bio") or "", terms, field="bio"),
                               article_count=count))
    return out


def _shared_start(a: str, b: str) -> int:
    """How many letters two words share at their start."""
    n = 0
    for x, y in zip(a, b, strict=False):
        if x != y:
            break
        n += 1
    return n
