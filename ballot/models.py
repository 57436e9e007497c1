"""The persistent model of one congress's year (DESIGN.md, "The year, as states").

Secrecy is structural: no table links a deputy to a credential, a credential
to a deputy, or a ballot to anything finer than its board position. The
server keeps credential public keys only, and trustee secrets never arrive.
Constraints that protect the count live in the database, not only in Python.
"""

from __future__ import annotations

import datetime as dt
import enum
from decimal import Decimal
from typing import Any

from sqlalchemy import (
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Enum,
    ForeignKey,
    Integer,
    LargeBinary,
    Numeric,
    String,
    Table,
    Text,
    UniqueConstraint,
)
from sqlalchemy import false as sa_false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from ballot.db import Base, created_at, hex32, str_pk
from ballot.errors import Conflict

DEFAULT_CATEGORIES = ("城乡建设", "交通出行", "教育", "医疗卫生", "养老", "就业创业",
                      "生态环境", "文化体育", "商贸流通", "水利", "农业农村", "社会治理")


class ElectionState(enum.StrEnum):
    draft = "draft"
    candidates_adopted = "candidates_adopted"
    key_ceremony = "key_ceremony"
    ready = "ready"


class RoundState(enum.StrEnum):
    draft = "draft"
    open = "open"
    closed = "closed"
    tallied = "tallied"
    published = "published"


class RoundKind(enum.StrEnum):
    selection = "selection"
    rating = "rating"


class CredentialStatus(enum.StrEnum):
    issued = "issued"
    voided = "voided"
    used = "used"


def _enum(cls: type[enum.StrEnum]) -> Enum:
    return Enum(cls, native_enum=False, length=32, values_callable=lambda e: [m.value for m in e])


class Election(Base):
    """One congress's year: its trustees, receipt key, roster, projects and rounds."""

    __tablename__ = "election"

    id: Mapped[str_pk]
    congress_name: Mapped[str] = mapped_column(String(200))
    level: Mapped[str] = mapped_column(String(20))
    year: Mapped[int]
    trustees_n: Mapped[int]
    threshold: Mapped[int]
    quorum_num: Mapped[int] = mapped_column(default=2)
    quorum_den: Mapped[int] = mapped_column(default=3)
    candidate_ratio: Mapped[list[Any]] = mapped_column(default=lambda: [[1, 5], [1, 2]])
    categories: Mapped[list[Any]] = mapped_column(default=lambda: list(DEFAULT_CATEGORIES))
    """The proposal categories this congress uses (a sensible default list)."""
    """Candidates must exceed seats by between these fractions (差额), as the electoral
    law has it for indirect elections: 1/5 to 1/2 by default."""
    state: Mapped[ElectionState] = mapped_column(_enum(ElectionState),
                                                 default=ElectionState.draft)
    receipt_public_key: Mapped[hex32]
    receipt_private_sealed: Mapped[bytes] = mapped_column(LargeBinary)
    """The receipt signing key, encrypted under the instance's at-rest key."""
    joint_key: Mapped[str | None] = mapped_column(String(64))
    commitments_hash: Mapped[str | None] = mapped_column(String(64))
    created: Mapped[created_at]

    trustees: Mapped[list[Trustee]] = relationship(back_populates="election",
                                                   order_by="Trustee.index")
    rounds: Mapped[list[Round]] = relationship(back_populates="election",
                                               order_by="Round.created")

    __table_args__ = (
        CheckConstraint("threshold >= 1 AND threshold <= trustees_n", name="threshold_range"),
        CheckConstraint("level IN ('township', 'county', 'city')", name="level_known"),
    )


class Trustee(Base):
    """A trustee's public side of the key ceremony. Its secrets stay in its key file."""

    __tablename__ = "trustee"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("election.id"))
    index: Mapped[int]
    name: Mapped[str] = mapped_column(String(100))
    transport_key: Mapped[str | None] = mapped_column(String(64))
    commitment: Mapped[dict[str, Any] | None]
    verified: Mapped[bool] = mapped_column(default=False)
    complaint_against: Mapped[int | None]
    """The sender whose share this trustee found wrong: published, and it stops the ceremony."""

    election: Mapped[Election] = relationship(back_populates="trustees")

    __table_args__ = (UniqueConstraint("election_id", "index"),)


