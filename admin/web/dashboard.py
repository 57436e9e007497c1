"""The staff's home page: the elections there are, and a new one for the presidium."""

from __future__ import annotations

from flask import current_app, render_template, request, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from admin.web.access import bp, refused, roles_required, saved
from ballot.errors import N_, DomainError
from ballot.services import elections, fields, public, staff
from booth.shell import db


@bp.get("/")
@roles_required(*staff.ROLES)
def dashboard() -> str:
    return render_template("admin/dashboard.html", elections=elections.list_elections(db()),
                           turnout=public.turnout, db_session=db())


@bp.post("/elections")
@roles_required("presidium")
def election_create() -> Response:
    form = request.form
    names = [n.strip() for n in form.get("trustees", "").splitlines() if n.strip()]
    try:
        e = elections.create_election(
            db(), election_id=form.get("election_id", "").strip(),
            congress_name=form.get("congress_name", ""), level=form.get("level", ""),
            year=fields.about("year", fields.whole_number, form.get("year"), N_("the year")),
            trustee_names=names,
            threshold=fields.about("threshold", fields.whole_number, form.get("threshold"),
                                   N_("the trustees' threshold")),
            at_rest=current_app.config["PIAOJUE_AT_REST"],
            quorum=fields.about("quorum", fields.fraction, form.get("quorum", "2/3"),
                                N_("the quorum")),
            candidate_ratio=(
                fields.about("ratio_min", fields.fraction, form.get("ratio_min", "1/5"),
                             N_("the fewest extra candidates")),
                fields.about("ratio_max", fields.fraction, form.get("ratio_max", "1/2"),
                             N_("the most extra candidates"))),
            categories=form.get("categories", "").splitlines() or None)
    except DomainError as exc:
        return refused(exc, url_for("admin.dashboard"))
    return saved(gettext("Election %(e)s created.", e=e.id),
                 url_for("admin.election", election_id=e.id))
