"""The deputies' roster and the candidate projects, typed in or imported.

Imports are all-or-nothing: every bad row is reported with its spreadsheet
row number and nothing is written until the whole file is valid.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from ballot.errors import Conflict, ImportErrors, InvalidInput, Message, NotFound
from ballot.models import Attendance, Deputy, Election, Project, Round, RoundState
from ballot.services import fields
from ballot.tabular import has_control, read_table

DEPUTY_COLUMNS = {"seat": "seat", "座位号": "seat", "代表证号": "seat", "编号": "seat",
                  "name": "name", "姓名": "name", "delegation": "delegation",
                  "代表团": "delegation", "选区": "delegation"}
PROJECT_COLUMNS = {"code": "code", "编号": "code", "title": "title", "项目名称": "title",
                   "名称": "title", "category": "category", "类别": "category",
                   "cost": "cost", "估算金额": "cost", "金额（万元）": "cost", "金额": "cost",
                   "place": "place", "地点": "place", "department": "department",
                   "实施单位": "department", "责任单位": "department",
                   "description": "description", "说明": "description", "内容": "description"}


def _require(columns: list[str], needed: tuple[str, ...]) -> None:
    missing = [c for c in needed if c not in columns]
    if missing:
        raise InvalidInput("the header row lacks the column(s) %(missing)s",
                           missing=', '.join(missing))


def _locked(election: Election) -> None:
    if any(r.manifest_json is not None for r in election.rounds):
        raise Conflict("a round's ballot is fixed already: the roster and projects cannot "
                       "change any more")


def import_deputies(session: Session, election: Election, data: bytes, filename: str,
                    dry_run: bool = False) -> list[Deputy]:
    """Add deputies from CSV/XLSX columns seat, name[, delegation]."""
    _locked(election)
    columns, rows = read_table(data, filename, DEPUTY_COLUMNS)
    _require(columns, ("seat", "name"))
    existing = set(session.scalars(select(Deputy.seat).where(Deputy.election_id == election.id)))
    errors, seen, deputies = [], set(), []
    for row in rows:
        seat, name = row.values.get("seat", ""), row.values.get("name", "")
        if row.problem:
            errors.append(row.problem)
        elif not seat or not name:
            errors.append(Message("row %(row)s: seat and name are required", row=row.number))
        elif len(seat) > 20 or len(name) > 100:
            errors.append(Message("row %(row)s: seat or name is too long", row=row.number))
        elif seat in seen or seat in existing:
            errors.append(Message("row %(row)s: seat %(seat)s appears twice", row=row.number,
                                  seat=seat))
        else:
            seen.add(seat)
            deputies.append(Deputy(election_id=election.id, seat=seat, name=name,
                                   delegation=row.values.get("delegation", "")[:100]))
    if not rows:
        errors.append(Message("the file has no deputies"))
    if errors:
        raise ImportErrors(errors)
    if not dry_run:
        session.add_all(deputies)
        session.flush()
    return deputies


def list_deputies(session: Session, election: Election) -> list[Deputy]:
    return list(session.scalars(select(Deputy).where(Deputy.election_id == election.id)
                                .order_by(Deputy.seat)))


def get_deputy(session: Session, election: Election, seat: str) -> Deputy:
    deputy = session.scalar(select(Deputy).where(Deputy.election_id == election.id,
                                                 Deputy.seat == seat))
    if deputy is None:
        raise NotFound("no deputy has seat %(seat)r", seat=seat)
    return deputy


def edit_deputy(session: Session, deputy: Deputy, name: str, delegation: str) -> Deputy:
    """Correct a name or delegation; the seat is the deputy's key and does not change."""
    name, delegation = name.strip(), delegation.strip()
    if not name or len(name) > 100 or len(delegation) > 100:
        raise InvalidInput("a name is required; name and delegation have at most 100 characters")
    if any(has_control(v) for v in (name, delegation)):
        raise InvalidInput("the name or delegation contains a control character")
    deputy.name, deputy.delegation = name, delegation
    session.flush()
    return deputy


def set_leave(session: Session, deputy: Deputy, on_leave: bool) -> Deputy:
    """Mark a deputy on leave (请假) or back.

    A deputy on leave cannot be checked in (``rounds.check_in``), and one checked in to
    a round still taking check-ins cannot go on leave: that round's present count and
    quorum would count a deputy the roster says is away. Undo the check-in first.
    """
    if on_leave and session.scalar(
            select(Attendance.id).join(Round, Round.id == Attendance.round_pk).where(
                Attendance.deputy_id == deputy.id,
                Round.state.in_((RoundState.draft, RoundState.open))).limit(1)) is not None:
        raise Conflict("%(name)s is checked in; undo the check-in first.", name=deputy.name)
    deputy.on_leave = on_leave
    session.flush()
    return deputy


def add_project(session: Session, election: Election, *, code: str, title: str,
                category: str = "", cost: str = "", place: str = "", department: str = "",
                description: str = "") -> Project:
    _locked(election)
    if not code.strip() or not title.strip():
        raise InvalidInput("a project needs a code and a title")
    if session.scalar(select(Project).where(Project.election_id == election.id,
                                            Project.code == code.strip())):
        raise Conflict("a project with code %(code)r exists already", code=code)
    cost_value = fields.cost(cost)
    project = Project(election_id=election.id, code=code.strip()[:20], title=title.strip()[:200],
                      category=category[:50], cost_wan=cost_value, place=place[:200],
                      department=department[:200], description=description)
    session.add(project)
    session.flush()
    return project


def import_projects(session: Session, election: Election, data: bytes, filename: str,
                    dry_run: bool = False) -> list[Project]:
    """Add candidate projects from CSV/XLSX columns code, title[, category, cost, ...]."""
    _locked(election)
    columns, rows = read_table(data, filename, PROJECT_COLUMNS)
    _require(columns, ("code", "title"))
    existing = set(session.scalars(select(Project.code).where(
        Project.election_id == election.id)))
    errors, seen, valid = [], set(), []
    for row in rows:
        v = row.values
        code, title = v.get("code", ""), v.get("title", "")
        if row.problem:
            errors.append(row.problem)
            continue
        if not code or not title:
            errors.append(Message("row %(row)s: code and title are required", row=row.number))
            continue
        if len(code) > 20 or len(title) > 200:
            errors.append(Message("row %(row)s: code or title is too long", row=row.number))
            continue
        if code in seen or code in existing:
            errors.append(Message("row %(row)s: code %(code)s appears twice", row=row.number,
                                  code=code))
            continue
        try:
            fields.cost(v.get("cost", ""))
        except InvalidInput as exc:
            errors.append(Message("row %(row)s: %(problem)s", row=row.number, problem=exc))
            continue
        seen.add(code)
        valid.append(v)
    if not rows:
        errors.append(Message("the file has no projects"))
    if errors:
        raise ImportErrors(errors)
    if dry_run:
        return []
    return [add_project(session, election, code=v["code"], title=v["title"],
                        category=v.get("category", ""), cost=v.get("cost", ""),
                        place=v.get("place", ""), department=v.get("department", ""),
                        description=v.get("description", "")) for v in valid]


def list_projects(session: Session, election: Election) -> list[Project]:
    return list(session.scalars(select(Project).where(Project.election_id == election.id)
                                .order_by(Project.code)))
