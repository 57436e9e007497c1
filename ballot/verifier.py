"""The independent verifier: checks one round's record with crypto/ alone.

It reads nothing but the record's files (never the database) and recomputes
everything it can: the ceremony, the context, every board entry and chain
value, every ballot proof and credential signature, the aggregates, each
trustee's decryption proofs, the counts, the result and the receipts. The
first difference found is raised as :class:`RecordInvalid`, naming the file
and the place in it.

The checks are public steps, each taking the verified state of the one
before it and returning its own (frozen dataclasses), so each caller composes
the steps it needs and nothing else: a whole record goes
:func:`verify_manifest`, :func:`verify_election`, :func:`verify_board`,
:func:`verify_tally`, :func:`verify_result`, :func:`verify_receipts`; a
trustee's decryption request stops after the board; a deputy's receipt needs
only :func:`verify_board_chain` (the chain without the ballots' proofs) and
:func:`verify_receipt_doc`.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import partial
from typing import Any, NamedTuple, TypeVar

from ballot.board_proofs import BallotChecker, BoardChecks, EntryInvalid
from ballot.record import REQUIRED_FILES, RecordFormatError, read_record
from ballot.rules import Reconciliation, compute_result
from crypto.board import entry_digest, genesis, next_hash
from crypto.canonical import canonical_json, hex_bytes, parse_json
from crypto.ceremony import commitments_hash, public_share
from crypto.credentials import check_ed25519_public_key
from crypto.errors import CryptoError, PinningFailed
from crypto.group import Point, small_multiple
from crypto.manifest import Manifest, round_context
from crypto.pinning import pin_election
from crypto.receipts import verify_receipt
from crypto.tally import (
    Aggregates,
    DecryptionShare,
    aggregates_to_json,
    verify_decryption_share,
)
from crypto.threshold import combine


class RecordInvalid(ValueError):
    """The record does not verify; the message says where and why."""


@dataclass
class VerificationReport:
    """What was checked, for a person to read after a successful run."""

    election_id: str = ""
    round_id: str = ""
    kind: str = ""
    trustees: int = 0
    threshold: int = 0
    board_entries: int = 0
    board_hash: str = ""
    """The final chain value: what the trustees announce for the board they counted, so
    a board cut short after its last receipt (trailing challenges) is caught by comparing."""
    issued: int = 0
    voided: int = 0
    cast: int = 0
    spoiled: int = 0
    shares_used: list[int] = field(default_factory=list)
    receipts: int = 0
    counts: list[list[int]] = field(default_factory=list)
    result: dict[str, Any] = field(default_factory=dict)


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _json(name: str, data: bytes) -> Any:
    """File ``name``'s bytes parsed; they must be its value's canonical JSON."""
    try:
        value = parse_json(data)
    except CryptoError as exc:
        raise RecordInvalid(f"{name}: {exc}") from None
    if canonical_json(value) != data:
        raise RecordInvalid(f"{name}: not in canonical JSON form")
    return value


def _lines(name: str, data: bytes) -> tuple[int, Iterator[Any]]:
    """How many lines ``name`` has, and its lines parsed one at a time as they are read.

    A board can be long; reading it lazily keeps only the lines still being
    checked in memory, not the whole board parsed.
    """
    if data and not data.endswith(b"\n"):
        raise RecordInvalid(f"{name}: the last line must end with a newline")

    def parsed() -> Iterator[Any]:
        start = 0
        for number in itertools.count(1):
            end = data.find(b"\n", start)
            if end < 0:
                return
            line = data[start:end]
            start = end + 1
            yield _parse_line(name, number, line)

    return data.count(b"\n"), parsed()


def _parse_line(name: str, number: int, line: bytes) -> Any:
    try:
        value = parse_json(line)
    except CryptoError as exc:
        raise RecordInvalid(f"{name} line {number}: {exc}") from None
    if canonical_json(value) != line:
        raise RecordInvalid(f"{name} line {number}: not in canonical JSON form")
    return value


BoardInput = bytes | list[Any]
"""A board to check: board.jsonl's bytes, or its lines as JSON values (a decryption
request carries them so), each then serialised only when the walk reaches it."""


def _board_lines(board: BoardInput) -> tuple[int, Iterator[Any]]:
    """The board's line count and its lines, parsed and checked one at a time.

    Lines given as values go through the same bytes a board.jsonl would hold
    (canonical JSON, parsed back, checked canonical), so both inputs are judged
    alike; but no second copy of the whole board is ever made.
    """
    if isinstance(board, bytes):
        return _lines("board.jsonl", board)

    def parsed() -> Iterator[Any]:
        for number, value in enumerate(board, 1):
            yield _parse_line("board.jsonl", number, canonical_json(value))

    return len(board), parsed()


def _json_lines(name: str, data: bytes) -> list[Any]:
    return list(_lines(name, data)[1])


T = TypeVar("T")


def _at(where: str, check: Callable[[], T]) -> T:
    """Run ``check``, turning any protocol error into one that names ``where``."""
    try:
        return check()
    except CryptoError as exc:
        raise RecordInvalid(f"{where}: {exc}") from None


Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)`` for the long steps; the CLI draws bars."""


