"""The record verification page: a published record checked in the reader's browser.

The page (``/verify/record``) runs the JavaScript verifier of
``booth/static/protocol/`` in Web Workers; ``/verify/record/offline.html`` is
the same page as one file, its script and style inline, to save and open from
disk so that the server that made the record is not trusted to check it. Both
need WebAssembly (libsodium's build, for the group), which is the one thing
their Content-Security-Policy allows beyond the site's (``booth.shell.uses_webassembly``).
"""

from __future__ import annotations

import base64
import hashlib
from pathlib import Path

from flask import Blueprint, Response, abort, make_response, render_template, request, url_for
from flask_babel import gettext
from markupsafe import Markup

from ballot.errors import NotFound
from ballot.services import public, rounds
from booth.shell import db

bp = Blueprint("record_verifier", __name__)
STATIC = Path(__file__).parent / "static"
OFFLINE_SCRIPT = STATIC / "vendor" / "verify-offline.js"
"""Built by ``npm run vendor`` (``make`` runs it): the page and its worker in one script."""


def messages() -> dict[str, str]:
    """The page's words, translated here; ``{name}`` fields are filled in by the script."""
    return {
        "reading": gettext("Reading {name}…"),
        "downloading": gettext("Downloading {name}…"),
        "download-failed": gettext("The record could not be downloaded from {name}."),
        "working": gettext("Verifying on {n} processor cores…"),
        "working-slow": gettext("Verifying on {n} processor cores, without WebAssembly "
                                "(several times slower)…"),
        "finishing": gettext("Checking the board's chain, the tally and the result…"),
        "entries": gettext("{done} of {total} board entries"),
        "eta": gettext("about {time} left"),
        "seconds": gettext("{s} s"),
        "minutes": gettext("{m} min {s} s"),
        "step-manifest": gettext("Ballot definition"),
        "step-election": gettext("Trustees' keys and the joint key"),
        "step-board": gettext("Bulletin board: every ballot, proof and signature"),
        "step-tally": gettext("Tally and decryption"),
        "step-result": gettext("Result and reconciliation"),
        "step-receipts": gettext("Receipts"),
        "verifies": gettext("The record verifies."),
        "verifies-detail": gettext("Election {election}, round {round}: {cast} ballots cast; "
                                   "every check passed on this device in {seconds} s. "
                                   "Board head {head}."),
        "fails": gettext("The record does NOT verify. The first failure:"),
        "unreadable": gettext("This file cannot be read as an election record."),
        "crashed": gettext("The verifier stopped on an internal error; the record was not "
                           "judged. Please report this:"),
        "receipt-empty": gettext("Paste a receipt first."),
        "receipt-unreadable": gettext("This is not a receipt (neither its JSON text nor its "
                                      "link)."),
        "receipt-ok": gettext("Your ballot is on this record's board as entry {k}, unchanged: "
                              "the receipt's signature checks and the entry has exactly the "
                              "digest and chain value it states."),
        "receipt-bad": gettext("This receipt does not match the record: {why}"),
        "mark-for": gettext("For"),
        "mark-against": gettext("Against"),
        "mark-none": gettext("Abstain"),
        "mark-satisfied": gettext("Satisfied"),
        "mark-basically_satisfied": gettext("Basically satisfied"),
        "mark-dissatisfied": gettext("Dissatisfied"),
        "mark-none-rating": gettext("No rating"),
    }


@bp.get("/verify/record")
def page() -> str:
    election_id = request.args.get("election", "")
    round_id = request.args.get("round", "")
    record_url = round_title = None
    if election_id and round_id:
        try:
            round_ = rounds.get_round(db(), election_id, round_id)
        except NotFound:
            abort(404)
        if public.is_published(round_):
            record_url = url_for("public.record", election_id=election_id, round_id=round_id)
            round_title = round_.title
    return render_template("public/verify_record.html", messages=messages(),
                           worker_url=url_for("static", filename="verify/worker.js"),
                           record_url=record_url, round_title=round_title)


def _sha256_source(text: str) -> str:
    return "'sha256-" + base64.b64encode(hashlib.sha256(text.encode()).digest()).decode() + "'"


@bp.get("/verify/record/offline.html")
def offline() -> Response:
    """The page as one file, downloaded. Its own policy (a meta tag, since a file has
    no headers) allows exactly its inline script and style, WebAssembly, and workers
    from blobs, and no connection at all."""
    if not OFFLINE_SCRIPT.exists():
        abort(503)
    script = OFFLINE_SCRIPT.read_text("utf-8").replace("</script", "<\\/script")
    css = (STATIC / "piaojue.css").read_text("utf-8")
    policy = (f"default-src 'none'; script-src {_sha256_source(script)} 'wasm-unsafe-eval'; "
              f"style-src {_sha256_source(css)}; worker-src blob:; img-src data:; "
              "connect-src 'none'; base-uri 'none'; form-action 'none'")
    html = render_template("public/verify_record_offline.html", messages=messages(),
                           worker_url=None, record_url=None, policy=policy,
                           script=Markup(script), css=Markup(css))
    response = make_response(html)
    response.headers["Content-Disposition"] = "attachment; filename=piaojue-verify-record.html"
    return response
