"""gunicorn settings for production: the worker class, timeouts and request limits, from the same settings.

`corpus serve` passes this file with -c; `gunicorn wsgi:app` run from the project root reads the
top-level gunicorn.conf.py, which imports this module.
"""

import os

from corpus.config import Settings

_settings = Settings.from_env()

bind = f"{_settings.host}:{_settings.port}"
workers = _settings.workers or (os.cpu_count() or 1)
# gthread, with request heads read by the event loop (slow clients hold no thread), header and
# send timeouts, and a watchdog that stops a request past 2 x the query time limit and replaces
# the worker past 4 x (corpus/server.py).
worker_class = "corpus.server.CorpusWorker"
threads = max(1, _settings.threads)  # each thread has its own searcher; facet arrays are shared per process
worker_connections = 1000  # open connections per worker, idle and slow ones included
# Heartbeat timeout of the main loop itself (a stuck request is the watchdog's job, not this one's).
timeout = max(30, int(_settings.query_time_limit * 4))
graceful_timeout = 20
keepalive = max(0, _settings.keepalive)
# Reject oversized requests before Flask sees them.
limit_request_line = 4094
limit_request_fields = 50
limit_request_field_size = 8190
# Open the index in each worker after fork, never in a preloaded master.
preload_app = False
accesslog = "-"
errorlog = "-"
loglevel = "info"
