"""The embedded engine: Whoosh, in the index folder beside the app. Every Whoosh import lives here."""

from .backend import WhooshBackend

__all__ = ["WhooshBackend"]
