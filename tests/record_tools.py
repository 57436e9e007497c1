"""Helpers for tests that take an honest record apart and put it back together.

A forger who alters an entry would also recompute the digests and chain so
the cheap checks pass; ``rechain`` does that, so the tamper tests reach the
deeper checks (proofs, signatures, credentials) instead of stopping at the
first digest.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Any

from ballot.db import make_engine, make_sessionmaker
from ballot.record import BoardLine, json_lines
from ballot.rehearsal import RehearsalConfig, RehearsalOutcome, rehearse
from ballot.schema import upgrade
from crypto.board import chain
from crypto.canonical import canonical_json, parse_json
from crypto.ceremony import TrusteeCommitment, commitments_hash, joint_key
from crypto.manifest import Manifest, round_context
from crypto.rng import SYSTEM_RANDOMNESS, SeededRandomness


def load_json(files: dict[str, bytes], name: str) -> Any:
    return parse_json(files[name])


def load_lines(files: dict[str, bytes], name: str) -> list[Any]:
    return [parse_json(line) for line in files[name].splitlines()]


def context_of(files: dict[str, bytes]) -> bytes:
    manifest = Manifest.from_json(load_json(files, "manifest.json"))
    election = load_json(files, "election.json")
    published = [TrusteeCommitment.from_json(t) for t in election["trustees"]]
    return round_context(manifest.hash, joint_key(published), commitments_hash(published))


def with_json(files: dict[str, bytes], name: str, value: Any) -> dict[str, bytes]:
    return {**files, name: canonical_json(value)}


def with_board(files: dict[str, bytes], entries: list[dict[str, Any]],
               rechain: bool = True) -> dict[str, bytes]:
    """Replace the board's entries; recompute index, digests and chain if asked."""
    if not rechain:
        return {**files, "board.jsonl": json_lines(entries)}
    links = chain(context_of(files), entries)
    lines = [BoardLine(k, e, d, h) for k, (e, (d, h)) in enumerate(zip(entries, links,
                                                                       strict=True), 1)]
    return {**files, "board.jsonl": json_lines(line.to_json() for line in lines)}


def board_entries(files: dict[str, bytes]) -> list[dict[str, Any]]:
    return [line["entry"] for line in load_lines(files, "board.jsonl")]


def flip_hex(value: str, position: int = 0) -> str:
    """Change one hex digit: the smallest possible alteration of a value."""
    digit = "1" if value[position] != "1" else "2"
    return value[:position] + digit + value[position + 1:]


def rehearsal_files(config: RehearsalConfig, seed: str | None = None) -> dict[str, bytes]:
    """A real record: a rehearsal through the services on a throwaway SQLite file."""
    return rehearsal(config, seed).files


def rehearsal(config: RehearsalConfig, seed: str | None = None) -> RehearsalOutcome:
    with tempfile.TemporaryDirectory() as tmp:
        engine = make_engine(f"sqlite:///{Path(tmp) / 'r.sqlite'}")
        upgrade(engine)
        keys = Path(tmp) / "keys"
        keys.mkdir()
        try:
            return rehearse(make_sessionmaker(engine), config, keys,
                            SeededRandomness(seed) if seed else SYSTEM_RANDOMNESS)
        finally:
            engine.dispose()
