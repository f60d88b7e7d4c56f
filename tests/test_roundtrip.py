"""Ingest then search, on a real index in a temporary folder."""

from __future__ import annotations

import re

from corpus.engines import open_backend
from corpus.search import SearchRequest


def test_ingest_then_search_finds_the_sample(sample_settings):
    svc = open_backend(sample_settings)
    result = svc.search(SearchRequest(q="elites"))
    assert result.total == 1
    [hit] = result.hits
    assert hit.id == "000_58784f50d73ecb9e"
    assert hit.authors == ["Paul Goble"]
    assert re.search(r"<mark>elites?</mark>", hit.snippet)  # stemming: elite and elites both match


def test_words_only_in_the_boilerplate_find_nothing(sample_settings):
    svc = open_backend(sample_settings)
    assert svc.search(SearchRequest(q="reply")).total == 0
    assert svc.search(SearchRequest(q='"required fields"')).total == 0
    assert svc.search(SearchRequest(q="protected")).total == 0


def test_bio_words_find_the_author_document_not_the_article(sample_settings):
    svc = open_backend(sample_settings)
    result = svc.search(SearchRequest(q='"State Department"'))
    assert result.total == 0
    assert [a.name for a in result.authors] == ["Paul Goble"]
    assert "<mark>State</mark> <mark>Department</mark>" in result.authors[0].bio


def test_author_document_holds_bio_and_counts(sample_settings):
    author = open_backend(sample_settings).author("paul-goble")
    assert author.name == "Paul Goble"
    assert author.article_count == 1
    assert author.bio.startswith("Paul Goble is a longtime specialist")