class CeremonyShare(Base):
    """``P_i(j)`` sealed to trustee j's transport key: relayed, never readable here."""

    __tablename__ = "ceremony_share"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("election.id"))
    sender: Mapped[int]
    recipient: Mapped[int]
    sealed: Mapped[str] = mapped_column(Text)

    __table_args__ = (UniqueConstraint("election_id", "sender", "recipient"),)


class Deputy(Base):
    __tablename__ = "deputy"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("election.id"))
    seat: Mapped[str] = mapped_column(String(20))
    name: Mapped[str] = mapped_column(String(100))
    delegation: Mapped[str] = mapped_column(String(100), default="")
    on_leave: Mapped[bool] = mapped_column(default=False)

    __table_args__ = (UniqueConstraint("election_id", "seat"),)


class Project(Base):
    """A candidate livelihood project (民生实事项目)."""

    __tablename__ = "project"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("election.id"))
    code: Mapped[str] = mapped_column(String(20))
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(50), default="")
    cost_wan: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    """Estimated cost in 万元 (10,000 yuan), as budgets are stated."""
    place: Mapped[str] = mapped_column(String(200), default="")
    department: Mapped[str] = mapped_column(String(200), default="")
    description: Mapped[str] = mapped_column(Text, default="")

    __table_args__ = (UniqueConstraint("election_id", "code"),)


class Round(Base):
    """One ballot: a selection round, a runoff or further round, or a rating round."""

    __tablename__ = "round"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("election.id"))
    round_id: Mapped[str] = mapped_column(String(64))
    """The protocol's round_id, unique within the election."""
    kind: Mapped[RoundKind] = mapped_column(_enum(RoundKind))
    title: Mapped[str] = mapped_column(String(200))
    state: Mapped[RoundState] = mapped_column(_enum(RoundState), default=RoundState.draft)
    options: Mapped[list[Any]]
    seats: Mapped[int | None]
    basis: Mapped[str | None] = mapped_column(String(10))
    threshold_num: Mapped[int | None]
    threshold_den: Mapped[int | None]
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("round.id"))
    manifest_json: Mapped[str | None] = mapped_column(Text)
    """Canonical JSON of the manifest, frozen before the first board entry."""
    context: Mapped[str | None] = mapped_column(String(64))
    present: Mapped[int | None]
    aggregates_json: Mapped[str | None] = mapped_column(Text)
    counts: Mapped[list[Any] | None]
    result: Mapped[dict[str, Any] | None]
    created: Mapped[created_at]

    election: Mapped[Election] = relationship(back_populates="rounds")
    rows: Mapped[list[RoundRow]] = relationship(order_by="RoundRow.position",
                                                cascade="all, delete-orphan")

    __table_args__ = (UniqueConstraint("election_id", "round_id"),)

    @property
    def context_bytes(self) -> bytes:
        """The round's context c (PROTOCOL.md), set when the round is frozen: every digest
        of its board, ballots and receipts is bound to it. Asked of a round not frozen yet,
        this refuses rather than hash against an empty context."""
        if not self.context:
            raise Conflict("round %(round_id)s is not frozen yet: it has no context",
                           round_id=self.round_id)
        return bytes.fromhex(self.context)


class RoundRow(Base):
    __tablename__ = "round_row"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_pk: Mapped[int] = mapped_column(ForeignKey("round.id"))
    position: Mapped[int]
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"))
    project: Mapped[Project] = relationship()

    __table_args__ = (UniqueConstraint("round_pk", "position"),
                      UniqueConstraint("round_pk", "project_id"))


class Attendance(Base):
    """Who is present for a round: a deputy's check-in, never linked to a credential."""

    __tablename__ = "attendance"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_pk: Mapped[int] = mapped_column(ForeignKey("round.id"))
    deputy_id: Mapped[int] = mapped_column(ForeignKey("deputy.id"))
    checked_in: Mapped[created_at]

    __table_args__ = (UniqueConstraint("round_pk", "deputy_id"),)


class Credential(Base):
    """An issued credential's public key and whether it is still usable."""

    __tablename__ = "credential"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_pk: Mapped[int] = mapped_column(ForeignKey("round.id"))
    public_key: Mapped[hex32]
    status: Mapped[CredentialStatus] = mapped_column(_enum(CredentialStatus),
                                                     default=CredentialStatus.issued)

    __table_args__ = (UniqueConstraint("round_pk", "public_key"),)


class BoardHead(Base):
    """The one head of a round's board; appends lock this row, so there is no fork."""

    __tablename__ = "board_head"

    round_pk: Mapped[int] = mapped_column(ForeignKey("round.id"), primary_key=True)
    length: Mapped[int] = mapped_column(Integer, default=0)
    hash: Mapped[hex32]


