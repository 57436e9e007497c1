"""The session day in the browser: rounds, check-in, credentials, tally, exports.

Each route parses its form, calls one service, and redirects (or renders);
the services hold every rule, exactly as the CLI uses them.
"""

from __future__ import annotations

import io
from typing import Any

from flask import flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext
from werkzeug.wrappers import Response

from admin import pdf
from admin.web.access import bp, current_staff, refused, roles_required, saved
from ballot.errors import N_, DomainError, InvalidInput
from ballot.labels import label
from ballot.models import Round
from ballot.record import record_zip_bytes
from ballot.services import (
    ceremony,
    checklist,
    credentials,
    elections,
    fields,
    results_export,
    roster,
    rounds,
    staff,
)
from ballot.services import tally as tallying
from ballot.services.export import record_files_for
from ballot.services.public import turnout
from ballot.spreadsheet import XLSX_MIME
from booth.shell import catalog, db, say
from crypto.canonical import canonical_json, parse_json
from crypto.errors import CryptoError
from crypto.hashing import fingerprint

MAX_UPLOAD = 20 * 1024 * 1024


def _round(election_id: str, round_id: str) -> Round:
    return rounds.get_round(db(), election_id, round_id)


def _upload_json() -> Any:
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        raise InvalidInput(gettext("Choose a file to upload."))
    data = upload.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InvalidInput(gettext("The file is too large."))
    try:
        return parse_json(data)
    except CryptoError as exc:
        raise InvalidInput("%(filename)s: %(exc)s", filename=upload.filename, exc=exc) from None


@bp.get("/e/<election_id>/")
@roles_required(*staff.ROLES)
def election(election_id: str) -> str:
    """The session day for every role: the checklist, and the forms this role may use."""
    e = elections.get_election(db(), election_id)
    steps = checklist.session_day(db(), e)
    return render_template("admin/election.html", election=e, steps=steps,
                           next_step=checklist.next_step(steps),
                           trustees=checklist.trustee_progress(db(), e),
                           stopped=ceremony.stopped_by(e),
                           deputies=len(roster.list_deputies(db(), e)),
                           projects=roster.list_projects(db(), e))


@bp.post("/e/<election_id>/ceremony")
@roles_required("presidium")
def ceremony_upload(election_id: str) -> Response:
    target = url_for("admin.election", election_id=election_id)
    try:
        step = ceremony.import_trustee_file(db(), elections.get_election(db(), election_id),
                                            _upload_json())
    except (DomainError, CryptoError) as exc:
        return refused(exc, target)
    if step.complaint:  # stored, so committed: the ceremony stops and the complaint is public
        db().commit()
        flash(say(step.message), "error")
        return redirect(target)
    return saved(say(step.message), target)


@bp.get("/e/<election_id>/ceremony.json")
@roles_required("presidium", "trustee")
def ceremony_download(election_id: str) -> Response:
    doc = ceremony.ceremony_document(db(), elections.get_election(db(), election_id))
    return send_file(io.BytesIO(canonical_json(doc) + b"\n"), mimetype="application/json",
                     as_attachment=True, download_name=f"{election_id}-ceremony.json")


@bp.post("/e/<election_id>/import/<kind>")
@roles_required("presidium")
def import_table(election_id: str, kind: str) -> Response:
    target = url_for("admin.election", election_id=election_id)
    upload = request.files.get("file")
    if upload is None or not upload.filename or kind not in ("deputies", "projects"):
        return refused(InvalidInput(gettext("Choose a CSV or XLSX file to upload.")), target)
    dry_run = request.form.get("dry_run") == "1"
    importer = roster.import_deputies if kind == "deputies" else roster.import_projects
    try:
        added = importer(db(), elections.get_election(db(), election_id),
                         upload.read(MAX_UPLOAD + 1), upload.filename, dry_run=dry_run)
    except DomainError as exc:
        return refused(exc, target)
    if dry_run:
        db().rollback()
        flash(gettext("Every row is valid; nothing was imported (dry run)."), "success")
        return redirect(target)
    return saved(gettext("%(n)d rows imported.", n=len(added)), target)


