"""The concordance and collocation answers as plain dicts (the API, the pages and the exports share them)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from ..errors import BadRequest
from ..search.serialize import MULTI_SEPARATOR, Links, iso, neutralise
from ..search.types import Matches, SearchRequest
from .colloc import Collocations, as_json
from .lines import Concordance, Line, Options, per_million
from .store import TokenStore, served_store

NO_PATTERN = ("the query has no word or phrase to show in context (only filters, dates or negated words); "
              "add a word, a phrase or a prefix such as export*")
LINE_COLUMNS = ("id", "title", "date", "author", "source", "region", "language", "field", "position",
                "left", "match", "right")


def prepare(backend: Any, req: SearchRequest) -> tuple[TokenStore, Matches]:
    """The served build's token store and the search's matches; a clear 400 or 503 when there is nothing to show."""
    if not req.q.strip():
        raise BadRequest("q is needed: the word, phrase or prefix to show in context", param="q")
    matches = backend.matches(req)
    store = served_store(Path(matches.build))
    if not matches.patterns:
        raise BadRequest(NO_PATTERN, param="q")
    return store, matches


def line_record(line: Line) -> dict[str, Any]:
    """One line with its document's metadata, in the export's column order."""
    hit = line.hit
    return {
        "id": hit.id, "title": hit.title, "date": iso(hit.date), "author": hit.authors, "source": hit.source,
        "region": hit.region, "language": hit.language, "field": line.field, "position": line.position,
        "left": line.left, "match": line.match, "right": line.right,
    }


class LineCells:
    """Lines as CSV cells, in LINE_COLUMNS order, text neutralised against formulas as csv_cells does.

    A document's own cells are worked out once and kept for the next lines of the same document.
    """

    def __init__(self, keep_formulas: bool) -> None:
        self.keep = keep_formulas
        self._docs: dict[str, list[str]] = {}

    def _text(self, value: str) -> str:
        return value if self.keep else neutralise(value)

    def __call__(self, line: Line) -> list[str]:
        hit = line.hit
        head = self._docs.get(hit.id)
        if head is None:
            if len(self._docs) >= 4096:
                self._docs.clear()
            head = self._docs[hit.id] = [
                self._text(hit.id), self._text(hit.title), iso(hit.date) or "", self._text(MULTI_SEPARATOR.join(hit.authors)),
                self._text(hit.source or ""), self._text(MULTI_SEPARATOR.join(hit.region)), self._text(hit.language),
            ]
        return [*head, line.field, str(line.position), self._text(line.left), self._text(line.match), self._text(line.right)]


def line_json(line: Line, links: Links) -> dict[str, Any]:
    return {**line_record(line), "links": links.article(line.hit.id)}


def provenance(matches: Matches, options: dict[str, Any], counts: dict[str, int]) -> dict[str, Any]:
    """What an answer was computed on: the query as typed and as understood, filters, build, counts, time."""
    req = matches.request
    return {
        "q": req.q, "parsed": matches.parsed, "filters": req.filter_dict,
        "from": req.date_from.isoformat() if req.date_from else None,
        "to": req.date_to.isoformat() if req.date_to else None,
        "options": options, **counts, "index": matches.index.build, "version": matches.version,
        "generated": datetime.now(UTC).isoformat(timespec="seconds"),
    }


def concordance_options(options: Options) -> dict[str, Any]:
    return {"width": options.width, "cut": options.cut, "sort": ",".join(options.sort), "sample": options.sample,
            "seed": options.seed, "by": options.by, "near": options.near,
            "window": options.near_window if options.near else None}


def concordance_json(c: Concordance, links: Links) -> dict[str, Any]:
    """The body of /api/concordance."""
    o = c.options
    return {
        "q": c.matches.request.q, "parsed": c.matches.parsed, "filters": c.matches.request.filter_dict,
        "occurrences": c.occurrences, "documents": c.documents, "shown": c.shown,
        "sample": {"size": o.sample, "seed": o.seed} if o.sample is not None else None,
        "page": o.page, "per_page": o.per_page, "pages": c.pages,
        "width": o.width, "cut": o.cut, "sort": list(o.sort),
        "near": {"word": o.near, "window": o.near_window} if o.near else None,
        "corpus_tokens": c.tokens, "per_million": per_million(c.occurrences, c.tokens),
        "lines": [line_json(line, links) for line in c.lines],
        "facets": {name: [{"value": v, "documents": n} for v, n in values] for name, values in c.facets.items()},
        "timeline": {"interval": c.interval, "buckets": c.timeline},
        "by": o.by,
        "slices": [{"value": s.value, "occurrences": s.occurrences, "documents": s.documents, "corpus_tokens": s.tokens,
                    "per_million": per_million(s.occurrences, s.tokens), "lines": [line_json(x, links) for x in s.lines]}
                   for s in c.slices],
        "index": vars(c.matches.index),
    }


def collocations_json(c: Collocations) -> dict[str, Any]:
    """The body of /api/collocations."""
    o = c.options
    return {
        "q": c.matches.request.q, "parsed": c.matches.parsed, "filters": c.matches.request.filter_dict,
        "left": o.left, "right": o.right, "min": o.min, "stop": o.stop, "sort": o.sort, "limit": o.limit, "by": o.by,
        **as_json(c.table),
        "slices": [as_json(t) for t in c.slices],
        "index": vars(c.matches.index),
    }

