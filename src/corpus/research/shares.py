"""Shares beside counts: each facet value's documents in the corpus under a search's date filter."""

from __future__ import annotations

import numpy as np

from ..search.backend import SearchBackend
from ..search.types import Facet, SearchRequest


def corpus_request(req: SearchRequest) -> SearchRequest:
    """The whole corpus under a search's date filter (no query, no facet filter)."""
    return SearchRequest(date_from=req.date_from, date_to=req.date_to, facets=(), timeline=False, authors=False)


def facet_corpus_counts(backend: SearchBackend, req: SearchRequest, facets: dict[str, Facet]) -> dict[str, dict[str, int]]:
    """For each listed facet value, the documents with that value in the corpus under the search's date filter."""
    if not facets:
        return {}
    m = backend.matches(corpus_request(req))
    out: dict[str, dict[str, int]] = {}
    for name, facet in facets.items():
        table = m.facets.get(name)
        if table is None:
            continue
        docs, ords = np.asarray(table.docs), np.asarray(table.ords)
        counts = np.bincount(ords[m.subcorpus[docs]], minlength=len(table.values))
        index = {value: i for i, value in enumerate(table.values)}
        out[name] = {v.value: int(counts[index[v.value]]) if v.value in index else 0 for v in facet.values}
    return out