@bp.post("/e/<election_id>/deputy")
@roles_required("presidium")
def deputy_edit(election_id: str) -> Response:
    target = url_for("admin.election", election_id=election_id)
    try:
        deputy = roster.get_deputy(db(), elections.get_election(db(), election_id),
                                   request.form.get("seat", "").strip())
        roster.edit_deputy(db(), deputy, request.form.get("name", ""),
                           request.form.get("delegation", ""))
    except DomainError as exc:
        return refused(exc, target)
    return saved(gettext("%(name)s: saved.", name=deputy.name), target)


@bp.post("/e/<election_id>/rounds")
@roles_required("presidium")
def round_create(election_id: str) -> Response:
    target = url_for("admin.election", election_id=election_id)
    form = request.form
    try:
        e = elections.get_election(db(), election_id)
        seats_typed = form.get("seats", "").strip()  # a rating round has none
        seats = (fields.about("seats", fields.whole_number, seats_typed,
                              N_("the number of seats")) if seats_typed else None)
        round_ = rounds.create_round(
            db(), e, round_id=form.get("round_id", ""), kind=form.get("kind", ""),
            title=form.get("title", ""),
            project_ids=fields.whole_numbers(form.getlist("project")),
            seats=seats, basis=form.get("basis", "enrolled"),
            options=tuple(form.get("options", "for,against").split(",")),
            threshold=fields.about("threshold", fields.fraction, form.get("threshold") or "4/5",
                                   N_("the rating threshold")))
    except DomainError as exc:
        return refused(exc, target)
    return saved(gettext("Round %(r)s created.", r=round_.round_id),
                 url_for("admin.round_view", election_id=election_id,
                         round_id=round_.round_id))


@bp.get("/e/<election_id>/r/<round_id>/")
@roles_required("presidium", "clerk", "credentials", "trustee")
def round_view(election_id: str, round_id: str) -> str:
    round_ = _round(election_id, round_id)
    slips = credentials.slip_counts(db(), round_)
    return render_template(
        "admin/round.html", round=round_, present=rounds.present_count(db(), round_),
        roles=staff.roles_of(current_staff()), slips=slips,
        required=rounds.quorum_required(db(), round_),
        enrolled=rounds.enrolled_count(db(), round_.election),
        issued=slips.handed_out,
        turnout=turnout(db(), round_) if round_.manifest_json else None,
        shares=tallying.shares_in(db(), round_))


@bp.post("/e/<election_id>/r/<round_id>/<action>")
@roles_required("presidium")
def round_action(election_id: str, round_id: str, action: str) -> Response:
    target = url_for("admin.round_view", election_id=election_id, round_id=round_id)
    round_ = _round(election_id, round_id)
    try:
        if action == "open":
            rounds.open_round(db(), round_)
        elif action == "close":
            if request.form.get("confirm") != "yes":
                raise InvalidInput(gettext("Tick the box to confirm that voting ends now."))
            rounds.close_round(db(), round_)
        elif action == "combine":
            tallying.combine(db(), round_)
        elif action == "publish":
            tallying.publish(db(), round_)
        elif action == "share":
            row = tallying.import_share(db(), round_, _upload_json())
            return saved(gettext("Trustee %(t)d's share verifies.", t=row.trustee_index), target)
        elif action == "followup":
            new = tallying.create_followup(db(), round_, request.form.get("new_id", ""),
                                           request.form.get("title", ""))
            return saved(gettext("Round %(r)s created.", r=new.round_id),
                         url_for("admin.round_view", election_id=election_id,
                                 round_id=new.round_id))
        else:
            raise InvalidInput(gettext("Unknown action."))
    except (DomainError, CryptoError) as exc:
        return refused(exc, target)
    return saved(gettext("Done: the round is now %(s)s.", s=say(label(round_.state))), target)


