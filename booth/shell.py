"""The web shell every blueprint shares: database session per request, CSRF,
security headers, language, and turning domain errors into clear pages.

It lives in booth/ because the public and booth pages are its first users;
admin/ (which imports booth/, never the reverse) reuses it.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

from flask import Flask, Response, current_app, g, jsonify, render_template, request, session
from flask_babel import Babel, gettext
from flask_wtf.csrf import CSRFError, CSRFProtect
from sqlalchemy.orm import Session, sessionmaker

from ballot import labels
from ballot.errors import Conflict, DomainError, Forbidden, InvalidInput, NotFound, localize
from ballot.labels import label, word
from ballot.services import ratelimit
from ballot.services.staff import roles_of
from crypto.errors import CryptoError

csrf = CSRFProtect()
babel = Babel()
LANGUAGES = {"zh_CN": "中文", "en": "English"}

CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; connect-src 'self'; object-src 'none'; base-uri 'none'; "
    "frame-ancestors 'none'; form-action 'self'"
)

WASM_SCRIPTS = "script-src 'self' 'wasm-unsafe-eval'"
"""The site's ``script-src 'self'`` plus WebAssembly compilation, never JavaScript eval."""


def uses_webassembly(path: str, endpoint: str | None) -> bool:
    """The record verification page and its worker module compile libsodium's
    WebAssembly (booth/record_verifier.py); no other page may."""
    return endpoint == "record_verifier.page" or path.startswith("/static/verify/")


def in_language(code: str) -> str:
    """This page in another language: the same address and query, ``lang`` replaced
    (switching language used to drop the query, a tracking search say)."""
    query = [(k, v) for k, v in request.args.items(multi=True) if k != "lang"]
    return "?" + urlencode([*query, ("lang", code)])


def select_locale() -> str:
    for chosen in (request.args.get("lang"), request.cookies.get("lang")):
        if chosen in LANGUAGES:
            return chosen
    return "zh_CN"


def db() -> Session:
    """The request's session, opened on first use and closed at teardown."""
    if "db" not in g:
        factory: sessionmaker[Session] = g._piaojue_sessions
        g.db = factory()
    return g.db


def _security_headers(response: Response) -> Response:
    policy = CONTENT_SECURITY_POLICY
    if uses_webassembly(request.path, request.endpoint):
        policy = policy.replace("script-src 'self'", WASM_SCRIPTS)
    response.headers["Content-Security-Policy"] = policy
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["X-Frame-Options"] = "DENY"
    response.headers["Referrer-Policy"] = "no-referrer"
    # The booth may use the camera to read a slip's QR code; no other page may.
    camera = "(self)" if request.blueprint == "booth" else "()"
    response.headers["Permissions-Policy"] = f"camera={camera}, microphone=(), geolocation=()"
    response.headers["Cross-Origin-Opener-Policy"] = "same-origin"
    if request.blueprint in ("booth", "admin", "api"):
        response.headers["Cache-Control"] = "no-store"
    https = bool(current_app.config.get("PIAOJUE_HTTPS"))
    if https:
        response.headers["Strict-Transport-Security"] = "max-age=31536000; includeSubDomains"
    chosen = request.args.get("lang")
    if chosen in LANGUAGES:
        response.set_cookie("lang", chosen, max_age=365 * 24 * 3600, samesite="Lax",
                            secure=https or request.is_secure, httponly=True)
    return response


def staff_roles() -> list[str]:
    """The roles of the staff member a staff page was shown to (none on public pages)."""
    user = g.get("staff_user")
    return sorted(roles_of(user)) if user is not None else []


def staff_name() -> str:
    user = g.get("staff_user")
    return user.display_name if user is not None else ""


def may(endpoint: str) -> bool:
    """Whether this page's staff member may open the page behind ``endpoint``: the roles
    its view declares (admin.web.access.roles_required) meet theirs. Every staff link is
    drawn only when this holds, so no link leads a role to a refusal."""
    view = current_app.view_functions.get(endpoint)
    declared = getattr(view, "piaojue_roles", None)
    if declared is None:
        return False
    return not declared or bool(set(declared) & set(staff_roles()))


def client_address() -> str:
    """The address a request came from, as the rate limits count it: the peer's, or the
    client's as the trusted proxies report it (``PIAOJUE_PROXIES``, see admin.app)."""
    return request.remote_addr or "unknown"


def catalog(message_id: str) -> str:
    """The page's catalog, for anything that renders ballot.errors messages."""
    return gettext(message_id) if message_id else message_id  # "" is the catalog's header


def say(message: Any) -> str:
    """A label or message from ballot.labels, in the page's language (for templates)."""
    return message.render(catalog) if hasattr(message, "render") else str(message)


