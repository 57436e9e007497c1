"""晒单 and 评单 for staff: the year's projects, their progress, questions, ratings,
rectification and the year report.

The presidium plans, checks, moderates and opens rating rounds; department
staff report on their own department's projects only (checked on every
action, not just hidden in the page).
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Callable

from flask import render_template, request, send_file, session, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from admin.pdf import year_report_pdf
from admin.web.access import bp, current_staff, refused, roles_required, saved
from ballot.errors import N_, DomainError, InvalidInput
from ballot.models import TrackedProject
from ballot.services import elections, fields, rectification, roster, rounds, staff, tracking
from ballot.services.attachments import MAX_ATTACHMENT, Attachment
from ballot.services.year_report import year_report, year_report_xlsx
from ballot.spreadsheet import XLSX_MIME
from booth.shell import db

PRESIDIUM_ACTIONS = ("plan", "milestone", "supervisors", "check", "publish_question",
                     "withhold_question")
DEPARTMENT_ACTIONS = ("update", "milestone_done", "answer", "report")


def _actor() -> str:
    return session.get("staff_name") or "staff"


@bp.get("/e/<election_id>/projects")
@roles_required("presidium", "department")
def tracked_list(election_id: str) -> str:
    election = elections.get_election(db(), election_id)
    user = current_staff()
    roles = staff.roles_of(user)
    return render_template(
        "admin/tracked_list.html", election=election,
        projects=tracking.tracked_projects(db(), election),
        pending=tracking.pending_questions, user=user, roles=roles,
        may_see=lambda t: tracking.may_see_private(t, roles, user.department),
        unordered=rectification.unordered_flags(db(), election),
        awaiting=rectification.awaiting_rerating(db(), election),
        open_tasks=rectification.open_tasks(db(), election), today=dt.date.today())


@bp.get("/e/<election_id>/projects/<code>")
@roles_required("presidium", "department")
def tracked_view(election_id: str, code: str) -> str:
    election = elections.get_election(db(), election_id)
    tracked = tracking.get_tracked(db(), election, code)
    user = current_staff()
    tracking.check_may_see_private(tracked, staff.roles_of(user), user.department)
    return render_template(
        "admin/tracked.html", election=election, t=tracked, roles=staff.roles_of(user),
        own=user.department == tracked.department, deputies=roster.list_deputies(db(), election),
        ratings=tracking.ratings_of(db(), tracked), timeline=tracking.timeline(tracked),
        verdicts=tracking.VERDICTS, next_states=tracking.NEXT_STATES[tracked.state])


def _files() -> list[Attachment]:
    return [Attachment(f.filename or "", f.mimetype or "", f.read(MAX_ATTACHMENT + 1))
            for f in request.files.getlist("files") if f.filename]


def _action(tracked: TrackedProject, action: str) -> Callable[[], object]:
    """The service call behind each button, with the form's fields."""
    form, actor = request.form, _actor()
    question = lambda: tracking.get_question(  # noqa: E731
        db(), tracked, fields.whole_number_or_none(form.get("question")))
    actions: dict[str, Callable[[], object]] = {
        "plan": lambda: tracking.set_plan(db(), tracked, form.to_dict()),
        "milestone": lambda: tracking.add_milestone(db(), tracked, form.get("title", ""),
                                                    form.get("due")),
        "milestone_done": lambda: tracking.complete_milestone(
            db(), tracked, fields.whole_number_or_none(form.get("milestone")), form.get("done_on")),
        "supervisors": lambda: tracking.set_supervisors(
            db(), tracked, fields.whole_numbers(form.getlist("deputy"))),
        "update": lambda: tracking.post_update(
            db(), tracked, actor, percent=fields.whole_number(form.get("percent"),
                                                        N_("the progress (%)")),
            state=form.get("state", ""), text_=form.get("text", ""), files=_files(),
            delay_reason=form.get("delay_reason", "")),
        "check": lambda: tracking.record_check(
            db(), tracked, actor, quarter=form.get("quarter", ""),
            verdict=form.get("verdict", ""), conclusion=form.get("conclusion", "")),
        "answer": lambda: tracking.answer(db(), question(), actor, form.get("answer", "")),
        "publish_question": lambda: tracking.publish_question(db(), question(), actor),
        "withhold_question": lambda: tracking.withhold_question(db(), question(), actor,
                                                                form.get("reason", "")),
        "report": lambda: rectification.file_report(
            db(), rectification.get_rectification(db(), tracked,
                                                  fields.whole_number_or_none(form.get("task"))),
            actor, form.get("report", "")),
    }
    if action not in actions:
        raise InvalidInput(gettext("Unknown action."))
    return actions[action]