def _quiet(*_args: Any) -> None:
    return None


# --------------------------------------------------------------------------
# The steps' states: each step takes the state of the one before it


@dataclass(frozen=True)
class VerifiedElection:
    """manifest.json and election.json checked: the ceremony, the joint key and Q.

    Every later step checks against these, so each takes this state rather than
    the files: a board cannot be checked against a key nobody verified.
    """

    manifest: Manifest
    joint_key: Point
    public_shares: Mapping[int, Point]
    """Each trustee's ``X_j``, which its decryption shares are checked against."""
    context: bytes
    """The round's context ``Q``."""


class ChainLink(NamedTuple):
    """What a receipt is checked against: entry k's digest, chain value and type."""

    digest: bytes
    head: bytes
    kind: str


@dataclass(frozen=True)
class VerifiedChain:
    """A board whose chain, entry shapes and credential bookkeeping check.

    Its ballots' proofs are not checked here (:class:`VerifiedBoard` says they
    are): the chain is all a receipt needs, and costs a fraction of the proofs.
    """

    election: VerifiedElection
    entries: int
    head: bytes
    """The final chain value: what the trustees announce for the board they counted, so
    a board cut short after its last receipt (trailing challenges) is caught by comparing."""
    links: Mapping[int, ChainLink]
    """Entry k's link, for every k; a few dozen bytes an entry, not its ballot."""
    issued: int
    """Credential keys issued, less those voided."""
    voided: int
    cast: int
    spoiled: int

    @property
    def manifest(self) -> Manifest:
        return self.election.manifest

    @property
    def context(self) -> bytes:
        return self.election.context


@dataclass(frozen=True)
class VerifiedBoard:
    """A board checked entry by entry, proofs included, and the aggregates of its cast ballots.

    The aggregates were summed as the board was read; no parsed ballot is kept.
    """

    chain: VerifiedChain
    aggregates: Aggregates

    @property
    def manifest(self) -> Manifest:
        return self.chain.election.manifest

    @property
    def context(self) -> bytes:
        return self.chain.election.context


@dataclass(frozen=True)
class VerifiedTally:
    """tally.json checked against a verified board: its shares verify and its counts follow."""

    board: VerifiedBoard
    counts: list[list[int]]
    shares_used: list[int]
    """The trustees whose decryption shares were checked, in order."""


@dataclass(frozen=True)
class VerifiedResult:
    """result.json recomputed from a verified tally and found equal."""

    tally: VerifiedTally
    result: dict[str, Any]
    """The result as recomputed (result.json may carry more fields)."""


