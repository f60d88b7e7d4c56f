"""Article and Author to the rows of the Sphinx indexes and back: the only place that knows the row layout.

Text fields hold corpus's own terms (corpus.analysis), one per position, as `token()` spells
them; `title_x`/`body_x` hold the exact forms (`=word`) at the same positions; `kind` holds
`article` (what `*` and a bare NOT match) and `l<code>` for the article's language. Facet values
are 62-bit hashes in multi-valued attributes (what GROUP BY and filters use), their names in the
`facets_s` JSON; dates are day numbers (signed, so 1916 is fine), with year and month beside them.
"""

from __future__ import annotations

import hashlib
import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from ... import analysis
from ...analysis import UNDETERMINED
from ...documents import Article, Author, Byline
from ...search.types import ArticleRecord, AuthorRecord, Hit

EPOCH = date(1970, 1, 1)
FACET_ATTRS = {"author": "author_h", "source": "source_h", "region": "region_h", "category": "category_h", "language": "language_h"}
ARTICLE_TOKEN = "article"


def stable_hash(text: str) -> int:
    """A 62-bit hash that is the same in every process and on every machine (ids, facet values)."""
    return int.from_bytes(hashlib.blake2b(text.encode("utf-8"), digest_size=8).digest(), "big") >> 2


def doc_number(doc_id: str) -> int:
    """The Sphinx document id of an article or author id (never 0, nor 1: the ranking statistics' probe row)."""
    return max(stable_hash(doc_id), 2)


def shard_of(doc_id: str, shards: int) -> int:
    """The shard that holds a document: a stable hash of its id, so a shard holds whole documents."""
    return stable_hash("shard:" + doc_id) % shards


def value_hash(facet: str, value: str) -> int:
    """The attribute value standing for one facet value."""
    return stable_hash(f"{facet}\x00{value}") or 1


def token(term: str) -> str:
    """An index term as Sphinx sees it: letters, digits and _ only (anything else becomes _).

    The same function spells index and query terms, so a term finds itself; and no operator of
    Sphinx's query syntax can ever come out of it, which is what makes MATCH injection-proof.
    """
    return "".join(c if (c.isalnum() or c == "_") else "_" for c in term)


def language_token(language: str) -> str:
    """The `kind` field's token for an article language."""
    return "l" + token(language or UNDETERMINED)


def terms_text(text: str, language: str) -> tuple[str, str]:
    """(terms, exact forms) of a text, position by position, space separated."""
    terms, exact = [], []
    for tok in analysis.analyze(text, language):
        terms.append(token(tok.term))
    for tok in analysis.analyze(text, language, exact=True):
        exact.append(token(tok.term))
    return " ".join(terms), " ".join(exact)


TEXT_FIELDS = ("title", "body", "title_x", "body_x", "kind")


def text_fields(row: dict[str, Any]) -> dict[str, str]:
    """The full-text fields of a row, analysed again from its stored text (Sphinx 2.2 does not store fields)."""
    if int(row["isauthor"]):
        return {"title": "", "body": "", "title_x": "", "body_x": "", "kind": "author"}
    language = (json.loads(row["facets_s"] or "{}").get("language") or [UNDETERMINED])[0]
    title, title_x = terms_text(row["title_s"] or "", language)
    body, body_x = terms_text(row["body_s"] or "", language)
    return {"title": title, "body": body, "title_x": title_x, "body_x": body_x,
            "kind": f"{ARTICLE_TOKEN} {language_token(language)}"}


def row_terms(row: dict[str, Any]) -> set[str]:
    """Every keyword of a row's full-text fields: what one document adds to Sphinx's document frequencies."""
    return {t for name in TEXT_FIELDS for t in str(row.get(name) or "").split()}


def day_number(value: datetime | None) -> tuple[int, int, int, int]:
    """(dated, day since 1970, year, year*12+month-1) of a date; zeros when undated."""
    if value is None:
        return 0, 0, 0, 0
    d = value.astimezone(UTC).date()
    return 1, (d - EPOCH).days, d.year, d.year * 12 + d.month - 1


def day_date(day: int) -> date:
    """A day number back as a date."""
    return EPOCH + timedelta(days=int(day))


ROW_COLUMNS = ("id", "title", "body", "title_x", "body_x", "kind", "doc", "title_s", "body_s", "meta_s", "facets_s",
               "hash_s", "path_s", "root_s", "dedupe_s", "day", "dated", "year", "month", "isauthor",
               *FACET_ATTRS.values())


