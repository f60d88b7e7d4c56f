"""The order of hits: best score first, or by date; ties always broken by id."""

from __future__ import annotations

import numpy as np

from ...search.types import SearchRequest
from .snapshot import NO_DATE, Snapshot

Scored = tuple[np.ndarray, np.ndarray]  # (document numbers, scores)


def by_date(req: SearchRequest, snap: Snapshot, selected: np.ndarray) -> np.ndarray:
    """Document numbers of the selection sorted by date (newest or oldest), ties by id."""
    docs = np.nonzero(selected)[0]
    days = snap.days[docs].astype(np.int64)
    undated = days == NO_DATE
    key = -days if req.sort != "oldest" else days
    key = np.where(undated, np.iinfo(np.int64).max, key)  # undated last either way
    order = np.lexsort((snap.id_rank[docs], key))
    return docs[order]


def ranked(scored: Scored, selected: np.ndarray, id_rank: np.ndarray, limit: int) -> Scored:
    """The first `limit` selected documents of a scored match, best first, with their scores."""
    docs, values = scored
    keep = selected[docs]
    docs, values = docs[keep], values[keep]
    order = best(docs, values, id_rank, limit)
    return docs[order], values[order]


def best(docs: np.ndarray, scores: np.ndarray, id_rank: np.ndarray, limit: int) -> np.ndarray:
    """Indexes of the `limit` best-scored documents, best first, equal scores in id order.

    Scores are compared rounded to 6 places, so float noise in sums never reorders ties.
    """
    rounded = np.round(scores, 6)
    if limit < len(docs):
        # Every document scoring at least the limit-th best score may belong on the page.
        kth = np.partition(-rounded, limit - 1)[limit - 1]
        candidates = np.flatnonzero(-rounded <= kth)
    else:
        candidates = np.arange(len(docs))
    order = np.lexsort((id_rank[docs[candidates]], -rounded[candidates]))[:limit]
    return candidates[order]