@dataclass(frozen=True)
class VerifiedRecord:
    """A whole record verified: every step's state, for a caller that goes on from them.

    ``piaojue verify --receipt`` checks deputies' receipts against ``board.chain``
    without reading the board again.
    """

    result: VerifiedResult
    receipts: int
    """Signed receipts in receipts.jsonl that match the board (0 if it has none)."""

    @property
    def board(self) -> VerifiedBoard:
        return self.result.tally.board

    def report(self) -> VerificationReport:
        """The person-readable summary, as :func:`verify_record_files` returns it."""
        tally = self.result.tally
        chain = tally.board.chain
        m = chain.manifest
        return VerificationReport(
            election_id=m.election_id, round_id=m.round_id, kind=m.kind,
            trustees=m.trustees, threshold=m.threshold,
            board_entries=chain.entries, board_hash=chain.head.hex(),
            issued=chain.issued, voided=chain.voided, cast=chain.cast, spoiled=chain.spoiled,
            shares_used=list(tally.shares_used), receipts=self.receipts,
            counts=tally.counts, result=self.result.result)


# --------------------------------------------------------------------------
# The steps


def verify_manifest(data: bytes) -> Manifest:
    """manifest.json's bytes: canonical, and a valid ballot definition."""
    value = _json("manifest.json", data)
    return _at("manifest.json", lambda: Manifest.from_json(value))


def verify_election(manifest: Manifest, data: bytes) -> VerifiedElection:
    """election.json's bytes against the manifest: every proof, ``K``, and ``Q`` recomputed."""
    doc = _json("election.json", data)
    try:
        published, joint_key = pin_election(manifest, doc)
    except PinningFailed as exc:
        raise RecordInvalid(str(exc)) from None
    return VerifiedElection(
        manifest, joint_key, {tc.index: public_share(published, tc.index) for tc in published},
        round_context(manifest.hash, joint_key, commitments_hash(published)))


