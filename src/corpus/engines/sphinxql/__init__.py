"""The sphinxql engine: the index on a Sphinx (or Manticore) cluster, spoken to over SphinxQL.

Only this folder imports PyMySQL. See docs/scaling.md for the layout, what is supported and what is not.
"""

from .backend import SphinxBackend
from .writer import SphinxWriter

__all__ = ["SphinxBackend", "SphinxWriter"]
