"""The reviewers' table of every proposal, for CSV and XLSX, in the reader's language."""

from __future__ import annotations

from typing import Any

from sqlalchemy.orm import Session

from ballot.errors import Translate
from ballot.labels import COLUMNS, PROPOSAL_ACTIONS, PROPOSAL_SOURCES, PROPOSAL_STATES, label, word
from ballot.models import Election, Proposal
from ballot.services.proposals import listing

PROPOSAL_EXPORT_COLUMNS = ("tracking_code", "title", "category", "state", "answer", "source",
                           "place", "cost_wan", "proposer_name", "history")


def _history(proposal: Proposal, translate: Translate) -> str:
    steps = []
    for e in proposal.events:
        state = f" → {word(PROPOSAL_STATES, e.to_state).render(translate)}" if e.to_state else ""
        note = f" — {e.note}" if e.note else ""
        steps.append(f"{e.at:%Y-%m-%d} {e.actor}: "
                     f"{word(PROPOSAL_ACTIONS, e.action).render(translate)}{state}{note}")
    return " | ".join(steps)


def proposal_table(session: Session, election: Election, translate: Translate
                   ) -> tuple[list[str], list[list[Any]]]:
    """Headings and one row per proposal: states, sources and history in words, cost a number."""
    header = [word(COLUMNS, c).render(translate) for c in PROPOSAL_EXPORT_COLUMNS]
    rows = [[p.tracking_code, p.title, p.category, label(p.state).render(translate), p.answer,
             word(PROPOSAL_SOURCES, p.source).render(translate), p.place,
             float(p.cost_wan) if p.cost_wan is not None else "", p.proposer_name,
             _history(p, translate)]
            for p in listing(session, election)]
    return header, rows