class _BoardWalk:
    """The order-dependent part of checking a board, one line at a time.

    It keeps only what later entries and receipts are checked against: the
    credential key sets and each entry's :class:`ChainLink`. A cast or spoiled
    entry is handed over (to be checked in chunks, or ignored) and forgotten.
    """

    def __init__(self, election: VerifiedElection,
                 hand_over: Callable[[int, dict[str, Any]], None]) -> None:
        self.Q = election.context
        self.hand_over = hand_over
        self.issued_keys: set[bytes] = set()
        self.voided_keys: set[bytes] = set()
        self.used_keys: set[bytes] = set()
        self.links: dict[int, ChainLink] = {}
        self.spoiled = 0
        self.head = genesis(self.Q)

    def entry(self, k: int, line: Any) -> None:
        """Check line k's place in the chain and its bookkeeping; move the head on.

        A cast or spoiled entry is then handed over for its ballot to be checked.
        """
        where = f"board.jsonl entry {k}"
        if not isinstance(line, dict) or set(line) != {"index", "entry", "digest", "hash"}:
            raise RecordInvalid(f"{where}: a line has exactly the fields index, entry, "
                                "digest and hash")
        if not _is_int(line["index"]) or line["index"] != k:
            raise RecordInvalid(f"{where}: index is {line['index']!r}, expected {k}")
        entry = line["entry"]
        if not isinstance(entry, dict):
            raise RecordInvalid(f"{where}: entry must be an object")
        digest = entry_digest(self.Q, entry)
        head = self.head = next_hash(self.head, digest)
        if _at(where, lambda: hex_bytes(line["digest"], 32, "digest")) != digest:
            raise RecordInvalid(f"{where}: digest is not HB(entry, Q, entry)")
        if _at(where, lambda: hex_bytes(line["hash"], 32, "hash")) != head:
            raise RecordInvalid(f"{where}: chain value does not follow from the entries "
                                "before it")
        kind = entry.get("type")
        self.links[k] = ChainLink(digest, head, kind if isinstance(kind, str) else "")
        if kind == "credentials":
            self._credentials(where, entry)
        elif kind == "void":
            key = self._key(where, entry, {"type", "key"}, "key")
            if key not in self.issued_keys:
                raise RecordInvalid(f"{where}: voids a key that was never issued")
            if key in self.voided_keys or key in self.used_keys:
                raise RecordInvalid(f"{where}: voids a key already voided or used")
            self.voided_keys.add(key)
        elif kind == "cast":
            self._cast(where, entry)
            self.hand_over(k, entry)
        elif kind == "spoiled":
            if set(entry) != {"type", "ballot", "plaintext", "nonces"}:
                raise RecordInvalid(f"{where}: a spoiled entry has exactly the fields type, "
                                    "ballot, plaintext and nonces")
            self.spoiled += 1
            self.hand_over(k, entry)
        else:
            raise RecordInvalid(f"{where}: unknown entry type {kind!r}")

    def _key(self, where: str, entry: dict[str, Any], fields: set[str], name: str) -> bytes:
        if set(entry) != fields:
            raise RecordInvalid(f"{where}: a {entry['type']} entry has exactly the fields "
                                f"{', '.join(sorted(fields))}")
        return _at(where, lambda: hex_bytes(entry[name], 32, name))

    def _credentials(self, where: str, entry: dict[str, Any]) -> None:
        if set(entry) != {"type", "keys"} or not isinstance(entry["keys"], list):
            raise RecordInvalid(f"{where}: a credentials entry has exactly the fields type "
                                "and keys (a list)")
        for i, value in enumerate(entry["keys"]):
            key = _at(where, partial(hex_bytes, value, 32, f"key {i + 1}"))
            _at(where, partial(check_ed25519_public_key, key, f"key {i + 1}"))
            if key in self.issued_keys:
                raise RecordInvalid(f"{where}: key {i + 1} was already issued")
            self.issued_keys.add(key)

    def _cast(self, where: str, entry: dict[str, Any]) -> None:
        if set(entry) != {"type", "ballot", "credential", "signature"}:
            raise RecordInvalid(f"{where}: a cast entry has exactly the fields type, "
                                "ballot, credential and signature")
        key = _at(where, lambda: hex_bytes(entry["credential"], 32, "credential"))
        _at(where, lambda: hex_bytes(entry["signature"], 64, "signature"))
        if key not in self.issued_keys:
            raise RecordInvalid(f"{where}: the credential was not issued by an earlier entry")
        if key in self.voided_keys:
            raise RecordInvalid(f"{where}: the credential was voided")
        if key in self.used_keys:
            raise RecordInvalid(f"{where}: the credential has already cast a ballot")
        self.used_keys.add(key)

    def verified(self, election: VerifiedElection, entries: int) -> VerifiedChain:
        """The walk's outcome, once every line passed; a round with too few credentials is void."""
        issued = len(self.issued_keys) - len(self.voided_keys)
        cast = len(self.used_keys)
        if cast > issued:
            raise RecordInvalid(f"board.jsonl: {cast} ballots cast but only {issued} "
                                "credentials issued: the round is void")
        return VerifiedChain(election, entries, self.head, self.links, issued,
                             len(self.voided_keys), cast, self.spoiled)


def _walk_board(election: VerifiedElection, total: int, lines: Iterator[Any],
                hand_over: Callable[[int, dict[str, Any]], None],
                progress: Progress) -> tuple[_BoardWalk, RecordInvalid | None]:
    """Walk the board's lines in order, handing each ballot over as it is reached.

    A structural fault is returned, not raised: the caller first lets the
    ballots handed over before it finish checking, so that the first failure
    named is the first in board order, as if every entry had been checked
    whole, one after the other. A ballot's own failure (:class:`EntryInvalid`
    from ``hand_over``) propagates at once.
    """
    walk = _BoardWalk(election, hand_over)
    try:
        for k, line in enumerate(lines, 1):
            progress("board", k, total)
            walk.entry(k, line)
    except RecordInvalid as exc:
        return walk, exc
    return walk, None


def _ignore(_index: int, _entry: dict[str, Any]) -> None:
    """Where entries go when their ballots are not to be checked."""


def verify_board_chain(election: VerifiedElection, board: BoardInput,
                       progress: Progress = _quiet) -> VerifiedChain:
    """board.jsonl's chain and bookkeeping, without the ballots' proofs: all a receipt needs."""
    total, lines = _board_lines(board)
    walk, structural = _walk_board(election, total, lines, _ignore, progress)
    if structural is not None:
        raise structural
    return walk.verified(election, total)