class BoardEntry(Base):
    __tablename__ = "board_entry"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_pk: Mapped[int] = mapped_column(ForeignKey("round.id"))
    index: Mapped[int]
    type: Mapped[str] = mapped_column(String(20))
    entry_json: Mapped[str] = mapped_column(Text)
    """Canonical JSON of the entry, exactly as hashed."""
    digest: Mapped[hex32]
    hash: Mapped[hex32]

    __table_args__ = (UniqueConstraint("round_pk", "index"),
                      CheckConstraint('"index" >= 1', name="index_positive"))


class Receipt(Base):
    __tablename__ = "receipt"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_pk: Mapped[int] = mapped_column(ForeignKey("round.id"))
    index: Mapped[int]
    receipt_json: Mapped[str] = mapped_column(Text)
    signature: Mapped[str] = mapped_column(String(128))

    __table_args__ = (UniqueConstraint("round_pk", "index"),)


class TrusteeDecryption(Base):
    """A trustee's decryption share of a round's aggregates, checked on upload."""

    __tablename__ = "trustee_decryption"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_pk: Mapped[int] = mapped_column(ForeignKey("round.id"))
    trustee_index: Mapped[int]
    share_json: Mapped[str] = mapped_column(Text)
    uploaded: Mapped[created_at]

    __table_args__ = (UniqueConstraint("round_pk", "trustee_index"),)


class StaffUser(Base):
    """A staff account; the password is stored only as a salted scrypt hash."""

    __tablename__ = "staff_user"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(100), default="")
    password_hash: Mapped[str] = mapped_column(String(256))
    roles: Mapped[str] = mapped_column(String(200))
    """Comma-separated: presidium, reviewer, clerk, department, trustee."""
    department: Mapped[str] = mapped_column(String(200), default="", server_default="")
    """For department staff: the implementing department whose projects they report on."""
    active: Mapped[bool] = mapped_column(default=True)
    created: Mapped[created_at]


class StaffSession(Base):
    """A staff login, held by the server: the browser's signed cookie carries only a
    random token, whose SHA-256 is kept here, so that logging out, changing the
    password or disabling the account ends the session whatever copies of the cookie
    exist, and an idle one ends by itself (ballot/services/staff_sessions.py)."""

    __tablename__ = "staff_session"

    id: Mapped[int] = mapped_column(primary_key=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    staff_id: Mapped[int] = mapped_column(ForeignKey("staff_user.id"), index=True)
    started: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))
    last_seen: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True))


class HeldChallenge(Base):
    """A challenged (spoiled) ballot held until its round closes, then published.

    Appended to the board all together, in random order, when the round
    closes: a challenge never stands next to the cast that followed it on the
    same tablet. It holds the opened ballot only (what the board will show),
    nothing about who challenged it.
    """

    __tablename__ = "held_challenge"

    id: Mapped[int] = mapped_column(primary_key=True)
    round_pk: Mapped[int] = mapped_column(ForeignKey("round.id"), index=True)
    entry_json: Mapped[str] = mapped_column(Text)


class RateEvent(Base):
    """One attempt counted against a limit (code entry per tablet, staff login)."""

    __tablename__ = "rate_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    bucket: Mapped[str] = mapped_column(String(32))
    key: Mapped[str] = mapped_column(String(128))
    at: Mapped[dt.datetime] = mapped_column(DateTime(timezone=True), index=True)
    pending: Mapped[bool] = mapped_column(default=False, server_default=sa_false())
    """Claimed by a request that has not ended yet (ballot/services/ratelimit.py)."""


class ProposalState(enum.StrEnum):
    submitted = "submitted"
    under_review = "under_review"
    returned_for_revision = "returned_for_revision"
    accepted = "accepted"
    merged = "merged"
    rejected = "rejected"


