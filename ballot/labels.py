"""The words a person sees for each state, kind, action and column: one place for all.

Pages, PDFs, CSV/XLSX exports and the CLI show a state through :func:`label`,
never its stored value, so ``under_review`` reaches nobody and a word changes
in one place. Each word is a :class:`~ballot.errors.Message`, rendered in the
reader's language by whoever shows it (the web shell with the page's catalog,
an export with the language it was asked for).
"""

from __future__ import annotations

import enum
from collections.abc import Mapping

from ballot.errors import N_, Message
from ballot.models import (
    CredentialStatus,
    ElectionState,
    ProposalState,
    QuestionState,
    RectificationState,
    RoundKind,
    RoundState,
    TrackedState,
)
from ballot.rules import MajorityLine

# Keyed by enum class: StrEnum members of different enums compare equal when
# their values do (a round and a question can both be "published").
STATE_LABELS: Mapping[type[enum.StrEnum], Mapping[str, Message]] = {
    ElectionState: {
        "draft": N_("being prepared"),
        "candidates_adopted": N_("candidate list adopted"),
        "key_ceremony": N_("key ceremony under way"),
        "ready": N_("ready for voting"),
    },
    RoundState: {
        "draft": N_("draft"),
        "open": N_("open for voting"),
        "closed": N_("closed"),
        "tallied": N_("counted"),
        "published": N_("published"),
    },
    RoundKind: {
        "selection": N_("selection vote"),
        "rating": N_("satisfaction rating"),
    },
    CredentialStatus: {
        "issued": N_("handed out, not yet used"),
        "voided": N_("voided"),
        "used": N_("used"),
    },
    ProposalState: {
        "submitted": N_("received"),
        "under_review": N_("under review"),
        "returned_for_revision": N_("returned for revision"),
        "accepted": N_("accepted into the reserve pool"),
        "merged": N_("merged with a similar proposal"),
        "rejected": N_("not taken up"),
    },
    TrackedState: {
        "planned": N_("not started"),
        "in_progress": N_("in progress"),
        "completed": N_("completed"),
        "delayed": N_("delayed"),
    },
    QuestionState: {
        "asked": N_("awaiting an answer"),
        "answered": N_("answered, not yet published"),
        "published": N_("published"),
        "withheld": N_("not published"),
    },
    RectificationState: {
        "ordered": N_("rectification ordered"),
        "reported": N_("rectification reported"),
        "passed": N_("rectified: passed the re-rating"),
        "failed": N_("failed the re-rating"),
    },
}

# What a reviewer did to a proposal, as its history shows it.
PROPOSAL_ACTIONS: Mapping[str, Message] = {
    "submit": N_("received"),
    "start_review": N_("review started"),
    "return": N_("returned for revision"),
    "revise": N_("revised by the proposer"),
    "accept": N_("accepted"),
    "reject": N_("not taken up"),
    "merge": N_("merged into another proposal"),
    "absorb": N_("absorbed a similar proposal"),
    "findings": N_("review findings recorded"),
    "answer": N_("answered"),
    "adopt": N_("put on the adopted candidate list"),
}

# A proposal's review findings, by field.
FINDING_LABELS: Mapping[str, Message] = {
    "cost_estimate": N_("cost estimate"),
    "funding_source": N_("funding source"),
    "legality": N_("legality"),
    "risk": N_("risks"),
    "department": N_("responsible department"),
    "deadline": N_("deadline"),
}

# A supervision report's verdict.
VERDICT_LABELS: Mapping[str, Message] = {
    "on_track": N_("on track"),
    "behind": N_("behind schedule"),
    "at_risk": N_("at risk"),
}

def label(member: enum.StrEnum) -> Message:
    """The word for a state or kind; a value no table knows is shown as it is."""
    found = STATE_LABELS.get(type(member), {}).get(member.value)
    return found if found is not None else Message("%(value)s", value=member.value)


def word(table: Mapping[str, Message], key: str) -> Message:
    """The word for an action, finding or verdict kept as a string."""
    found = table.get(key)
    return found if found is not None else Message("%(value)s", value=key)


PROPOSAL_STATES = STATE_LABELS[ProposalState]
"""A proposal's states by stored value (its history keeps them as strings)."""

# A staff member's roles (ballot.services.staff.ROLES).
ROLE_LABELS: Mapping[str, Message] = {
    "presidium": N_("presidium (主席团)"),
    "reviewer": N_("reviewer"),
    "clerk": N_("clerk"),
    "credentials": N_("credentials officer"),
    "department": N_("department"),
    "trustee": N_("trustee (监票人)"),
}

# A project's outcome in a round's result (ballot.rules).
RESULT_STATUS: Mapping[str, Message] = {
    "elected": N_("elected"),
    "not_elected": N_("not elected"),
    "failed": N_("short of a majority"),
    "tied": N_("tied: runoff"),
}

# A rated project's class (ballot.rules.rate).
RATING_CLASSES: Mapping[str, Message] = {
    "satisfied": N_("Satisfied"),
    "basically_satisfied": N_("Basically satisfied"),
    "dissatisfied": N_("Dissatisfied"),
}

# Column headings of the CSV and XLSX exports, by column key.
COLUMNS: Mapping[str, Message] = {
    "id": N_("code"),
    "title": N_("project"),
    "for": N_("For"),
    "against": N_("Against"),
    "abstain": N_("Abstain"),
    "status": N_("result"),
    "satisfied": N_("Satisfied"),
    "basically_satisfied": N_("Basically satisfied"),
    "dissatisfied": N_("Dissatisfied"),
    "marks": N_("ratings given"),
    "rate": N_("satisfaction rate"),
    "class": N_("rating"),
    "flagged": N_("needs rectification"),
    "tracking_code": N_("tracking code"),
    "category": N_("category"),
    "state": N_("status"),
    "answer": N_("answer"),
    "source": N_("source"),
    "place": N_("place"),
    "cost_wan": N_("cost (万元)"),
    "proposer_name": N_("proposer"),
    "history": N_("history"),
    "enrolled": N_("enrolled deputies"),
    "present": N_("deputies present"),
    "issued": N_("slips handed out"),
    "cast": N_("ballots cast"),
    "yes": N_("yes"),
    "no": N_("no"),
}

# Where a proposal came from.
PROPOSAL_SOURCES: Mapping[str, Message] = {
    "public": N_("the public"),
    "station": N_("liaison station"),
    "deputy": N_("a deputy"),
}


def majority_sentence(line: MajorityLine) -> Message:
    """What a majority is counted against, as the results page, the PDF report and the
    hall screen state it (过半数：应到代表 60 人的半数以上，即至少 31 票)."""
    if line.basis == "cast":
        return Message("Majority: more than half of the %(of)s ballots cast (收回), that is "
                       "at least %(needed)s votes", of=line.of, needed=line.needed)
    return Message("Majority: more than half of the %(of)s deputies enrolled (应到), that is "
                   "at least %(needed)s votes", of=line.of, needed=line.needed)


def majority_mark(line: MajorityLine) -> Message:
    """The majority line's label on a chart."""
    return Message("majority: %(needed)s", needed=line.needed)

