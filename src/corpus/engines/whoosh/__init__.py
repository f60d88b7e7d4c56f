"""The embedded engine: Whoosh, in the index folder beside the app. Every Whoosh import lives here."""

from .backend import WhooshBackend
from .writer import WhooshWriter

__all__ = ["WhooshBackend", "WhooshWriter"]
