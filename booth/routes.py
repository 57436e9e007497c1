"""The tablet booth: sign in with the slip's code, mark, review, encrypt, cast or challenge.

State between pages is kept server-side, sealed (ballot.services.booth_sessions),
behind a random token in an HttpOnly cookie: marks never appear in a URL, a
log line or the browser's storage, and once the ballot is cast or abandoned
the back button leads to nothing.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from functools import wraps
from typing import Any

from flask import (
    Blueprint,
    current_app,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext
from sqlalchemy import select
from werkzeug.wrappers import Response

from ballot.errors import CastRefused, Conflict
from ballot.models import BoothSession, Credential, CredentialStatus, Round, RoundState
from ballot.services import booth_sessions, casting, ratelimit, rounds
from ballot.services.public import opened_ballot, visible_rounds
from ballot.services.voting import encrypt_marks, sign_ballot
from booth import receipts
from booth.shell import db
from crypto.canonical import hex_bytes
from crypto.credentials import derive_credential_key, normalize_code, public_key_bytes
from crypto.encrypted_ballot import check_marks
from crypto.errors import CryptoError, InvalidCredentialCode, InvalidMarks
from crypto.manifest import Manifest
from crypto.receipts import check_receipt_shape

bp = Blueprint("booth", __name__, url_prefix="/booth")
COOKIE = "booth"
CODE_ATTEMPTS = 5
CODE_WINDOW = dt.timedelta(minutes=5)
MARK_CHOICES = {"selection": ("for", "against"),
                "rating": ("satisfied", "basically_satisfied", "dissatisfied")}


def _at_rest():
    return current_app.config["PIAOJUE_AT_REST"]


def _tablet() -> str:
    """Rate-limit key: the tablet's network address (a cookie could simply be cleared).

    Behind a reverse proxy, PIAOJUE_PROXIES makes this the tablet, not the proxy.
    """
    return request.remote_addr or "unknown"


def _current() -> tuple[Any, dict[str, Any], Round] | None:
    loaded = booth_sessions.load(db(), request.cookies.get(COOKIE), _at_rest())
    if loaded is None:
        db().commit()  # keep the purge of expired sessions that load() did
        return None
    row, state = loaded
    round_ = db().get(Round, row.round_pk)
    if round_ is None or round_.state != RoundState.open:
        booth_sessions.end(db(), row)
        db().commit()
        return None
    return row, state, round_


def in_ballot(requires: str | None = None) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
    """Load the tablet's ballot in progress (row, state, round) or send it back to sign-in.

    ``requires`` names the step the page needs done first (``marks`` before the
    review, ``prepared`` before cast or challenge); without it, back to the ballot.
    """
    def decorate(view: Callable[..., Any]) -> Callable[..., Any]:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            current = _current()
            if current is None:
                return _restart(gettext("Please sign in with your code."))
            row, state, round_ = current
            if requires and not state.get(requires):
                return redirect(url_for("booth.ballot"))
            return view(row, state, round_, *args, **kwargs)
        return wrapped
    return decorate


def _restart(message: str | None = None) -> Response:
    response = make_response(redirect(url_for("booth.index", notice=message)))
    response.delete_cookie(COOKIE, path="/booth")
    return response


@bp.get("/")
def index() -> str:
    open_rounds = [r for r in rounds_visible() if r.state == RoundState.open]
    return render_template("booth/index.html", rounds=open_rounds,
                           notice=request.args.get("notice"))


def rounds_visible() -> list[Round]:
    return visible_rounds(db())


@bp.route("/<election_id>/<round_id>/", methods=["GET", "POST"])
def sign_in(election_id: str, round_id: str) -> Response | tuple[str, int] | str:
    round_ = rounds.get_round(db(), election_id, round_id)
    if round_.state != RoundState.open:
        raise Conflict(gettext("This round is not open for voting."))
    if request.method == "GET":
        return render_template("booth/sign_in.html", round=round_)
    if ratelimit.exceeded(db(), "code", _tablet(), CODE_ATTEMPTS, CODE_WINDOW):
        return render_template("booth/sign_in.html", round=round_, error=gettext(
            "Too many codes were tried on this tablet. Please wait five minutes or ask "
            "a clerk.")), 429
    try:
        code = normalize_code(request.form.get("code", ""))
    except InvalidCredentialCode as exc:
        ratelimit.record(db(), "code", _tablet())
        db().commit()
        return render_template("booth/sign_in.html", round=round_,
                               error=_code_message(exc)), 400
    key = public_key_bytes(derive_credential_key(code, election_id, round_id)).hex()
    credential = db().scalar(select(Credential).where(
        Credential.round_pk == round_.id, Credential.public_key == key))
    if credential is None or credential.status != CredentialStatus.issued:
        ratelimit.record(db(), "code", _tablet())
        db().commit()
        return render_template("booth/sign_in.html", round=round_, error=gettext(
            "This code cannot vote in this round: it may have been used already, reported "
            "lost, or be for another round. Please ask a clerk.")), 400
    token = booth_sessions.start(db(), round_, {"code": code, "marks": None,
                                                "prepared": None}, _at_rest())
    db().commit()
    response = make_response(redirect(url_for("booth.ballot")))
    response.set_cookie(COOKIE, token, httponly=True, samesite="Strict", path="/booth",
                        secure=request.is_secure)
    return response


def _code_message(exc: InvalidCredentialCode) -> str:
    text = str(exc)
    if "characters;" in text:
        return gettext("A code has 20 characters; please check you typed all of them.")
    if "typing mistake" in text:
        return gettext("The code has a typing mistake; please check each character.")
    return gettext("The code contains a character that codes never use (letters and digits "
                   "only, no U).")


def _choices(manifest: Manifest) -> tuple[str, ...]:
    return MARK_CHOICES[manifest.kind]


def _marks_from_form(manifest: Manifest) -> tuple[list[list[int]], dict[str, str]]:
    chosen = {}
    marks = []
    for r, row_id in enumerate(manifest.row_ids):
        value = request.form.get(f"row-{r}", "abstain")
        if value not in (*manifest.options, "abstain"):
            value = "abstain"
        chosen[row_id] = value
        marks.append([1 if value == option else 0 for option in manifest.options])
    return marks, chosen


@bp.route("/ballot", methods=["GET", "POST"])
@in_ballot()
def ballot(row: BoothSession, state: dict[str, Any], round_: Round
           ) -> Response | tuple[str, int] | str:
    manifest = rounds.manifest_of(round_)
    if request.method == "GET":
        return render_template("booth/ballot.html", round=round_, manifest=manifest,
                               projects=_projects(round_), chosen=state.get("chosen") or {},
                               seats=round_.seats)
    marks, chosen = _marks_from_form(manifest)
    try:
        check_marks(manifest, marks)
    except InvalidMarks:
        return render_template(
            "booth/ballot.html", round=round_, manifest=manifest, projects=_projects(round_),
            chosen=chosen, seats=round_.seats,
            error=gettext("You marked %(n)d projects 赞成 (for); at most %(k)d may be chosen. "
                          "Change some marks to 反对 (against) or 弃权 (abstain).",
                          n=sum(m[0] for m in marks), k=round_.seats or 0)), 400
    state.update(marks=marks, chosen=chosen, prepared=None)
    booth_sessions.save(db(), row, state, _at_rest())
    db().commit()
    return redirect(url_for("booth.review"))


def _projects(round_: Round) -> list[Any]:
    return [r.project for r in round_.rows]


@bp.get("/review")
@in_ballot(requires="marks")
def review(row: BoothSession, state: dict[str, Any], round_: Round) -> str:
    return render_template("booth/review.html", round=round_, projects=_projects(round_),
                           chosen=state["chosen"])


@bp.post("/encrypt")
@in_ballot(requires="marks")
def encrypt(row: BoothSession, state: dict[str, Any], round_: Round) -> Response:
    prepared = encrypt_marks(round_, state["marks"])
    state["prepared"] = {"ballot": prepared.ballot, "opening": prepared.opening.to_json(),
                         "fingerprint": prepared.fingerprint}
    booth_sessions.save(db(), row, state, _at_rest())
    db().commit()
    return redirect(url_for("booth.fingerprint"))


@bp.get("/fingerprint")
@in_ballot(requires="prepared")
def fingerprint(row: BoothSession, state: dict[str, Any], round_: Round) -> str:
    return render_template("booth/fingerprint.html", round=round_,
                           fingerprint=state["prepared"]["fingerprint"])


@bp.post("/cast")
@in_ballot(requires="prepared")
def cast(row: BoothSession, state: dict[str, Any], round_: Round
         ) -> Response | tuple[str, int]:
    prepared = state["prepared"]
    key, signature = sign_ballot(round_, state["code"], prepared["ballot"])
    try:
        receipt = casting.cast(db(), round_, prepared["ballot"], key, signature, _at_rest())
    except CastRefused as exc:
        db().rollback()
        current_app.logger.info("a cast was refused at a booth")
        return render_template("booth/refused.html", round=round_, reason=str(exc)), 400
    booth_sessions.end(db(), row)
    db().commit()
    response = make_response(redirect(url_for("booth.receipt",
                                              r=receipts.encode(receipt.to_json()))))
    response.delete_cookie(COOKIE, path="/booth")
    return response


@bp.post("/challenge")
@in_ballot(requires="prepared")
def challenge(row: BoothSession, state: dict[str, Any], round_: Round) -> Response:
    prepared = state["prepared"]
    index = casting.spoil(db(), round_, prepared["ballot"], prepared["opening"]["plaintext"],
                          prepared["opening"]["nonces"])
    state.update(prepared=None, marks=None, chosen=None)
    booth_sessions.save(db(), row, state, _at_rest())
    db().commit()
    return redirect(url_for("booth.challenged", index=index))


@bp.get("/challenged/<int(max=2147483647):index>")
@in_ballot()
def challenged(row: BoothSession, state: dict[str, Any], round_: Round, index: int) -> str:
    opened = opened_ballot(db(), round_, index)
    link = url_for("public.spoiled", election_id=round_.election_id, round_id=round_.round_id,
                   index=index, _external=True)
    return render_template("booth/challenged.html", round=round_, opened=opened, link=link,
                           qr=receipts.qr_svg(link))


@bp.post("/cancel")
def cancel() -> Response:
    current = _current()
    if current is not None:
        booth_sessions.end(db(), current[0])
        db().commit()
    return _restart(gettext("The ballot was abandoned; nothing was cast."))


@bp.get("/receipt")
def receipt() -> Response | str:
    text = request.args.get("r", "")
    try:
        doc = receipts.decode(text)
        check_receipt_shape(doc.get("receipt") if isinstance(doc, dict) else None)
        hex_bytes(doc.get("signature"), 64, "signature")
    except CryptoError:  # not a receipt: nothing to show
        return redirect(url_for("booth.index"))
    if any(len(doc["receipt"][f]) > 64 for f in ("election_id", "round_id")):
        return redirect(url_for("booth.index"))  # ids are at most 64 characters here
    link = url_for("public.verify", receipt=text, _external=True)
    return render_template("booth/receipt.html", doc=doc, link=link, qr=receipts.qr_svg(link))
