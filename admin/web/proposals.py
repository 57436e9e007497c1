"""Review staff and the presidium: screen proposals, answer them, adopt the candidate list."""

from __future__ import annotations

import io

from flask import flash, redirect, render_template, request, send_file, session, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from admin.web.access import bp, refused, roles_required, saved
from ballot.errors import N_, DomainError, InvalidInput
from ballot.models import ProposalState
from ballot.services import elections, fields, proposals
from ballot.services.proposals_export import proposal_table
from ballot.spreadsheet import XLSX_MIME, csv_bytes, xlsx_bytes
from booth.shell import catalog, db


def _actor() -> str:
    return session.get("staff_name") or "staff"


def _back(election_id: str, proposal_id: int | None = None) -> str:
    if proposal_id is None:
        return url_for("admin.proposals_list", election_id=election_id)
    return url_for("admin.proposal_view", election_id=election_id, proposal_id=proposal_id)


@bp.get("/e/<election_id>/proposals")
@roles_required("reviewer", "presidium")
def proposals_list(election_id: str) -> str:
    election = elections.get_election(db(), election_id)
    state = request.args.get("state") or None
    if state not in (None, *[s.value for s in ProposalState]):
        state = None
    return render_template("admin/proposals.html", election=election, state=state,
                           proposals=proposals.listing(db(), election, state),
                           states=[s.value for s in ProposalState])


@bp.get("/e/<election_id>/proposals/<int(max=2147483647):proposal_id>")
@roles_required("reviewer", "presidium")
def proposal_view(election_id: str, proposal_id: int) -> str:
    election = elections.get_election(db(), election_id)
    return render_template("admin/proposal.html", election=election,
                           proposal=proposals.get(db(), election, proposal_id),
                           fields=proposals.FINDING_FIELDS)


@bp.get("/e/<election_id>/proposals/<int(max=2147483647):proposal_id>/attachment")
@roles_required("reviewer", "presidium")
def proposal_attachment(election_id: str, proposal_id: int) -> Response:
    proposal = proposals.get(db(), elections.get_election(db(), election_id), proposal_id)
    if proposal.attachment is None:
        raise InvalidInput(gettext("This proposal has no attachment."))
    return send_file(io.BytesIO(proposal.attachment), mimetype=proposal.attachment_type,
                     as_attachment=True, download_name=proposal.attachment_name or "attachment")


@bp.post("/e/<election_id>/proposals/<int(max=2147483647):proposal_id>/<action>")
@roles_required("reviewer")
def proposal_action(election_id: str, proposal_id: int, action: str) -> Response:
    target = _back(election_id, proposal_id)
    form = request.form
    try:
        election = elections.get_election(db(), election_id)
        proposal = proposals.get(db(), election, proposal_id)
        if action == "start_review":
            proposals.start_review(db(), proposal, _actor())
        elif action == "findings":
            proposals.record_findings(db(), proposal, _actor(), form.to_dict())
        elif action == "return":
            proposals.return_for_revision(db(), proposal, _actor(), form.get("note", ""))
        elif action == "accept":
            proposals.accept(db(), proposal, _actor(), form.get("note", ""))
        elif action == "reject":
            proposals.reject(db(), proposal, _actor(), form.get("note", ""))
        elif action == "merge":
            into = proposals.by_code(db(), form.get("into", ""))
            proposals.merge(db(), proposal, into, _actor(), form.get("note", ""))
        else:
            raise InvalidInput(gettext("Unknown action."))
    except DomainError as exc:
        return refused(exc, target)
    return saved(gettext("Saved."), target)


@bp.post("/e/<election_id>/proposals/import")
@roles_required("reviewer")
def proposals_import(election_id: str) -> Response:
    target = _back(election_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        flash(gettext("Choose a CSV or XLSX file to upload."), "error")
        return redirect(target)
    dry_run = request.form.get("dry_run") == "1"
    try:
        added = proposals.import_proposals(db(), elections.get_election(db(), election_id),
                                           upload.read(5 * 1024 * 1024 + 1), upload.filename,
                                           dry_run=dry_run)
    except DomainError as exc:
        return refused(exc, target)
    return saved(gettext("Every row is valid; nothing was imported (dry run).") if dry_run
                 else gettext("%(n)d rows imported.", n=len(added)), target)


@bp.route("/e/<election_id>/adopt", methods=["GET", "POST"])
@roles_required("presidium")
def adopt(election_id: str) -> Response | str:
    election = elections.get_election(db(), election_id)
    if request.method == "GET":
        return render_template("admin/adopt.html", election=election,
                               pool=proposals.reserve_pool(db(), election))
    chosen = fields.whole_numbers(request.form.getlist("proposal"))
    try:
        seats = fields.about("seats", fields.whole_number, request.form.get("seats"),
                             N_("the number of seats"))
        round_ = proposals.adopt(db(), election, chosen, seats, _actor(),
                                 title=request.form.get("title") or None)
    except DomainError as exc:
        return refused(exc, url_for("admin.adopt", election_id=election_id))
    return saved(gettext("The candidate list is adopted: round %(r)s.", r=round_.round_id),
                 url_for("admin.round_view", election_id=election_id, round_id=round_.round_id))


@bp.get("/e/<election_id>/proposals/export.<kind>")
@roles_required("reviewer", "presidium")
def proposals_export(election_id: str, kind: str) -> Response:
    election = elections.get_election(db(), election_id)
    header, rows = proposal_table(db(), election, catalog)
    if kind == "csv":
        data, mime = csv_bytes(header, rows), "text/csv"
    elif kind == "xlsx":
        data, mime = xlsx_bytes([(gettext("Proposals"), header, rows)]), XLSX_MIME
    else:
        raise InvalidInput(gettext("Unknown export."))
    return send_file(io.BytesIO(data), mimetype=mime, as_attachment=True,
                     download_name=f"{election_id}-proposals.{kind}")
