"""An open round on a throwaway PostgreSQL database, served by real gunicorn workers,
and the audit of its board that the race and crash tests run.

The round is set up the way the session day does it (election, roster, key
ceremony with trustee key files, slips, check-in, open) through the services;
ballots then arrive only over HTTP, encrypted and signed on the client side
(booth.cast_client), and the audit reads the database the server wrote.
"""

from __future__ import annotations

import random
import secrets
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.orm import Session, sessionmaker

from ballot.db import make_engine, make_sessionmaker
from ballot.models import BoardHead, Credential, CredentialStatus, Receipt
from ballot.rehearsal import Rehearsal, RehearsalConfig
from ballot.schema import upgrade
from ballot.services import board, rounds
from booth.cast_client import RoundParameters
from crypto.at_rest import AtRestKey
from crypto.board import chain
from crypto.canonical import canonical_json, parse_json
from crypto.receipts import verify_receipt
from tests.live_server import LiveServer, request, server_environment


@dataclass
class ServedRound:
    run: Rehearsal
    engine: Engine
    server: LiveServer

    @property
    def sessions(self) -> sessionmaker[Session]:
        return self.run.sessions

    @property
    def cast_path(self) -> str:
        return f"/api/rounds/{self.run.eid}/{self.run.round_id}/cast"

    def parameters(self) -> RoundParameters:
        status, doc = request(self.server.url, "GET",
                              f"/api/rounds/{self.run.eid}/{self.run.round_id}")
        assert status == 200, doc
        return RoundParameters.from_json(doc)


def served_round(database_url: str, workdir: Path, config: RehearsalConfig,
                 workers: int = 4) -> Iterator[ServedRound]:
    """For a fixture: ``yield from served_round(...)``; the server is started by the test."""
    secret = secrets.token_hex(32)
    engine = make_engine(database_url)
    upgrade(engine)
    (workdir / "trustees").mkdir(parents=True)
    run = Rehearsal(make_sessionmaker(engine), config, workdir / "trustees",
                    at_rest=AtRestKey(secret))
    run.setup()
    run.ceremony()
    run.open()
    server = LiveServer(server_environment(database_url, workdir / "instance", secret),
                        workdir / "server", workers=workers)
    try:
        yield ServedRound(run, engine, server)
    finally:
        server.stop()
        engine.dispose()


@dataclass(frozen=True)
class Audit:
    cast: int
    receipts: int
    spent: int


def audit_board(served: ServedRound, held: list[dict[str, Any]]) -> Audit:
    """Everything that must hold on the board at any moment, crash or not.

    - the chain recomputes from the entries, one line, and the head is its end;
    - every cast entry has its signed receipt stored (a receipt was possible),
      and no stored receipt lacks its entry;
    - every receipt a client holds names an entry that is there, unchanged;
    - the spent credentials are exactly those whose ballot is on the board.
    """
    with served.sessions.begin() as s:
        round_ = rounds.get_round(s, served.run.eid, served.run.round_id)
        lines = board.board_lines(s, round_)
        head = s.get(BoardHead, round_.id)
        stored = {r.index: r for r in s.scalars(select(Receipt).where(
            Receipt.round_pk == round_.id))}
        spent = set(s.scalars(select(Credential.public_key).where(
            Credential.round_pk == round_.id, Credential.status == CredentialStatus.used)))
        context = round_.context_bytes
        receipt_key = bytes.fromhex(round_.election.receipt_public_key)
    assert [line.index for line in lines] == list(range(1, len(lines) + 1))
    assert [(line.digest, line.hash) for line in lines] == chain(
        context, [line.entry for line in lines]), "the chain does not recompute"
    assert head is not None
    assert (head.length, head.hash) == (len(lines), lines[-1].hash.hex())
    by_index = {line.index: line for line in lines}
    casts = [line for line in lines if line.entry["type"] == "cast"]
    assert {line.index for line in casts} == set(stored), "a cast without a receipt, or " \
        "a receipt without its cast"
    for line in casts:
        row = stored[line.index]
        receipt = parse_json(row.receipt_json)
        verify_receipt(receipt, bytes.fromhex(row.signature), receipt_key)
        assert (receipt["entry_digest"], receipt["board_hash"]) == \
            (line.digest.hex(), line.hash.hex())
    for doc in held:
        receipt = doc["receipt"]
        verify_receipt(receipt, bytes.fromhex(doc["signature"]), receipt_key)
        held_line = by_index.get(receipt["index"])
        assert held_line is not None, "a client holds a receipt for entry " \
            f"{receipt['index']}, which is missing"
        assert (receipt["entry_digest"], receipt["board_hash"]) == \
            (held_line.digest.hex(), held_line.hash.hex())
    on_board = [line.entry["credential"] for line in casts]
    assert len(on_board) == len(set(on_board)), "a credential cast twice"
    assert set(on_board) == spent, "a spent credential without its ballot, or the reverse"
    return Audit(len(casts), len(stored), len(spent))


def random_marks(params: RoundParameters, chooser: random.Random) -> list[list[int]]:
    """Valid marks: each row one option or none, within the column limits."""
    manifest = params.manifest
    width = len(manifest.options)
    limits = {manifest.options.index(o): hi for o, (_, hi) in manifest.column_limits.items()}
    used = [0] * width
    marks = []
    for _ in manifest.row_ids:
        row = [0] * width
        choice = chooser.randrange(width + 1)
        if choice < width and used[choice] < limits.get(choice, len(manifest.row_ids)):
            row[choice] = 1
            used[choice] += 1
        marks.append(row)
    return marks


def sums(all_marks: list[list[list[int]]]) -> list[list[int]]:
    """Per row and option, the marks cast: what the tally must find."""
    return [[sum(m[r][o] for m in all_marks) for o in range(len(all_marks[0][0]))]
            for r in range(len(all_marks[0]))]


def parse_lines(data: bytes) -> list[Any]:
    return [parse_json(line) for line in data.splitlines() if line.strip()]


def sorted_receipts(docs: list[dict[str, Any]]) -> list[tuple[int, str, str]]:
    """Receipts as comparable tuples (index, signed bytes, signature), in board order."""
    return sorted((d["receipt"]["index"], canonical_json(d["receipt"]).decode(), d["signature"])
                  for d in docs)
