"""A whole round through the real services, trustees and all: ``piaojue simulate``.

Staff rehearse the session day with it; tests and benchmarks use it to make
real records. Every step is a real service call in its own transaction on a
real database, trustees run the same offline code as ``piaojue trustee``
with key files in a directory, and deputies' ballots are encrypted and signed
the way the booth does it.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from ballot import trustee as trustee_side
from ballot.candidate_ratio import MAX_SURPLUS
from ballot.errors import InvalidInput
from ballot.models import Round
from ballot.services import (
    casting,
    ceremony,
    credentials,
    elections,
    export,
    public,
    roster,
    rounds,
)
from ballot.services import tally as tallying
from ballot.spreadsheet import csv_bytes
from crypto.at_rest import AtRestKey
from crypto.canonical import parse_json
from crypto.cast import PreparedCast, prepare_cast
from crypto.keyfile import DEFAULT_SCRYPT_N
from crypto.manifest import APPROVAL_OPTIONS, SELECTION_OPTIONS, Manifest
from crypto.pinning import PinnedRound
from crypto.rng import SYSTEM_RANDOMNESS, Randomness

DEMO_PROJECTS = (
    ("老旧小区改造提质", "城乡建设", "12个老旧小区", "住建局", 3200),
    ("农贸市场标准化改造", "商贸流通", "城区5个农贸市场", "商务局", 1500),
    ("城区停车泊位建设", "交通出行", "中心城区", "城管局", 2100),
    ("中小学校午餐配送", "教育", "全区中小学", "教育局", 900),
    ("社区居家养老服务中心", "养老", "8个社区", "民政局", 1200),
    ("乡村道路提质改造", "交通出行", "4个乡镇", "交通局", 4600),
    ("城区排水防涝设施", "城乡建设", "低洼片区", "水利局", 3800),
    ("公共厕所新建改建", "环境卫生", "城乡结合部", "城管局", 600),
    ("全民健身场地建设", "文体", "10个村（社区）", "文旅体局", 800),
    ("农村饮水安全巩固", "水利", "山区6个村", "水利局", 1700),
    ("背街小巷路灯亮化", "城乡建设", "老城区", "城管局", 450),
    ("社区卫生服务站标准化", "医疗卫生", "6个社区", "卫健委", 1100),
    ("城区公交站台改造", "交通出行", "主干道", "交通局", 700),
    ("河道综合治理", "生态环境", "涟水河支流", "生态环境局", 5200),
    ("幼儿园学位扩容", "教育", "新城片区", "教育局", 2600),
    ("便民菜市场新建", "商贸流通", "新建小区片区", "商务局", 1300),
)
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何林罗高"
GIVEN = "建国秀英志强丽华明军海燕红梅文杰春生玉兰德胜小平"

Progress = Callable[[str, int, int], None]


def _no_progress(stage: str, done: int, total: int) -> None:
    return None


@dataclass(frozen=True)
class RehearsalConfig:
    rows: int = 15
    seats: int = 5
    deputies: int = 60
    present: int = 55
    voters: int = 50
    trustees: int = 5
    threshold: int = 3
    spoil: int = 2
    voided: int = 1
    kind: str = "selection"
    options: tuple[str, ...] = SELECTION_OPTIONS
    basis: str = "enrolled"
    tie: bool = False
    election_id: str = "rehearsal-2026"
    congress_name: str = "湘江区第十八届人民代表大会第六次会议"
    year: int = 2026
    scrypt_n: int = DEFAULT_SCRYPT_N

    def candidate_ratio(self) -> tuple[tuple[int, int], tuple[int, int]]:
        """The election's 差额 ratio: the law's floor of 1/5 and the widest ceiling, so every
        shape ``check`` accepts (and any further round after it) is legal; with as many rows
        as seats there is no surplus to ask for (ballot.candidate_ratio)."""
        if self.kind == "selection" and self.rows == self.seats:
            return (0, 1), (MAX_SURPLUS, 1)
        return (1, 5), (MAX_SURPLUS, 1)

    def check(self) -> None:
        """Refuse impossible settings, naming the one that is wrong."""
        if self.kind not in ("selection", "rating"):
            raise InvalidInput("kind must be selection or rating")
        if not 1 <= self.rows <= 200:
            raise InvalidInput("rows must be between 1 and 200")
        if self.kind == "selection" and not 1 <= self.seats <= self.rows:
            raise InvalidInput("seats must be between 1 and the number of rows")
        if self.kind == "selection" and self.rows > self.seats * (1 + MAX_SURPLUS):
            raise InvalidInput("at most %(most)s candidates per seat (差额)", most=1 + MAX_SURPLUS)
        if self.kind == "selection" and self.options not in (SELECTION_OPTIONS,
                                                             APPROVAL_OPTIONS):
            raise InvalidInput("options must be 'for,against' or 'for'")
        if not 1 <= self.present <= self.deputies:
            raise InvalidInput("present must be between 1 and the number of deputies")
        if not 0 <= self.voters <= self.present:
            raise InvalidInput("voters must be between 0 and the deputies present")
        if not 0 <= self.voided <= self.present - self.voters:
            raise InvalidInput("voided slips must not outnumber the slips left unused")
        if self.spoil < 0:
            raise InvalidInput("spoil must not be negative")
        if not 1 <= self.threshold <= self.trustees:
            raise InvalidInput("threshold must be between 1 and the number of trustees")
        if self.tie:
            if self.kind != "selection" or self.seats >= self.rows:
                raise InvalidInput("a tie needs a selection round with more rows than seats")
            tie_counts(self)  # raises when the numbers cannot make a tie


@dataclass
class RehearsalOutcome:
    round_id: str
    files: dict[str, bytes]
    result: dict[str, Any]
    truth: list[list[int]]
    log: list[str]
    followup_round_id: str | None = None


def tie_counts(config: RehearsalConfig) -> tuple[int, int]:
    """赞成 counts ``(a, v)``: K-1 rows get a, rows K and K+1 tie at v, all passing."""
    basis = config.deputies if config.basis == "enrolled" else config.voters
    v = basis // 2 + 1
    k = config.seats
    a = config.voters if k == 1 else min(config.voters, (k * config.voters - 2 * v) // (k - 1))
    if v > config.voters or (k > 1 and a <= v):
        raise InvalidInput("too few voters to make two passing rows tie at the last seat")
    return a, v


def _planned_marks(config: RehearsalConfig, manifest: Manifest, chooser: random.Random
                   ) -> list[list[list[int]]]:
    """Every voter's marks, within the limits; with ``tie`` the K-th seat is tied."""
    n_rows, n_opts = len(manifest.row_ids), len(manifest.options)
    marks = [[[0] * n_opts for _ in range(n_rows)] for _ in range(config.voters)]
    if config.kind == "rating":
        weights = [chooser.uniform(0.35, 0.95) for _ in range(n_rows)]
        for voter in marks:
            for r, w in enumerate(weights):
                roll = chooser.random()
                o = 0 if roll < w * 0.8 else 1 if roll < 0.9 else 2 if roll < 0.97 else None
                if o is not None:
                    voter[r][o] = 1
        return marks
    k = config.seats
    if config.tie:
        a, v = tie_counts(config)
        wanted = [a] * (k - 1) + [v, v] + [0] * (n_rows - k - 1)
    else:
        # A few projects most deputies back, a tail few do: as in the reports.
        popularity = [chooser.uniform(0.5, 0.85) if r <= k else chooser.uniform(0.05, 0.4)
                      for r in range(n_rows)]
        chooser.shuffle(popularity)
        wanted = [int(p * config.voters) for p in popularity]
    load = [0] * config.voters
    # Give each row's 赞成 to the least-loaded voters, most wanted rows first.
    for r in sorted(range(n_rows), key=lambda r: -wanted[r]):
        count = wanted[r]
        order = sorted(range(config.voters), key=lambda i: (load[i], chooser.random()))
        for i in [i for i in order if load[i] < k][:count]:
            marks[i][r][0] = 1
            load[i] += 1
    if n_opts > 1:
        for voter in marks:
            for row in voter:
                if not row[0] and chooser.random() < 0.25:
                    row[1] = 1
    return marks