def verify_board(election: VerifiedElection, board: BoardInput, jobs: int = 1,
                 progress: Progress = _quiet) -> VerifiedBoard:
    """board.jsonl whole: the chain, and every ballot's proofs, signature or opening.

    Each cast ballot is added into the aggregates by the chunk that checked
    it, and dropped: memory holds the raw board and a few chunks in flight,
    never the board parsed. ``jobs`` processes check the chunks
    (``ballot/board_proofs.py``); the outcome, and the first failure named, do
    not depend on it.
    """
    total, lines = _board_lines(board)
    checker = BallotChecker(election.manifest, election.joint_key, election.context)
    with BoardChecks(checker, jobs, lambda done: progress("ballots", done, total)) as checks:
        try:
            walk, structural = _walk_board(election, total, lines, checks.add, progress)
            # After a structural fault, a ballot before it may still fail first.
            aggregates = checks.finish()
        except EntryInvalid as exc:
            raise RecordInvalid(f"board.jsonl entry {exc.index}: {exc}") from None
        if structural is not None:
            raise structural
    return VerifiedBoard(walk.verified(election, total), aggregates)


def verify_tally(board: VerifiedBoard, data: bytes) -> VerifiedTally:
    """tally.json against the board: its aggregates, each share's proofs, the counts."""
    chain = board.chain
    m, cast = chain.manifest, chain.cast
    doc = _json("tally.json", data)
    if not isinstance(doc, dict) or set(doc) != {"cast", "aggregates", "shares", "counts"}:
        raise RecordInvalid("tally.json: needs exactly cast, aggregates, shares and counts")
    if doc["cast"] != cast or not _is_int(doc["cast"]):
        raise RecordInvalid(f"tally.json: cast is {doc['cast']!r}; the board has "
                            f"{cast} cast entries")
    rows, options = len(m.row_ids), len(m.options)
    aggregates = board.aggregates
    if doc["aggregates"] != aggregates_to_json(aggregates):
        raise RecordInvalid("tally.json: aggregates are not the sums of the cast ballots")
    if not isinstance(doc["shares"], list):
        raise RecordInvalid("tally.json: shares must be a list")
    if cast == 0:
        # Nothing was cast: every aggregate is the identity, which no share may
        # contain (§1), and the only possible count is 0. Nothing is decrypted.
        if doc["shares"] != [] or doc["counts"] != [[0] * options] * rows:
            raise RecordInvalid("tally.json: no ballots were cast, so there are no "
                                "decryption shares and every count is 0")
        return VerifiedTally(board, doc["counts"], [])
    public_shares = chain.election.public_shares
    shares: dict[int, DecryptionShare] = {}
    for value in doc["shares"]:
        share = _at("tally.json", partial(DecryptionShare.from_json, value, rows, options))
        if share.trustee not in public_shares:
            raise RecordInvalid(f"tally.json: there is no trustee {share.trustee}")
        if share.trustee in shares:
            raise RecordInvalid(f"tally.json: trustee {share.trustee} appears twice")
        _at("tally.json", partial(verify_decryption_share, share, public_shares[share.trustee],
                                  aggregates, chain.context))
        shares[share.trustee] = share
    if len(shares) < m.threshold:
        raise RecordInvalid(f"tally.json: {len(shares)} decryption shares; the threshold "
                            f"is {m.threshold}")
    counts = doc["counts"]
    if (not isinstance(counts, list) or len(counts) != rows
            or not all(isinstance(r, list) and len(r) == options for r in counts)
            or not all(_is_int(c) and 0 <= c <= cast for r in counts for c in r)):
        raise RecordInvalid(f"tally.json: counts must be {rows} rows of {options} integers "
                            f"between 0 and {cast}")
    for r, (row, agg_row) in enumerate(zip(counts, aggregates, strict=True)):
        for o, (count, ct) in enumerate(zip(row, agg_row, strict=True)):
            M = combine({j: s.cells[r][o][0] for j, s in shares.items()}, m.threshold)
            if small_multiple(count) != ct.B - M:
                raise RecordInvalid(
                    f"tally.json: count for row {r + 1} ({m.row_ids[r]}), option "
                    f"{m.options[o]!r} is not what the trustees decrypted")
    return VerifiedTally(board, counts, sorted(shares))


