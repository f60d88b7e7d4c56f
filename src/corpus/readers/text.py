"""Plain-text articles: the scraped-web layout, the title-then-body layout, and header blocks.

The scraped-web layout (the sample article in corpus_data/) is:

    Title line
    By [name]                      <- optional, the name is often missing
    body paragraphs ...
    Author Name                    <- trailing author block: a name on its own line,
    Author Name is a ... (bio)        then a bio paragraph that starts with that name
    Leave a Reply / Your email ...  <- comment-form boilerplate, dropped
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import yaml

from ..documents import RawRecord
from .base import MAX_RECORD_BYTES, ReadError, Skipped, decode_text, load_yaml, looks_binary, read_whole

HEADER_KEYS = {
    "title", "headline", "author", "authors", "byline", "by", "date", "published", "publish_date",
    "pubdate", "source", "publication", "site_name", "site", "region", "regions", "country",
    "countries", "url", "link", "id", "doc_id", "topics", "topic", "category", "type", "bio",
    "language", "lang",
}

# Paragraphs that are page furniture, not article text. Matched against a whole paragraph.
BOILERPLATE = [
    r"leave a (reply|comment)",
    r"your email address will not be published\.?.*",
    r"required fields are marked \*?",
    r"(click to )?(share|print|email|tweet|subscribe)( this( article| story)?)?( on \w+)?:?",
    r"share (on|via) .*",
    r"(sign up|subscribe) (for|to) (our|the) .*newsletter.*",
    r"related (posts|articles|stories):?",
    r"(post(ed)? )?comments?:?",
    r"cancel reply",
    r"(like|loading)\.{0,3}",
    r"advertisement",
]
BOILERPLATE_RE = re.compile(r"^\s*(?:" + "|".join(BOILERPLATE) + r")\s*$", re.IGNORECASE | re.DOTALL)
# Once the comment form starts, nothing after it is article text.
COMMENT_FORM_RE = re.compile(r"^\s*leave a (reply|comment)\s*$", re.IGNORECASE)
BY_LINE_RE = re.compile(r"^\s*by\b[:\s]*(?P<name>.*)$", re.IGNORECASE)
NAME_WORD_RE = re.compile(r"^(?:[A-Z][\w'’.-]*|[A-Z]\.|de|da|van|von|der|den|la|le|al-\w+|bin|ibn|du|y)$")
ABOUT_RE = re.compile(r"^\s*about the author:?\s*$", re.IGNORECASE)


def read(path: Path, rel: str) -> Iterator[RawRecord | Skipped]:
    """Read one plain-text article file."""
    data = read_whole(path, MAX_RECORD_BYTES)
    if looks_binary(data):
        yield Skipped(rel, "binary content in a text file")
        return
    text, encoding = decode_text(data)
    if not text.strip():
        yield Skipped(rel, "empty file" if not data else "file holds only whitespace")
        return
    fields = parse_text(text)
    if not fields.get("body") and not fields.get("title"):
        yield Skipped(rel, "no article text found")
        return
    fields["_encoding"] = encoding
    yield RawRecord(fields=fields, origin=rel, path=rel, fmt="text")


def split_paragraphs(text: str) -> list[str]:
    """Split on blank lines; keep the lines inside a paragraph as they are."""
    text = text.replace("\r\n", "\n").replace("\r", "\n")
    return [p.strip("\n") for p in re.split(r"\n[ \t\u00a0]*\n", text) if p.strip()]


def parse_header(text: str) -> tuple[dict[str, Any], str]:
    """Take YAML front matter or a leading block of `Key: value` lines off the text."""
    text = text.lstrip("\ufeff")
    if text.startswith("---\n"):
        end = text.find("\n---", 4)
        if end != -1:
            try:
                meta = load_yaml(text[4:end])
            except ReadError as exc:  # aliases: refused, so a "billion laughs" header cannot expand
                raise ReadError(f"YAML front matter: {exc}") from None
            except yaml.YAMLError:
                meta = None
            if isinstance(meta, dict):
                rest = text[end + 4:].split("\n", 1)
                return {str(k).lower(): v for k, v in meta.items()}, rest[1] if len(rest) > 1 else ""
    lines = text.replace("\r\n", "\n").split("\n")
    header: dict[str, Any] = {}
    i = 0
    while i < len(lines):
        m = re.match(r"^([A-Za-z_ ]{2,20}):\s*(.*)$", lines[i])
        if not m or m.group(1).strip().lower().replace(" ", "_") not in HEADER_KEYS:
            break
        header[m.group(1).strip().lower().replace(" ", "_")] = m.group(2).strip()
        i += 1
    # A header block is only a header when it has at least two keys or ends in a blank line.
    if header and (len(header) >= 2 or (i < len(lines) and not lines[i].strip())):
        return header, "\n".join(lines[i:])
    return {}, text


def _is_name_line(par: str) -> bool:
    if "\n" in par or len(par) > 60:
        return False
    words = par.split()
    if not 2 <= len(words) <= 5:
        return False
    return all(NAME_WORD_RE.match(w) for w in words) and sum(w[0].isupper() for w in words) >= 2


def _looks_like_byline(rest: str) -> bool:
    """True for "Jane Doe", "Jane Doe and John Roe, Reuters" or nothing; false for "By any measure, ..."."""
    rest = rest.strip().rstrip(".")
    if not rest:
        return True
    parts = [p for p in re.split(r"\s*(?:,|;|&|\band\b)\s*", rest) if p]
    return all(1 <= len(p.split()) <= 5 and all(NAME_WORD_RE.match(w) for w in p.split()) for p in parts)


def _starts_with_name(par: str, name: str) -> bool:
    surname = name.split()[-1]
    return par.startswith(name) or bool(re.match(rf"^(?:Mr\.|Ms\.|Mrs\.|Dr\.|Prof\.)?\s*{re.escape(surname)}\b", par))


def parse_text(text: str) -> dict[str, Any]:
    """Split a plain-text article into title, author, body and bio."""
    meta, rest = parse_header(text)
    pars = split_paragraphs(rest)
    fields: dict[str, Any] = dict(meta)

    # Everything from the comment form on is page furniture.
    for i, par in enumerate(pars):
        if COMMENT_FORM_RE.match(par):
            pars = pars[:i]
            break
    pars = [p for p in pars if not BOILERPLATE_RE.match(p)]

    if not any(k in fields for k in ("title", "headline")) and pars:
        first = pars[0]
        # A title is one short line; a long first paragraph is body text with no title.
        if "\n" not in first and len(first) <= 300:
            fields["title"] = first.strip()
            pars = pars[1:]

    by_author = ""
    for i, par in enumerate(pars[:2]):
        m = BY_LINE_RE.match(par)
        if m and "\n" not in par and len(par) <= 200 and _looks_like_byline(m.group("name")):
            by_author = m.group("name").strip()
            pars = pars[:i] + pars[i + 1:]
            break
    if by_author and not any(k in fields for k in ("author", "authors", "byline", "by")):
        fields["author"] = by_author

    # The trailing author block: a name line, then a bio that starts with that name.
    for i in range(len(pars) - 2, 0, -1):
        name_par = pars[i]
        if ABOUT_RE.match(name_par) and i + 1 < len(pars):
            fields.setdefault("bio", "\n\n".join(pars[i + 1:]))
            pars = pars[:i]
            break
        if _is_name_line(name_par) and _starts_with_name(pars[i + 1], name_par.strip()):
            name = name_par.strip()
            if not any(fields.get(k) for k in ("author", "authors", "byline", "by")):
                fields["author"] = name
            fields["bios"] = {name: "\n\n".join(pars[i + 1:])}
            pars = pars[:i]
            break

    fields["body"] = "\n\n".join(pars)
    return fields
