"""The verifier's public steps compose: a record, a trustee's board, a deputy's receipt.

ballot/verifier.py is a chain of steps, each taking the verified state of the
one before. These tests compose them by hand as the callers do and check that
the result is the whole verification's, that a receipt checks against a board
verified once, and that the aggregates summed while the board streams past are
the sums of every parsed ballot held at once, as the verifier once did.
"""

from __future__ import annotations

import copy

import pytest

from ballot.rehearsal import RehearsalConfig
from ballot.verifier import (
    RecordInvalid,
    VerifiedRecord,
    verify_board,
    verify_board_chain,
    verify_board_files,
    verify_election,
    verify_manifest,
    verify_receipt_doc,
    verify_receipt_file,
    verify_receipts,
    verify_record_files,
    verify_result,
    verify_tally,
)
from crypto.encrypted_ballot import EncryptedBallot
from crypto.tally import RunningAggregates, aggregate, aggregates_to_json
from tests.record_tools import board_entries, flip_hex, load_lines, rehearsal_files

CONFIG = RehearsalConfig(rows=3, seats=1, deputies=9, present=9, voters=6, spoil=1, voided=1,
                         trustees=3, threshold=2, scrypt_n=2**10)
Files = dict[str, bytes]


@pytest.fixture(scope="module")
def honest() -> Files:
    return rehearsal_files(CONFIG, "verifier steps")


def test_the_steps_composed_by_hand_give_the_whole_verification(honest: Files) -> None:
    manifest = verify_manifest(honest["manifest.json"])
    election = verify_election(manifest, honest["election.json"])
    board = verify_board(election, honest["board.jsonl"])
    tally = verify_tally(board, honest["tally.json"])
    result = verify_result(tally, honest["result.json"])
    receipts = verify_receipts(board.chain, honest["receipts.jsonl"])
    report = VerifiedRecord(result, receipts).report()
    assert report == verify_record_files(honest)
    assert (report.cast, report.spoiled, report.voided, report.receipts) == (6, 1, 1, 6)
    assert board.chain.head.hex() == report.board_hash


def test_a_receipt_checks_against_a_board_verified_once(honest: Files) -> None:
    """A trustee's or auditor's verified board answers for every receipt, as the file does."""
    board = verify_board_files(honest)
    chain = verify_board_chain(board.chain.election, honest["board.jsonl"])
    assert chain == board.chain  # the cheap walk sees the same chain as the full one
    lines = load_lines(honest, "receipts.jsonl")
    cast_at = [k for k, e in enumerate(board_entries(honest), 1) if e["type"] == "cast"]
    assert [verify_receipt_doc(board.chain, line) for line in lines] == cast_at
    assert [verify_receipt_file(honest, line) for line in lines] == cast_at
    moved = copy.deepcopy(lines[0])
    moved["receipt"]["index"] = cast_at[1]
    messages = []
    for check in (lambda: verify_receipt_doc(chain, moved),
                  lambda: verify_receipt_file(honest, moved)):
        with pytest.raises(RecordInvalid) as caught:
            check()
        messages.append(str(caught.value))
    assert messages[0] == messages[1]
    assert "signature" in messages[0]


def test_a_broken_chain_is_refused_by_the_chain_step_alone(honest: Files) -> None:
    board = verify_board_files(honest)
    lines = honest["board.jsonl"].splitlines(keepends=True)
    broken = b"".join(lines[:1] + lines[2:])
    with pytest.raises(RecordInvalid, match=r"board\.jsonl entry 2: index is 3, expected 2"):
        verify_board_chain(board.chain.election, broken)


def test_streamed_aggregates_equal_the_sums_of_the_whole_parsed_board(honest: Files) -> None:
    """The board step adds each ballot as it passes; holding them all gives the same sums."""
    board = verify_board_files(honest)
    m = board.manifest
    held = [EncryptedBallot.from_json(e["ballot"], m)
            for e in board_entries(honest) if e["type"] == "cast"]
    assert len(held) == board.chain.cast == 6
    all_at_once = aggregate(held, len(m.row_ids), len(m.options))
    assert aggregates_to_json(board.aggregates) == aggregates_to_json(all_at_once)
    # However the board is cut into chunks, the chunks' partial sums add up the same.
    for size in (1, 4, 5):
        total = RunningAggregates(len(m.row_ids), len(m.options))
        for start in range(0, len(held), size):
            total.add_aggregates(aggregate(held[start:start + size], len(m.row_ids),
                                           len(m.options)))
        assert aggregates_to_json(total.value()) == aggregates_to_json(all_at_once)
    # A generator is summed as it is drawn, one parsed ballot at a time.
    streamed = aggregate((EncryptedBallot.from_json(e["ballot"], m)
                          for e in board_entries(honest) if e["type"] == "cast"),
                         len(m.row_ids), len(m.options))
    assert aggregates_to_json(streamed) == aggregates_to_json(all_at_once)


def test_partial_sums_of_another_shape_are_refused(honest: Files) -> None:
    board = verify_board_files(honest)
    rows, options = len(board.manifest.row_ids), len(board.manifest.options)
    total = RunningAggregates(rows, options)
    with pytest.raises(ValueError, match="shorter"):
        total.add_aggregates(board.aggregates[:-1])
    with pytest.raises(ValueError, match="shorter"):
        total.add_aggregates(tuple(row[:-1] for row in board.aggregates))


def test_a_tampered_tally_is_refused_after_the_board_step(honest: Files) -> None:
    """The tally step checks against the board state it is given, with the record's words."""
    board = verify_board_files(honest)
    tampered = honest["tally.json"].replace(b'"cast":6', b'"cast":5')
    assert tampered != honest["tally.json"]
    with pytest.raises(RecordInvalid, match=r"tally\.json: cast is 5; the board has 6 cast "
                                            r"entries"):
        verify_tally(board, tampered)
    receipt = load_lines(honest, "receipts.jsonl")[0]
    receipt["signature"] = flip_hex(receipt["signature"])
    with pytest.raises(RecordInvalid, match=r"^receipt: "):
        verify_receipt_doc(board.chain, receipt)
