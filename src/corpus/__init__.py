"""corpus: a searchable full-text corpus server."""

__version__ = "0.1.0"