def _deputies_csv(config: RehearsalConfig, chooser: random.Random) -> bytes:
    rows = []
    for i in range(config.deputies):
        name = chooser.choice(SURNAMES) + "".join(chooser.sample(GIVEN, 2))
        rows.append([f"{i + 1:03d}", name, f"第{i % 6 + 1}代表团"])
    return csv_bytes(["座位号", "姓名", "代表团"], rows)


def _projects_csv(config: RehearsalConfig) -> bytes:
    rows = []
    for i in range(config.rows):
        title, category, place, department, cost = DEMO_PROJECTS[i % len(DEMO_PROJECTS)]
        suffix = "" if i < len(DEMO_PROJECTS) else f"（{i // len(DEMO_PROJECTS) + 1}期）"
        rows.append([f"P{i + 1:02d}", title + suffix, category, place, department, cost])
    return csv_bytes(["编号", "项目名称", "类别", "地点", "实施单位", "估算金额"], rows)


class _Trustees:
    """The trustees' side, each with a key file in ``workdir``, as on their own laptops."""

    def __init__(self, config: RehearsalConfig, workdir: Path, rng: Randomness) -> None:
        self.config, self.workdir, self.rng = config, workdir, rng
        self.passphrases = {i: f"trustee {i} passphrase" for i in range(1, config.trustees + 1)}

    def path(self, i: int) -> Path:
        return self.workdir / f"trustee-{i}.key.json"

    def _open(self, i: int) -> trustee_side.TrusteeKey:
        return trustee_side.TrusteeKey.open(self.path(i).read_bytes(), self.passphrases[i])

    def _save(self, i: int, key: trustee_side.TrusteeKey) -> None:
        self.path(i).write_bytes(key.seal(self.passphrases[i], self.rng, self.config.scrypt_n))

    def init(self, i: int) -> dict[str, Any]:
        data, public = trustee_side.init_trustee(
            self.config.election_id, i, self.config.trustees, self.config.threshold,
            self.passphrases[i], self.rng, self.config.scrypt_n)
        self.path(i).write_bytes(data)
        return public

    def step(self, i: int, action: Callable[[trustee_side.TrusteeKey], dict[str, Any]]
             ) -> dict[str, Any]:
        key = self._open(i)
        out = action(key)
        self._save(i, key)
        return out


