"""A whole round in memory: ceremony, credentials, ballots, tally, record.

This is what ``piaojue simulate`` and ``make demo`` run before a database
exists, and what the tests use to make honest records to tamper with. It
goes through exactly the crypto/ calls the real services make, trustee by
trustee (sealed shares, complaints checked, decryption shares proven), so a
record it writes is a real record.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from ballot.record import BoardLine, record_files
from ballot.rules import Reconciliation, compute_result
from crypto.board import entry_digest, genesis, next_hash
from crypto.canonical import canonical_json
from crypto.ceremony import (
    TrusteeCommitment,
    check_share,
    commit,
    commitments_hash,
    election_context,
    evaluate,
    joint_key,
    new_polynomial,
    public_share,
    secret_share,
    verify_all_commitments,
)
from crypto.credentials import (
    derive_credential_key,
    generate_code,
    public_key_bytes,
    sign_cast,
)
from crypto.encrypted_ballot import (
    EncryptedBallot,
    ballot_digest,
    encrypt_ballot,
)
from crypto.manifest import RATING_OPTIONS, SELECTION_OPTIONS, Manifest, round_context
from crypto.receipts import make_receipt, new_receipt_key, receipt_public_key, sign_receipt
from crypto.rng import SYSTEM_RANDOMNESS, Randomness
from crypto.tally import (
    aggregate,
    aggregates_to_json,
    combine_counts,
    make_decryption_share,
    verify_decryption_share,
)
from crypto.transport import (
    new_transport_key,
    open_share,
    seal_share,
    transport_public_bytes,
)

DEMO_PROJECTS = (
    "老旧小区改造提质", "农贸市场标准化改造", "城区停车泊位建设", "中小学校午餐配送",
    "社区居家养老服务中心", "乡村道路提质改造", "城区排水防涝设施", "公共厕所新建改建",
    "全民健身场地建设", "农村饮水安全巩固", "背街小巷路灯亮化", "社区卫生服务站标准化",
    "城区公交站台改造", "河道综合治理", "幼儿园学位扩容", "便民菜市场新建",
)

Progress = Callable[[str, int, int], None]
"""``progress(stage, done, total)``: the CLI draws bars with it."""


@dataclass(frozen=True)
class SimulationConfig:
    kind: str = "selection"
    rows: int = 8
    seats: int = 5
    enrolled: int = 30
    present: int = 27
    cast: int = 25
    spoiled: int = 2
    voided: int = 1
    trustees: int = 3
    threshold: int = 2
    election_id: str = "demo-2026"
    round_id: str = "selection-1"
    title: str = "2026年度民生实事项目票决"
    satisfaction_threshold: tuple[int, int] = (4, 5)

    def check(self) -> None:
        """Refuse impossible settings with the number that is wrong."""
        if self.kind not in ("selection", "rating"):
            raise ValueError("kind must be selection or rating")
        if not 1 <= self.rows <= 500:
            raise ValueError("rows must be between 1 and 500")
        if self.kind == "selection" and not 1 <= self.seats <= self.rows:
            raise ValueError("seats must be between 1 and the number of rows")
        if not 1 <= self.present <= self.enrolled:
            raise ValueError("present must be between 1 and enrolled")
        if not 0 <= self.cast <= self.present:
            raise ValueError("cast must be between 0 and present")
        if not 0 <= self.voided <= self.present - self.cast:
            raise ValueError("voided slips must not be more than the slips left unused")
        if self.spoiled < 0:
            raise ValueError("spoiled must not be negative")
        if not 1 <= self.threshold <= self.trustees:
            raise ValueError("threshold must be between 1 and the number of trustees")


@dataclass
class SimulatedRound:
    manifest: Manifest
    files: dict[str, bytes]
    truth: list[list[int]]
    counts: list[list[int]]
    result: dict[str, Any]
    receipts: list[dict[str, Any]] = field(default_factory=list)


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


def demo_manifest_data(config: SimulationConfig, receipt_key: bytes) -> dict[str, Any]:
    rows = [
        {"id": f"P{i + 1:02d}", "title": DEMO_PROJECTS[i % len(DEMO_PROJECTS)]
         + ("" if i < len(DEMO_PROJECTS) else f"（{i // len(DEMO_PROJECTS) + 1}）")}
        for i in range(config.rows)
    ]
    if config.kind == "selection":
        options = list(SELECTION_OPTIONS)
        column_limits = {"for": [0, config.seats]}
        rule: dict[str, Any] = {"name": "majority-top-k", "seats": config.seats,
                                "basis": "enrolled"}
    else:
        options = list(RATING_OPTIONS)
        column_limits = {}
        rule = {"name": "satisfaction", "threshold": list(config.satisfaction_threshold)}
    return {
        "protocol": "piaojue/1", "election_id": config.election_id,
        "round_id": config.round_id, "kind": config.kind, "title": config.title,
        "rows": rows, "options": options, "row_limits": [0, 1],
        "column_limits": column_limits, "rule": rule,
        "electorate": {"enrolled": config.enrolled},
        "trustees": {"n": config.trustees, "threshold": config.threshold},
        "receipt_key": receipt_key.hex(),
    }


def run_ceremony(
    election_id: str, n: int, t: int, rng: Randomness
) -> tuple[list[TrusteeCommitment], dict[int, int]]:
    """Every trustee deals, seals, opens and checks, as they would on their own machines."""
    context = election_context(election_id, n, t)
    transport = {i: new_transport_key(rng) for i in range(1, n + 1)}
    polynomials = {i: new_polynomial(t, rng) for i in range(1, n + 1)}
    published = [commit(i, polynomials[i], context, rng) for i in range(1, n + 1)]
    verify_all_commitments(published, n, t, context)
    sealed = {
        (i, j): seal_share(evaluate(polynomials[i], j), sender=i, recipient=j,
                           recipient_key=transport_public_bytes(transport[j]),
                           context=context, rng=rng)
        for i in range(1, n + 1) for j in range(1, n + 1)
    }
    secrets = {}
    for j in range(1, n + 1):
        received = []
        for tc in published:
            share = open_share(sealed[tc.index, j], sender=tc.index, recipient=j,
                               private_key=transport[j], context=context)
            check_share(tc, j, share)
            received.append(share)
        secrets[j] = secret_share(received)
    return published, secrets


def random_marks(
    manifest: Manifest, chooser: random.Random, weights: list[float]
) -> list[list[int]]:
    """Plausible marks within the limits: popular rows get more 赞成 / 满意."""
    n_rows = len(manifest.row_ids)
    marks = [[0] * len(manifest.options) for _ in range(n_rows)]
    if manifest.kind == "selection":
        seats = manifest.rule["seats"]
        pool = list(range(n_rows))
        picked: list[int] = []
        for _ in range(chooser.randint(max(0, seats - 2), seats)):
            r = chooser.choices(pool, [weights[i] for i in pool])[0]
            pool.remove(r)
            picked.append(r)
        for r in range(n_rows):
            if r in picked:
                marks[r][0] = 1
            elif chooser.random() < 0.3:
                marks[r][1] = 1
    else:
        for r in range(n_rows):
            roll = chooser.random()
            if roll < weights[r] * 0.9:
                marks[r][0] = 1
            elif roll < 0.93:
                marks[r][1] = 1
            elif roll < 0.98:
                marks[r][2] = 1
    return marks


class _Board:
    """An in-memory append-only board with the protocol's chain."""

    def __init__(self, context: bytes) -> None:
        self.context = context
        self.head = genesis(context)
        self.lines: list[BoardLine] = []

    def append(self, entry: dict[str, Any]) -> BoardLine:
        digest = entry_digest(self.context, entry)
        self.head = next_hash(self.head, digest)
        line = BoardLine(len(self.lines) + 1, entry, digest, self.head)
        self.lines.append(line)
        return line


