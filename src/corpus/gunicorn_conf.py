"""gunicorn settings for production: worker timeouts and request limits, from the same settings.

`corpus serve` passes this file with -c; `gunicorn wsgi:app` run from the project root reads the
top-level gunicorn.conf.py, which imports this module.
"""

import os

from corpus.config import Settings

_settings = Settings.from_env()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.workers or (os.cpu_count() or 1)
threads = 2  # each thread has its own searcher; facet arrays are shared per process
worker_class = "gthread"
# A request may take at most the query time limit plus rendering; a worker stuck past this is replaced.
timeout = max(30, int(_settings.query_time_limit * 4))
graceful_timeout = 20
keepalive = 5
# Reject oversized requests before Flask sees them.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
# Open the index in each worker after fork, never in a preloaded master.
preload_app = False
accesslog = "-"
errorlog = "-"
loglevel = "info"
