"""The WSGI entry point for `gunicorn wsgi:app`; settings come from CORPUS_* variables."""

from corpus.web import create_app

app = create_app()
