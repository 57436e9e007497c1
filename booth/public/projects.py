"""The public side of 晒单 and 评单: the year's projects, their progress and ratings,
and questions from anyone, shown once answered and moderated."""

from __future__ import annotations

import datetime as dt
import io

from flask import redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from ballot.errors import DomainError
from ballot.models import TrackedProject
from ballot.services import elections, ratelimit, tracking
from booth.charts import rating_history
from booth.public.blueprint import bp
from booth.shell import client_address, db, refusal

QUESTIONS_PER_HOUR = 10


def _page(tracked: TrackedProject, **extra: object) -> str:
    ratings = tracking.ratings_of(db(), tracked)
    chart = None
    if ratings:
        num, den = ratings[-1].round.threshold_num or 4, ratings[-1].round.threshold_den or 5
        chart = rating_history([(r.round.title, *r.row["rate"], r.row["class"])
                                for r in ratings], num / den, gettext)
    return render_template("public/project.html", t=tracked, ratings=ratings, chart=chart,
                           timeline=tracking.timeline(tracked),
                           questions=tracking.published_questions(tracked), **extra)


@bp.get("/projects/<election_id>")
def projects(election_id: str) -> str:
    election = elections.get_election(db(), election_id)
    tracked = tracking.tracked_projects(db(), election)
    return render_template("public/projects.html", election=election, projects=tracked,
                           latest={t.id: ratings[-1] if (ratings := tracking.ratings_of(db(), t))
                                   else None for t in tracked})


@bp.get("/projects/<election_id>/<code>")
def project(election_id: str, code: str) -> str:
    election = elections.get_election(db(), election_id)
    return _page(tracking.get_tracked(db(), election, code), values={},
                 asked=request.args.get("asked"))


@bp.post("/projects/<election_id>/<code>")
def ask(election_id: str, code: str) -> Response | tuple[str, int]:
    election = elections.get_election(db(), election_id)
    tracked = tracking.get_tracked(db(), election, code)
    values = request.form.to_dict()
    key = client_address()
    tried = ratelimit.attempt(db(), "question", key, QUESTIONS_PER_HOUR,
                              dt.timedelta(hours=1))
    if not tried.allowed:
        return _page(tracked, values=values, error=gettext(
            "Too many questions from this address; please try again in an hour.")), 429
    try:
        tracking.ask(db(), tracked, values)
    except DomainError as exc:
        db().rollback()
        ratelimit.forgive(db(), tried)  # only questions asked count
        return _page(tracked, values=values, error=refusal(exc)), 400
    db().commit()
    return redirect(url_for("public.project", election_id=election_id, code=code, asked=1))


@bp.get("/projects/<election_id>/<code>/files/<int(max=2147483647):file_id>")
def project_file(election_id: str, code: str, file_id: int) -> Response:
    tracked = tracking.get_tracked(db(), elections.get_election(db(), election_id), code)
    found = tracking.update_file(db(), tracked, file_id)
    # Photos show in the page; documents download. The type was checked on upload.
    return send_file(io.BytesIO(found.data), mimetype=found.content_type,
                     as_attachment=found.content_type == "application/pdf",
                     download_name=found.name)