class Proposal(Base):
    """A livelihood project proposed by the public or a deputy (选单).

    The proposer's contact details are for staff only; everything else, and
    the answer, is public once answered (件件有回音).
    """

    __tablename__ = "proposal"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("election.id"))
    tracking_code: Mapped[str] = mapped_column(String(16), unique=True)
    source: Mapped[str] = mapped_column(String(20))
    """public, deputy or station (collected at a deputies' liaison station)."""
    title: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(50))
    description: Mapped[str] = mapped_column(Text)
    place: Mapped[str] = mapped_column(String(200), default="")
    cost_wan: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    beneficiaries: Mapped[str] = mapped_column(String(200), default="")
    proposer_name: Mapped[str] = mapped_column(String(100))
    proposer_contact: Mapped[str] = mapped_column(String(200), default="")
    deputy_name: Mapped[str] = mapped_column(String(100), default="")
    state: Mapped[ProposalState] = mapped_column(_enum(ProposalState),
                                                 default=ProposalState.submitted)
    answer: Mapped[str] = mapped_column(Text, default="")
    """The public answer to the proposer: why rejected or merged, or what happens next."""
    merged_into_id: Mapped[int | None] = mapped_column(ForeignKey("proposal.id"))
    project_id: Mapped[int | None] = mapped_column(ForeignKey("project.id"))
    attachment_name: Mapped[str | None] = mapped_column(String(200))
    attachment_type: Mapped[str | None] = mapped_column(String(100))
    attachment: Mapped[bytes | None] = mapped_column(LargeBinary)
    created: Mapped[created_at]

    events: Mapped[list[ProposalEvent]] = relationship(order_by="ProposalEvent.id")


class ProposalEvent(Base):
    """One step of a proposal's review: who, when, why. Appended, never changed."""

    __tablename__ = "proposal_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    proposal_id: Mapped[int] = mapped_column(ForeignKey("proposal.id"))
    at: Mapped[created_at]
    actor: Mapped[str] = mapped_column(String(100))
    action: Mapped[str] = mapped_column(String(30))
    from_state: Mapped[str | None] = mapped_column(String(32))
    to_state: Mapped[str | None] = mapped_column(String(32))
    note: Mapped[str] = mapped_column(Text, default="")
    findings: Mapped[dict[str, Any] | None]


class TrackedState(enum.StrEnum):
    planned = "planned"
    in_progress = "in_progress"
    completed = "completed"
    delayed = "delayed"


class QuestionState(enum.StrEnum):
    asked = "asked"
    answered = "answered"
    published = "published"
    withheld = "withheld"


class RectificationState(enum.StrEnum):
    ordered = "ordered"
    reported = "reported"
    passed = "passed"
    failed = "failed"


supervision = Table(
    "supervision", Base.metadata,
    Column("tracked_id", ForeignKey("tracked_project.id"), primary_key=True),
    Column("deputy_id", ForeignKey("deputy.id"), primary_key=True),
)
"""Deputies on an elected project's supervision group (代表监督小组)."""


class TrackedProject(Base):
    """An elected project followed through its year (晒单): plan, progress, ratings."""

    __tablename__ = "tracked_project"

    id: Mapped[int] = mapped_column(primary_key=True)
    election_id: Mapped[str] = mapped_column(ForeignKey("election.id"))
    project_id: Mapped[int] = mapped_column(ForeignKey("project.id"), unique=True)
    elected_in_pk: Mapped[int] = mapped_column(ForeignKey("round.id"))
    """The published selection round (or runoff) that elected it."""
    department: Mapped[str] = mapped_column(String(200), default="")
    budget_wan: Mapped[Decimal | None] = mapped_column(Numeric(14, 2))
    planned_start: Mapped[dt.date | None] = mapped_column(Date)
    planned_end: Mapped[dt.date | None] = mapped_column(Date)
    state: Mapped[TrackedState] = mapped_column(_enum(TrackedState),
                                                default=TrackedState.planned)
    delay_reason: Mapped[str] = mapped_column(Text, default="")
    percent: Mapped[int] = mapped_column(default=0)
    """Progress as last reported, 0-100."""

    project: Mapped[Project] = relationship()
    elected_in: Mapped[Round] = relationship()
    milestones: Mapped[list[Milestone]] = relationship(order_by="Milestone.due",
                                                       cascade="all, delete-orphan")
    updates: Mapped[list[ProgressUpdate]] = relationship(order_by="ProgressUpdate.id")
    checks: Mapped[list[QuarterlyCheck]] = relationship(order_by="QuarterlyCheck.id")
    questions: Mapped[list[PublicQuestion]] = relationship(order_by="PublicQuestion.id")
    rectifications: Mapped[list[Rectification]] = relationship(order_by="Rectification.id",
                                                               back_populates="tracked")
    supervisors: Mapped[list[Deputy]] = relationship(secondary=supervision,
                                                     order_by="Deputy.seat")

    __table_args__ = (CheckConstraint("percent >= 0 AND percent <= 100", name="percent_range"),)