@bp.post("/e/<election_id>/projects/<code>/<action>")
@roles_required("presidium", "department")
def tracked_action(election_id: str, code: str, action: str) -> Response:
    target = url_for("admin.tracked_view", election_id=election_id, code=code)
    user = current_staff()
    roles = staff.roles_of(user)
    try:
        tracked = tracking.get_tracked(db(), elections.get_election(db(), election_id), code)
        call = _action(tracked, action)
        if "presidium" not in roles:
            if action in PRESIDIUM_ACTIONS:
                raise InvalidInput(gettext("Only the presidium can do this."))
            tracking.check_department(tracked, user.department)
        call()
    except DomainError as exc:
        return refused(exc, target)
    return saved(gettext("Saved."), target)


@bp.post("/e/<election_id>/ratings")
@roles_required("presidium")
def rating_create(election_id: str) -> Response:
    target = url_for("admin.tracked_list", election_id=election_id)
    form = request.form
    try:
        election = elections.get_election(db(), election_id)
        stage = "rerating" if form.get("rerating") == "1" else form.get("stage", "")
        title = form.get("title", "").strip() or rectification.STAGE_TITLES.get(
            stage, "").format(year=election.year)
        threshold = fields.about("threshold", fields.fraction, form.get("threshold") or "4/5",
                                 N_("the rating threshold"))
        if stage == "rerating":
            round_ = rectification.create_rerating_round(
                db(), election, round_id=form.get("round_id", ""), title=title,
                threshold=threshold)
        else:
            round_ = rectification.create_rating_round(
                db(), election, round_id=form.get("round_id", ""), title=title,
                threshold=threshold)
    except DomainError as exc:
        return refused(exc, target)
    return saved(gettext("Round %(r)s created.", r=round_.round_id),
                 url_for("admin.round_view", election_id=election_id, round_id=round_.round_id))


@bp.post("/e/<election_id>/rectifications/<round_id>")
@roles_required("presidium")
def rectification_order(election_id: str, round_id: str) -> Response:
    target = url_for("admin.tracked_list", election_id=election_id)
    try:
        round_ = rounds.get_round(db(), election_id, round_id)
        made = rectification.order_rectifications(
            db(), round_, _actor(), due=request.form.get("due"),
            instructions=request.form.get("instructions", ""))
    except DomainError as exc:
        return refused(exc, target)
    return saved(gettext("%(n)d rectification task(s) ordered.", n=len(made)), target)


@bp.get("/e/<election_id>/year-report.<any(pdf, xlsx):fmt>")
@roles_required("presidium", "clerk", "reviewer", "department")
def year_report_download(election_id: str, fmt: str) -> Response:
    election = elections.get_election(db(), election_id)
    report = year_report(db(), election)
    if fmt == "xlsx":
        data, mimetype = year_report_xlsx(report), XLSX_MIME
    else:
        def record_url(round_id: str) -> str:
            return url_for("public.results", election_id=election.id, round_id=round_id,
                           _external=True)
        data, mimetype = year_report_pdf(report, record_url), "application/pdf"
    return send_file(io.BytesIO(data), mimetype=mimetype, as_attachment=True,
                     download_name=f"{election.id}-year-report.{fmt}")
