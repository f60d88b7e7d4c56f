"""The Flask application factory: blueprints, error handlers and security headers."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

from flask import Flask, jsonify, render_template, request
from werkzeug.exceptions import HTTPException

from ..config import Settings
from ..engines import open_backend
from ..errors import CorpusError
from ..headers import SECURITY_HEADERS
from .api import bp as api_bp
from .pages import bp as pages_bp

log = logging.getLogger("corpus.web")

PACKAGE_DIR = Path(__file__).resolve().parent
# templates/ sits at the project root (the design card); a wheel carries a copy inside the package.
TEMPLATE_DIRS = [PACKAGE_DIR.parent / "templates", PACKAGE_DIR.parents[2] / "templates"]

def _template_dir() -> str:
    for candidate in TEMPLATE_DIRS:
        if candidate.is_dir():
            return str(candidate)
    raise RuntimeError("templates/ not found beside the package or at the project root")


def create_app(settings: Settings | None = None, test_config: dict[str, Any] | None = None) -> Flask:
    """The only constructor of the web app."""
    settings = settings or Settings.from_env()
    app = Flask("corpus", template_folder=_template_dir(), static_folder=str(PACKAGE_DIR / "static"))
    app.config.update(DEBUG=False, TESTING=False, MAX_CONTENT_LENGTH=64 * 1024)
    if test_config:
        app.config.update(test_config)
    app.json.sort_keys = False  # type: ignore[attr-defined]
    app.extensions["corpus.settings"] = settings
    app.extensions["corpus.search"] = open_backend(settings)

    app.register_blueprint(pages_bp)
    app.register_blueprint(api_bp)
    _register_errors(app)

    @app.after_request
    def security_headers(response: Any) -> Any:
        for name, value in SECURITY_HEADERS.items():
            response.headers.setdefault(name, value)
        return response

    return app


def _wants_json() -> bool:
    return request.path.startswith("/api/")


def _error_response(status: int, code: str, message: str, param: str | None = None) -> Any:
    if _wants_json():
        body = {"error": {"code": code, "message": message, "param": param}}
        return jsonify(body), status
    return render_template("error.html", status=status, code=code, message=message), status


def _register_errors(app: Flask) -> None:
    @app.errorhandler(CorpusError)
    def corpus_error(exc: CorpusError) -> Any:
        if exc.status >= 500 and exc.code == "internal_error":
            log.exception("internal error")
        return _error_response(exc.status, exc.code, exc.message, exc.param)

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException) -> Any:
        code = (exc.name or "error").lower().replace(" ", "_")
        body, status = _error_response(exc.code or 500, code, exc.description or exc.name or "error")
        # Keep the headers the error carries, such as Allow on a 405.
        extra = {k: v for k, v in exc.get_headers() if k.lower() != "content-type"}
        return body, status, extra

    @app.errorhandler(Exception)
    def unexpected(exc: Exception) -> Any:
        log.exception("unexpected error on %s", request.path)
        return _error_response(500, "internal_error", "something went wrong on the server; it has been logged")
