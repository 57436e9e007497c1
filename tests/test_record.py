"""The record contract: every honest record verifies; every altered one is refused.

PROTOCOL.md §9 says an independent verifier must accept every record the
project exports and reject every altered one. Each tamper case below breaks
exactly one rule, usually re-chaining the board as a careful forger would, and
checks that the verifier names what is wrong.
"""

from __future__ import annotations

import copy
import io
import zipfile
from collections.abc import Callable

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from ballot.record import read_record, record_zip_bytes
from ballot.rehearsal import RehearsalConfig
from ballot.verifier import RecordInvalid, verify_record, verify_record_files
from crypto.canonical import canonical_json
from crypto.credentials import derive_credential_key, generate_code, public_key_bytes
from tests.record_tools import (
    board_entries,
    flip_hex,
    load_json,
    load_lines,
    rehearsal,
    rehearsal_files,
    with_board,
    with_json,
)

SMALL = RehearsalConfig(rows=4, seats=2, deputies=9, present=8, voters=5, spoil=1, voided=1,
                        trustees=3, threshold=2, scrypt_n=2**10)
Files = dict[str, bytes]


@pytest.fixture(scope="module")
def honest() -> Files:
    return rehearsal_files(SMALL, "record tests")


@pytest.fixture(scope="module")
def honest_rating() -> Files:
    config = RehearsalConfig(kind="rating", rows=3, deputies=6, present=6, voters=4, spoil=1,
                             voided=1, trustees=2, threshold=2, scrypt_n=2**10)
    return rehearsal_files(config, "rating record tests")


def test_honest_selection_record_verifies(honest: Files) -> None:
    report = verify_record_files(honest)
    assert (report.cast, report.spoiled, report.voided, report.receipts) == (5, 1, 1, 5)
    assert report.issued == 8
    assert report.result["reconciliation"] == {"enrolled": 9, "present": 8, "issued": 8,
                                               "cast": 5}


def test_honest_rating_record_verifies(honest_rating: Files) -> None:
    report = verify_record_files(honest_rating)
    assert report.kind == "rating"
    assert [set(row) for row in report.result["rows"]] == [
        {"id", "satisfied", "basically_satisfied", "dissatisfied", "marks", "rate", "class",
         "flagged"}] * 3


def test_zip_round_trip_is_byte_stable(honest: Files) -> None:
    """Same record, same zip bytes: timestamps are fixed so a record can be hashed."""
    data = record_zip_bytes(honest)
    assert read_record(data) == honest
    assert record_zip_bytes(read_record(data)) == data
    assert verify_record(data).cast == 5


@settings(max_examples=6)
@given(
    kind=st.sampled_from(["selection", "rating"]),
    rows=st.integers(1, 4),
    present=st.integers(1, 6),
    data=st.data(),
)
def test_every_rehearsed_record_verifies(kind: str, rows: int, present: int,
                                         data: st.DataObject) -> None:
    """Accept every record: any shape of round, including zero ballots cast."""
    voters = data.draw(st.integers(0, present))
    trustees = data.draw(st.integers(1, 4))
    config = RehearsalConfig(
        kind=kind, rows=rows, seats=data.draw(st.integers(1, rows)), deputies=present,
        present=present, voters=voters, spoil=data.draw(st.integers(0, 2)),
        voided=data.draw(st.integers(0, present - voters)), trustees=trustees,
        threshold=data.draw(st.integers(1, trustees)),
        options=data.draw(st.sampled_from([("for", "against"), ("for",)])),
        scrypt_n=2**10,
    )
    outcome = rehearsal(config)
    report = verify_record_files(outcome.files)
    assert report.counts == outcome.truth


# --- tampering -----------------------------------------------------------------------

Tamper = Callable[[Files], Files]


def _cast_indices(files: Files) -> list[int]:
    return [i for i, e in enumerate(board_entries(files)) if e["type"] == "cast"]


def _edit_board(edit: Callable[[list[dict]], None], rechain: bool = True) -> Tamper:
    def tamper(files: Files) -> Files:
        entries = copy.deepcopy(board_entries(files))
        edit(entries)
        return with_board(files, entries, rechain)
    return tamper


def _first(entries: list[dict], kind: str) -> dict:
    return next(e for e in entries if e["type"] == kind)


def _alter_cell(field: str) -> Callable[[list[dict]], None]:
    def edit(entries: list[dict]) -> None:
        cell = _first(entries, "cast")["ballot"]["cells"][1][0]
        if field == "proof":
            cell["proof"][0][1] = flip_hex(cell["proof"][0][1])
        else:  # swap in the other ciphertext half: a valid point, a wrong ballot
            cell[field] = cell["B" if field == "A" else "A"]
    return edit


