"""One exception hierarchy; each error carries an HTTP status and a stable code."""

from __future__ import annotations


class CorpusError(Exception):
    """Base class for every error the project raises on purpose."""

    status = 500
    code = "internal_error"

    def __init__(self, message: str, param: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        self.param = param


class ConfigError(CorpusError):
    code = "config_error"


class BadRequest(CorpusError):
    """A query string or parameter that cannot be used as given."""

    status = 400
    code = "bad_request"


class QuerySyntaxError(BadRequest):
    code = "query_syntax"


class NotFound(CorpusError):
    status = 404
    code = "not_found"


class NoIndex(CorpusError):
    """There is no index to search yet."""

    status = 503
    code = "no_index"


class NoTokenStore(CorpusError):
    """The served index has no token store: the views of words in context cannot be made from it."""

    status = 503
    code = "no_token_store"


class QueryTimeout(CorpusError):
    status = 503
    code = "query_timeout"


class IngestLocked(CorpusError):
    """Another ingest holds the writer lock."""

    code = "ingest_locked"
