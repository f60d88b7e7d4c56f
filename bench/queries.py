"""The fixed query set, written once for each engine: ours, SQLite FTS5 (the peer) and plain Whoosh (the baseline).

Each entry: (kind, our query, FTS5 MATCH expression or None for match-all, date range or None).
Both engines stem English (ours with corpus.analysis's Porter, the peer with FTS5's porter tokenizer)
and, since corpus indexes every token, both keep common words.
"""

from __future__ import annotations

from datetime import date

MARCH = (date(1987, 3, 1), date(1987, 3, 31))

QUERIES: list[tuple[str, str, str | None, tuple[date, date] | None]] = [
    ("term_common", "said", "said", None),
    ("term_common", "oil", "oil", None),
    ("term_rare", "cocoa", "cocoa", None),
    ("term_rare", "tinplate", "tinplate", None),
    ("and", "oil AND prices", "oil AND prices", None),
    ("and", "wheat AND export", "wheat AND export", None),
    ("or2", "gold OR silver", "gold OR silver", None),
    ("or2", "wheat OR corn", "wheat OR corn", None),
    ("or5", "gold OR silver OR copper OR zinc OR tin", "gold OR silver OR copper OR zinc OR tin", None),
    ("or5", "wheat OR corn OR soybeans OR barley OR sorghum", "wheat OR corn OR soybeans OR barley OR sorghum", None),
    ("not", "oil NOT opec", "oil NOT opec", None),
    ("not", "bank NOT rate", "bank NOT rate", None),
    ("phrase", '"interest rates"', '"interest rates"', None),
    ("phrase", '"the company said"', '"the company said"', None),
    # Phrases of common words: every word is indexed, so these are joins over the largest postings.
    ("phrase_common", '"said it"', '"said it"', None),
    ("phrase_common", '"the bank"', '"the bank"', None),
    ("phrase_common", '"state of emergency"', '"state of emergency"', None),
    ("phrase_common", '"of the"', '"of the"', None),
    ("prefix", "export*", "export*", None),
    ("prefix", "petro*", "petro*", None),
    ("field", "title:oil", "title:oil", None),
    ("field", "title:bank", "title:bank", None),
    ("date_range", "trade", "trade", MARCH),
    ("date_range", "dollar", "dollar", MARCH),
    ("match_all", "", None, None),
]

KINDS = list(dict.fromkeys(kind for kind, *_ in QUERIES))
