"""Check-in at the speed of a queue: the clerk's page of the deputies present for a round.

Marking a deputy present, undoing it and leave (请假) answer in place: the page's script
(booth/static/checkin.js) posts the same forms with ``Accept: application/json`` and
swaps in the row and the counts this module renders, so the list neither reloads nor
jumps; without the script the forms work as plain posts. The page also polls the
round's check-in state, so two clerks at two laptops see each other's marks, and it
lists the booth tablets locked out by unknown codes, for a clerk to clear.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import jsonify, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from admin.web.access import bp, refused, roles_required, saved
from ballot.errors import DomainError, InvalidInput
from ballot.models import Deputy, Round
from ballot.services import ratelimit, roster, rounds
from booth import api as booth_api
from booth.shell import db, refusal

CLERKS = ("clerk", "presidium")


def _round(election_id: str, round_id: str) -> Round:
    return rounds.get_round(db(), election_id, round_id)


def _state(round_: Round) -> dict[str, object]:
    """What the page shows besides the rows: counts, quorum, whether undo is possible."""
    return {"count": rounds.present_count(db(), round_),
            "required": rounds.quorum_required(db(), round_),
            "enrolled": rounds.enrolled_count(db(), round_.election),
            "undo_refusal": rounds.undo_refusal(db(), round_),
            "can_check_in": round_.state.value in ("draft", "open")}


def _row(round_: Round, deputy: Deputy, present: set[int], state: dict[str, object]) -> str:
    return render_template("admin/_checkin_row.html", round=round_, d=deputy, present=present,
                           **state)


def _lockouts() -> list[ratelimit.Lockout]:
    return (ratelimit.lockouts(db(), "code", booth_api.CODE_ATTEMPTS, booth_api.CODE_WINDOW)
            + ratelimit.lockouts(db(), "code-address", booth_api.ADDRESS_CODE_ATTEMPTS,
                                 booth_api.CODE_WINDOW))


@bp.get("/e/<election_id>/r/<round_id>/checkin")
@roles_required(*CLERKS)
def checkin(election_id: str, round_id: str) -> str:
    round_ = _round(election_id, round_id)
    return render_template("admin/checkin.html", round=round_,
                           deputies=roster.list_deputies(db(), round_.election),
                           present=rounds.present_deputy_ids(db(), round_),
                           query=request.args.get("q", "").strip(), lockouts=_lockouts(),
                           **_state(round_))


@bp.get("/e/<election_id>/r/<round_id>/checkin/state.json")
@roles_required(*CLERKS)
def checkin_state(election_id: str, round_id: str) -> Response:
    """What the page polls: who is present or on leave now, and the counter's words."""
    round_ = _round(election_id, round_id)
    deputies = roster.list_deputies(db(), round_.election)
    present = rounds.present_deputy_ids(db(), round_)
    state = _state(round_)
    response = jsonify(
        rows={d.seat: _row_state(d, present) for d in deputies},
        undo=state["undo_refusal"] is None,
        counter=render_template("admin/_checkin_counter.html", **state))
    response.headers["Cache-Control"] = "no-store"
    return response


def _row_state(deputy: Deputy, present: set[int]) -> str:
    return "present" if deputy.id in present else ("leave" if deputy.on_leave else "absent")


@bp.get("/e/<election_id>/r/<round_id>/checkin/row/<seat>")
@roles_required(*CLERKS)
def checkin_row(election_id: str, round_id: str, seat: str) -> str:
    """One deputy's row as it stands, for the page to swap in after another clerk's mark."""
    round_ = _round(election_id, round_id)
    deputy = roster.get_deputy(db(), round_.election, seat)
    return _row(round_, deputy, rounds.present_deputy_ids(db(), round_), _state(round_))


def _answer(round_: Round, deputy: Deputy | None, message: str, error: DomainError | None,
            target: str) -> Response:
    """The end of a check-in form: in place for the page's script, else a redirect."""
    if "application/json" not in request.headers.get("Accept", ""):
        return refused(error, target) if error is not None else saved(message, target)
    if error is not None:
        db().rollback()
    else:
        db().commit()
    present, state = rounds.present_deputy_ids(db(), round_), _state(round_)
    return jsonify(
        ok=error is None, message=refusal(error) if error is not None else message,
        seat=deputy.seat if deputy else None, undo=state["undo_refusal"] is None,
        row=_row(round_, deputy, present, state) if deputy else None,
        counter=render_template("admin/_checkin_counter.html", **state))


def _on_deputy(election_id: str, round_id: str,
               act: Callable[[Round, Deputy], str]) -> Response:
    """Run one check-in page action on the deputy of the posted seat; answer in place."""
    target = url_for("admin.checkin", election_id=election_id, round_id=round_id,
                     q=request.form.get("q", ""))
    round_ = _round(election_id, round_id)
    deputy = None
    try:
        deputy = roster.get_deputy(db(), round_.election, request.form.get("seat", ""))
        message = act(round_, deputy)
    except DomainError as exc:
        return _answer(round_, deputy, "", exc, target)
    return _answer(round_, deputy, message, None, target)


@bp.post("/e/<election_id>/r/<round_id>/checkin")
@roles_required(*CLERKS)
def checkin_toggle(election_id: str, round_id: str) -> Response:
    def toggle(round_: Round, deputy: Deputy) -> str:
        if request.form.get("undo") == "1":
            rounds.undo_check_in(db(), round_, deputy)
            return gettext("%(name)s unmarked.", name=deputy.name)
        rounds.check_in(db(), round_, deputy)
        return gettext("%(name)s is present.", name=deputy.name)
    return _on_deputy(election_id, round_id, toggle)


@bp.post("/e/<election_id>/r/<round_id>/leave")
@roles_required(*CLERKS)
def leave(election_id: str, round_id: str) -> Response:
    """Mark a deputy on leave (请假) or back (roster.set_leave keeps the rule)."""
    def record(round_: Round, deputy: Deputy) -> str:
        roster.set_leave(db(), deputy, request.form.get("on_leave") == "1")
        return gettext("%(name)s: leave recorded.", name=deputy.name)
    return _on_deputy(election_id, round_id, record)


@bp.post("/e/<election_id>/r/<round_id>/lockout")
@roles_required(*CLERKS)
def lockout_clear(election_id: str, round_id: str) -> Response:
    """Lift a booth tablet's lockout (an honest deputy's typos), as the page lists them."""
    target = url_for("admin.checkin", election_id=election_id, round_id=round_id)
    bucket, key = request.form.get("bucket", ""), request.form.get("key", "")
    if bucket not in ("code", "code-address") or not key:
        return refused(InvalidInput(gettext("There is no such lockout.")), target)
    if not ratelimit.clear(db(), bucket, key):
        return refused(InvalidInput(gettext("This lockout has ended already.")), target)
    return saved(gettext("The lockout is lifted: the tablet may try codes again."), target)
