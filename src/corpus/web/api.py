"""The JSON API: the same searches as the pages, for scripts."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, jsonify, request

from ..documents import is_valid_id
from ..errors import NotFound
from . import service, settings
from .params import parse_search
from .serialize import article_json, author_json, result_json

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.get("/search")
def search() -> Any:
    """Search: the same parameters and the same numbers as /search."""
    req = parse_search(request.args, settings())
    result = service().search(req)
    return jsonify(result_json(result, request.args, "api.search"))


@bp.get("/articles/<doc_id>")
def article(doc_id: str) -> Any:
    """One article with its body, its authors' bios and all stored metadata."""
    if not is_valid_id(doc_id):
        raise NotFound(f"no article with id {doc_id[:80]!r}")
    return jsonify(article_json(service().article(doc_id)))


@bp.get("/authors/<slug>")
def author(slug: str) -> Any:
    """One author: name, bio, counts, date span and sources."""
    if not is_valid_id(slug):
        raise NotFound(f"no author {slug[:80]!r}")
    return jsonify(author_json(service().author(slug)))