def refusal(error: BaseException) -> str:
    """A refusal in the page's language: domain errors carry message ids, protocol
    errors are named by their kind (their own text is the English detail)."""
    return localize(error, catalog)


@dataclass(frozen=True)
class Problem:
    """A refusal as a form shows it: the field it is about (or None) and its words."""

    field: str | None
    message: str


def problem_of(error: BaseException) -> Problem:
    return Problem(getattr(error, "field", None), refusal(error))


KEPT_FORM = "kept_form"
MOST_KEPT = 4000
"""Characters of typed values the session cookie carries back; a longer form is not kept."""


def keep_form(action: str, form: Any, problem: Problem) -> None:
    """Carry a refused form's values (never its CSRF token or files) to the next page, once."""
    values = {k: v for k, v in form.items() if k != "csrf_token"}
    lists = {k: v for k, v in form.lists() if k != "csrf_token" and len(v) > 1}
    if sum(len(str(v)) for v in values.values()) > MOST_KEPT:
        return
    session[KEPT_FORM] = {"action": action, "values": values, "lists": lists,
                          "field": problem.field, "message": problem.message}


@dataclass(frozen=True)
class KeptForm:
    values: dict[str, str]
    lists: dict[str, list[str]]
    problem: Problem | None


def kept(action: str) -> KeptForm:
    """The values and problem of the form posted to ``action`` and refused just before this
    page, or empty ones: a template fills its fields from ``kept(url).values``."""
    if "kept_form" not in g:
        g.kept_form = session.pop(KEPT_FORM, None)
    found = g.kept_form
    if not found or found.get("action") != action:
        return KeptForm({}, {}, None)
    return KeptForm(found["values"], found["lists"], Problem(found["field"], found["message"]))


def _error_page(status: int, message: str) -> tuple[str | Response, int]:
    """The error page; under /api/ the same message as JSON ``{"error": ...}``."""
    if request.path.startswith("/api/"):
        return jsonify(error=message), status
    return render_template("error.html", status=status, message=message), status


def init_shell(app: Flask, sessions: sessionmaker[Session]) -> None:
    csrf.init_app(app)
    babel.init_app(app, locale_selector=select_locale)

    @app.before_request
    def _bind_sessions() -> None:
        g._piaojue_sessions = sessions

    @app.teardown_appcontext
    def _close(exc: BaseException | None) -> None:
        session_ = g.pop("db", None)
        if session_ is not None:
            if exc is not None:
                session_.rollback()
            ratelimit.settle(session_)  # this request's rate-limit claims stay counted
            session_.close()

    app.after_request(_security_headers)

    @app.context_processor
    def _template_globals() -> dict[str, Any]:
        return {"languages": LANGUAGES, "current_locale": select_locale(),
                "staff_user": session.get("staff_name"), "in_language": in_language,
                "may": may, "staff_roles": staff_roles, "staff_name": staff_name,
                "kept": kept,
                "refusal": refusal, "say": say, "label": lambda member: say(label(member)),
                "word": lambda table, key: say(word(table, key)), "labels": labels}

    handlers: dict[type[Exception], int] = {NotFound: 404, Conflict: 409, InvalidInput: 400,
                                            Forbidden: 403,
                                            DomainError: 400, CryptoError: 400}
    for error_class, status in handlers.items():
        app.register_error_handler(error_class, _handler(status))

    @app.errorhandler(CSRFError)
    def _csrf(error: CSRFError) -> tuple[str | Response, int]:
        return _error_page(400, gettext("The form expired or was sent twice. Go back, "
                                        "reload the page and try again."))

    @app.errorhandler(404)
    def _missing(error: Exception) -> tuple[str | Response, int]:
        return _error_page(404, gettext("There is no such page."))

    @app.errorhandler(405)
    def _method(error: Exception) -> tuple[str | Response, int]:
        return _error_page(405, gettext("This page cannot be used that way."))

    @app.errorhandler(413)
    def _too_large(error: Exception) -> tuple[str | Response, int]:
        return _error_page(413, gettext("The upload is too large."))

    @app.errorhandler(500)
    def _server(error: Exception) -> tuple[str | Response, int]:
        g.pop("staff_user", None)  # its database session is gone: no staff bar on this page
        session_ = g.pop("db", None)
        if session_ is not None:
            session_.rollback()
            ratelimit.settle(session_)
            session_.close()
        return _error_page(500, gettext("Something went wrong on our side; nothing was "
                                        "changed. Please try again."))


def _handler(status: int) -> Callable[[Exception], tuple[str | Response, int]]:
    def handle(error: Exception) -> tuple[str | Response, int]:
        session_ = g.get("db")
        if session_ is not None:
            session_.rollback()
        return _error_page(status, refusal(error))
    return handle
