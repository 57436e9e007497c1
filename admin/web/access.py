"""Who may see a staff page: the ``admin`` blueprint, the role check every route
declares (a test walks the URL map to prove none is left open), login and logout."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_wtf import FlaskForm
from werkzeug.wrappers import Response
from wtforms import PasswordField, StringField
from wtforms.validators import DataRequired, Length

from ballot.errors import DomainError
from ballot.models import StaffUser
from ballot.services import ratelimit, staff, staff_sessions
from booth.shell import client_address, db, keep_form, problem_of, refusal
from crypto.errors import CryptoError

bp = Blueprint("admin", __name__, url_prefix="/admin", template_folder="../templates")
LOGIN_ATTEMPTS = 5
LOGIN_WINDOW = dt.timedelta(minutes=15)
F = TypeVar("F", bound=Callable[..., Any])


def saved(message: str, target: str) -> Response:
    """Commit the request's change, say so, and go back to ``target``: how every staff form
    ends when the service accepted it."""
    db().commit()
    flash(message, "success")
    return redirect(target)


def refused(error: DomainError | CryptoError, target: str) -> Response:
    """Undo the request's change, say why in the page's language, and go back to ``target``:
    how every staff form ends when the service refused it. Nothing is half-written.

    What was typed goes along (``booth.shell.keep_form``): the page shows the form filled
    in as it was sent, with the message beside the field it is about.
    """
    db().rollback()
    keep_form(request.path, request.form, problem_of(error))
    if getattr(error, "field", None):
        flash(gettext("Please correct the field marked below."), "error")
    else:
        flash(refusal(error), "error")
    return redirect(target)


def roles_required(*roles: str) -> Callable[[F], F]:
    """Only staff holding one of ``roles`` get through; others go to the login page."""
    def decorate(view: F) -> F:
        view.piaojue_roles = roles  # type: ignore[attr-defined]

        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = staff_sessions.current_user(db(), session.get("staff_session"))
            if user is None or user.id != session.get("staff_id"):
                db().commit()  # an idle session's row is gone for good
                session.pop("staff_id", None)  # the CSRF token stays: a login may follow
                session.pop("staff_session", None)
                return redirect(url_for("admin.login", next=request.path))
            db().commit()  # last_seen, when it moved
            g.staff_user = user
            if not staff.roles_of(user) & set(roles):
                return render_template("error.html", status=403, message=gettext(
                    "Your account does not have the role this page needs.")), 403
            return view(*args, **kwargs)
        return wrapped  # type: ignore[return-value]
    return decorate


def current_staff() -> StaffUser:
    """The staff member of this request, as ``roles_required`` found them."""
    user: StaffUser = g.staff_user
    return user


def public_route(view: F) -> F:
    """Marks the few /admin routes meant for anyone (the login page)."""
    view.piaojue_roles = ()  # type: ignore[attr-defined]
    return view


class LoginForm(FlaskForm):
    username = StringField("username", validators=[DataRequired(), Length(max=64)])
    password = PasswordField("password", validators=[DataRequired(), Length(max=200)])


@bp.route("/login", methods=["GET", "POST"])
@public_route
def login() -> Response | str | tuple[str, int]:
    form = LoginForm()
    if not form.validate_on_submit():
        return render_template("admin/login.html", form=form)
    key = f"{client_address()}:{form.username.data}"
    tried = ratelimit.attempt(db(), "login", key, LOGIN_ATTEMPTS, LOGIN_WINDOW)
    if not tried.allowed:
        return render_template("admin/login.html", form=form, error=gettext(
            "Too many failed logins. Please wait fifteen minutes.")), 429
    user = staff.authenticate(db(), form.username.data or "", form.password.data or "")
    if user is None:  # the attempt stays counted
        return render_template("admin/login.html", form=form, error=gettext(
            "The username or password is wrong.")), 400
    ratelimit.forgive(db(), tried)  # only failures count
    session.clear()
    session["staff_id"], session["staff_name"] = user.id, user.display_name
    session["staff_session"] = staff_sessions.start(db(), user)
    db().commit()
    return redirect(safe_next(request.args.get("next", "")) or url_for("admin.dashboard"))


def safe_next(target: str) -> str | None:
    """A page of this site's staff area to go on to after login, or None: never another
    site (``//evil``, ``https://…``), never a header split by CR or LF, nothing odd."""
    parts = urlsplit(target)
    if (not target.startswith("/admin") or parts.scheme or parts.netloc or len(target) > 500
            or any(not ch.isprintable() or ch in "\\" for ch in target)):
        return None
    return target


@bp.post("/logout")
@roles_required(*staff.ROLES)
def logout() -> Response:
    staff_sessions.end(db(), session.get("staff_session"))
    db().commit()
    session.clear()
    return redirect(url_for("public.home"))
