"""A facet's answer from its (value, count) pairs, the same for every engine.

An engine counts the values of a facet over the result set (ignoring the facet's own selection,
so facets are multi-select) and sorts them; this keeps the values a prefix asks for, pages them,
and adds the selected values that fell outside the page, so a selection always shows.
"""

from __future__ import annotations

from .types import Facet, FacetValue, SearchRequest


def facet_page(name: str, pairs: list[tuple[str, int]], req: SearchRequest, size: int | None = None, prefix: str = "",
               offset: int = 0, distinct: int | None = None) -> Facet:
    """The facet of these sorted (value, count) pairs: those matching the prefix, from offset, size of them.

    An engine may pass only the pairs up to the page's end, then those of any selected values past
    it, with `distinct` saying how many values have a count (no prefix then).
    """
    if distinct is not None and not prefix:
        return _page(name, pairs, req, size, offset, distinct)
    if prefix:  # the prefix of the value or of any of its words, case aside
        folded = prefix.casefold()
        pairs = [p for p in pairs if p[0].casefold().startswith(folded) or any(w.startswith(folded) for w in p[0].casefold().split())]
    return _page(name, pairs, req, size, offset, len(pairs))


def _page(name: str, pairs: list[tuple[str, int]], req: SearchRequest, size: int | None, offset: int, distinct: int) -> Facet:
    limit = req.facet_size if size is None else size
    shown = pairs[offset:offset + limit]
    chosen = set(req.selected(name))
    names = {v for v, _ in shown}
    for value in sorted(chosen - names):  # selected values always show, even outside the page
        shown.append((value, next((c for v, c in pairs if v == value), 0)))
    return Facet(name=name, values=[FacetValue(v, c, v in chosen) for v, c in shown], distinct=distinct, total_values=distinct)
