"""Counting on both databases: shares checked on upload, any t suffice, follow-up rounds."""

from __future__ import annotations

import copy
import itertools
from dataclasses import replace
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

from ballot import trustee as trustee_side
from ballot.errors import Conflict, InvalidInput
from ballot.models import RoundState
from ballot.record import BoardLine
from ballot.rehearsal import Rehearsal, RehearsalConfig
from ballot.services import board, export, rounds
from ballot.services import tally as tallying
from ballot.tally_request import check_request
from ballot.verifier import verify_record_files
from crypto.board import chain
from crypto.encrypted_ballot import EncryptedBallot
from crypto.tally import aggregate, aggregates_to_json

CONFIG = RehearsalConfig(rows=4, seats=2, deputies=6, present=6, voters=5, spoil=0, voided=0,
                         trustees=3, threshold=2, scrypt_n=2**10)


def _closed(sessions: sessionmaker[Session], tmp_path: Path, config: RehearsalConfig = CONFIG
            ) -> tuple[Rehearsal, dict[str, Any]]:
    run = Rehearsal(sessions, config, tmp_path)
    run.setup()
    run.ceremony()
    run.vote(run.open())
    with sessions.begin() as s:
        round_ = rounds.get_round(s, run.eid, run.round_id)
        rounds.close_round(s, round_)
        request = tallying.decryption_request(s, round_) if config.voters else {}
    return run, request


def _share(run: Rehearsal, trustee: int, request: dict[str, Any]) -> dict[str, Any]:
    return run.trustees.step(trustee, lambda k: trustee_side.decrypt(k, request))


def _import(run: Rehearsal, doc: dict[str, Any]) -> None:
    with run.sessions.begin() as s:
        tallying.import_share(s, rounds.get_round(s, run.eid, run.round_id), doc)


def _combine(run: Rehearsal) -> dict[str, Any]:
    with run.sessions.begin() as s:
        return tallying.combine(s, rounds.get_round(s, run.eid, run.round_id))


@pytest.fixture
def closed(sessions: sessionmaker[Session], tmp_path: Path) -> tuple[Rehearsal, dict]:
    return _closed(sessions, tmp_path)


def test_a_wrong_share_is_refused_and_named(closed: tuple[Rehearsal, dict]) -> None:
    run, request = closed
    share = _share(run, 1, request)
    forged = copy.deepcopy(share)
    cells = forged["share"]["cells"]
    cells[0][0]["M"], cells[1][0]["M"] = cells[1][0]["M"], cells[0][0]["M"]
    with pytest.raises(InvalidInput, match=r"trustee 1's decryption share for row 1, option 1 "
                                           r"does not verify \(trustee 1, 监票人1\)"):
        _import(run, forged)
    _import(run, share)  # the honest one is still welcome
    with pytest.raises(Conflict, match="trustee 1's share is in already"):
        _import(run, share)


def test_combine_waits_for_the_threshold(closed: tuple[Rehearsal, dict]) -> None:
    run, request = closed
    _import(run, _share(run, 2, request))
    with pytest.raises(Conflict, match="1 of the 2 decryption shares needed are in"):
        _combine(run)
    _import(run, _share(run, 3, request))
    result = _combine(run)
    assert result["reconciliation"]["cast"] == CONFIG.voters


def test_any_threshold_subset_gives_the_same_counts(sessions: sessionmaker[Session],
                                                    tmp_path: Path) -> None:
    run, request = _closed(sessions, tmp_path)
    shares = {i: _share(run, i, request) for i in (1, 2, 3)}
    counts = set()
    for pair in itertools.combinations((1, 2, 3), 2):
        with sessions.begin() as s:
            round_ = rounds.get_round(s, run.eid, run.round_id)
            for row in tallying.shares_in(s, round_):
                s.delete(row)
        for i in pair:
            _import(run, shares[i])
        result = _combine(run)
        counts.add(str([(r["for"], r["against"]) for r in result["rows"]]))
        with sessions.begin() as s:  # back to closed, to try the next pair
            rounds.get_round(s, run.eid, run.round_id).state = RoundState.closed
    assert len(counts) == 1


def test_share_refusals(closed: tuple[Rehearsal, dict]) -> None:
    run, request = closed
    share = _share(run, 1, request)
    for doc, message in [
        ({**share, "round_id": "other"}, "not rehearsal-2026/selection-1"),
        ({**share, "format": "x"}, "not a decryption share file"),
        ({**share, "share": {"trustee": 1, "cells": []}}, "malformed"),
        ({**share, "share": {**share["share"], "trustee": 9}}, "no trustee 9"),
        ({**share, "share": {**share["share"], "trustee": 2}}, "trustee 2's decryption share"),
    ]:
        with pytest.raises(InvalidInput, match=message):
            _import(run, doc)


