"""The cast API: a ballot encrypted and signed on the deputy's side, posted as JSON.

The browser booth (booth/static/booth/booth.js), a tablet app, or any client
that encrypts and signs where the deputy votes uses it; the server never
receives a credential code or a mark:

``GET /api/rounds/<election_id>/<round_id>``
    the round's public parameters: the manifest as its canonical text
    (``manifest_json``, exactly the bytes hashed), ``election`` (election.json:
    the trustees' commitments and proofs, the joint key), the context ``Q``,
    state, board head. Everything here is public (it is in the election record),
    and a client pins it: it recomputes ``Q`` and refuses a substituted key.
``POST /api/rounds/<election_id>/<round_id>/credential``
    ``{"credential": hex}``: is this public key issued and unspent in the open
    round? ``200 {"usable": true}``, or ``400`` when it cannot vote. Unusable
    keys count against the sender's address (``CODE_ATTEMPTS`` per
    ``CODE_WINDOW``); the tablet catches mistyped codes itself, which never count.
``POST /api/rounds/<election_id>/<round_id>/challenge``
    ``{"ballot", "plaintext", "nonces"}``: a Benaloh-challenged ballot, checked and
    held (``202``); it goes on the board with every other challenge, in random
    order, when the round closes, so it never stands next to the cast that
    follows it. It names no credential. ``CHALLENGES`` per address per window,
    refused ones included.
``POST /api/rounds/<election_id>/<round_id>/cast``
    ``{"ballot": ..., "credential": hex, "signature": hex}`` as
    ``application/json``; answers ``201`` with the signed receipt, or ``200``
    with the same receipt when exactly this signed ballot was cast before (a
    retry after a lost response), or a 4xx ``{"error": "..."}`` that names
    what is wrong; nothing is written then.

The authority to cast is the credential's signature, not a cookie: the routes
read no cookie and no session, so they are exempt from CSRF. A cross-site
HTML form cannot send ``application/json``, and any other body is refused
(415). Refused casts count against the sender's address, as wrong codes do at
the booth: after ``REFUSALS`` in ``REFUSAL_WINDOW`` the address gets 429 until
the window passes. A credential that has already cast is not counted (it
proves the sender holds it).
"""

from __future__ import annotations

import datetime as dt
import re
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for
from flask_babel import gettext

from ballot.errors import N_, AlreadyCast, Conflict, DomainError, InvalidInput, Message, NotFound
from ballot.models import Round
from ballot.services import casting, public, ratelimit, rounds
from booth import receipts
from booth.shell import client_address, csrf, db, refusal
from crypto.canonical import parse_json
from crypto.errors import CryptoError
from crypto.hashing import fingerprint

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

REFUSALS = 10
REFUSAL_WINDOW = dt.timedelta(minutes=5)
CODE_ATTEMPTS = 5
"""Unknown codes one tablet may try in ``CODE_WINDOW`` before a clerk must clear it."""
ADDRESS_CODE_ATTEMPTS = 30
"""Unknown codes all the tablets behind one address may try in ``CODE_WINDOW``: the limit
that holds against a client forging a tablet id for each guess."""
CODE_WINDOW = dt.timedelta(minutes=5)
TABLET_COOKIE = "piaojue_tablet"
TABLET_ID = re.compile(r"[0-9a-f]{8}")
CHALLENGES = 12
CHALLENGE_WINDOW = dt.timedelta(minutes=5)
CAST_FIELDS = frozenset({"ballot", "credential", "signature"})
CHALLENGE_FIELDS = frozenset({"ballot", "plaintext", "nonces"})


class UnsupportedBody(InvalidInput):
    """A body that is not JSON (415)."""


def _status(error: DomainError) -> int:
    if isinstance(error, UnsupportedBody):
        return 415
    if isinstance(error, NotFound):
        return 404
    if isinstance(error, Conflict | AlreadyCast):
        return 409
    return 400


def _error(status: int, message: str) -> tuple[Response, int]:
    return jsonify(error=message), status


def _sender() -> str:
    """Rate-limit key: the client's network address (as for the booth's tablets)."""
    return client_address()


def tablet_id() -> str:
    """The id the booth page gave this tablet (its cookie), or ``-``: it tells apart the
    tablets behind one address for a lockout, and is never trusted for more than that."""
    given = request.cookies.get(TABLET_COOKIE, "")
    return given if TABLET_ID.fullmatch(given) else "-"


def tablet_key() -> str:
    return f"{_sender()}|{tablet_id()}"


def _round(election_id: str, round_id: str) -> Round:
    round_ = rounds.get_round(db(), election_id, round_id)
    if round_.manifest_json is None:
        raise NotFound("round %(round_id)s has no fixed ballot yet", round_id=round_id)
    return round_


@bp.get("/rounds/<election_id>/<round_id>")
def round_info(election_id: str, round_id: str) -> Response:
    return jsonify(public.round_parameters(db(), _round(election_id, round_id)))


def _json_request(fields: frozenset[str], what: Message,
                  optional: frozenset[str] = frozenset()) -> dict[str, Any]:
    if request.mimetype != "application/json":
        raise UnsupportedBody("send the %(what)s as application/json", what=what)
    try:
        doc = parse_json(request.get_data(cache=False))
    except CryptoError as exc:
        raise InvalidInput("the request is not valid JSON: %(exc)s", exc=exc) from None
    if not isinstance(doc, dict) or not fields <= set(doc) <= fields | optional:
        raise InvalidInput("a %(what)s is a JSON object with exactly the fields %(fields)s",
                           what=what, fields=', '.join(sorted(fields)))
    if isinstance(doc.get("ballot"), str):  # the service would read text as JSON: not here
        raise InvalidInput("the ballot is a JSON object, not text")
    return doc


