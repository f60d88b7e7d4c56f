"""The research views as the web sees them: parameters in, the engine's matches, the computation, provenance.

Shared by the API (web/api.py) and the pages (web/pages.py), so both show the same numbers.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import urlencode

from flask import request, url_for

from ..concord.store import TokenStore, served_store
from ..errors import BadRequest, QueryTimeout
from ..research.compare import Comparison, compare
from ..research.keyness import Keywords, Options, keywords
from ..research.provenance import provenance, query_json
from ..research.shares import corpus_request as _corpus_request
from ..search.backend import SearchBackend
from ..search.deadline import Deadline
from ..search.types import Matches, SearchRequest
from .context import service, settings
from .params import CompareRequest, keywords_search, parse_compare, parse_keywords, reference_search

ATTEMPTS = 3  # an ingest landing between the searches of one request: the searches are made again


def _consistent(run: Callable[[], list[Matches]]) -> list[Matches]:
    """Searches made on one served version (their masks are numbered alike), tried again if an ingest landed."""
    for _ in range(ATTEMPTS):
        found = run()
        if len({m.version for m in found}) == 1:
            return found
    raise QueryTimeout("the index changed while this request ran, several times; try again")


def _store(m: Matches) -> TokenStore:
    return served_store(Path(m.build))


def _search_pairs(req: SearchRequest, prefix: str = "") -> list[tuple[str, str]]:
    pairs: list[tuple[str, str]] = []
    if req.q:
        pairs.append((prefix + "q", req.q))
    for name, values in req.filters:
        pairs.extend((prefix + name, v) for v in values)
    if req.date_from:
        pairs.append((prefix + "from", req.date_from.isoformat()))
    if req.date_to:
        pairs.append((prefix + "to", req.date_to.isoformat()))
    return pairs


@dataclass
class KeywordAnswer:
    result: Keywords
    request: SearchRequest
    reference: SearchRequest | None
    format: str
    provenance: dict[str, Any]

    def concordance(self, word: str) -> str:
        """The concordance of the query plus this word (a phrase for several words), under the same filters."""
        phrase = '"' + word.replace('"', " ") + '"'
        q = self.request.q.strip()
        combined = f"({q}) {phrase}" if q else phrase
        if len(combined) > settings().max_query_length:
            combined = phrase
        pairs = [("q", combined), *[(k, v) for k, v in _search_pairs(self.request) if k != "q"]]
        return url_for("pages.concordance") + "?" + urlencode(pairs)


def keyword_answer(args: Any) -> KeywordAnswer:
    """The distinctive words that a request asks for, with their provenance."""
    options, fmt = parse_keywords(args)
    req = keywords_search(args, settings())
    ref = reference_search(args, settings()) if options.vs == "search" else None
    deadline = Deadline(settings().query_time_limit)
    svc: SearchBackend = service()

    def run() -> list[Matches]:
        found = [svc.matches(req)]
        deadline.check()
        found.append(svc.matches(_corpus_request(req)))
        if ref is not None:
            deadline.check()
            found.append(svc.matches(ref))
        deadline.check()
        return found

    found = _consistent(run)
    target, corpus = found[0], found[1]
    reference = found[2] if ref is not None else None
    result = keywords(_store(target), target, corpus, reference, options, deadline.check)
    if options.vs == "search":
        assert reference is not None and ref is not None
        ref_query = query_json(ref, reference.parsed, "reference")
    else:
        ref_query = {**query_json(_corpus_request(req), "", "reference"),
                     "description": ("the rest of the corpus under the same date filter" if options.vs == "rest"
                                     else "the whole corpus under the same date filter")}
    note = provenance(
        "keywords", request.full_path, [query_json(req, target.parsed, "target"), ref_query], target.index, target.version,
        {"target_documents": result.target_documents, "reference_documents": result.reference_documents},
        {"target_tokens": result.target_tokens, "reference_tokens": result.reference_tokens,
         "unit": "word" if options.ngram == 1 else f"phrase of {options.ngram} words"},
        _options(result.options, result.stop_languages))
    return KeywordAnswer(result, req, ref, fmt, note)


def _options(o: Options, languages: list[str]) -> dict[str, Any]:
    return {"vs": o.vs, "sort": o.sort, "min": o.min, "ngram": o.ngram, "limit": o.limit,
            "stop": languages if o.stop is not None else None}


@dataclass
class CompareAnswer:
    result: Comparison
    request: CompareRequest
    provenance: dict[str, Any]


def compare_answer(args: Any) -> CompareAnswer:
    """The comparison of the labelled queries of a request, with its provenance."""
    creq = parse_compare(args, settings())
    if not creq.queries:
        raise BadRequest("q1 is needed: give up to 6 queries as q1 ... q6 (and labels as label1 ...)", param="q1")
    deadline = Deadline(settings().query_time_limit)
    svc: SearchBackend = service()
    shared = creq.shared

    def run() -> list[Matches]:
        found = []
        for _, _, q in creq.queries:
            found.append(svc.matches(replace(shared, q=q)))
            deadline.check()
        found.append(svc.matches(_corpus_request(shared)))
        return found

    found = _consistent(run)
    series = [(n, label, m) for (n, label, _), m in zip(creq.queries, found, strict=False)]
    result = compare(series, found[-1], shared.facets, shared.facet_size, creq.interval, deadline.check)
    note = provenance(
        "comparison", request.full_path,
        [query_json(m.request, m.parsed, f"q{n}", label) for n, label, m in series], found[0].index, found[0].version,
        {**{f"q{s.number}": s.total for s in result.series}},
        {"subcorpus": result.subcorpus, "undated_subcorpus": result.undated_subcorpus,
         "periods": "each period's denominator is the documents of the period that the shared filters and dates keep"},
        {"interval": result.interval})
    return CompareAnswer(result, creq, note)


def search_provenance(kind: str, req: SearchRequest, parsed: str, index: Any, version: str,
                      counts: dict[str, Any], denominators: dict[str, Any] | None = None,
                      options: dict[str, Any] | None = None) -> dict[str, Any]:
    """The provenance of a search-shaped answer (a search, a facet's values, an export, a concordance)."""
    return provenance(kind, request.full_path, [query_json(req, parsed)], index, version, counts,
                      denominators if denominators is not None else {"corpus_documents": index.documents}, options)


def plain_provenance(kind: str, svc: SearchBackend) -> dict[str, Any]:
    """The provenance of an answer that is no search (an article, an author, the stats): index, software, time."""
    info = svc.index_info()
    return provenance(kind, request.full_path, [], info, svc.version(), {"documents": info.documents},
                      {"corpus_documents": info.documents})


SEARCH_DENOMINATORS = {
    "facets": "corpus_count of a facet value: the corpus's documents with that value under the same date filter",
    "timeline": "corpus_count of a period: every document of the corpus dated in that period",
}
