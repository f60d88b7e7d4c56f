"""Normalising records in worker processes, a few batches in flight at a time (bounded memory)."""

from __future__ import annotations

import logging
import multiprocessing
import sys
from collections import Counter, deque
from collections.abc import Iterable, Iterator
from typing import Any

from .. import nonarticle, regions, spelling
from ..documents import Article, RawRecord, is_valid_id
from ..normalize import to_article
from ..readers.base import Skipped, display_path, lone_surrogate, plain_reason

log = logging.getLogger("corpus.ingest")


def normalize_batch(
    batch: list[RawRecord], mapping: dict[str, str], dayfirst: bool, root: str, keep_suspect: bool = False,
) -> tuple[list[Article | Skipped], Counter[str]]:
    """Normalise a batch of records in a worker: articles with their hashes (or named skips), and their words."""
    out: list[Article | Skipped] = []
    for raw in batch:
        try:
            out.append(normalize_one(raw, mapping, dayfirst, root, keep_suspect))
        except Exception as exc:  # one record never stops the ingest
            log.debug("normalising %s failed", raw.origin, exc_info=True)
            out.append(Skipped(raw.origin, f"cannot normalise record: it {plain_reason(exc)}"
                               if isinstance(exc, (UnicodeError, OverflowError, RecursionError, MemoryError))
                               else f"cannot normalise record: {plain_reason(exc)}"))
    words = spelling.count_words(a.title + "\n" + a.body for a in out if isinstance(a, Article))
    return out, words


def normalize_one(raw: RawRecord, mapping: dict[str, str], dayfirst: bool, root: str,
                  keep_suspect: bool = False) -> Article | Skipped:
    """One record as an article with its hashes, or a Skipped entry saying, in plain words, why not.

    An error page, a bot challenge, a login or cookie wall or a bare paywall notice is skipped with
    the reason "not an article: <kind>"; with `keep_suspect` it is indexed, flagged in its metadata.
    """
    bad = lone_surrogate(raw.fields) or lone_surrogate({k: v for k, v in raw.meta.items() if not k.startswith("_")})
    if bad is not None:
        return Skipped(raw.origin, f"field {bad!r} holds text that is not valid Unicode (a lone surrogate such as "
                       "\\ud800, which JSON can write but UTF-8 cannot); the record cannot be stored")
    article = to_article(raw, mapping, dayfirst)
    if not (article.title or article.body or article.date or article.authors or article.source
            or article.region or article.url or article.category or article.extra):
        return Skipped(raw.origin, "record is empty: no title, no body and no metadata")
    if not is_valid_id(article.id):
        return Skipped(raw.origin, f"id {article.id!r} is not usable in a URL")
    suspect = nonarticle.kind_of(article.title, article.body)
    if suspect is not None:
        kind, evidence = suspect
        if not keep_suspect:
            return Skipped(raw.origin, f"not an article: {kind}", evidence=evidence)
        article.extra["suspect"] = f"not an article: {kind}"
        article.extra["suspect_evidence"] = evidence
        article.notes["suspect"] = [kind, evidence]
    article.root = display_path(root)
    article.digest = article.content_hash()
    # Records with no text at all (Reuters has 737, kept for their metadata) are not
    # duplicates of each other.
    article.dedupe = article.dedupe_key() if (article.title or article.body) else f"empty:{article.id}"
    return article


def parallel_normalize(
    batches: Iterable[list[RawRecord]], procs: int, mapping: dict[str, str], dayfirst: bool, root: str,
    words: Counter[str], keep_suspect: bool = False,
) -> Iterator[Article | Skipped]:
    """Normalise batches in worker processes, keeping only a few batches in flight (bounded memory)."""
    regions.warm()  # once, here: forked workers share the gazetteer instead of each building it

    def take(result: tuple[list[Article | Skipped], Counter[str]]) -> list[Article | Skipped]:
        words.update(result[1])
        return result[0]

    if procs <= 1:
        for batch in batches:
            yield from take(normalize_batch(batch, mapping, dayfirst, root, keep_suspect))
        return
    ctx = multiprocessing.get_context("fork" if sys.platform != "win32" else "spawn")
    with ctx.Pool(procs) as pool:
        pending: deque[Any] = deque()
        for batch in batches:
            pending.append(pool.apply_async(normalize_batch, (batch, mapping, dayfirst, root, keep_suspect)))
            if len(pending) >= procs * 3:
                yield from take(pending.popleft().get())
        while pending:
            yield from take(pending.popleft().get())