class Milestone(Base):
    __tablename__ = "milestone"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracked_id: Mapped[int] = mapped_column(ForeignKey("tracked_project.id"))
    title: Mapped[str] = mapped_column(String(200))
    due: Mapped[dt.date] = mapped_column(Date)
    done_on: Mapped[dt.date | None] = mapped_column(Date)


class ProgressUpdate(Base):
    """A department's report on its project: appended, never edited, shown to the public."""

    __tablename__ = "progress_update"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracked_id: Mapped[int] = mapped_column(ForeignKey("tracked_project.id"))
    at: Mapped[created_at]
    actor: Mapped[str] = mapped_column(String(100))
    percent: Mapped[int]
    state: Mapped[TrackedState] = mapped_column(_enum(TrackedState))
    text: Mapped[str] = mapped_column(Text)
    files: Mapped[list[UpdateFile]] = relationship(order_by="UpdateFile.id")


class UpdateFile(Base):
    """A photo or document attached to a progress update (type and size checked)."""

    __tablename__ = "update_file"

    id: Mapped[int] = mapped_column(primary_key=True)
    update_id: Mapped[int] = mapped_column(ForeignKey("progress_update.id"))
    name: Mapped[str] = mapped_column(String(200))
    content_type: Mapped[str] = mapped_column(String(100))
    data: Mapped[bytes] = mapped_column(LargeBinary)


class QuarterlyCheck(Base):
    """The presidium's quarterly check of a project and its conclusion (季度督查)."""

    __tablename__ = "quarterly_check"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracked_id: Mapped[int] = mapped_column(ForeignKey("tracked_project.id"))
    quarter: Mapped[str] = mapped_column(String(7))
    """Like 2026Q2."""
    verdict: Mapped[str] = mapped_column(String(20))
    """on_track, behind or at_risk."""
    conclusion: Mapped[str] = mapped_column(Text)
    actor: Mapped[str] = mapped_column(String(100))
    at: Mapped[created_at]

    __table_args__ = (UniqueConstraint("tracked_id", "quarter"),)


class PublicQuestion(Base):
    """A question from the public about a project; published only once staff have
    read the department's answer (群众督)."""

    __tablename__ = "public_question"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracked_id: Mapped[int] = mapped_column(ForeignKey("tracked_project.id"))
    asker_name: Mapped[str] = mapped_column(String(100))
    asker_contact: Mapped[str] = mapped_column(String(200), default="")
    """For staff only, like a proposer's contact."""
    question: Mapped[str] = mapped_column(Text)
    asked: Mapped[created_at]
    state: Mapped[QuestionState] = mapped_column(_enum(QuestionState),
                                                 default=QuestionState.asked)
    answer: Mapped[str] = mapped_column(Text, default="")
    answered_by: Mapped[str] = mapped_column(String(100), default="")
    moderated_by: Mapped[str] = mapped_column(String(100), default="")
    withheld_reason: Mapped[str] = mapped_column(Text, default="")


class Rectification(Base):
    """A task set when a rating flags the project (整改): report, then re-rating."""

    __tablename__ = "rectification"

    id: Mapped[int] = mapped_column(primary_key=True)
    tracked_id: Mapped[int] = mapped_column(ForeignKey("tracked_project.id"))
    rating_round_pk: Mapped[int] = mapped_column(ForeignKey("round.id"))
    """The published rating round whose result flagged the project."""
    instructions: Mapped[str] = mapped_column(Text)
    due: Mapped[dt.date] = mapped_column(Date)
    ordered_by: Mapped[str] = mapped_column(String(100))
    ordered: Mapped[created_at]
    state: Mapped[RectificationState] = mapped_column(_enum(RectificationState),
                                                      default=RectificationState.ordered)
    report: Mapped[str] = mapped_column(Text, default="")
    reported_by: Mapped[str] = mapped_column(String(100), default="")
    reported: Mapped[dt.datetime | None] = mapped_column(DateTime(timezone=True))
    rerating_round_pk: Mapped[int | None] = mapped_column(ForeignKey("round.id"))

    tracked: Mapped[TrackedProject] = relationship(back_populates="rectifications")
    rating_round: Mapped[Round] = relationship(foreign_keys=[rating_round_pk])
    rerating_round: Mapped[Round | None] = relationship(foreign_keys=[rerating_round_pk])

    __table_args__ = (UniqueConstraint("tracked_id", "rating_round_pk"),)
