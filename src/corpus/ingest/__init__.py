"""Ingest, engine-neutral: read, normalise, dedupe and hand documents to an IndexWriter.

pipeline.py runs it; changes.py tells what changed since the last run; parallel.py normalises
in worker processes; report.py is what it did; progress.py shows how far it is.
"""

from .pipeline import Ingester, ingest
from .report import EXIT_ERROR, EXIT_LOCKED, EXIT_OK, EXIT_SKIPPED, IngestReport

__all__ = ["EXIT_ERROR", "EXIT_LOCKED", "EXIT_OK", "EXIT_SKIPPED", "IngestReport", "Ingester", "ingest"]
