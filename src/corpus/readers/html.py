"""Saved web pages: the main text and metadata (title, author, date, site name, canonical URL) via trafilatura.

Extraction is trafilatura's job, not ours: it removes navigation, footers and comment sections
and finds metadata in meta tags, JSON-LD and the page itself. This module only decodes the bytes,
calls it, and hands the result on as raw fields for normalize.py.
"""

from __future__ import annotations

import codecs
import logging
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import lxml.etree
import lxml.html

from ..documents import RawRecord
from ..nonarticle import kind_of
from .base import MAX_RECORD_BYTES, Reader, Skipped, decode_text, looks_binary, read_whole

# Saved pages carry inline scripts, styles and images, so they may be larger than one article's text.
MAX_PAGE_BYTES = 32 * 1024**2
# A document type declaration with an internal subset can declare entities that expand into
# other entities ("billion laughs"); saved web pages never need one.
ENTITY_DECL_RE = re.compile(r"<!ENTITY\b", re.IGNORECASE)
CHARSET_RE = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([A-Za-z0-9_.:-]{2,40})""", re.IGNORECASE)
TITLE_RE = re.compile(r"<title[^>]*>(.*?)</title\s*>", re.IGNORECASE | re.DOTALL)

# trafilatura logs a warning for every page it finds too little text in; the report says that already.
logging.getLogger("trafilatura").setLevel(logging.ERROR)
logging.getLogger("htmldate").setLevel(logging.ERROR)


def decode_html(data: bytes) -> tuple[str, str]:
    """Decode a page with the charset its <meta> tag declares, else as decode_text does."""
    if not data.startswith((codecs.BOM_UTF8, codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        m = CHARSET_RE.search(data[:8192])
        if m:
            try:
                name = codecs.lookup(m.group(1).decode("ascii")).name
            except LookupError:
                name = ""
            # A page that says UTF-8 but is not is decoded by the fallback below instead.
            if name and name not in ("utf-8", "utf-16", "utf-16-le", "utf-16-be"):
                if name in ("latin-1", "iso8859-1", "ascii"):
                    name = "cp1252"  # what browsers do with a page labelled Latin-1 or ASCII
                return data.decode(name, errors="replace"), name
    return decode_text(data)


def extract(html: str) -> dict[str, Any] | None:
    """trafilatura's main text and metadata as plain fields, or None when the page has no main text."""
    import trafilatura

    doc = trafilatura.bare_extraction(
        html, with_metadata=True, include_comments=False, include_tables=True,
        # Only the page's own dates: no guessing from the text or the file time.
        date_extraction_params={"extensive_search": False, "original_date": True},
    )
    if doc is None:
        return None
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    text = str(data.get("text") or "")
    title = str(data.get("title") or "").strip()
    lines = [ln.strip() for ln in text.split("\n")]
    # trafilatura starts the text with the page's headline when it is inside the article.
    if lines and title and lines[0] == title:
        lines = lines[1:]
    body = "\n\n".join(ln for ln in lines if ln)
    if not body.strip() and not title:
        return None
    fields: dict[str, Any] = {"title": title, "body": body}
    for ours, theirs in (("author", "author"), ("date", "date"), ("source", "sitename"), ("url", "url"),
                         ("description", "description"), ("language", "language")):
        value = data.get(theirs)
        if value:
            fields[ours] = value
    if "language" not in fields:  # the page's own <html lang="..."> (trafilatura reports it only sometimes)
        declared = HTML_LANG_RE.search(html[:20_000])
        if declared:
            fields["language"] = declared.group(1)
    categories = [*(data.get("categories") or []), *(data.get("tags") or [])]
    if categories:
        fields["category"] = categories
    return fields


HTML_LANG_RE = re.compile(r"<html\b[^>]*?\blang\s*=\s*[\"']?([A-Za-z]{2,3}(?:[-_][A-Za-z0-9]{1,8})*)", re.IGNORECASE)


def read(path: Path, rel: str) -> Iterator[RawRecord | Skipped]:
    """Read one saved web page."""
    data = read_whole(path, MAX_PAGE_BYTES)
    if not data.strip():
        yield Skipped(rel, "empty file" if not data else "file holds only whitespace")
        return
    if looks_binary(data):
        yield Skipped(rel, "binary content in an HTML file")
        return
    html, encoding = decode_html(data)
    del data
    if ENTITY_DECL_RE.search(html):
        yield Skipped(rel, "the page declares its own entities (<!ENTITY ...>), which can expand without bound; refused")
        return
    fields = extract(html)
    if fields is None:
        fields = page_text(html)
        if fields is None:
            yield Skipped(rel, "no article text found in the page (only markup, scripts or styles)")
            return
    if len(fields["body"].encode("utf-8")) > MAX_RECORD_BYTES:
        yield Skipped(rel, f"the page's text is larger than the {MAX_RECORD_BYTES // 1024**2} MB an article may have")
        return
    fields["_encoding"] = encoding
    yield RawRecord(fields=fields, origin=rel, path=rel, fmt="html")


def page_text(html: str) -> dict[str, Any] | None:
    """The title and visible text of a page trafilatura found no article in, when that page is an error page,
    a challenge or a wall: normalising names it ("not an article: bot challenge") instead of "no text"."""
    m = TITLE_RE.search(html)
    title = " ".join(lxml.html.fromstring(m.group(1)).text_content().split()) if m and m.group(1).strip() else ""
    try:
        root = lxml.html.document_fromstring(html)
    except (ValueError, lxml.etree.ParserError):
        return None
    for bad in root.xpath("//script|//style|//noscript|//title"):
        bad.drop_tree()
    lines = [" ".join(t.split()) for t in root.text_content().splitlines()]
    body = "\n\n".join(ln for ln in lines if ln)
    if kind_of(title, body) is None:
        return None
    return {"title": title, "body": body}


# The file endings this module reads (readers/__init__ puts them in its table).
READERS: dict[str, Reader] = {".html": read, ".htm": read, ".xhtml": read}