def verify_result(tally: VerifiedTally, data: bytes) -> VerifiedResult:
    """result.json: reconciliation holds, and every field recomputes from the counts."""
    chain = tally.board.chain
    doc = _json("result.json", data)
    if not isinstance(doc, dict) or not isinstance(doc.get("reconciliation"), dict):
        raise RecordInvalid("result.json: needs a reconciliation object")
    declared = doc["reconciliation"]
    present = declared.get("present")
    if not _is_int(present):
        raise RecordInvalid("result.json: reconciliation.present must be an integer")
    reconciliation = Reconciliation(chain.manifest.enrolled, present, chain.issued, chain.cast)
    problems = reconciliation.problems()
    if problems:
        raise RecordInvalid(f"result.json: reconciliation fails: {'; '.join(problems)}")
    expected = compute_result(chain.manifest, tally.counts, reconciliation)
    for key in sorted(set(expected) | set(doc)):
        if key not in doc:
            raise RecordInvalid(f"result.json: lacks {key}")
        if key not in expected:
            continue  # more fields are allowed
        if canonical_json(doc[key]) != canonical_json(expected[key]):
            raise RecordInvalid(f"result.json: {key} differs from the one recomputed "
                                f"from the counts: expected {expected[key]!r}")
    return VerifiedResult(tally, expected)


def verify_receipts(chain: VerifiedChain, data: bytes) -> int:
    """receipts.jsonl: each line a signed receipt matching its entry; returns how many.

    The lines are all parsed before any is checked, so a malformed line is
    named before a mismatching receipt above it, as it always was.
    """
    lines = _json_lines("receipts.jsonl", data)
    for number, line in enumerate(lines, 1):
        where = f"receipts.jsonl line {number}"
        if not isinstance(line, dict) or set(line) != {"receipt", "signature"}:
            raise RecordInvalid(f"{where}: a line has exactly the fields receipt and "
                                "signature")
        check_receipt_against_board(where, line["receipt"], line["signature"], chain.manifest,
                                    chain.links)
    return len(lines)


def verify_receipt_doc(chain: VerifiedChain, doc: Any) -> int:
    """A deputy's receipt file ``{receipt, signature}`` against a checked chain; its index."""
    if not isinstance(doc, dict) or set(doc) != {"receipt", "signature"}:
        raise RecordInvalid("a receipt file has exactly the fields receipt and signature")
    check_receipt_against_board("receipt", doc["receipt"], doc["signature"], chain.manifest,
                                chain.links)
    return doc["receipt"]["index"]


def check_receipt_against_board(
    where: str,
    receipt: Any,
    signature_hex: Any,
    manifest: Manifest,
    chain: Mapping[int, tuple[bytes, bytes, str]],
) -> None:
    """A receipt is signed by the round's key and matches entry k of the board."""
    signature = _at(where, lambda: hex_bytes(signature_hex, 64, "signature"))
    _at(where, lambda: verify_receipt(receipt, signature, manifest.receipt_key))
    if receipt["election_id"] != manifest.election_id or receipt["round_id"] != manifest.round_id:
        raise RecordInvalid(f"{where}: the receipt is for another round")
    k = receipt["index"]
    if k not in chain:
        raise RecordInvalid(f"{where}: the board has no entry {k}")
    digest, head, kind = chain[k]
    if kind != "cast":
        raise RecordInvalid(f"{where}: entry {k} is not a cast ballot")
    if receipt["entry_digest"] != digest.hex() or receipt["board_hash"] != head.hex():
        raise RecordInvalid(f"{where}: entry {k} on the board is not the one receipted")


# --------------------------------------------------------------------------
# The steps composed


