"""The decryption request a round hands its trustees, and the trustee's check of it.

The request carries everything needed to recompute the aggregates (manifest,
ceremony commitments, the board), so a trustee decrypts only sums of ballots
whose proofs and credentials it has checked itself.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ballot.errors import InvalidInput
from ballot.verifier import RecordInvalid, verify_board, verify_election, verify_manifest
from crypto.canonical import canonical_json
from crypto.tally import Aggregates, aggregates_to_json

REQUEST_FORMAT = "piaojue-decryption-request/1"


def make_request(manifest_bytes: bytes, election: dict[str, Any],
                 board: list[dict[str, Any]], aggregates: Aggregates) -> dict[str, Any]:
    return {"format": REQUEST_FORMAT, "manifest": manifest_bytes.decode("utf-8"),
            "election": election, "board": board,
            "aggregates": aggregates_to_json(aggregates)}


@dataclass(frozen=True)
class CheckedRequest:
    round_id: str
    context: bytes
    aggregates: Aggregates
    cast: int
    board_entries: int
    board_hash: bytes
    """The head of the board the trustee checked and decrypts the sums of: announced, it
    pins the board's length, trailing challenges included, which no receipt covers."""


def check_request(request: Any, election_id: str, jobs: int = 1) -> CheckedRequest:
    """Verify the request's board and that its aggregates are the cast ballots' sums.

    ``jobs`` processes check the ballots' proofs (a trustee's laptop may have
    cores to spare); they are handed public data only.
    """
    if not isinstance(request, dict) or request.get("format") != REQUEST_FORMAT:
        raise InvalidInput("not a decryption request (%(format)s)",
                           format=REQUEST_FORMAT)
    try:
        manifest_bytes = str(request["manifest"]).encode("utf-8")
        election_bytes = canonical_json(request["election"])
        # The board's lines are checked as the request holds them, one at a time,
        # with no second, serialised copy of the whole board beside them.
        board = list(request["board"])
        election = verify_election(verify_manifest(manifest_bytes), election_bytes)
        checked = verify_board(election, board, jobs)
    except (KeyError, TypeError) as exc:
        raise InvalidInput("the decryption request lacks %(exc)s", exc=exc) from None
    except RecordInvalid as exc:
        raise InvalidInput("the decryption request does not verify: %(exc)s", exc=exc) from None
    chain = checked.chain
    if chain.manifest.election_id != election_id:
        raise InvalidInput("the request is for election %(election_id)r, not %(election_id2)r",
                           election_id=chain.manifest.election_id, election_id2=election_id)
    if request.get("aggregates") != aggregates_to_json(checked.aggregates):
        raise InvalidInput("the request's aggregates are not the sums of its cast ballots: "
                           "refusing to decrypt them")
    if chain.cast == 0:
        raise InvalidInput("no ballots were cast in this round: there is nothing to decrypt")
    return CheckedRequest(chain.manifest.round_id, chain.context, checked.aggregates,
                          chain.cast, chain.entries, chain.head)
