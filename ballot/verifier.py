"""The independent verifier: checks one round's record with crypto/ alone.

It reads nothing but the record's files (never the database) and recomputes
everything it can: the ceremony, the context, every board entry and chain
value, every ballot proof and credential signature, the aggregates, each
trustee's decryption proofs, the counts, the result and the receipts. The
first difference found is raised as :class:`RecordInvalid`, naming the file
and the place in it.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

from ballot.board_proofs import BallotChecker, BoardChecks, EntryInvalid
from ballot.record import REQUIRED_FILES, RecordFormatError, read_record
from ballot.rules import Reconciliation, compute_result
from crypto.board import entry_digest, genesis, next_hash
from crypto.canonical import canonical_json, hex_bytes, parse_json
from crypto.ceremony import commitments_hash, public_share
from crypto.credentials import check_ed25519_public_key
from crypto.errors import CryptoError, PinningFailed
from crypto.group import small_multiple
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


def _json(files: dict[str, bytes], name: str) -> Any:
    try:
        value = parse_json(files[name])
    except CryptoError as exc:
        raise RecordInvalid(f"{name}: {exc}") from None
    if canonical_json(value) != files[name]:
        raise RecordInvalid(f"{name}: not in canonical JSON form")
    return value


def _lines(files: dict[str, bytes], name: str) -> tuple[int, Iterator[Any]]:
    """How many lines ``name`` has, and its lines parsed one at a time as they are read.

    A board can be long; reading it lazily keeps only the lines still being
    checked in memory, not the whole board parsed.
    """
    data = files[name]
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
            try:
                value = parse_json(line)
            except CryptoError as exc:
                raise RecordInvalid(f"{name} line {number}: {exc}") from None
            if canonical_json(value) != line:
                raise RecordInvalid(f"{name} line {number}: not in canonical JSON form")
            yield value

    return data.count(b"\n"), parsed()


def _json_lines(files: dict[str, bytes], name: str) -> list[Any]:
    return list(_lines(files, name)[1])


def _at(where: str, check: Callable[[], Any]) -> Any:
    """Run ``check``, turning any protocol error into one that names ``where``."""
    try:
        return check()
    except CryptoError as exc:
        raise RecordInvalid(f"{where}: {exc}") from None


Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)`` for the long steps; the CLI draws bars."""


def _quiet(*_args: Any) -> None:
    return None


_ignore = _quiet
"""Where entries go when their ballots are not to be checked."""


