"""The Flask application factory: one app, blueprints ``public``, ``booth`` and ``admin``."""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker
from werkzeug.middleware.proxy_fix import ProxyFix

import booth
from admin.config import at_rest_key, database_url, instance_secret, trusted_proxies
from ballot.db import make_engine, make_sessionmaker
from ballot.services import ratelimit
from booth.shell import init_shell

BOOTH_DIR = Path(booth.__file__).parent


def _flask_secret() -> str:
    """Signs the staff session cookie and CSRF tokens; made once per instance.

    Every worker must hold the same one, or a form served by one worker is
    refused by the next (see admin.config.instance_secret).
    """
    return os.environ.get("PIAOJUE_FLASK_SECRET") or instance_secret("flask.key")


def _forget_claims_of_dead_requests(sessions: sessionmaker[Session]) -> None:
    """Rate-limit claims of requests a crash cut off would count against honest
    tablets for minutes; a starting server (each gunicorn worker) drops them. A
    database without tables yet (before ``piaojue db upgrade``) has none."""
    try:
        with sessions() as session:
            ratelimit.forget_unsettled(session)
    except (OperationalError, ProgrammingError):
        pass


def create_app(config: dict[str, Any] | None = None) -> Flask:
    app = Flask("piaojue", static_folder=str(BOOTH_DIR / "static"),
                template_folder=str(BOOTH_DIR / "templates"))
    app.config.from_mapping(
        DATABASE_URL=None,
        MAX_CONTENT_LENGTH=8 * 1024 * 1024,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
        WTF_CSRF_TIME_LIMIT=3600,
        BABEL_TRANSLATION_DIRECTORIES=str(BOOTH_DIR / "translations"),
    )
    if config:
        app.config.update(config)
    app.config.setdefault("SECRET_KEY", None)
    if not app.config["SECRET_KEY"]:
        app.config["SECRET_KEY"] = _flask_secret()
    if "PIAOJUE_AT_REST" not in app.config:
        app.config["PIAOJUE_AT_REST"] = at_rest_key()
    # Behind HTTPS (PIAOJUE_HTTPS=1): every cookie is Secure and every answer carries
    # HSTS, whatever scheme a request arrived by (a proxy may speak plain HTTP to us).
    app.config.setdefault("PIAOJUE_HTTPS", os.environ.get("PIAOJUE_HTTPS") == "1")
    if app.config["PIAOJUE_HTTPS"]:
        app.config["SESSION_COOKIE_SECURE"] = True
    proxies = app.config.get("PIAOJUE_PROXIES", trusted_proxies())
    if proxies:
        # The client's address and scheme as the proxies in front report them: the rate
        # limits count per client address, which would otherwise be the proxy's own.
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=proxies, x_proto=proxies)  # type: ignore[method-assign]
    engine = make_engine(app.config["DATABASE_URL"] or database_url())
    app.extensions["piaojue_engine"] = engine
    sessions = make_sessionmaker(engine)
    _forget_claims_of_dead_requests(sessions)
    init_shell(app, sessions)

    # Each blueprint's package imports the modules that add its pages (admin.web,
    # booth.public): importing it by name is all that registering takes.
    from admin.web import bp as admin_bp
    from booth.api import bp as api_bp
    from booth.public import bp as public_bp
    from booth.record_verifier import bp as record_verifier_bp
    from booth.routes import bp as booth_bp

    app.register_blueprint(public_bp)
    app.register_blueprint(record_verifier_bp)
    app.register_blueprint(booth_bp)
    app.register_blueprint(api_bp)
    app.register_blueprint(admin_bp)
    return app
