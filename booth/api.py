"""The cast API: a ballot encrypted and signed on the deputy's side, posted as JSON.

The booth pages (booth.routes) encrypt on the server for a browser tablet. A
tablet app, or any client that encrypts and signs where the deputy votes,
uses this instead:

``GET /api/rounds/<election_id>/<round_id>``
    the round's public parameters: manifest, joint key, context ``Q``, state,
    board head. Everything here is public (it is in the election record).
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
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request, url_for

from ballot.errors import AlreadyCast, Conflict, DomainError, InvalidInput, NotFound
from ballot.models import Round
from ballot.services import casting, public, ratelimit, rounds
from booth import receipts
from booth.shell import csrf, db
from crypto.canonical import parse_json
from crypto.encrypted_ballot import fingerprint
from crypto.errors import CryptoError

bp = Blueprint("api", __name__, url_prefix="/api")
csrf.exempt(bp)

REFUSALS = 10
REFUSAL_WINDOW = dt.timedelta(minutes=5)
CAST_FIELDS = frozenset({"ballot", "credential", "signature"})


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
    return request.remote_addr or "unknown"


def _round(election_id: str, round_id: str) -> Round:
    round_ = rounds.get_round(db(), election_id, round_id)
    if round_.manifest_json is None:
        raise NotFound(f"round {round_id} has no fixed ballot yet")
    return round_


@bp.get("/rounds/<election_id>/<round_id>")
def round_info(election_id: str, round_id: str) -> Response:
    round_ = _round(election_id, round_id)
    head = public.head(db(), round_)
    return jsonify({
        "election_id": round_.election_id,
        "round_id": round_.round_id,
        "state": round_.state.value,
        "manifest": parse_json(round_.manifest_json or ""),
        "joint_key": round_.election.joint_key,
        "context": round_.context,
        "board": {"length": head.length if head else 0, "hash": head.hash if head else None},
    })


def _cast_request() -> dict[str, Any]:
    if request.mimetype != "application/json":
        raise UnsupportedBody("send the cast as application/json")
    try:
        doc = parse_json(request.get_data(cache=False))
    except CryptoError as exc:
        raise InvalidInput(f"the request is not valid JSON: {exc}") from None
    if not isinstance(doc, dict) or set(doc) != CAST_FIELDS:
        raise InvalidInput("a cast is a JSON object with exactly the fields ballot, "
                           "credential and signature")
    if isinstance(doc["ballot"], str):  # the service would read text as JSON: not here
        raise InvalidInput("the ballot is a JSON object, not text")
    return doc


@bp.post("/rounds/<election_id>/<round_id>/cast")
def cast(election_id: str, round_id: str) -> tuple[Response, int]:
    if ratelimit.exceeded(db(), "api-cast", _sender(), REFUSALS, REFUSAL_WINDOW):
        return _error(429, "too many refused casts from this address; wait five minutes "
                           "and check the client")
    try:
        doc = _cast_request()
        round_ = _round(election_id, round_id)
        receipt = casting.cast(db(), round_, doc["ballot"], doc["credential"],
                               doc["signature"], current_app.config["PIAOJUE_AT_REST"])
    except DomainError as exc:
        db().rollback()
        if not isinstance(exc, AlreadyCast):
            ratelimit.record(db(), "api-cast", _sender())
            db().commit()
        return _error(_status(exc), str(exc))
    db().commit()
    text = receipts.encode(receipt.to_json())
    return jsonify({
        **receipt.to_json(),
        "ballot_digest": receipt.ballot_digest,
        "fingerprint": fingerprint(bytes.fromhex(receipt.ballot_digest)),
        "verify_url": url_for("public.verify", receipt=text, _external=True),
        "repeated": receipt.repeated,
    }), 200 if receipt.repeated else 201
