"""Article and Author to Whoosh's stored fields and back: the only place that knows the stored layout.

Facets are stored as one KEYWORD value joined with FACET_SEPARATOR, beside a TEXT twin for the
query language; dates are stored naive (Whoosh's DATETIME) and are UTC; what only the article
page shows (bios, extra metadata, origin) travels in the `meta` blob.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from ...analysis import UNDETERMINED
from ...documents import Article, Author, Byline
from ...search.types import ArticleRecord, AuthorRecord, Hit
from .analysis import marked
from .schema import ARTICLE, AUTHOR, FACET_SEPARATOR


def join(values: list[str]) -> str:
    """Facet values as one keyword field (a separator inside a value becomes a space)."""
    return FACET_SEPARATOR.join(v.replace(FACET_SEPARATOR, " ") for v in values)


def split(value: str | None) -> list[str]:
    """A keyword field back into its values."""
    return [v for v in (value or "").split(FACET_SEPARATOR) if v]


def naive(value: datetime) -> datetime:
    """A UTC datetime as Whoosh stores it (naive)."""
    return value.astimezone(UTC).replace(tzinfo=None)


def aware(value: datetime | None) -> datetime | None:
    """A stored datetime back as an aware UTC one."""
    if value is None:
        return None
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value


def author_doc_id(slug: str) -> str:
    """The id of an author's document."""
    return f"author:{slug}"


def article_fields(article: Article, digest: str, dedupe: str) -> dict[str, Any]:
    """The index fields of one article."""
    meta = {
        "origin": article.origin, "bios": article.bios, "extra": article.extra,
        "region_inferred": article.region_inferred,
    }
    language = article.language
    fields: dict[str, Any] = {
        # Title and body are indexed with their language in front (analysis.marked) and stored as written.
        "id": article.id, "kind": ARTICLE, "title": marked(article.title, language), "_stored_title": article.title,
        "body": marked(article.body, language), "_stored_body": article.body,
        "language": language, "language_text": language,
        "author": join(article.authors), "author_text": " ".join(article.authors),
        "source": article.source or "", "source_text": article.source or "",
        "region": join(article.region), "region_text": " ".join(article.region),
        "category": join(article.category), "category_text": " ".join(article.category),
        "url": article.url, "meta": meta, "path": article.path, "root": article.root,
        "hash": digest, "dedupe": dedupe,
    }
    if article.date is not None:
        fields["date"] = naive(article.date)
    return fields


def author_fields(author: Author) -> dict[str, Any]:
    """The index fields of one author document."""
    meta = {
        "slug": author.slug, "name": author.name, "url": author.url, "article_count": author.article_count,
        "first_date": author.first_date.isoformat() if author.first_date else None,
        "last_date": author.last_date.isoformat() if author.last_date else None,
        "sources": author.sources, "organisation": author.organisation, "aliases": author.aliases,
    }
    fields: dict[str, Any] = {
        "id": author_doc_id(author.slug), "kind": AUTHOR, "title": author.name, "bio": author.bio,
        "author": join([author.name]), "author_text": author.name,
        "source": join(author.sources), "source_text": " ".join(author.sources), "meta": meta,
    }
    if author.last_date:
        fields["date"] = naive(author.last_date)
    return fields


def hit(stored: dict[str, Any], snippet: str, score: float | None) -> Hit:
    """A search hit from an article's stored fields."""
    return Hit(
        id=stored["id"], title=stored.get("title") or "", authors=split(stored.get("author")),
        date=aware(stored.get("date")), source=stored.get("source") or None, region=split(stored.get("region")),
        url=stored.get("url"), snippet=snippet, score=score, category=split(stored.get("category")),
        language=stored.get("language") or UNDETERMINED,
    )


def article_record(stored: dict[str, Any]) -> ArticleRecord:
    """A whole article from its stored fields."""
    meta = stored.get("meta") or {}
    return ArticleRecord(
        id=stored["id"], title=stored.get("title") or "", body=stored.get("body") or "",
        authors=split(stored.get("author")), date=aware(stored.get("date")),
        source=stored.get("source") or None, region=split(stored.get("region")),
        region_inferred=bool(meta.get("region_inferred")), category=split(stored.get("category")),
        url=stored.get("url"), bios=meta.get("bios") or {}, extra=meta.get("extra") or {},
        origin=meta.get("origin", ""), language=stored.get("language") or UNDETERMINED,
    )


def author_record(stored: dict[str, Any]) -> AuthorRecord:
    """An author from the stored fields of the author's document."""
    meta = stored.get("meta") or {}
    return AuthorRecord(
        slug=meta.get("slug", ""), name=meta.get("name", stored.get("title", "")), bio=stored.get("bio") or "",
        url=meta.get("url"), article_count=int(meta.get("article_count", 0)), first_date=meta.get("first_date"),
        last_date=meta.get("last_date"), sources=list(meta.get("sources") or []),
        organisation=bool(meta.get("organisation")), aliases=list(meta.get("aliases") or []),
    )


def author_match_fields(stored: dict[str, Any]) -> tuple[str, str, int]:
    """(slug, name, article count) of an author's document, for the author matches beside results."""
    meta = stored.get("meta") or {}
    return meta.get("slug", ""), meta.get("name", stored.get("title", "")), int(meta.get("article_count", 0))


def byline(stored: dict[str, Any]) -> Byline:
    """Who wrote an article, when, where and with which bios, from its stored fields."""
    meta = stored.get("meta") or {}
    organisations = (meta.get("extra") or {}).get("author_organisations")
    return Byline(authors=split(stored.get("author")), date=aware(stored.get("date")),
                  sources=split(stored.get("source")), bios=meta.get("bios") or {},
                  organisations=[str(n) for n in organisations] if isinstance(organisations, list) else [])