def simulate_round(
    config: SimulationConfig,
    rng: Randomness = SYSTEM_RANDOMNESS,
    progress: Progress = _no_progress,
) -> SimulatedRound:
    config.check()
    chooser = random.Random(rng.token_bytes(32))
    progress("ceremony", 0, 1)
    published, secrets = run_ceremony(config.election_id, config.trustees, config.threshold, rng)
    K = joint_key(published)
    progress("ceremony", 1, 1)
    receipt_key = new_receipt_key(rng)
    manifest = Manifest.from_json(demo_manifest_data(config, receipt_public_key(receipt_key)))
    Q = round_context(manifest.hash, K, commitments_hash(published))
    board = _Board(Q)

    codes = [generate_code(rng) for _ in range(config.present)]
    keys = [derive_credential_key(c, config.election_id, config.round_id) for c in codes]
    board.append({"type": "credentials", "keys": [public_key_bytes(k).hex() for k in keys]})
    unused = list(range(config.cast, config.present))
    for slot in unused[: config.voided]:  # lost slips: voided, then replaced
        board.append({"type": "void", "key": public_key_bytes(keys[slot]).hex()})
        codes[slot] = generate_code(rng)
        keys[slot] = derive_credential_key(codes[slot], config.election_id, config.round_id)
    if config.voided:
        board.append({"type": "credentials", "keys": [
            public_key_bytes(keys[s]).hex() for s in unused[: config.voided]]})

    weights = [chooser.uniform(0.3, 1.0) ** 3 for _ in manifest.row_ids]
    truth = [[0] * len(manifest.options) for _ in manifest.row_ids]
    ballots: list[EncryptedBallot] = []
    receipts = []
    spoil_before = set(chooser.sample(range(config.cast), min(config.spoiled, config.cast)))
    for voter in range(config.cast):
        if voter in spoil_before:  # a Benaloh challenge: the ballot is opened, not cast
            ballot, opening = encrypt_ballot(manifest, K, Q,
                                             random_marks(manifest, chooser, weights), rng)
            board.append({"type": "spoiled", "ballot": ballot.to_json(), **opening.to_json()})
        marks = random_marks(manifest, chooser, weights)
        ballot, _ = encrypt_ballot(manifest, K, Q, marks, rng)
        ballot_json = ballot.to_json()
        signature = sign_cast(keys[voter], Q, ballot_digest(Q, ballot_json))
        line = board.append({"type": "cast", "ballot": ballot_json,
                             "credential": public_key_bytes(keys[voter]).hex(),
                             "signature": signature.hex()})
        receipt = make_receipt(config.election_id, config.round_id, line.index,
                               line.digest, line.hash)
        receipts.append({"receipt": receipt,
                         "signature": sign_receipt(receipt_key, receipt).hex()})
        ballots.append(ballot)
        for r, row in enumerate(marks):
            for o, m in enumerate(row):
                truth[r][o] += m
        progress("ballots", voter + 1, config.cast)

    aggregates = aggregate(ballots, len(manifest.row_ids), len(manifest.options))
    # With no ballot cast every aggregate is the identity and every count 0:
    # nothing is decrypted (a share of the identity could not be published, §1).
    deciders = (sorted(chooser.sample(range(1, config.trustees + 1), config.threshold))
                if config.cast else [])
    shares = {}
    for done, j in enumerate(deciders, 1):
        share = make_decryption_share(j, secrets[j], aggregates, Q, rng)
        verify_decryption_share(share, public_share(published, j), aggregates, Q)
        shares[j] = share
        progress("decryption", done, len(deciders))
    counts = ([list(row) for row in combine_counts(aggregates, shares, config.threshold,
                                                   config.cast)]
              if config.cast else [[0] * len(manifest.options) for _ in manifest.row_ids])
    if counts != truth:
        raise AssertionError("the decrypted counts differ from the marks cast")
    reconciliation = Reconciliation(config.enrolled, config.present, config.present,
                                    config.cast)
    result = compute_result(manifest, counts, reconciliation)
    files = record_files(
        manifest_bytes=canonical_json(manifest.data),
        election={"election_id": config.election_id, "threshold": config.threshold,
                  "joint_key": K.hex(), "trustees": [tc.to_json() for tc in published]},
        board=board.lines,
        tally={"cast": config.cast, "aggregates": aggregates_to_json(aggregates),
               "shares": [shares[j].to_json() for j in deciders], "counts": counts},
        result=result,
        receipts=receipts,
    )
    return SimulatedRound(manifest, files, truth, counts, result, receipts)

