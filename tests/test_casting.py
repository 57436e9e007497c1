"""Casting on both databases: every refusal names its reason and writes nothing.

"Nothing is lost on a crash: a ballot is on the board with its receipt, or
absent with its credential unspent." Each refused cast below is followed by
a check that the board did not move and the credential still works.
"""

from __future__ import annotations

import copy
from pathlib import Path

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ballot.errors import AlreadyCast, CastRefused, Conflict
from ballot.models import BoardHead, Receipt
from ballot.rehearsal import Rehearsal, RehearsalConfig
from ballot.services import board, casting, credentials, rounds
from ballot.services.challenges import held_count
from ballot.verifier import verify_record_files
from crypto.canonical import canonical_json
from crypto.manifest import Manifest
from crypto.receipts import verify_receipt
from crypto.rng import SeededRandomness
from tests.record_tools import flip_hex
from tests.tablet import encrypt_marks, sign_ballot, sign_with_code

CONFIG = RehearsalConfig(rows=3, seats=1, deputies=6, present=5, voters=4, spoil=0, voided=1,
                         trustees=2, threshold=2, scrypt_n=2**10)
FOR_FIRST = [[1, 0], [0, 1], [0, 0]]


@pytest.fixture
def opened(sessions: sessionmaker[Session], tmp_path: Path) -> Rehearsal:
    run = Rehearsal(sessions, CONFIG, tmp_path)
    run.setup()
    run.ceremony()
    run.open()
    return run


def _state(run: Rehearsal) -> tuple[int, int]:
    with run.sessions.begin() as s:
        round_ = rounds.get_round(s, run.eid, run.round_id)
        head = s.get(BoardHead, round_.id)
        assert head is not None
        receipts = s.scalar(select(func.count()).select_from(Receipt)) or 0
        return head.length, receipts


def _prepare(run: Rehearsal, marks: list[list[int]], slip: int = 0) -> tuple[dict, str, str]:
    with run.sessions.begin() as s:
        round_ = rounds.get_round(s, run.eid, run.round_id)
        prepared = encrypt_marks(round_, marks)
        key, sig = sign_with_code(round_, run.slips[slip].code, prepared)
    return prepared.ballot, key, sig


def _cast(run: Rehearsal, ballot: object, key: str, sig: str) -> casting.CastReceipt:
    with run.sessions.begin() as s:
        return casting.cast(s, rounds.get_round(s, run.eid, run.round_id), ballot, key, sig,
                            run.at_rest)


def test_cast_returns_a_signed_receipt_of_the_new_head(opened: Rehearsal) -> None:
    before, _ = _state(opened)
    receipt = _cast(opened, *_prepare(opened, FOR_FIRST))
    with opened.sessions.begin() as s:
        election = rounds.get_round(s, opened.eid, opened.round_id).election
        verify_receipt(receipt.receipt, bytes.fromhex(receipt.signature),
                       bytes.fromhex(election.receipt_public_key))
    assert receipt.receipt["index"] == before + 1
    assert _state(opened) == (before + 1, 1)


def _bad_proof(ballot: dict) -> dict:
    altered = copy.deepcopy(ballot)
    cell = altered["cells"][0][0]
    cell["proof"][0][1] = flip_hex(cell["proof"][0][1])
    return altered


def _too_many_for(ballot: dict) -> dict:
    altered = copy.deepcopy(ballot)
    altered["cells"][1][0] = altered["cells"][0][0]
    return altered


def _signer(run: Rehearsal, slip: int = 0):
    """Signs any ballot value with slip ``slip``'s credential, as a client holding it can."""
    def sign(ballot: object) -> str:
        with run.sessions.begin() as s:
            return sign_ballot(rounds.get_round(s, run.eid, run.round_id),
                               run.slips[slip].code, ballot)[1]  # type: ignore[arg-type]
    return sign


