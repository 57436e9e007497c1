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

from ballot.errors import CastRefused, Conflict
from ballot.models import BoardHead, Receipt
from ballot.rehearsal import Rehearsal, RehearsalConfig
from ballot.services import casting, credentials, rounds
from ballot.services.voting import encrypt_marks, sign_with_code
from ballot.verifier import verify_record_files
from crypto.manifest import Manifest
from crypto.receipts import verify_receipt
from tests.record_tools import flip_hex

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


@pytest.mark.parametrize(
    ("mutate", "message"),
    [
        (lambda b, k, s: (_bad_proof(b), k, s), r"row 1 \(P01\), option 'for'"),
        (lambda b, k, s: (_too_many_for(b), k, s), "column 'for'|row 2"),
        (lambda b, k, s: (b, k, flip_hex(s, 5)), "credential signature"),
        (lambda b, k, s: (b, "ab" * 32, s), "not a valid point|not issued|signature"),
        (lambda b, k, s: ("{not json", k, s), "not valid JSON"),
        (lambda b, k, s: ({"cells": []}, k, s), "exactly cells, rows and columns"),
        (lambda b, k, s: (b, k, "00"), "signature: expected 128"),
        (lambda b, k, s: (b, "zz", s), "credential: expected 64"),
        (lambda b, k, s: ([1] * 10, k, s), "a ballot is an object"),
    ],
    ids=["bad proof", "column limit", "bad signature", "unknown key", "not json",
         "wrong shape", "short signature", "non-hex key", "list"],
)
def test_refused_cast_writes_nothing_and_keeps_the_credential(opened: Rehearsal, mutate,
                                                              message: str) -> None:
    ballot, key, sig = _prepare(opened, FOR_FIRST)
    before = _state(opened)
    with pytest.raises(CastRefused, match=message):
        _cast(opened, *mutate(ballot, key, sig))
    assert _state(opened) == before
    _cast(opened, ballot, key, sig)  # the credential is still unspent
    assert _state(opened) == (before[0] + 1, before[1] + 1)


def test_a_credential_casts_once(opened: Rehearsal) -> None:
    _cast(opened, *_prepare(opened, FOR_FIRST))
    before = _state(opened)
    with pytest.raises(CastRefused, match="already cast"):
        _cast(opened, *_prepare(opened, [[0, 1], [0, 0], [0, 0]]))
    assert _state(opened) == before


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


def test_closed_round_refuses_cast_and_spoil(opened: Rehearsal) -> None:
    ballot, key, sig = _prepare(opened, FOR_FIRST)
    with opened.sessions.begin() as s:
        rounds.close_round(s, rounds.get_round(s, opened.eid, opened.round_id))
    with pytest.raises(Conflict, match="not open"):
        _cast(opened, ballot, key, sig)
    with opened.sessions.begin() as s, pytest.raises(Conflict, match="not open"):
        casting.spoil(s, rounds.get_round(s, opened.eid, opened.round_id), ballot, [], [])


def test_spoil_posts_an_opened_ballot_and_spends_nothing(opened: Rehearsal) -> None:
    with opened.sessions.begin() as s:
        round_ = rounds.get_round(s, opened.eid, opened.round_id)
        prepared = encrypt_marks(round_, FOR_FIRST)
        opening = prepared.opening.to_json()
        wrong = copy.deepcopy(opening["plaintext"])
        wrong[0][0] ^= 1
    before = _state(opened)
    with opened.sessions.begin() as s, pytest.raises(CastRefused, match="does not open"):
        casting.spoil(s, rounds.get_round(s, opened.eid, opened.round_id), prepared.ballot,
                      wrong, opening["nonces"])
    assert _state(opened) == before
    with opened.sessions.begin() as s:
        casting.spoil(s, rounds.get_round(s, opened.eid, opened.round_id), prepared.ballot,
                      opening["plaintext"], opening["nonces"])
    assert _state(opened) == (before[0] + 1, before[1])
    _cast(opened, *_prepare(opened, FOR_FIRST))  # the deputy then votes with the same slip


def test_whole_round_on_this_database_verifies(opened: Rehearsal) -> None:
    truth = opened.vote(_manifest(opened))
    outcome = opened.count()
    report = verify_record_files(outcome.files)
    assert report.counts == truth
    assert report.cast == CONFIG.voters


def _manifest(run: Rehearsal) -> Manifest:
    with run.sessions.begin() as s:
        return rounds.manifest_of(rounds.get_round(s, run.eid, run.round_id))
