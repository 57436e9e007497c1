"""The tablet booth: one page that votes entirely in the deputy's browser.

The page (``booth/booth.html`` with ``static/booth/booth.js``) pins the round's
parameters, derives the credential key from the typed code, encrypts and
proves in a Web Worker, signs, and casts or challenges through the cast API
(booth.api). This blueprint only serves the page and the list of open rounds:
no route here receives a code or a mark, and the server keeps no state of a
ballot in progress, so there is nothing to seal, expire or leak.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import Blueprint, Response, current_app, g, make_response, render_template, request
from flask_babel import gettext

from ballot.errors import Conflict
from ballot.models import Round, RoundState
from ballot.services import rounds
from ballot.services.public import visible_rounds
from booth.api import TABLET_COOKIE, TABLET_ID
from booth.shell import db

bp = Blueprint("booth", __name__, url_prefix="/booth")

CHALLENGES_PER_SIGN_IN = 3
"""Challenges the page allows one sign-in before it must cast (stated to the deputy).
The server cannot count challenges per code without learning which code challenged
which ballot, which nothing may link; it bounds each tablet (booth/api.py) instead."""

IDLE_SECONDS = 240
"""How long a signed-in booth waits untouched before it warns, then (a minute later)
abandons the ballot: a deputy who walked away leaves no marks for the next one to see."""
NOTICES = {"abandoned": lambda: gettext("The ballot was abandoned; nothing was cast."),
           "idle": lambda: gettext("The ballot was abandoned because the tablet was left "
                                   "untouched; nothing was cast."),
           "closed": lambda: gettext("This round is not open for voting.")}
"""The only notices the booth's start page shows: chosen by key, never text from the URL."""


def mark_labels(kind: str) -> dict[str, str]:
    """What each mark is called on the ballot, the review and the challenged ballot."""
    labels = {"for": gettext("赞成 For"), "against": gettext("反对 Against"),
              "abstain": gettext("弃权 Abstain"), "satisfied": gettext("满意 Satisfied"),
              "basically_satisfied": gettext("基本满意 Basically satisfied"),
              "dissatisfied": gettext("不满意 Dissatisfied")}
    if kind == "rating":
        labels["abstain"] = gettext("不评 No rating")
    return labels


def _choices(round_: Round) -> list[str]:
    options = list(round_.options)
    return [*options, "abstain"]


def _messages(round_: Round, kind: str) -> dict[str, Any]:
    """Every sentence the page's script may show, in the page's language."""
    return {
        "labels": mark_labels(kind),
        "ready": gettext("The round's keys check: its fingerprint is computed on this tablet "
                         "from the trustees' published commitments."),
        "pinning": gettext("This tablet refuses to encrypt: the round's parameters from the "
                           "server do not match the trustees' key ceremony (%(reason)s)."),
        "pin-joint-key": gettext("the election key it gives is not the sum of the trustees' "
                                 "commitments"),
        "pin-commitments": gettext("a trustee's published commitment or its proof does not "
                                   "check"),
        "pin-context": gettext("the round context it states differs from the one computed on "
                               "this tablet"),
        "pin-manifest": gettext("the ballot definition is malformed"),
        "pin-election": gettext("the key ceremony's record does not match the ballot "
                                "definition"),
        "pin-round": gettext("the ballot definition is for another round"),
        "network": gettext("The server cannot be reached. Check the tablet's connection "
                           "and try again; nothing was lost."),
        "retrying": gettext("The connection was lost; sending the same signed ballot again…"),
        "code-length": gettext("A code has 20 characters; please check you typed all of them."),
        "code-checksum": gettext("The code has a typing mistake; please check each character."),
        "code-character": gettext("The code contains a character that codes never use "
                                  "(letters and digits only, no U)."),
        "code-text": gettext("Please type the code from your slip."),
        "marks": gettext("You marked %(n)s projects 赞成 (for); at most %(k)s may be chosen. "
                         "Change some marks to 反对 (against) or 弃权 (abstain).",
                         n="{n}", k="{k}"),
        "receipt": gettext("The server's answer does not check on this tablet (%(reason)s): "
                           "your ballot may not have been recorded. Please ask a clerk."),
        "receipt-entry": gettext("the receipt is for another entry of the board than this "
                                 "ballot"),
        "receipt-round": gettext("the receipt is for another round"),
        "receipt-signature": gettext("the receipt's signature is not the round's"),
        "receipt-shape": gettext("the answer is not a receipt"),
        "unexpected": gettext("an unexpected error on this tablet"),
        "refused": gettext("Your ballot was not cast: %(reason)s"),
        "cast-title": gettext("Your ballot is cast"),
        "scan-failed": gettext("The camera could not read the QR code; please type the code."),
        "encrypting": gettext("Encrypting your ballot on this tablet…"),
        "challenging": gettext("Sending the challenged ballot…"),
        "casting": gettext("Casting your ballot…"),
        "challenges-left": gettext("You may challenge %(n)s more ballots before you cast.",
                                   n="{n}"),
        "idle": gettext("Nothing has been touched on this tablet for a while. To keep your "
                        "ballot secret it will be abandoned in %(s)s seconds, and nothing will "
                        "be cast.", s="{s}"),
    }


@bp.get("/")
def index() -> str:
    open_rounds = [r for r in visible_rounds(db()) if r.state == RoundState.open]
    notice = NOTICES.get(request.args.get("notice", ""))
    return render_template("booth/index.html", rounds=open_rounds,
                           notice=notice() if notice else None)


@bp.get("/<election_id>/<round_id>/")
def sign_in(election_id: str, round_id: str) -> Response:
    """The booth page for one open round: everything after this runs on the tablet."""
    round_ = rounds.get_round(db(), election_id, round_id)
    if round_.state != RoundState.open:
        raise Conflict(gettext("This round is not open for voting."))
    kind = round_.kind.value
    projects = [row.project for row in round_.rows]
    others = [r.round_id for r in round_.election.rounds
              if r.state == RoundState.open and r.id != round_.id]
    page = make_response(render_template(
        "booth/booth.html", round=round_, kind=kind, projects=projects, other_rounds=others,
        tablet=_tablet_id(),
        options=list(round_.options), choices=_choices(round_), labels=mark_labels(kind),
        messages=_messages(round_, kind), challenges_per_sign_in=CHALLENGES_PER_SIGN_IN,
        idle_seconds=current_app.config.get("PIAOJUE_BOOTH_IDLE_SECONDS", IDLE_SECONDS),
        rows=[{"id": p.code, "title": p.title} for p in projects]))
    if request.cookies.get(TABLET_COOKIE) != g.piaojue_tablet:
        page.set_cookie(TABLET_COOKIE, g.piaojue_tablet, max_age=400 * 24 * 3600,
                        httponly=True, samesite="Strict",
                        secure=bool(current_app.config.get("PIAOJUE_HTTPS")))
    return page


def _tablet_id() -> str:
    """This tablet's id: the one its cookie holds, or a new random one the page sets. It
    names the tablet to a clerk clearing its lockout; it is no secret and proves nothing."""
    given = request.cookies.get(TABLET_COOKIE, "")
    g.piaojue_tablet = given if TABLET_ID.fullmatch(given) else secrets.token_hex(4)
    return str(g.piaojue_tablet)