def _resigned(change):
    return lambda b, k, s, sign: (change(b), k, sign(change(b)))


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (_resigned(_bad_proof), r"row 1 \(P01\), option 'for'"),
        (_resigned(_too_many_for), "column 'for'|row 2"),
        (lambda b, k, s, sign: (_bad_proof(b), k, s), "credential signature"),
        (lambda b, k, s, sign: (b, k, flip_hex(s, 5)), "credential signature"),
        (lambda b, k, s, sign: (b, "ab" * 32, s), "not a valid point|not issued|signature"),
        (lambda b, k, s, sign: ("{not json", k, s), "not valid JSON"),
        (_resigned(lambda b: {"cells": []}), "exactly cells, rows and columns"),
        (lambda b, k, s, sign: (b, k, "00"), "signature: expected 128"),
        (lambda b, k, s, sign: (b, "zz", s), "credential: expected 64"),
        (_resigned(lambda b: [1] * 10), "a ballot is an object"),
        (lambda b, k, s, sign: ({"x": 1.5}, k, s), "no canonical JSON form|floating"),
    ],
    ids=["bad proof", "column limit", "changed after signing", "bad signature", "unknown key",
         "not json", "wrong shape", "short signature", "non-hex key", "list", "float"],
)
def test_refused_cast_writes_nothing_and_keeps_the_credential(opened: Rehearsal, mutate,
                                                              message: str) -> None:
    ballot, key, sig = _prepare(opened, FOR_FIRST)
    before = _state(opened)
    with pytest.raises(CastRefused, match=message):
        _cast(opened, *mutate(ballot, key, sig, _signer(opened)))
    assert _state(opened) == before
    _cast(opened, ballot, key, sig)  # the credential is still unspent
    assert _state(opened) == (before[0] + 1, before[1] + 1)


def test_a_credential_casts_once(opened: Rehearsal) -> None:
    _cast(opened, *_prepare(opened, FOR_FIRST))
    before = _state(opened)
    with pytest.raises(AlreadyCast, match="already cast"):
        _cast(opened, *_prepare(opened, [[0, 1], [0, 0], [0, 0]]))
    assert _state(opened) == before


def test_the_same_signed_ballot_again_gets_its_receipt_again(opened: Rehearsal) -> None:
    """A client that lost the response (a crash, a dropped network) sends again."""
    attempt = _prepare(opened, FOR_FIRST)
    first = _cast(opened, *attempt)
    before = _state(opened)
    again = _cast(opened, *attempt)
    assert again.repeated
    assert not first.repeated
    assert (again.receipt, again.signature, again.ballot_digest) == \
        (first.receipt, first.signature, first.ballot_digest)
    assert _state(opened) == before


def test_a_spent_or_unknown_credential_is_refused_before_the_proofs(opened: Rehearsal) -> None:
    """The proofs (the costly part) are checked only for a credential that can still cast."""
    _cast(opened, *_prepare(opened, FOR_FIRST))
    ballot, key, _ = _prepare(opened, FOR_FIRST)
    broken = _bad_proof(ballot)
    with pytest.raises(AlreadyCast):
        _cast(opened, broken, key, _signer(opened)(broken))
    stranger = credentials.make_slips(opened.eid, opened.round_id, 1)[0]
    with opened.sessions.begin() as s:
        round_ = rounds.get_round(s, opened.eid, opened.round_id)
        key, sig = sign_ballot(round_, stranger.code, broken)
    with pytest.raises(CastRefused, match="not issued"):
        _cast(opened, broken, key, sig)


def test_credential_of_another_round_or_election_is_unknown(opened: Rehearsal) -> None:
    slip = credentials.make_slips("another-election", opened.round_id, 1)[0]
    with opened.sessions.begin() as s:
        round_ = rounds.get_round(s, opened.eid, opened.round_id)
        prepared = encrypt_marks(round_, FOR_FIRST)
        key, sig = sign_with_code(round_, slip.code, prepared)
    with pytest.raises(CastRefused, match="was not issued for this round"):
        _cast(opened, prepared.ballot, key, sig)


def test_voided_credential_is_refused(opened: Rehearsal) -> None:
    ballot, key, sig = _prepare(opened, FOR_FIRST)
    with opened.sessions.begin() as s:
        credentials.void(s, rounds.get_round(s, opened.eid, opened.round_id), key)
    before = _state(opened)
    with pytest.raises(CastRefused, match="voided"):
        _cast(opened, ballot, key, sig)
    assert _state(opened) == before