def article_row(article: Article, digest: str, dedupe: str) -> dict[str, Any]:
    """The row of one article."""
    language = article.language or UNDETERMINED
    title, title_x = terms_text(article.title, language)
    body, body_x = terms_text(article.body, language)
    dated, day, year, month = day_number(article.date)
    facets = {"author": article.authors, "source": [article.source] if article.source else [], "region": article.region,
              "category": article.category, "language": [language]}
    meta = {"origin": article.origin, "bios": article.bios, "extra": article.extra, "region_inferred": article.region_inferred,
            "url": article.url, "date": article.date.isoformat() if article.date else None}
    row: dict[str, Any] = {
        "id": doc_number(article.id), "title": title, "body": body, "title_x": title_x, "body_x": body_x,
        "kind": f"{ARTICLE_TOKEN} {language_token(language)}", "doc": article.id, "title_s": article.title,
        "body_s": article.body, "meta_s": json.dumps(meta, ensure_ascii=False, default=str),
        "facets_s": json.dumps(facets, ensure_ascii=False), "hash_s": digest, "path_s": article.path, "root_s": article.root,
        "dedupe_s": dedupe, "day": day, "dated": dated, "year": year, "month": month, "isauthor": 0,
    }
    for name, attr in FACET_ATTRS.items():
        row[attr] = tuple(value_hash(name, v) for v in facets[name])
    return row


def author_doc_id(slug: str) -> str:
    """The id of an author's document."""
    return f"author:{slug}"


def author_row(author: Author) -> dict[str, Any]:
    """The row of one author document (no text fields searched by articles' queries)."""
    meta = {"slug": author.slug, "name": author.name, "url": author.url, "article_count": author.article_count,
            "first_date": author.first_date.isoformat() if author.first_date else None,
            "last_date": author.last_date.isoformat() if author.last_date else None, "sources": author.sources,
            "organisation": author.organisation, "aliases": author.aliases, "bio": author.bio}
    doc_id = author_doc_id(author.slug)
    row: dict[str, Any] = {name: "" for name in ROW_COLUMNS}
    row.update({"id": doc_number(doc_id), "kind": "author", "doc": doc_id, "title_s": author.name,
                "meta_s": json.dumps(meta, ensure_ascii=False, default=str), "facets_s": "{}", "day": 0, "dated": 0,
                "year": 0, "month": 0, "isauthor": 1})
    for attr in FACET_ATTRS.values():
        row[attr] = ()
    return row


def _aware(text: str | None) -> datetime | None:
    if not text:
        return None
    value = datetime.fromisoformat(text)
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def hit(row: dict[str, Any], snippet: str, score: float | None) -> Hit:
    """A search hit from an article's row."""
    facets = json.loads(row.get("facets_s") or "{}")
    meta = json.loads(row.get("meta_s") or "{}")
    return Hit(id=row["doc"], title=row.get("title_s") or "", authors=facets.get("author", []), date=_aware(meta.get("date")),
               source=(facets.get("source") or [None])[0], region=facets.get("region", []), url=meta.get("url"),
               snippet=snippet, score=score, category=facets.get("category", []),
               language=(facets.get("language") or [UNDETERMINED])[0])


def article_record(row: dict[str, Any]) -> ArticleRecord:
    """A whole article from its row."""
    facets = json.loads(row.get("facets_s") or "{}")
    meta = json.loads(row.get("meta_s") or "{}")
    return ArticleRecord(
        id=row["doc"], title=row.get("title_s") or "", body=row.get("body_s") or "", authors=facets.get("author", []),
        date=_aware(meta.get("date")), source=(facets.get("source") or [None])[0], region=facets.get("region", []),
        region_inferred=bool(meta.get("region_inferred")), category=facets.get("category", []), url=meta.get("url"),
        bios=meta.get("bios") or {}, extra=meta.get("extra") or {}, origin=meta.get("origin", ""),
        language=(facets.get("language") or [UNDETERMINED])[0],
    )


def author_record(row: dict[str, Any]) -> AuthorRecord:
    """An author from the row of the author's document."""
    meta = json.loads(row.get("meta_s") or "{}")
    return AuthorRecord(slug=meta.get("slug", ""), name=meta.get("name", ""), bio=meta.get("bio") or "", url=meta.get("url"),
                        article_count=int(meta.get("article_count", 0)), first_date=meta.get("first_date"),
                        last_date=meta.get("last_date"), sources=list(meta.get("sources") or []),
                        organisation=bool(meta.get("organisation")), aliases=list(meta.get("aliases") or []))


def byline(row: dict[str, Any]) -> Byline:
    """Who wrote an article, when, where and with which bios, from its row."""
    facets = json.loads(row.get("facets_s") or "{}")
    meta = json.loads(row.get("meta_s") or "{}")
    organisations = (meta.get("extra") or {}).get("author_organisations")
    return Byline(authors=facets.get("author", []), date=_aware(meta.get("date")), sources=facets.get("source", []),
                  bios=meta.get("bios") or {},
                  organisations=[str(n) for n in organisations] if isinstance(organisations, list) else [])


def facet_name(row: dict[str, Any], facet: str, group: int) -> str | None:
    """The name of the facet value a GROUP BY row stands for, found among its own document's values."""
    values = json.loads(row.get("facets_s") or "{}").get(facet, [])
    return next((v for v in values if value_hash(facet, v) == group), None)