def test_trustee_refuses_a_request_whose_aggregates_are_not_the_board(
        closed: tuple[Rehearsal, dict]) -> None:
    """A trustee must not decrypt a single ballot passed off as the aggregate."""
    run, request = closed
    forged = copy.deepcopy(request)
    first_cast = next(line for line in forged["board"] if line["entry"]["type"] == "cast")
    forged["aggregates"] = [[{"A": c["A"], "B": c["B"]} for c in row]
                            for row in first_cast["entry"]["ballot"]["cells"]]
    with pytest.raises(InvalidInput, match="not the sums of its cast ballots"):
        _share(run, 1, forged)
    dropped = copy.deepcopy(request)
    dropped["board"] = dropped["board"][:-1]
    with pytest.raises(InvalidInput, match=r"not the sums|does not verify"):
        _share(run, 1, dropped)


def test_a_trustee_checks_the_request_alike_in_two_processes(
        closed: tuple[Rehearsal, dict]) -> None:
    """``trustee decrypt --jobs 2`` reaches the same aggregates, and refuses the same."""
    run, request = closed
    one = check_request(request, run.eid)
    assert check_request(request, run.eid, jobs=2) == one
    broken = copy.deepcopy(request)
    k, line = next((k, line) for k, line in enumerate(broken["board"], 1)
                   if line["entry"]["type"] == "cast")
    proof = line["entry"]["ballot"]["cells"][0][0]["proof"]
    proof[0][1] = ("1" if proof[0][1][0] != "1" else "2") + proof[0][1][1:]
    entries = [line["entry"] for line in broken["board"]]  # re-chained, as a forger would
    broken["board"] = [BoardLine(i, e, d, h).to_json() for i, (e, (d, h)) in
                       enumerate(zip(entries, chain(one.context, entries), strict=True), 1)]
    with pytest.raises(InvalidInput, match=rf"board\.jsonl entry {k}: .*does not verify"):
        check_request(broken, run.eid, jobs=2)


def test_the_server_sums_the_ballots_as_it_reads_them(closed: tuple[Rehearsal, dict]) -> None:
    """compute_aggregates streams the cast rows; holding every parsed ballot gives the same."""
    run, request = closed
    with run.sessions.begin() as s:
        round_ = rounds.get_round(s, run.eid, run.round_id)
        manifest = rounds.manifest_of(round_)
        held = [EncryptedBallot.from_json(line.entry["ballot"], manifest)
                for line in board.board_lines(s, round_) if line.entry["type"] == "cast"]
        streamed = tallying.compute_aggregates(s, round_)
        assert rounds.cast_count(s, round_) == len(held) == CONFIG.voters
    all_at_once = aggregate(held, len(manifest.row_ids), len(manifest.options))
    assert aggregates_to_json(streamed) == aggregates_to_json(all_at_once)
    assert request["aggregates"] == aggregates_to_json(streamed)
    assert check_request(request, run.eid).aggregates == streamed


def test_export_and_publish_wait_for_the_count(closed: tuple[Rehearsal, dict]) -> None:
    run, _ = closed
    with run.sessions.begin() as s:
        round_ = rounds.get_round(s, run.eid, run.round_id)
        with pytest.raises(Conflict, match="count it first"):
            export.record_files_for(s, round_)
        with pytest.raises(Conflict, match="count it first"):
            tallying.publish(s, round_)


def test_a_round_with_no_ballots_counts_zero_and_verifies(sessions: sessionmaker[Session],
                                                          tmp_path: Path) -> None:
    run, _ = _closed(sessions, tmp_path, replace(CONFIG, voters=0))
    with sessions.begin() as s, pytest.raises(Conflict, match="nothing to decrypt"):
        tallying.decryption_request(s, rounds.get_round(s, run.eid, run.round_id))
    result = _combine(run)
    assert result["unfilled"] == 2
    with sessions.begin() as s:
        files = export.record_files_for(s, rounds.get_round(s, run.eid, run.round_id))
    report = verify_record_files(files)
    assert report.counts == [[0, 0]] * 4


def test_tie_makes_a_runoff_round_over_the_tied_rows(sessions: sessionmaker[Session],
                                                     tmp_path: Path) -> None:
    config = replace(CONFIG, rows=5, seats=2, deputies=8, present=8, voters=8, tie=True)
    run = Rehearsal(sessions, config, tmp_path)
    run.setup()
    run.ceremony()
    run.vote(run.open())
    outcome = run.count()
    assert outcome.result["runoff"] == {"candidates": ["P02", "P03"], "seats": 1}
    assert outcome.followup_round_id == "runoff-1"
    with sessions.begin() as s:
        runoff = rounds.get_round(s, run.eid, "runoff-1")
        assert [r.project.code for r in runoff.rows] == ["P02", "P03"]
        assert (runoff.seats, runoff.state, runoff.parent_id) == (
            1, RoundState.draft, rounds.get_round(s, run.eid, run.round_id).id)
        with pytest.raises(Conflict, match="round runoff-1 already follows round selection-1"):
            tallying.create_followup(s, rounds.get_round(s, run.eid, run.round_id),
                                     "runoff-1", "again")
    verify_record_files(outcome.files)