def _swap_cells(entries: list[dict]) -> None:
    cells = _first(entries, "cast")["ballot"]["cells"]
    cells[0], cells[1] = cells[1], cells[0]


def _alter_row_proof(entries: list[dict]) -> None:
    proof = _first(entries, "cast")["ballot"]["rows"][0]["proof"]
    proof[0][0] = flip_hex(proof[0][0])


def _alter_column_proof(entries: list[dict]) -> None:
    proof = _first(entries, "cast")["ballot"]["columns"]["for"]["proof"]
    proof[-1][1] = flip_hex(proof[-1][1])


def _cast_with_unissued_key(entries: list[dict]) -> None:
    key = derive_credential_key(generate_code(), "rehearsal-2026", "selection-1")
    _first(entries, "cast")["credential"] = public_key_bytes(key).hex()


def _cast_twice(entries: list[dict]) -> None:
    casts = [e for e in entries if e["type"] == "cast"]
    casts[1]["credential"], casts[1]["signature"] = casts[0]["credential"], casts[0]["signature"]
    casts[1]["ballot"] = casts[0]["ballot"]


def _cast_with_voided_key(entries: list[dict]) -> None:
    void = _first(entries, "void")
    cast = _first(entries, "cast")
    entries.remove(void)
    entries.insert(entries.index(cast), {"type": "void", "key": cast["credential"]})


def _void_unissued(entries: list[dict]) -> None:
    _first(entries, "void")["key"] = "ab" * 32


def _flip_signature(entries: list[dict]) -> None:
    cast = _first(entries, "cast")
    cast["signature"] = flip_hex(cast["signature"], 10)


def _flip_spoiled_mark(entries: list[dict]) -> None:
    spoiled = _first(entries, "spoiled")
    spoiled["plaintext"][0][0] ^= 1


def _alter_spoiled_nonce(entries: list[dict]) -> None:
    spoiled = _first(entries, "spoiled")
    spoiled["nonces"][0][0] = flip_hex(spoiled["nonces"][0][0])


def _drop_last_cast(entries: list[dict]) -> None:
    entries.pop(max(i for i, e in enumerate(entries) if e["type"] == "cast"))


def _duplicate_credentials(entries: list[dict]) -> None:
    entries.append(copy.deepcopy(_first(entries, "credentials")))


def _unknown_entry(entries: list[dict]) -> None:
    entries.append({"type": "ballot-stuffing"})


def _extra_field(entries: list[dict]) -> None:
    _first(entries, "cast")["deputy"] = "张三"


def _edit_line(edit: Callable[[dict], None]) -> Tamper:
    def tamper(files: Files) -> Files:
        lines = load_lines(files, "board.jsonl")
        edit(lines[2])
        return {**files, "board.jsonl": b"".join(canonical_json(x) + b"\n" for x in lines)}
    return tamper


def _remove_line_keep_numbers(files: Files) -> Files:
    lines = load_lines(files, "board.jsonl")
    del lines[1]
    return {**files, "board.jsonl": b"".join(canonical_json(x) + b"\n" for x in lines)}


def _edit_json(name: str, edit: Callable[[dict], None]) -> Tamper:
    def tamper(files: Files) -> Files:
        doc = copy.deepcopy(load_json(files, name))
        edit(doc)
        return with_json(files, name, doc)
    return tamper


def _set(path: list, value: object) -> Callable[[dict], None]:
    def edit(doc: dict) -> None:
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value(target[path[-1]]) if callable(value) else value
    return edit


def _swap_trustee_commitment(doc: dict) -> None:
    doc["trustees"][0]["commitments"][1] = doc["trustees"][1]["commitments"][1]


def _alter_share_m(doc: dict) -> None:
    cells = doc["shares"][0]["cells"]
    cells[0][0]["M"] = cells[1][0]["M"] if cells[1][0]["M"] != cells[0][0]["M"] \
        else cells[0][1]["M"]


def _drop_share(doc: dict) -> None:
    doc["shares"].pop()


def _repeat_share(doc: dict) -> None:
    doc["shares"][1] = doc["shares"][0]


def _swap_counts(doc: dict) -> None:
    doc["counts"][0][0] += 1


def _promote_failed_row(doc: dict) -> None:
    for row in doc["rows"]:
        row["status"] = "elected"
    doc["elected"] = [row["id"] for row in doc["rows"]]


def _raise_present(doc: dict) -> None:
    doc["reconciliation"]["present"] = 99