def _cast_request() -> dict[str, Any]:
    return _json_request(CAST_FIELDS, N_("cast"))


@bp.post("/rounds/<election_id>/<round_id>/credential")
def credential_status(election_id: str, round_id: str) -> tuple[Response, int]:
    """Whether a credential key can still vote.

    Only a well-formed key nobody issued (or a voided one) counts as an attempt, per
    tablet and per address: a code with a typo never leaves the tablet, and a used code
    or one for another open round is a real slip, answered with what to do instead.
    """
    tablet = ratelimit.attempt(db(), "code", tablet_key(), CODE_ATTEMPTS, CODE_WINDOW)
    if not tablet.allowed:
        return _error(429, gettext("Too many codes were tried on this tablet (tablet %(id)s). "
                                   "Please ask a clerk to clear it, or wait five minutes.",
                                   id=tablet_id()))
    address = ratelimit.attempt(db(), "code-address", _sender(), ADDRESS_CODE_ATTEMPTS,
                                CODE_WINDOW)
    tried = [tablet, address]
    if not address.allowed:
        ratelimit.forgive(db(), tablet)
        return _error(429, gettext("Too many codes were tried from this hall's network. "
                                   "Please ask a clerk."))
    try:
        doc = _json_request(frozenset({"credential"}), N_("credential check"),
                            optional=frozenset({"elsewhere"}))
        round_ = _round(election_id, round_id)
        casting.check_usable(db(), round_, doc["credential"])
    except casting.CredentialUnusable:
        db().rollback()
        other = casting.usable_elsewhere(db(), round_, doc.get("elsewhere"))
        if other is not None:
            _forgive(tried)
            return _error(400, gettext("This slip is for another round: %(title)s. Please "
                                       "use the booth of that round.", title=other.title))
        return _error(400, gettext(  # stays counted
            "This code cannot vote in this round: it was not issued for it, or it was "
            "reported lost. Please ask a clerk."))
    except AlreadyCast:
        db().rollback()
        _forgive(tried)
        return _error(409, gettext("This code has already been used to vote in this round; "
                                   "a slip votes once. Please ask a clerk if you did not vote."))
    except DomainError as exc:
        db().rollback()
        _forgive(tried)
        return _error(_status(exc), refusal(exc))
    _forgive(tried)  # only unusable keys count
    return jsonify(usable=True), 200


def _forgive(tried: list[ratelimit.Attempt]) -> None:
    for attempt in tried:
        ratelimit.forgive(db(), attempt)


@bp.post("/rounds/<election_id>/<round_id>/challenge")
def challenge(election_id: str, round_id: str) -> tuple[Response, int]:
    """Hold a challenged ballot until the round closes (then it is published, shuffled)."""
    # Every challenge counts, refused ones too: checking its proofs is the costly part.
    if not ratelimit.attempt(db(), "challenge", _sender(), CHALLENGES, CHALLENGE_WINDOW).allowed:
        return _error(429, gettext("Too many ballots were challenged on this tablet. Please "
                                   "wait five minutes or ask a clerk."))
    try:
        doc = _json_request(CHALLENGE_FIELDS, N_("challenge"))
        round_ = _round(election_id, round_id)
        casting.hold_challenge(db(), round_, doc["ballot"], doc["plaintext"], doc["nonces"])
    except DomainError as exc:
        db().rollback()
        return _error(_status(exc), refusal(exc))
    db().commit()
    return jsonify(held=True), 202


@bp.post("/rounds/<election_id>/<round_id>/cast")
def cast(election_id: str, round_id: str) -> tuple[Response, int]:
    tried = ratelimit.attempt(db(), "api-cast", _sender(), REFUSALS, REFUSAL_WINDOW)
    if not tried.allowed:
        return _error(429, gettext("Too many refused casts came from this address. Please "
                                   "wait five minutes and check the tablet."))
    try:
        doc = _cast_request()
        round_ = _round(election_id, round_id)
        receipt = casting.cast(db(), round_, doc["ballot"], doc["credential"],
                               doc["signature"], current_app.config["PIAOJUE_AT_REST"])
    except DomainError as exc:
        db().rollback()
        if isinstance(exc, AlreadyCast):  # a retry of a ballot already cast is no refusal
            ratelimit.forgive(db(), tried)
        return _error(_status(exc), refusal(exc))
    db().commit()
    ratelimit.forgive(db(), tried)  # only refusals count
    text = receipts.encode(receipt.to_json())
    # In the fragment, which browsers never send: the receipt stays out of access logs.
    verify_url = url_for("public.verify", _external=True, _anchor=f"receipt={text}")
    return jsonify({
        **receipt.to_json(),
        "ballot_digest": receipt.ballot_digest,
        "fingerprint": fingerprint(bytes.fromhex(receipt.ballot_digest)),
        "verify_url": verify_url,
        "qr": receipts.qr_data_url(verify_url),
        "repeated": receipt.repeated,
    }), 200 if receipt.repeated else 201
