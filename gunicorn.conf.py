"""gunicorn reads this file when started from the project root (`gunicorn wsgi:app`)."""

from corpus.gunicorn_conf import *  # noqa: F403