def _lower_present(doc: dict) -> None:
    doc["reconciliation"]["present"] = 1


def _non_canonical_manifest(files: Files) -> Files:
    return {**files, "manifest.json": files["manifest.json"].replace(b",", b", ", 1)}


def _edit_receipt(edit: Callable[[dict], None]) -> Tamper:
    def tamper(files: Files) -> Files:
        lines = load_lines(files, "receipts.jsonl")
        edit(lines[0])
        return {**files, "receipts.jsonl": b"".join(canonical_json(x) + b"\n" for x in lines)}
    return tamper


def _receipt_for_spoiled(line: dict) -> None:
    line["receipt"]["index"] = 1


TAMPERS: dict[str, tuple[Tamper, str]] = {
    "manifest title": (_edit_json("manifest.json", _set(["title"], "另一个标题")),
                       r"digest|does not verify"),
    "manifest seats": (_edit_json("manifest.json", _set(["rule", "seats"], 3)),
                       r"column_limits.for must be \[0, 3\]"),
    "manifest not canonical": (_non_canonical_manifest, "canonical JSON"),
    "election commitment": (_edit_json("election.json", _swap_trustee_commitment),
                            "trustee 1: proof for commitment 1"),
    "election joint key": (_edit_json("election.json", lambda d: d.__setitem__(
        "joint_key", d["trustees"][0]["commitments"][0])), "joint_key"),
    "election threshold": (_edit_json("election.json", _set(["threshold"], 3)), "threshold"),
    "election id": (_edit_json("election.json", _set(["election_id"], "other")), "election_id"),
    "cell A": (_edit_board(_alter_cell("A")), r"row 2 \(P02\), option 'for'"),
    "cell B": (_edit_board(_alter_cell("B")), r"row 2 \(P02\), option 'for'"),
    "cell proof": (_edit_board(_alter_cell("proof")), r"row 2 \(P02\), option 'for'"),
    "cells swapped": (_edit_board(_swap_cells), r"signature|does not verify"),
    "row proof": (_edit_board(_alter_row_proof), r"row 1 \(P01\): the proof that the row"),
    "column proof": (_edit_board(_alter_column_proof), "column 'for'"),
    "unissued credential": (_edit_board(_cast_with_unissued_key), "not issued"),
    "credential used twice": (_edit_board(_cast_twice), "already cast"),
    "voided credential used": (_edit_board(_cast_with_voided_key), "voided"),
    "void of unissued key": (_edit_board(_void_unissued), "never issued"),
    "cast signature": (_edit_board(_flip_signature), "signature"),
    "spoiled plaintext": (_edit_board(_flip_spoiled_mark), "re-encrypt"),
    "spoiled nonce": (_edit_board(_alter_spoiled_nonce), "re-encrypt|nonce"),
    "cast removed and rechained": (_edit_board(_drop_last_cast), r"cast|receipt"),
    "credentials issued twice": (_edit_board(_duplicate_credentials), "already issued"),
    "unknown entry type": (_edit_board(_unknown_entry), "unknown entry type"),
    "extra entry field": (_edit_board(_extra_field), "exactly"),
    "entry altered, chain kept": (_edit_board(_cast_with_unissued_key, rechain=False),
                                  "digest"),
    "chain value altered": (_edit_line(lambda line: line.__setitem__(
        "hash", flip_hex(line["hash"]))), "chain value"),
    "digest altered": (_edit_line(lambda line: line.__setitem__(
        "digest", flip_hex(line["digest"]))), "digest"),
    "line removed": (_remove_line_keep_numbers, "index"),
    "tally count": (_edit_json("tally.json", _swap_counts), r"count for row 1 \(P01\)|between"),
    "tally cast": (_edit_json("tally.json", _set(["cast"], lambda v: v + 1)), "cast"),
    "tally aggregate": (_edit_json("tally.json", lambda d: d["aggregates"][0].reverse()),
                        "aggregates"),
    "tally share M": (_edit_json("tally.json", _alter_share_m),
                      r"trustee \d's decryption share for row 1, option 1"),
    "tally share dropped": (_edit_json("tally.json", _drop_share), "threshold is 2"),
    "tally share repeated": (_edit_json("tally.json", _repeat_share), "appears twice"),
    "tally unknown trustee": (_edit_json("tally.json", lambda d: d["shares"][0].__setitem__(
        "trustee", 9)), "no trustee 9"),
    "result statuses": (_edit_json("result.json", _promote_failed_row), "differs"),
    "result runoff": (_edit_json("result.json", _set(["runoff"], {"candidates": ["P01"],
                                                                  "seats": 1})), "runoff"),
    "result unfilled": (_edit_json("result.json", _set(["unfilled"], lambda v: v + 1)),
                        "unfilled"),
    "reconciliation present too high": (_edit_json("result.json", _raise_present),
                                        "exceeds 9 enrolled"),
    "reconciliation present too low": (_edit_json("result.json", _lower_present),
                                       "credentials issued exceeds 1 present"),
    "receipt index": (_edit_receipt(lambda line: _set(["receipt", "index"],
                                                      lambda v: v + 1)(line)), "signature"),
    "receipt signature": (_edit_receipt(lambda line: line.__setitem__(
        "signature", flip_hex(line["signature"]))), "signature"),
    "receipt missing field": (_edit_receipt(lambda line: line["receipt"].pop("board_hash")),
                              "fields"),
}