@bp.post("/e/<election_id>/r/<round_id>/keys")
@roles_required("credentials")
def upload_keys(election_id: str, round_id: str) -> Response:
    target = url_for("admin.round_view", election_id=election_id, round_id=round_id)
    try:
        round_ = _round(election_id, round_id)
        keys = credentials.keys_in_document(_upload_json(), round_)
        entry = credentials.issue(db(), round_, keys)
    except (DomainError, CryptoError) as exc:
        return refused(exc, target)
    return saved(gettext("%(n)d credentials issued (board entry %(k)d).", n=len(keys),
                         k=entry.index), target)


@bp.post("/e/<election_id>/r/<round_id>/slips")
@roles_required("credentials")
def print_slips(election_id: str, round_id: str) -> Response:
    """Make slips, put their public keys on the board, stream the PDF, forget the codes."""
    target = url_for("admin.round_view", election_id=election_id, round_id=round_id)
    round_ = _round(election_id, round_id)
    try:
        count = fields.whole_number(request.form.get("count"), N_("the number of slips"),
                                    low=1, high=credentials.MAX_BATCH)
        slips = credentials.make_slips(election_id, round_id, count)
        first = credentials.made_count(db(), round_) + 1
        credentials.issue(db(), round_, [slip.public_key for slip in slips])
        data = pdf.slips_pdf(round_.election.congress_name, round_.title, slips, start=first,
                             kind=round_.kind,
                             round_fingerprint=fingerprint(round_.context_bytes))
    except DomainError as exc:
        return refused(exc, target)
    db().commit()
    del slips  # the codes live on only in the PDF being streamed
    return send_file(io.BytesIO(data), mimetype="application/pdf", as_attachment=True,
                     download_name=f"{election_id}-{round_id}-slips-{first}.pdf")


@bp.post("/e/<election_id>/r/<round_id>/void")
@roles_required("credentials", "clerk")
def void_key(election_id: str, round_id: str) -> Response:
    target = url_for("admin.round_view", election_id=election_id, round_id=round_id)
    try:
        round_ = _round(election_id, round_id)
        key = credentials.resolve_key(db(), round_, request.form.get("key", ""))
        entry = credentials.void(db(), round_, key)
    except DomainError as exc:
        return refused(exc, target)
    return saved(gettext("Credential voided (board entry %(k)d).", k=entry.index), target)


@bp.get("/e/<election_id>/r/<round_id>/request.json")
@roles_required("presidium", "trustee")
def tally_request(election_id: str, round_id: str) -> Response:
    request_doc = tallying.decryption_request(db(), _round(election_id, round_id))
    db().commit()
    return send_file(io.BytesIO(canonical_json(request_doc) + b"\n"),
                     mimetype="application/json", as_attachment=True,
                     download_name=f"{election_id}-{round_id}-request.json")


@bp.get("/e/<election_id>/r/<round_id>/export/<kind>")
@roles_required("presidium", "clerk")
def export(election_id: str, round_id: str, kind: str) -> Response:
    round_ = _round(election_id, round_id)
    name = f"{election_id}-{round_id}"
    if kind == "record.zip":
        data, mime = record_zip_bytes(record_files_for(db(), round_)), "application/zip"
    elif kind == "results.csv":
        data, mime = results_export.results_csv(round_, catalog), "text/csv"
    elif kind == "results.xlsx":
        data = results_export.results_xlsx(round_, catalog)
        mime = XLSX_MIME
    elif kind == "results.pb":
        data, mime = results_export.pabulib(round_).encode("utf-8"), "text/plain"
    elif kind == "report.pdf":
        link = url_for("public.results", election_id=election_id, round_id=round_id,
                       _external=True)
        data, mime = pdf.results_pdf(round_, link), "application/pdf"
    else:
        raise InvalidInput(gettext("Unknown export."))
    return send_file(io.BytesIO(data), mimetype=mime, as_attachment=True,
                     download_name=f"{name}-{kind}")