class _Verifier:
    def __init__(self, files: dict[str, bytes], on_check: Callable[[str], None] = _quiet,
                 progress: Progress = _quiet, jobs: int = 1) -> None:
        missing = [n for n in REQUIRED_FILES if n not in files]
        if missing:
            raise RecordInvalid(f"the record lacks {', '.join(missing)}")
        self.files = files
        self.report = VerificationReport()
        self.on_check = on_check
        self.progress = progress
        self.jobs = jobs

    def run(self) -> VerificationReport:
        r = self.report
        self._manifest()
        self.on_check(f"manifest.json: a valid {r.kind} ballot, round {r.round_id} of "
                      f"{r.election_id}")
        self._election()
        self.on_check(f"election.json: {r.trustees} trustees' commitments and proofs verify; "
                      "joint key and context Q recomputed")
        self._board()
        self.on_check(f"board.jsonl: {r.board_entries} entries chain from genesis; every proof, "
                      f"signature and credential checks ({r.cast} cast, {r.spoiled} challenged, "
                      f"{r.voided} voided)")
        self._tally()
        self.on_check("tally.json: aggregates are the sums of the cast ballots; decryption "
                      f"shares of trustees {', '.join(map(str, r.shares_used)) or '—'} verify; "
                      "counts follow")
        self._result()
        self.on_check("result.json: reconciliation holds and the result is recomputed exactly")
        if "receipts.jsonl" in self.files:
            self._receipts()
            self.on_check(f"receipts.jsonl: {r.receipts} signed receipts match the board")
        return self.report

    def _manifest(self) -> None:
        data = _json(self.files, "manifest.json")
        self.manifest = _at("manifest.json", lambda: Manifest.from_json(data))
        m = self.manifest
        self.report.election_id, self.report.round_id, self.report.kind = (
            m.election_id, m.round_id, m.kind)

    def _election(self) -> None:
        m = self.manifest
        doc = _json(self.files, "election.json")
        try:
            published, self.joint_key = pin_election(m, doc)
        except PinningFailed as exc:
            raise RecordInvalid(str(exc)) from None
        self.public_shares = {tc.index: public_share(published, tc.index) for tc in published}
        self.Q = round_context(m.hash, self.joint_key, commitments_hash(published))
        self.report.trustees, self.report.threshold = m.trustees, m.threshold

    def _board(self, check_ballots: bool = True) -> None:
        """Walk the board in order, handing each ballot over to be checked in chunks.

        A structural fault at entry k is reported only after the ballots before
        k verify, so the first failure named is the first in board order, as if
        every entry had been checked whole, one after the other. Without
        ``check_ballots`` only the chain and the bookkeeping are checked: all a
        receipt needs.
        """
        total, lines = _lines(self.files, "board.jsonl")
        self.issued_keys: set[bytes] = set()
        self.voided_keys: set[bytes] = set()
        self.used_keys: set[bytes] = set()
        self.chain: dict[int, tuple[bytes, bytes, str]] = {}
        checker = BallotChecker(self.manifest, self.joint_key, self.Q)
        with BoardChecks(checker, self.jobs if check_ballots else 1,
                         lambda done: self.progress("ballots", done, total)) as checks:
            hand_over = checks.add if check_ballots else _ignore
            structural: RecordInvalid | None = None
            head = genesis(self.Q)
            try:
                try:
                    for k, line in enumerate(lines, 1):
                        self.progress("board", k, total)
                        head = self._entry(k, line, head, hand_over)
                except RecordInvalid as exc:
                    structural = exc
                # After a structural fault, a ballot before it may still fail first.
                self.aggregates = checks.finish()
            except EntryInvalid as exc:
                raise RecordInvalid(f"board.jsonl entry {exc.index}: {exc}") from None
            if structural is not None:
                raise structural
        r = self.report
        self.issued = len(self.issued_keys) - len(self.voided_keys)
        r.board_entries, r.issued, r.voided = total, self.issued, len(self.voided_keys)
        r.board_hash = head.hex()
        r.cast = len(self.used_keys)
        if r.cast > self.issued:
            raise RecordInvalid(f"board.jsonl: {r.cast} ballots cast but only {self.issued} "
                                "credentials issued: the round is void")

    def _entry(self, k: int, line: Any, head: bytes,
               hand_over: Callable[[int, dict[str, Any]], None]) -> bytes:
        """Check line k's place in the chain and its bookkeeping; return the new head.

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
        head = next_hash(head, digest)
        if _at(where, lambda: hex_bytes(line["digest"], 32, "digest")) != digest:
            raise RecordInvalid(f"{where}: digest is not HB(entry, Q, entry)")
        if _at(where, lambda: hex_bytes(line["hash"], 32, "hash")) != head:
            raise RecordInvalid(f"{where}: chain value does not follow from the entries "
                                "before it")
        kind = entry.get("type")
        self.chain[k] = (digest, head, kind)
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
            hand_over(k, entry)
        elif kind == "spoiled":
            if set(entry) != {"type", "ballot", "plaintext", "nonces"}:
                raise RecordInvalid(f"{where}: a spoiled entry has exactly the fields type, "
                                    "ballot, plaintext and nonces")
            self.report.spoiled += 1
            hand_over(k, entry)
        else:
            raise RecordInvalid(f"{where}: unknown entry type {kind!r}")
        return head

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
            key = _at(where, lambda value=value, i=i: hex_bytes(value, 32, f"key {i + 1}"))
            _at(where, lambda key=key, i=i: check_ed25519_public_key(key, f"key {i + 1}"))
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

    def _tally(self) -> None:
        m = self.manifest
        doc = _json(self.files, "tally.json")
        if not isinstance(doc, dict) or set(doc) != {"cast", "aggregates", "shares", "counts"}:
            raise RecordInvalid("tally.json: needs exactly cast, aggregates, shares and counts")
        if doc["cast"] != self.report.cast or not _is_int(doc["cast"]):
            raise RecordInvalid(f"tally.json: cast is {doc['cast']!r}; the board has "
                                f"{self.report.cast} cast entries")
        rows, options = len(m.row_ids), len(m.options)
        aggregates = self.aggregates
        if doc["aggregates"] != aggregates_to_json(aggregates):
            raise RecordInvalid("tally.json: aggregates are not the sums of the cast ballots")
        if not isinstance(doc["shares"], list):
            raise RecordInvalid("tally.json: shares must be a list")
        if self.report.cast == 0:
            # Nothing was cast: every aggregate is the identity, which no share may
            # contain (§1), and the only possible count is 0. Nothing is decrypted.
            if doc["shares"] != [] or doc["counts"] != [[0] * options] * rows:
                raise RecordInvalid("tally.json: no ballots were cast, so there are no "
                                    "decryption shares and every count is 0")
            self.counts = self.report.counts = doc["counts"]
            return
        shares: dict[int, DecryptionShare] = {}
        for value in doc["shares"]:
            share = _at("tally.json", lambda value=value: DecryptionShare.from_json(
                value, rows, options))
            if share.trustee not in self.public_shares:
                raise RecordInvalid(f"tally.json: there is no trustee {share.trustee}")
            if share.trustee in shares:
                raise RecordInvalid(f"tally.json: trustee {share.trustee} appears twice")
            _at("tally.json", lambda share=share: verify_decryption_share(
                share, self.public_shares[share.trustee], aggregates, self.Q))
            shares[share.trustee] = share
        if len(shares) < m.threshold:
            raise RecordInvalid(f"tally.json: {len(shares)} decryption shares; the threshold "
                                f"is {m.threshold}")
        counts = doc["counts"]
        if (not isinstance(counts, list) or len(counts) != rows
                or not all(isinstance(r, list) and len(r) == options for r in counts)
                or not all(_is_int(c) and 0 <= c <= self.report.cast for r in counts for c in r)):
            raise RecordInvalid(f"tally.json: counts must be {rows} rows of {options} integers "
                                f"between 0 and {self.report.cast}")
        for r, (row, agg_row) in enumerate(zip(counts, aggregates, strict=True)):
            for o, (count, ct) in enumerate(zip(row, agg_row, strict=True)):
                M = combine({j: s.cells[r][o][0] for j, s in shares.items()}, m.threshold)
                if small_multiple(count) != ct.B - M:
                    raise RecordInvalid(
                        f"tally.json: count for row {r + 1} ({m.row_ids[r]}), option "
                        f"{m.options[o]!r} is not what the trustees decrypted")
        self.counts = counts
        self.report.counts = counts
        self.report.shares_used = sorted(shares)

    def _result(self) -> None:
        doc = _json(self.files, "result.json")
        if not isinstance(doc, dict) or not isinstance(doc.get("reconciliation"), dict):
            raise RecordInvalid("result.json: needs a reconciliation object")
        declared = doc["reconciliation"]
        present = declared.get("present")
        if not _is_int(present):
            raise RecordInvalid("result.json: reconciliation.present must be an integer")
        reconciliation = Reconciliation(self.manifest.enrolled, present, self.issued,
                                        self.report.cast)
        problems = reconciliation.problems()
        if problems:
            raise RecordInvalid(f"result.json: reconciliation fails: {'; '.join(problems)}")
        expected = compute_result(self.manifest, self.counts, reconciliation)
        for key in sorted(set(expected) | set(doc)):
            if key not in doc:
                raise RecordInvalid(f"result.json: lacks {key}")
            if key not in expected:
                continue  # more fields are allowed
            if canonical_json(doc[key]) != canonical_json(expected[key]):
                raise RecordInvalid(f"result.json: {key} differs from the one recomputed "
                                    f"from the counts: expected {expected[key]!r}")
        self.report.result = expected

    def _receipts(self) -> None:
        m = self.manifest
        for number, line in enumerate(_json_lines(self.files, "receipts.jsonl"), 1):
            where = f"receipts.jsonl line {number}"
            if not isinstance(line, dict) or set(line) != {"receipt", "signature"}:
                raise RecordInvalid(f"{where}: a line has exactly the fields receipt and "
                                    "signature")
            check_receipt_against_board(
                where, line["receipt"], line["signature"], m, self.chain)
            self.report.receipts += 1


def check_receipt_against_board(
    where: str,
    receipt: Any,
    signature_hex: Any,
    manifest: Manifest,
    chain: dict[int, tuple[bytes, bytes, str]],
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


@dataclass(frozen=True)
class VerifiedBoard:
    """A board checked entry by entry, and the aggregates of its cast ballots."""

    manifest: Manifest
    context: bytes
    aggregates: Aggregates
    report: VerificationReport


def verify_board_files(files: dict[str, bytes], jobs: int = 1) -> VerifiedBoard:
    """Check manifest, ceremony and board only: what a trustee checks before decrypting.

    ``jobs`` processes check the ballots, as in :func:`verify_record_files`.
    """
    for name in ("manifest.json", "election.json", "board.jsonl"):
        if name not in files:
            raise RecordInvalid(f"{name} is missing")
    verifier = _Verifier({**files, "tally.json": b"", "result.json": b""}, jobs=jobs)
    verifier._manifest()
    verifier._election()
    verifier._board()
    return VerifiedBoard(verifier.manifest, verifier.Q, verifier.aggregates, verifier.report)


def verify_record_files(files: dict[str, bytes], on_check: Callable[[str], None] = _quiet,
                        progress: Progress = _quiet, jobs: int = 1) -> VerificationReport:
    """Verify a record given as its files; raise :class:`RecordInvalid` or return a report.

    ``jobs`` processes check the ballots; the outcome does not depend on it.
    """
    return _Verifier(files, on_check, progress, jobs).run()


def verify_record(source: Any, on_check: Callable[[str], None] = _quiet,
                  progress: Progress = _quiet, jobs: int = 1) -> VerificationReport:
    """Verify a record zip (path, bytes or file object)."""
    try:
        files = read_record(source)
    except RecordFormatError as exc:
        raise RecordInvalid(str(exc)) from None
    return verify_record_files(files, on_check, progress, jobs)


def verify_receipt_file(files: dict[str, bytes], doc: Any) -> int:
    """Check a deputy's receipt ``{receipt, signature}`` against a record's board.

    Returns the board index; the receipt must name a cast entry whose digest
    and chain value are the ones signed. The ceremony, the chain and the
    bookkeeping are checked again, the ballot proofs are not: they say
    nothing about the receipt, and ``verify_record_files`` checks them.
    """
    verifier = _Verifier(files)
    verifier._manifest()
    verifier._election()
    verifier._board(check_ballots=False)
    if not isinstance(doc, dict) or set(doc) != {"receipt", "signature"}:
        raise RecordInvalid("a receipt file has exactly the fields receipt and signature")
    check_receipt_against_board("receipt", doc["receipt"], doc["signature"],
                                verifier.manifest, verifier.chain)
    return doc["receipt"]["index"]