def _require(files: Mapping[str, bytes], names: Iterable[str]) -> None:
    missing = [n for n in names if n not in files]
    if missing:
        raise RecordInvalid(f"the record lacks {', '.join(missing)}")


def verify_board_files(files: Mapping[str, bytes], jobs: int = 1) -> VerifiedBoard:
    """Check manifest, ceremony and board only: what a trustee checks before decrypting.

    ``jobs`` processes check the ballots, as in :func:`verify_record_files`.
    """
    for name in ("manifest.json", "election.json", "board.jsonl"):
        if name not in files:
            raise RecordInvalid(f"{name} is missing")
    election = verify_election(verify_manifest(files["manifest.json"]), files["election.json"])
    return verify_board(election, files["board.jsonl"], jobs)


def verify_record_steps(files: Mapping[str, bytes], on_check: Callable[[str], None] = _quiet,
                        progress: Progress = _quiet, jobs: int = 1) -> VerifiedRecord:
    """Verify a record given as its files, step by step; raise or return every step's state.

    ``on_check`` hears each file's verdict as soon as it is reached, so a
    failure later on still leaves the earlier lines on the auditor's screen.
    """
    _require(files, REQUIRED_FILES)
    m = verify_manifest(files["manifest.json"])
    on_check(f"manifest.json: a valid {m.kind} ballot, round {m.round_id} of {m.election_id}")
    election = verify_election(m, files["election.json"])
    on_check(f"election.json: {m.trustees} trustees' commitments and proofs verify; "
             "joint key and context Q recomputed")
    board = verify_board(election, files["board.jsonl"], jobs, progress)
    chain = board.chain
    on_check(f"board.jsonl: {chain.entries} entries chain from genesis; every proof, "
             f"signature and credential checks ({chain.cast} cast, {chain.spoiled} challenged, "
             f"{chain.voided} voided)")
    tally = verify_tally(board, files["tally.json"])
    on_check("tally.json: aggregates are the sums of the cast ballots; decryption "
             f"shares of trustees {', '.join(map(str, tally.shares_used)) or '—'} verify; "
             "counts follow")
    result = verify_result(tally, files["result.json"])
    on_check("result.json: reconciliation holds and the result is recomputed exactly")
    receipts = 0
    if "receipts.jsonl" in files:
        receipts = verify_receipts(chain, files["receipts.jsonl"])
        on_check(f"receipts.jsonl: {receipts} signed receipts match the board")
    return VerifiedRecord(result, receipts)


def verify_record_files(files: Mapping[str, bytes], on_check: Callable[[str], None] = _quiet,
                        progress: Progress = _quiet, jobs: int = 1) -> VerificationReport:
    """Verify a record given as its files; raise :class:`RecordInvalid` or return a report.

    ``jobs`` processes check the ballots; the outcome does not depend on it.
    """
    return verify_record_steps(files, on_check, progress, jobs).report()


def verify_record(source: Any, on_check: Callable[[str], None] = _quiet,
                  progress: Progress = _quiet, jobs: int = 1) -> VerificationReport:
    """Verify a record zip (path, bytes or file object)."""
    try:
        files = read_record(source)
    except RecordFormatError as exc:
        raise RecordInvalid(str(exc)) from None
    return verify_record_files(files, on_check, progress, jobs)


def verify_receipt_file(files: Mapping[str, bytes], doc: Any) -> int:
    """Check a deputy's receipt ``{receipt, signature}`` against a record's board.

    Returns the board index; the receipt must name a cast entry whose digest
    and chain value are the ones signed. The ceremony, the chain and the
    bookkeeping are checked again, the ballot proofs are not: they say
    nothing about the receipt, and ``verify_record_files`` checks them. A
    caller that has just verified the record passes its chain to
    :func:`verify_receipt_doc` instead.
    """
    _require(files, REQUIRED_FILES)
    election = verify_election(verify_manifest(files["manifest.json"]), files["election.json"])
    return verify_receipt_doc(verify_board_chain(election, files["board.jsonl"]), doc)