def test_closed_round_refuses_cast_and_challenge(opened: Rehearsal) -> None:
    ballot, key, sig = _prepare(opened, FOR_FIRST)
    with opened.sessions.begin() as s:
        rounds.close_round(s, rounds.get_round(s, opened.eid, opened.round_id))
    with pytest.raises(Conflict, match="not open"):
        _cast(opened, ballot, key, sig)
    with opened.sessions.begin() as s, pytest.raises(Conflict, match="not open"):
        casting.hold_challenge(s, rounds.get_round(s, opened.eid, opened.round_id), ballot, [],
                               [])


def test_a_challenge_is_held_until_close_and_spends_nothing(opened: Rehearsal) -> None:
    """A checked challenge waits off the board; closing publishes it, never counted."""
    with opened.sessions.begin() as s:
        round_ = rounds.get_round(s, opened.eid, opened.round_id)
        prepared = encrypt_marks(round_, FOR_FIRST)
        opening = prepared.opening.to_json()
        wrong = copy.deepcopy(opening["plaintext"])
        wrong[0][0] ^= 1
    before = _state(opened)
    with opened.sessions.begin() as s, pytest.raises(CastRefused, match="does not open"):
        casting.hold_challenge(s, rounds.get_round(s, opened.eid, opened.round_id),
                               prepared.ballot, wrong, opening["nonces"])
    with opened.sessions.begin() as s:
        assert held_count(s, rounds.get_round(s, opened.eid, opened.round_id)) == 0
        casting.hold_challenge(s, rounds.get_round(s, opened.eid, opened.round_id),
                               prepared.ballot, opening["plaintext"], opening["nonces"])
    assert _state(opened) == before  # held, not yet on the board
    _cast(opened, *_prepare(opened, FOR_FIRST))  # the deputy then votes with the same slip
    assert _state(opened) == (before[0] + 1, before[1] + 1)
    with opened.sessions.begin() as s:
        round_ = rounds.get_round(s, opened.eid, opened.round_id)
        rounds.close_round(s, round_)
        assert held_count(s, round_) == 0
        last = board.board_lines(s, round_)[-1]
    assert last.entry["type"] == "spoiled"  # after the cast that followed it
    assert last.entry["ballot"] == prepared.ballot
    assert _state(opened) == (before[0] + 2, before[1] + 1)


def test_held_challenges_are_published_in_random_order(opened: Rehearsal) -> None:
    """Closing appends the held challenges shuffled: their order says nothing of time."""
    made = []
    with opened.sessions.begin() as s:
        round_ = rounds.get_round(s, opened.eid, opened.round_id)
        for _ in range(6):
            prepared = encrypt_marks(round_, FOR_FIRST)
            opening = prepared.opening.to_json()
            casting.hold_challenge(s, round_, prepared.ballot, opening["plaintext"],
                                   opening["nonces"])
            made.append(prepared.ballot)
    with opened.sessions.begin() as s:
        round_ = rounds.get_round(s, opened.eid, opened.round_id)
        rounds.close_round(s, round_, SeededRandomness("shuffle"))
        published = [line.entry["ballot"] for line in board.board_lines(s, round_)
                     if line.entry["type"] == "spoiled"]
    assert sorted(map(canonical_json, published)) == sorted(map(canonical_json, made))
    assert list(map(canonical_json, published)) != list(map(canonical_json, made))


def test_a_credentials_entry_lists_its_keys_sorted(opened: Rehearsal) -> None:
    """The entry's order says nothing about which numbered slip carries which key."""
    with opened.sessions.begin() as s:
        round_ = rounds.get_round(s, opened.eid, opened.round_id)
        entries = [line.entry for line in board.board_lines(s, round_)
                   if line.entry["type"] == "credentials"]
    assert entries
    assert all(entry["keys"] == sorted(entry["keys"]) for entry in entries)


def test_whole_round_on_this_database_verifies(opened: Rehearsal) -> None:
    truth = opened.vote(_manifest(opened))
    outcome = opened.count()
    report = verify_record_files(outcome.files)
    assert report.counts == truth
    assert report.cast == CONFIG.voters


def _manifest(run: Rehearsal) -> Manifest:
    with run.sessions.begin() as s:
        return rounds.manifest_of(rounds.get_round(s, run.eid, run.round_id))
