"""The public side of 选单: propose a project, follow it by its code, see every answer."""

from __future__ import annotations

import datetime as dt

from flask import redirect, render_template, request, session, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from ballot.errors import DomainError, NotFound
from ballot.models import ProposalState
from ballot.services import elections, proposals, ratelimit, roster
from booth.public.blueprint import bp
from booth.shell import client_address, db, problem_of, refusal

SUBMISSIONS_PER_HOUR = 10
TRACK_MISSES = 10
"""Unknown tracking codes one address may try in ``TRACK_WINDOW`` (codes have ~50 bits)."""
TRACK_WINDOW = dt.timedelta(minutes=10)
ANSWERED = (ProposalState.accepted, ProposalState.merged, ProposalState.rejected)


def _latest_election_id() -> str:
    found = elections.list_elections(db())
    if not found:
        raise NotFound(gettext("No congress is taking proposals yet."))
    return found[-1].id


def _address() -> str:
    """Rate-limit key: the sender's network address (behind proxies: PIAOJUE_PROXIES)."""
    return client_address()


def _submission(key: str) -> ratelimit.Attempt:
    """New proposals and revisions share one limit per address (refused ones are forgiven)."""
    return ratelimit.attempt(db(), "propose", key, SUBMISSIONS_PER_HOUR, dt.timedelta(hours=1))


def _too_many_submissions_message() -> str:
    return gettext("Too many proposals from this address; please try again in an hour.")


@bp.route("/propose", methods=["GET", "POST"])
@bp.route("/propose/<election_id>", methods=["GET", "POST"])
def propose(election_id: str | None = None) -> Response | str | tuple[str, int]:
    election = elections.get_election(db(), election_id or _latest_election_id())
    values = request.form.to_dict()
    if request.method == "GET":
        return render_template("public/propose.html", election=election, values={},
                               categories=election.categories)
    key = _address()
    tried = _submission(key)
    if not tried.allowed:
        return render_template("public/propose.html", election=election, values=values,
                               categories=election.categories,
                               error=_too_many_submissions_message()), 429
    upload = request.files.get("attachment")
    attachment = None
    if upload is not None and upload.filename:
        attachment = proposals.Attachment(upload.filename, upload.mimetype or "",
                                          upload.read(proposals.MAX_ATTACHMENT + 1))
    source = "deputy" if values.get("deputy_name", "").strip() else "public"
    try:
        proposal = proposals.submit(db(), election, values, source=source,
                                    attachment=attachment)
    except DomainError as exc:
        db().rollback()
        ratelimit.forgive(db(), tried)
        return render_template("public/propose.html", election=election, values=values,
                               categories=election.categories, error=refusal(exc),
                               problem=problem_of(exc)), 400
    db().commit()
    # The tracking code is a bearer secret: it goes to the next page in the signed
    # session cookie, not in the URL, which access logs and browser history keep.
    session["new_tracking_code"] = proposal.tracking_code
    return redirect(url_for("public.track", new=1))


SHOWN_CODE = "shown_tracking_code"
"""The tracking code of the proposal this browser was last shown, for a language switch."""


@bp.route("/track", methods=["GET", "POST"])
def track() -> str | tuple[str, int]:
    """Look a proposal up by its code (posted by the form; a ``?code=`` link of old
    still works), or revise it when it was returned for revision."""
    new = request.args.get("new") == "1" and "new_tracking_code" in session
    code = (session.pop("new_tracking_code") if new else request.values.get("code", "")).strip()
    if not code and request.method == "GET" and "lang" in request.args:
        # The page in another language: the proposal shown stays shown (its code is kept
        # in the signed session, never put in the address).
        code = session.get(SHOWN_CODE, "")
    if not code:
        return render_template("public/track.html", proposal=None, code="")
    key = _address()
    looked_up = ratelimit.attempt(db(), "track", key, TRACK_MISSES, TRACK_WINDOW)
    if not looked_up.allowed:
        return render_template("public/track.html", proposal=None, code=code, error=gettext(
            "Too many unknown tracking codes were tried from this address; please wait "
            "ten minutes.")), 429
    try:
        proposal = proposals.by_code(db(), code)
    except NotFound:  # an unknown code stays counted
        return render_template("public/track.html", proposal=None, code=code, error=gettext(
            "No proposal has this tracking code; please check it.")), 404
    ratelimit.forgive(db(), looked_up)  # only unknown codes count
    session[SHOWN_CODE] = code
    election = proposals.proposal_election(db(), proposal)
    revising = request.method == "POST" and "title" in request.form
    if revising and proposal.state == ProposalState.returned_for_revision:
        tried = _submission(key)
        if not tried.allowed:
            return render_template("public/track.html", proposal=proposal, code=code,
                                   categories=election.categories,
                                   error=_too_many_submissions_message()), 429
        try:
            proposals.revise(db(), code, request.form.to_dict())
        except DomainError as exc:
            db().rollback()
            ratelimit.forgive(db(), tried)
            return render_template("public/track.html", proposal=proposal, code=code,
                                   categories=election.categories,
                                   error=refusal(exc)), 400
        db().commit()
    return render_template("public/track.html", proposal=proposal, code=code, new=new,
                           categories=election.categories)


@bp.get("/proposals/<election_id>")
def proposals_page(election_id: str) -> str:
    election = elections.get_election(db(), election_id)
    answered = [p for p in proposals.listing(db(), election) if p.state in ANSWERED]
    counts = proposals.counts(db(), election)
    categories = sorted({c for c, _ in counts})
    adopted = [p for p in roster.list_projects(db(), election)]
    return render_template("public/proposals.html", election=election, answered=answered,
                           counts=counts, categories=categories, adopted=adopted,
                           states=[s.value for s in ProposalState])
