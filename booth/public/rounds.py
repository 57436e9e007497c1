"""Public pages, no login: rounds, board, receipt check, challenged ballots, results, turnout."""

from __future__ import annotations

import datetime as dt
import io
from typing import Any

from flask import Response, abort, jsonify, render_template, request, send_file, url_for
from flask_babel import gettext

from ballot import labels
from ballot.errors import InvalidInput
from ballot.models import Round
from ballot.record import record_zip_bytes
from ballot.services import fields, public, ratelimit, rounds
from ballot.services.export import record_files_for
from booth import receipts
from booth.charts import result_bars
from booth.public.blueprint import bp
from booth.shell import client_address, db, refusal, say
from crypto.errors import CryptoError
from crypto.hashing import fingerprint

VERIFY_ATTEMPTS = 20
"""Failed checks and QR uploads one address may make in ``VERIFY_WINDOW``."""
VERIFY_WINDOW = dt.timedelta(minutes=10)


@bp.get("/")
def home() -> str:
    return render_template("public/home.html", rounds=public.visible_rounds(db()))


def _round(election_id: str, round_id: str):
    round_ = rounds.get_round(db(), election_id, round_id)
    if round_.manifest_json is None:
        abort(404)
    return round_


@bp.get("/board/<election_id>/<round_id>")
def board(election_id: str, round_id: str) -> str:
    round_ = _round(election_id, round_id)
    page = fields.whole_number_or_none(request.args.get("page")) or 1  # typed wrong: the first
    entries, pages = public.board_page(db(), round_, page)
    return render_template("public/board.html", round=round_, entries=entries, pages=pages,
                           page=page,
                           head=public.head(db(), round_),
                           published=public.is_published(round_))


@bp.get("/record/<election_id>/<round_id>.zip")
def record(election_id: str, round_id: str):
    round_ = _round(election_id, round_id)
    if not public.is_published(round_):
        abort(404)
    data = record_zip_bytes(record_files_for(db(), round_))
    return send_file(io.BytesIO(data), mimetype="application/zip", as_attachment=True,
                     download_name=f"{election_id}-{round_id}-record.zip")


@bp.route("/verify", methods=["GET", "POST"])
def verify() -> tuple[str, int] | str:
    text = request.values.get("receipt", "")
    upload = request.files.get("qr")
    if request.method == "GET" and not text:
        return render_template("public/verify.html", text="")
    key = client_address()
    tried = ratelimit.attempt(db(), "verify", key, VERIFY_ATTEMPTS, VERIFY_WINDOW)
    if not tried.allowed:
        return render_template("public/verify.html", text="", failure=gettext(
            "Too many receipts were checked from this address; please wait ten minutes.")), 429
    uploaded = bool(upload and upload.filename)
    try:
        if upload and uploaded:
            text = receipts.read_qr_image(upload.read(5 * 1024 * 1024 + 1))
        doc = receipts.decode(text)
        check = public.check_receipt(db(), doc)
    except (InvalidInput, CryptoError) as exc:
        db().rollback()  # a failed check stays counted
        return render_template("public/verify.html", text=text, failure=refusal(exc)), 400
    if not uploaded:
        ratelimit.forgive(db(), tried)  # good checks are free; reading an image is not
    return render_template("public/verify.html", text=text, check=check,
                           in_browser=_in_browser(check.round, receipts.encode(doc)))


def _in_browser(round_: Round, receipt: str | None = None) -> str | None:
    """The record verification page for this round's published record, with the
    receipt in the fragment (which the browser never sends to a server)."""
    if not public.is_published(round_):
        return None
    return url_for("record_verifier.page", election=round_.election_id, round=round_.round_id,
                   _anchor=f"receipt={receipt}" if receipt else None)


@bp.get("/spoiled/<election_id>/<round_id>/<int(max=2147483647):index>")
def spoiled(election_id: str, round_id: str, index: int) -> str:
    round_ = _round(election_id, round_id)
    opened = public.opened_ballot(db(), round_, index)
    return render_template("public/spoiled.html", opened=opened, in_browser=_in_browser(round_),
                           link=url_for("public.spoiled", election_id=election_id,
                                        round_id=round_id, index=index, _external=True))


@bp.get("/results/<election_id>/<round_id>")
def results(election_id: str, round_id: str) -> str:
    round_ = _round(election_id, round_id)
    if not public.is_published(round_) or not round_.result:
        return render_template("public/results.html", round=round_, result=None)
    return render_template("public/results.html", round=round_, **_counted(round_))


def _counted(round_: Round) -> dict[str, Any]:
    """What the results page and the hall screen show of a published round: its result,
    the projects by code, the majority line in words and the chart with the line drawn."""
    majority = public.majority_of(round_)
    return {"result": round_.result, "majority": majority,
            "projects": {row.project.code: row.project for row in round_.rows},
            "chart": result_bars(round_.kind.value, round_.result, gettext, majority,
                                 say(labels.majority_mark(majority)))
            if round_.result and majority else None}


def _round_fingerprint(round_: Round) -> str | None:
    return fingerprint(round_.context_bytes) if round_.context else None


@bp.get("/turnout/<election_id>/<round_id>")
def turnout(election_id: str, round_id: str) -> str:
    round_ = _round(election_id, round_id)
    return render_template("public/turnout.html", round=round_,
                           turnout=public.turnout(db(), round_),
                           fingerprint=_round_fingerprint(round_))


@bp.get("/hall/<election_id>/<round_id>")
def hall(election_id: str, round_id: str) -> str:
    """The hall screen (大屏) for the chamber's projector: the round's fingerprint, 发出 and
    收回 while it is open, the result once published; it keeps itself up to date."""
    round_ = _round(election_id, round_id)
    counted = _counted(round_) if public.is_published(round_) else {"result": None}
    return render_template("public/hall.html", round=round_, live=_live(round_),
                           fingerprint=_round_fingerprint(round_), **counted)


@bp.get("/hall/<election_id>/<round_id>/live.json")
def hall_live(election_id: str, round_id: str) -> Response:
    """What the hall screen and the turnout page poll: the round's state and its counts."""
    response = jsonify(_live(_round(election_id, round_id)))
    response.headers["Cache-Control"] = "no-store"
    return response


@bp.get("/hall/<election_id>/<round_id>/results")
def hall_results(election_id: str, round_id: str) -> str:
    """The hall screen's result panel alone, fetched by the screen when the round is
    published while it is showing (empty before)."""
    round_ = _round(election_id, round_id)
    if not public.is_published(round_):
        return ""
    return render_template("public/_hall_results.html", round=round_, **_counted(round_))


def _live(round_: Round) -> dict[str, Any]:
    turnout = public.turnout(db(), round_)
    return {"state": round_.state.value, "state_label": say(labels.label(round_.state)),
            "issued": turnout.issued, "cast": turnout.cast,
            "published": public.is_published(round_)}