class Rehearsal:
    """The session day in steps, so tests can stop after any of them and act alone."""

    def __init__(self, sessions: sessionmaker[Session], config: RehearsalConfig, workdir: Path,
                 rng: Randomness = SYSTEM_RANDOMNESS, progress: Progress = _no_progress,
                 at_rest: AtRestKey | None = None) -> None:
        config.check()
        self.sessions, self.config, self.rng, self.progress = sessions, config, rng, progress
        self.chooser = random.Random(rng.token_bytes(32))
        random_key = AtRestKey(rng.token_bytes(32))
        self.at_rest = at_rest or random_key
        self.trustees = _Trustees(config, workdir, rng)
        self.log: list[str] = []
        self.eid = config.election_id
        self.round_id = "selection-1" if config.kind == "selection" else "rating-1"
        self.slips: list[credentials.Slip] = []

    def setup(self) -> None:
        """The election, its roster and its candidate projects."""
        config = self.config
        with self.sessions.begin() as s:
            election = elections.create_election(
                s, election_id=self.eid, congress_name=config.congress_name, level="county",
                year=config.year,
                trustee_names=[f"监票人{i}" for i in range(1, config.trustees + 1)],
                threshold=config.threshold, at_rest=self.at_rest, rng=self.rng,
                candidate_ratio=config.candidate_ratio())
            roster.import_deputies(s, election, _deputies_csv(config, self.chooser),
                                   "deputies.csv")
            roster.import_projects(s, election, _projects_csv(config), "projects.csv")
        self.log.append(f"election {self.eid}: {config.deputies} deputies, {config.rows} projects")

    def ceremony(self) -> None:
        """Every trustee, in turn, runs each offline step; the server imports each file."""
        t, rng, eid = self.trustees, self.rng, self.eid
        steps = [
            lambda i: t.init(i),
            lambda i: t.step(i, lambda k: trustee_side.make_commitment(k, rng)),
            lambda i: t.step(i, lambda k: trustee_side.make_shares(
                k, _ceremony_doc(self.sessions, eid), rng)),
            lambda i: t.step(i, lambda k: trustee_side.verify_shares(
                k, _ceremony_doc(self.sessions, eid))),
        ]
        for done, make in enumerate(steps, 1):
            for i in range(1, self.config.trustees + 1):
                doc = make(i)
                with self.sessions.begin() as s:
                    step = ceremony.import_trustee_file(
                        s, elections.get_election(s, eid), doc)
            self.progress("ceremony", done, len(steps))
        self.log.append(str(step))

    def open(self) -> Manifest:
        """Create the round, check deputies in, issue slips (voiding lost ones), open it."""
        config, eid, round_id = self.config, self.eid, self.round_id
        with self.sessions.begin() as s:
            election = elections.get_election(s, eid)
            projects = roster.list_projects(s, election)
            round_ = rounds.create_round(
                s, election, round_id=round_id, kind=config.kind,
                title=f"{config.year}年度民生实事项目" + ("票决" if config.kind == "selection"
                                                     else "满意度测评"),
                project_ids=[p.id for p in projects], seats=config.seats, basis=config.basis,
                options=config.options if config.kind == "selection" else None)
            for deputy in self.chooser.sample(roster.list_deputies(s, election), config.present):
                rounds.check_in(s, round_, deputy)
            self.slips = credentials.make_slips(eid, round_id, config.present, self.rng)
            credentials.issue(s, round_, [slip.public_key for slip in self.slips])
            lost = self.slips[config.voters:][: config.voided]
            for slip in lost:
                credentials.void(s, round_, slip.public_key)
            if lost:
                replacements = credentials.make_slips(eid, round_id, len(lost), self.rng)
                credentials.issue(s, round_, [slip.public_key for slip in replacements])
                self.slips = [x for x in self.slips if x not in lost] + replacements
            rounds.open_round(s, round_)
            manifest = rounds.manifest_of(round_)
        self.log.append(f"round {round_id}: {config.present} present, {config.present} slips "
                        f"issued ({config.voided} lost and replaced), open")
        return manifest

    def _pinned(self, round_id: str) -> PinnedRound:
        """The open round as the deputies' tablets pin it from its published parameters."""
        with self.sessions.begin() as s:
            return public.pinned_round(s, rounds.get_round(s, self.eid, round_id))

    def vote(self, manifest: Manifest) -> list[list[int]]:
        """Each voter may challenge one ballot first, then casts; returns the true sums."""
        config = self.config
        plan = _planned_marks(config, manifest, self.chooser)
        challengers = set(self.chooser.sample(range(config.voters),
                                              min(config.spoil, config.voters)))
        pinned = self._pinned(self.round_id)  # once: the tablets pin the round before voting
        for voter, marks in enumerate(plan):
            with self.sessions.begin() as s:
                round_ = rounds.get_round(s, self.eid, self.round_id)
                code = self.slips[voter].code
                if voter in challengers:
                    doubt = prepare_cast(pinned, code, marks, self.rng).spoiled_entry
                    casting.hold_challenge(s, round_, doubt["ballot"], doubt["plaintext"],
                                           doubt["nonces"])
                _cast(s, round_, prepare_cast(pinned, code, marks, self.rng), self.at_rest)
            self.progress("ballots", voter + 1, config.voters)
        self.log.append(f"{config.voters} ballots cast, {len(challengers)} challenged "
                        "(Benaloh)")
        return [[sum(v[r][o] for v in plan) for o in range(len(manifest.options))]
                for r in range(len(manifest.row_ids))]

    def count(self) -> RehearsalOutcome:
        """Close, let t trustees decrypt offline, combine, publish, export, follow up."""
        result = self.tally(self.round_id)
        followup_id = None
        with self.sessions.begin() as s:
            round_ = rounds.get_round(s, self.eid, self.round_id)
            files = export.record_files_for(s, round_)
            if self.config.kind == "selection" and (result["runoff"] or result["unfilled"]):
                kind = "runoff" if result["runoff"] else "further"
                followup: Round = tallying.create_followup(
                    s, round_, f"{kind}-1", f"{self.config.year}年度民生实事项目" +
                    ("再次投票" if kind == "runoff" else "补充票决"))
                followup_id = followup.round_id
                self.log.append(f"{kind} round {followup_id} created over "
                                f"{', '.join(r.project.code for r in followup.rows)} for "
                                f"{followup.seats} seat(s)")
        return RehearsalOutcome(self.round_id, files, result, [], self.log, followup_id)

    def tally(self, round_id: str) -> dict[str, Any]:
        """Close the round, let t trustees decrypt offline, combine and publish."""
        eid, n = self.eid, self.config.trustees
        with self.sessions.begin() as s:
            round_ = rounds.get_round(s, eid, round_id)
            rounds.close_round(s, round_, self.rng)
            request = (tallying.decryption_request(s, round_)
                       if rounds.cast_count(s, round_) else None)
        if request is not None:
            deciders = sorted(self.chooser.sample(range(1, n + 1), self.config.threshold))
            for done, i in enumerate(deciders, 1):
                share = self.trustees.step(i, lambda k: trustee_side.decrypt(k, request,
                                                                               self.rng))
                with self.sessions.begin() as s:
                    tallying.import_share(s, rounds.get_round(s, eid, round_id), share)
                self.progress("decryption", done, len(deciders))
            self.log.append(f"decryption shares from trustees {', '.join(map(str, deciders))}")
        with self.sessions.begin() as s:
            round_ = rounds.get_round(s, eid, round_id)
            result = tallying.combine(s, round_)
            tallying.publish(s, round_)
        return result

    def hold(self, round_id: str, plan: list[list[list[int]]]) -> dict[str, Any]:
        """Hold a draft round made elsewhere (a rating or re-rating round): the first
        ``config.present`` deputies check in, one ballot per matrix in ``plan`` is
        cast, and the round is counted and published. Returns its result."""
        if len(plan) > self.config.present:
            raise ValueError("more ballots than deputies present")
        with self.sessions.begin() as s:
            round_ = rounds.get_round(s, self.eid, round_id)
            for deputy in roster.list_deputies(s, round_.election)[: self.config.present]:
                rounds.check_in(s, round_, deputy)
            slips = credentials.make_slips(self.eid, round_id, self.config.present, self.rng)
            credentials.issue(s, round_, [slip.public_key for slip in slips])
            rounds.open_round(s, round_)
        pinned = self._pinned(round_id)
        for slip, marks in zip(slips, plan, strict=False):
            with self.sessions.begin() as s:
                round_ = rounds.get_round(s, self.eid, round_id)
                _cast(s, round_, prepare_cast(pinned, slip.code, marks, self.rng), self.at_rest)
        return self.tally(round_id)