@pytest.mark.parametrize("name", sorted(TAMPERS))
def test_altered_record_is_refused(honest: Files, name: str) -> None:
    tamper, message = TAMPERS[name]
    altered = tamper(honest)
    assert altered != honest
    with pytest.raises(RecordInvalid, match=message):
        verify_record_files(altered)


def test_receipt_of_another_entry_is_refused(honest: Files) -> None:
    """A receipt must point at a cast entry with the receipted digest and chain value."""
    from ballot.verifier import check_receipt_against_board

    report_chain = {1: (b"\x00" * 32, b"\x00" * 32, "credentials")}
    line = load_lines(honest, "receipts.jsonl")[0]
    from crypto.manifest import Manifest

    manifest = Manifest.from_json(load_json(honest, "manifest.json"))
    with pytest.raises(RecordInvalid, match="no entry"):
        check_receipt_against_board("receipt", line["receipt"], line["signature"], manifest,
                                    report_chain)


def test_a_deputys_receipt_file_is_checked_against_the_board(honest: Files) -> None:
    """Every receipt handed out matches its entry; an altered one is refused by name."""
    from ballot.verifier import verify_receipt_file

    lines = load_lines(honest, "receipts.jsonl")
    cast_at = [k for k, e in enumerate(board_entries(honest), 1) if e["type"] == "cast"]
    assert [verify_receipt_file(honest, line) for line in lines] == cast_at
    moved = copy.deepcopy(lines[0])
    moved["receipt"]["board_hash"] = flip_hex(moved["receipt"]["board_hash"])
    with pytest.raises(RecordInvalid, match="signature"):
        verify_receipt_file(honest, moved)
    with pytest.raises(RecordInvalid, match="exactly the fields receipt and signature"):
        verify_receipt_file(honest, {"receipt": lines[0]["receipt"]})
    chain_broken = with_board(honest, board_entries(honest)[1:])
    with pytest.raises(RecordInvalid, match=r"board\.jsonl entry"):
        verify_receipt_file(chain_broken, lines[0])


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda f: record_zip_bytes({k: v for k, v in f.items() if k != "tally.json"}),
         "lacks tally.json"),
        (lambda f: b"not a zip", "not a readable zip"),
        (lambda f: _zip_with_extra(f), "unexpected files"),
    ],
    ids=["missing file", "not a zip", "extra file"],
)
def test_malformed_zip_is_refused(honest: Files, make: Callable[[Files], bytes],
                                  message: str) -> None:
    with pytest.raises(RecordInvalid, match=message):
        verify_record(make(honest))


def _zip_with_extra(files: Files) -> bytes:
    buffer = io.BytesIO(record_zip_bytes(files))
    with zipfile.ZipFile(buffer, "a") as zf:
        zf.writestr("secrets.txt", b"x")
    return buffer.getvalue()


@pytest.mark.parametrize("name", ["manifest.json", "election.json", "tally.json",
                                  "result.json"])
@pytest.mark.parametrize("garbage", [b"", b"{", b"[1.5]", b'{"a":1,"a":2}', b"\xff\xfe",
                                     b"null", b"[]"])
def test_garbage_files_are_refused_not_crashed(honest: Files, name: str, garbage: bytes) -> None:
    with pytest.raises(RecordInvalid):
        verify_record_files({**honest, name: garbage})


@pytest.mark.parametrize("garbage", [b"{}\n", b"[]\n", b"1\n", b"{\n", b'{"index":1}\n',
                                     b"no newline"])
def test_garbage_board_is_refused_not_crashed(honest: Files, garbage: bytes) -> None:
    with pytest.raises(RecordInvalid):
        verify_record_files({**honest, "board.jsonl": garbage})