def _cast(s: Session, round_: Round, prepared: PreparedCast, at_rest: AtRestKey) -> None:
    body = prepared.body
    casting.cast(s, round_, body["ballot"], body["credential"], body["signature"], at_rest)


def rehearse(
    sessions: sessionmaker[Session],
    config: RehearsalConfig,
    workdir: Path,
    rng: Randomness = SYSTEM_RANDOMNESS,
    progress: Progress = _no_progress,
    at_rest: AtRestKey | None = None,
) -> RehearsalOutcome:
    """The whole round, start to published record, checked against the marks cast."""
    return run_through(Rehearsal(sessions, config, workdir, rng, progress, at_rest))


def run_through(run: Rehearsal) -> RehearsalOutcome:
    """``rehearse`` on a rehearsal the caller keeps, to hold further rounds with the same
    trustees afterwards (the demo's mid-year rating round)."""
    run.setup()
    run.ceremony()
    truth = run.vote(run.open())
    outcome = run.count()
    outcome.truth = truth
    if result_counts(outcome.files) != truth:
        raise AssertionError("the decrypted counts differ from the marks cast")
    return outcome


def result_counts(files: dict[str, bytes]) -> list[list[int]]:
    return parse_json(files["tally.json"])["counts"]


def _ceremony_doc(sessions: sessionmaker[Session], eid: str) -> dict[str, Any]:
    with sessions.begin() as s:
        return ceremony.ceremony_document(s, elections.get_election(s, eid))
