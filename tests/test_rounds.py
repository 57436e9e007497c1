"""Rounds, attendance, credentials and the key ceremony's server side, on both databases.

Every refusal is made the way the clerk's tools make it, in its own
transaction that the error rolls back, and is followed by a look at the
database: a refused request leaves nothing behind.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from ballot import trustee as trustee_side
from ballot.errors import Conflict, InvalidInput, NotFound
from ballot.models import (
    Attendance,
    BoardHead,
    CeremonyShare,
    Credential,
    CredentialStatus,
    Deputy,
    ElectionState,
    Round,
    RoundRow,
    RoundState,
)
from ballot.rehearsal import Rehearsal, RehearsalConfig
from ballot.services import board, casting, ceremony, credentials, elections, roster, rounds
from crypto.at_rest import AtRestKey
from crypto.board import chain, genesis
from crypto.canonical import canonical_json, parse_json, scalar_from_hex
from crypto.ceremony import (
    commitments_hash,
    election_context,
    evaluate,
    joint_key,
)
from crypto.group import L, Point
from crypto.manifest import Manifest, round_context
from crypto.transport import SEALED_SHARE_BYTES, seal_share
from tests.record_tools import flip_hex
from tests.tablet import encrypt_marks, sign_with_code

CONFIG = RehearsalConfig(rows=4, seats=2, deputies=9, present=6, voters=4, trustees=2,
                         threshold=2, voided=0, spoil=0, scrypt_n=2**10)
RID = "selection-1"
IDENTITY = "01" + "00" * 31
ORDER_TWO = "ec" + "ff" * 30 + "7f"  # y = -1: a point of order 2


@pytest.fixture
def ready(sessions: sessionmaker[Session], tmp_path: Path) -> Rehearsal:
    """An election with 9 deputies and 4 projects whose key ceremony is finished."""
    run = Rehearsal(sessions, CONFIG, tmp_path)
    run.setup()
    run.ceremony()
    return run


@pytest.fixture
def drafted(ready: Rehearsal) -> Rehearsal:
    """…with a draft round over all four projects and 6 of the 9 deputies checked in."""
    _create(ready)
    _check_in(ready, 6)
    return ready


def _project_ids(s: Session, run: Rehearsal) -> list[int]:
    return [p.id for p in roster.list_projects(s, elections.get_election(s, run.eid))]


def _create(run: Rehearsal, **changes: Any) -> None:
    with run.sessions.begin() as s:
        arguments: dict[str, Any] = {"round_id": RID, "kind": "selection",
                                     "title": "2026年度民生实事项目票决",
                                     "project_ids": _project_ids(s, run), "seats": 2}
        arguments.update(changes)
        rounds.create_round(s, elections.get_election(s, run.eid), **arguments)


def _check_in(run: Rehearsal, count: int, start: int = 0, eid: str | None = None) -> None:
    eid = eid or run.eid
    with run.sessions.begin() as s:
        round_ = rounds.get_round(s, eid, RID)
        for deputy in roster.list_deputies(s, elections.get_election(s, eid))[start:
                                                                              start + count]:
            rounds.check_in(s, round_, deputy)


def _in_round(run: Rehearsal, action: Callable[[Session, Round], Any],
              eid: str | None = None) -> Any:
    with run.sessions.begin() as s:
        return action(s, rounds.get_round(s, eid or run.eid, RID))


def _count(run: Rehearsal, model: type) -> int:
    with run.sessions.begin() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def _round_state(run: Rehearsal, eid: str | None = None) -> tuple[Any, ...]:
    """State, frozen manifest, board length (None without a head), credentials, attendance."""
    def look(s: Session, round_: Round) -> tuple[Any, ...]:
        head = s.get(BoardHead, round_.id)
        return (round_.state, round_.manifest_json is not None, head and head.length,
                s.scalar(select(func.count()).select_from(Credential).where(
                    Credential.round_pk == round_.id)),
                rounds.present_count(s, round_))
    return _in_round(run, look, eid)


def _keys(run: Rehearsal, count: int) -> list[credentials.Slip]:
    return credentials.make_slips(run.eid, RID, count)


def _issue(run: Rehearsal, keys: list[str]) -> None:
    _in_round(run, lambda s, r: credentials.issue(s, r, keys))


# -- creating rounds --------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"round_id": "Selection-1"}, "the round id uses lower-case letters, digits and '-'"),
        ({"round_id": ""}, "the round id uses"),
        ({"round_id": "-selection"}, "the round id uses"),
        ({"round_id": "selection 1"}, "the round id uses"),
        ({"round_id": "r" * 64}, "the round id uses"),
        ({"kind": "approval"}, "a round is a selection or a rating round"),
        ({"title": "  "}, "the round needs a title"),
        ({"project_ids": []}, "a round needs at least one project, each listed once"),
        ({"project_ids": "dup"}, "a round needs at least one project, each listed once"),
        ({"project_ids": "missing"}, "every project must belong to this election"),
        ({"seats": 0}, "seats must be between 1 and the 4 candidates"),
        ({"seats": 5}, "seats must be between 1 and the 4 candidates"),
        ({"seats": None}, "seats must be between 1 and the 4 candidates"),
        ({"basis": "present"}, "the majority basis is 'enrolled' or 'cast'"),
        ({"options": ("against", "for")}, "a selection ballot offers for/against, or for alone"),
        ({"kind": "rating", "threshold": (5, 4)},
         "the satisfaction threshold is a fraction between 0 and 1"),
        ({"kind": "rating", "threshold": (1, 0)}, "the satisfaction threshold is a fraction"),
        ({"kind": "rating", "threshold": (-1, 4)}, "the satisfaction threshold is a fraction"),
    ],
)
def test_create_round_refusals(ready: Rehearsal, changes: dict[str, Any], message: str) -> None:
    with ready.sessions.begin() as s:
        ids = _project_ids(s, ready)
    if changes.get("project_ids") == "dup":
        changes["project_ids"] = [ids[0], ids[1], ids[0]]
    elif changes.get("project_ids") == "missing":
        changes["project_ids"] = [*ids, max(ids) + 1000]
    with pytest.raises(InvalidInput, match=message):
        _create(ready, **changes)
    assert _count(ready, Round) == _count(ready, RoundRow) == 0


def test_create_round_refuses_a_duplicate_round_id(ready: Rehearsal) -> None:
    _create(ready)
    with pytest.raises(Conflict, match=f"election {ready.eid} has a round '{RID}' already"):
        _create(ready, title="another title")
    assert _count(ready, Round) == 1


def test_create_round_refuses_projects_of_another_election(ready: Rehearsal,
                                                           tmp_path: Path) -> None:
    other = Rehearsal(ready.sessions, dataclasses.replace(CONFIG, election_id="other-2026"),
                      tmp_path / "other")
    other.setup()
    with ready.sessions.begin() as s:
        foreign = _project_ids(s, other)
    with pytest.raises(InvalidInput, match="every project must belong to this election"):
        _create(ready, project_ids=foreign[:2])
    assert _count(ready, Round) == 0


def test_a_round_keeps_its_projects_in_ballot_order(ready: Rehearsal) -> None:
    with ready.sessions.begin() as s:
        ids = _project_ids(s, ready)
    order = [ids[2], ids[0], ids[3]]
    _create(ready, project_ids=order, seats=1, basis="cast")
    _create(ready, round_id="rating-1", kind="rating", project_ids=ids[:2], threshold=(3, 5))
    with ready.sessions.begin() as s:
        selection = rounds.get_round(s, ready.eid, RID)
        assert [r.project_id for r in selection.rows] == order
        assert [r.position for r in selection.rows] == [1, 2, 3]
        assert (selection.state, selection.seats, selection.basis) == (RoundState.draft, 1,
                                                                       "cast")
        assert selection.options == ["for", "against"]
        rating = rounds.get_round(s, ready.eid, "rating-1")
        assert (rating.threshold_num, rating.threshold_den) == (3, 5)
        assert rating.options == ["satisfied", "basically_satisfied", "dissatisfied"]
        assert selection.manifest_json is None
        assert selection.context is None


def test_overlong_round_title_is_refused(ready: Rehearsal) -> None:
    with pytest.raises(InvalidInput, match="title"):
        _create(ready, title="票" * 201)
    assert _count(ready, Round) == 0


# -- quorum and opening -----------------------------------------------------------------------


@pytest.mark.parametrize(("extra_deputies", "refused", "required"), [(0, 5, 6), (1, 6, 7)])
def test_open_needs_two_thirds_of_enrolled_rounded_up(ready: Rehearsal, extra_deputies: int,
                                                     refused: int, required: int) -> None:
    if extra_deputies:
        with ready.sessions.begin() as s:
            roster.import_deputies(s, elections.get_election(s, ready.eid),
                                   b"seat,name\n100,Extra Deputy\n", "more.csv")
    _create(ready)
    _check_in(ready, refused)
    assert _in_round(ready, rounds.quorum_required) == required
    with pytest.raises(Conflict, match=f"no quorum: {refused} present, {required} required"):
        _in_round(ready, rounds.open_round)
    assert _round_state(ready) == (RoundState.draft, False, None, 0, refused)
    _check_in(ready, 1, start=refused)
    _in_round(ready, rounds.open_round)
    assert _round_state(ready) == (RoundState.open, True, 0, 0, required)
    with pytest.raises(Conflict, match=f"round {RID} is open for voting, not a draft"):
        _in_round(ready, rounds.open_round)


def test_open_before_the_key_ceremony_is_finished_is_refused(ready: Rehearsal,
                                                             tmp_path: Path) -> None:
    other = Rehearsal(ready.sessions, dataclasses.replace(CONFIG, election_id="other-2026"),
                      tmp_path / "other")
    other.setup()
    with other.sessions.begin() as s:
        rounds.create_round(s, elections.get_election(s, other.eid), round_id=RID,
                            kind="selection", title="票决", project_ids=_project_ids(s, other),
                            seats=2)
    _check_in(other, 9, eid=other.eid)
    with pytest.raises(Conflict, match="the key ceremony must be finished"):
        _in_round(other, rounds.open_round, other.eid)
    keys = [slip.public_key for slip in credentials.make_slips(other.eid, RID, 2)]
    with pytest.raises(Conflict, match="the key ceremony must be finished"):
        _in_round(other, lambda s, r: credentials.issue(s, r, keys), other.eid)
    assert _round_state(other, other.eid) == (RoundState.draft, False, None, 0, 9)
    with other.sessions.begin() as s:
        assert elections.get_election(s, other.eid).state == ElectionState.draft


# -- issuing and voiding credentials ----------------------------------------------------------


def test_issue_never_exceeds_the_deputies_present(drafted: Rehearsal) -> None:
    slips = _keys(drafted, 7)
    with pytest.raises(Conflict, match="0 credentials are live and 6 deputies present: "
                                       "issuing 7 more would exceed those present"):
        _issue(drafted, [x.public_key for x in slips])
    # the refusal rolled back the freeze that issuing starts with
    assert _round_state(drafted) == (RoundState.draft, False, None, 0, 6)
    _issue(drafted, [x.public_key for x in slips[:4]])
    assert _round_state(drafted) == (RoundState.draft, True, 1, 4, 6)
    with pytest.raises(Conflict, match="4 credentials are live and 6 deputies present: "
                                       "issuing 3 more"):
        _issue(drafted, [x.public_key for x in slips[4:]])
    _in_round(drafted, lambda s, r: credentials.void(s, r, slips[0].public_key))
    _issue(drafted, [x.public_key for x in slips[4:]])  # a voided key no longer counts
    assert _in_round(drafted, rounds.issued_count) == 6
    assert _round_state(drafted) == (RoundState.draft, True, 3, 7, 6)


def test_issue_refuses_bad_batches(drafted: Rehearsal) -> None:
    good = [x.public_key for x in _keys(drafted, 3)]
    _issue(drafted, good[:1])
    before = _round_state(drafted)
    cases: list[tuple[list[str], type[Exception], str]] = [
        ([], InvalidInput, "issue between 1 and 5000 credentials at a time"),
        ([good[1], good[1]], InvalidInput, "the batch lists a public key twice"),
        ([good[1], good[0]], Conflict, "1 of these keys were issued already"),
        ([good[1], "zz" * 32], InvalidInput, "public key 2: expected 64 lowercase hex"),
        ([good[1].upper()], InvalidInput, "public key 1: expected 64 lowercase hex"),
        ([good[1][:62]], InvalidInput, "public key 1: expected 64 lowercase hex"),
        ([good[1], IDENTITY], InvalidInput, "public key 2: the public key is not a valid point"),
        ([ORDER_TWO], InvalidInput, "public key 1: the public key is not a valid point"),
    ]
    for keys, error, message in cases:
        with pytest.raises(error, match=message):
            _issue(drafted, keys)
        assert _round_state(drafted) == before, keys
    _issue(drafted, good[1:])
    assert _in_round(drafted, rounds.issued_count) == 3


def test_issue_in_a_closed_round_is_refused(drafted: Rehearsal) -> None:
    _in_round(drafted, rounds.open_round)
    _in_round(drafted, rounds.close_round)
    with pytest.raises(Conflict, match=f"round {RID} is closed: no more credentials"):
        _issue(drafted, [_keys(drafted, 1)[0].public_key])
    assert _round_state(drafted) == (RoundState.closed, True, 0, 0, 6)


def test_void_refusals(drafted: Rehearsal) -> None:
    slips = _keys(drafted, 3)
    _issue(drafted, [x.public_key for x in slips])
    _in_round(drafted, rounds.open_round)
    with drafted.sessions.begin() as s:  # deputy 1 votes with slip 0
        round_ = rounds.get_round(s, drafted.eid, RID)
        prepared = encrypt_marks(round_, [[1, 0], [0, 1], [0, 0], [1, 0]])
        key, signature = sign_with_code(round_, slips[0].code, prepared)
        casting.cast(s, round_, prepared.ballot, key, signature, drafted.at_rest)
    _in_round(drafted, lambda s, r: credentials.void(s, r, slips[1].public_key))
    before = _round_state(drafted)
    cases: list[tuple[str, type[Exception], str]] = [
        (_keys(drafted, 1)[0].public_key, NotFound,
         "no credential with this public key was issued in this round"),
        (slips[0].public_key, Conflict, "this credential is used and cannot be voided"),
        (slips[1].public_key, Conflict, "this credential is voided and cannot be voided"),
        ("zz" * 32, InvalidInput, "public key: expected 64 lowercase hex"),
    ]
    for key, error, message in cases:
        with pytest.raises(error, match=message):
            _in_round(drafted, functools.partial(credentials.void, public_key=key))
        assert _round_state(drafted) == before
    with drafted.sessions.begin() as s:
        statuses = dict(s.execute(select(Credential.public_key, Credential.status)).all())
    assert statuses == {slips[0].public_key: CredentialStatus.used,
                        slips[1].public_key: CredentialStatus.voided,
                        slips[2].public_key: CredentialStatus.issued}


def test_void_before_any_issue_is_not_found(drafted: Rehearsal) -> None:
    key = _keys(drafted, 1)[0].public_key
    with pytest.raises(NotFound, match="no credential with this public key"):
        _in_round(drafted, lambda s, r: credentials.void(s, r, key))
    assert _round_state(drafted) == (RoundState.draft, False, None, 0, 6)


# -- attendance -------------------------------------------------------------------------------


def test_check_in_refuses_a_deputy_on_leave(drafted: Rehearsal) -> None:
    with drafted.sessions.begin() as s:
        absent = roster.list_deputies(s, elections.get_election(s, drafted.eid))[-1]
        roster.set_leave(s, absent, True)
        seat, name = absent.seat, absent.name
    with pytest.raises(Conflict, match=f"{name} is marked on leave"), \
            drafted.sessions.begin() as s:
        rounds.check_in(s, rounds.get_round(s, drafted.eid, RID),
                        roster.get_deputy(s, elections.get_election(s, drafted.eid), seat))
    assert _round_state(drafted)[-1] == 6
    assert _count(drafted, Attendance) == 6


def test_check_in_refuses_a_deputy_of_another_election(drafted: Rehearsal,
                                                       tmp_path: Path) -> None:
    other = Rehearsal(drafted.sessions, dataclasses.replace(CONFIG, election_id="other-2026"),
                      tmp_path / "other")
    other.setup()

    def check_in_stranger(s: Session, round_: Round) -> None:
        stranger = roster.list_deputies(s, elections.get_election(s, other.eid))[0]
        rounds.check_in(s, round_, stranger)

    with pytest.raises(InvalidInput, match="this deputy is not on this election's roster"):
        _in_round(drafted, check_in_stranger)
    assert _count(drafted, Attendance) == 6


def test_check_in_twice_counts_once(drafted: Rehearsal) -> None:
    _check_in(drafted, 6)
    assert _count(drafted, Attendance) == 6


def test_undo_check_in_only_before_the_round_opens(drafted: Rehearsal) -> None:
    def deputy(s: Session, index: int) -> Deputy:
        return roster.list_deputies(s, elections.get_election(s, drafted.eid))[index]

    _in_round(drafted, lambda s, r: rounds.undo_check_in(s, r, deputy(s, 0)))
    assert _round_state(drafted)[-1] == 5
    with pytest.raises(NotFound, match="was not checked in"):
        _in_round(drafted, lambda s, r: rounds.undo_check_in(s, r, deputy(s, 0)))
    _check_in(drafted, 1)
    _in_round(drafted, rounds.open_round)
    with pytest.raises(Conflict, match="check-in can only be undone before the round opens"):
        _in_round(drafted, lambda s, r: rounds.undo_check_in(s, r, deputy(s, 1)))
    _check_in(drafted, 1, start=8)  # late arrivals still check in while it is open
    assert _round_state(drafted)[-1] == 7
    _in_round(drafted, rounds.close_round)
    with pytest.raises(Conflict, match="check-in is closed for this round"):
        _check_in(drafted, 1, start=7)
    with drafted.sessions.begin() as s:
        assert rounds.get_round(s, drafted.eid, RID).present == 7


def test_undo_check_in_cannot_leave_more_credentials_than_present(drafted: Rehearsal) -> None:
    _issue(drafted, [x.public_key for x in _keys(drafted, 6)])

    def undo_first(s: Session, round_: Round) -> None:
        first = roster.list_deputies(s, elections.get_election(s, drafted.eid))[0]
        rounds.undo_check_in(s, round_, first)

    with pytest.raises(Conflict):
        _in_round(drafted, undo_first)
    assert _round_state(drafted)[-1] == 6


def test_close_round_of_a_draft_is_refused(drafted: Rehearsal) -> None:
    with pytest.raises(Conflict, match=f"round {RID} is draft, not open"):
        _in_round(drafted, rounds.close_round)
    assert _round_state(drafted) == (RoundState.draft, False, None, 0, 6)
    with drafted.sessions.begin() as s:
        assert rounds.get_round(s, drafted.eid, RID).present is None


# -- the frozen manifest ----------------------------------------------------------------------


def test_the_frozen_manifest_is_the_one_q_is_computed_from(ready: Rehearsal) -> None:
    with ready.sessions.begin() as s:
        projects = roster.list_projects(s, elections.get_election(s, ready.eid))
    ballot = [projects[3], projects[1], projects[0], projects[2]]
    _create(ready, project_ids=[p.id for p in ballot], basis="cast")
    _check_in(ready, 6)
    _issue(ready, [x.public_key for x in _keys(ready, 2)])  # freezes the manifest
    with ready.sessions.begin() as s:
        frozen_at_issue = rounds.get_round(s, ready.eid, RID).manifest_json
    _in_round(ready, rounds.open_round)
    with ready.sessions.begin() as s:
        round_ = rounds.get_round(s, ready.eid, RID)
        election = round_.election
        assert round_.manifest_json == frozen_at_issue
        assert round_.manifest_json is not None
        data = parse_json(round_.manifest_json)
        manifest = Manifest.from_json(data)
        assert canonical_json(manifest.data).decode() == round_.manifest_json
        assert rounds.manifest_of(round_).hash == manifest.hash

        # the joint key and commitments hash follow from the published commitments
        published = ceremony.published_commitments(election)
        assert election.joint_key == joint_key(published).hex()
        assert election.commitments_hash == commitments_hash(published).hex()
        Q = round_context(manifest.hash, Point.from_bytes(bytes.fromhex(election.joint_key)),
                          bytes.fromhex(election.commitments_hash))
        assert round_.context == Q.hex()
        # the board starts from genesis(Q): the two keys issued before opening chain from it
        rows = board.board_rows(s, round_)
        assert [(r.digest, r.hash) for r in rows] == [
            (d.hex(), h.hex()) for d, h in chain(Q, [parse_json(r.entry_json) for r in rows])]
        head = s.get(BoardHead, round_.id)
        assert head is not None
        assert head.hash == rows[-1].hash

        assert data["rows"] == [{"id": p.code, "title": p.title} for p in ballot]
        assert manifest.row_ids == tuple(p.code for p in ballot)
        assert data["electorate"] == {"enrolled": 9}
        assert data["rule"] == {"name": "majority-top-k", "seats": 2, "basis": "cast"}
        assert data["column_limits"] == {"for": [0, 2]}
        assert data["options"] == ["for", "against"]
        assert (data["election_id"], data["round_id"]) == (ready.eid, RID)
        assert data["trustees"] == {"n": 2, "threshold": 2}
        assert data["receipt_key"] == election.receipt_public_key
        assert data["congress"] == CONFIG.congress_name
        assert data["year"] == CONFIG.year
    # the electorate cannot grow behind the frozen manifest's back
    with pytest.raises(Conflict, match="a round's ballot is fixed already"), \
            ready.sessions.begin() as s:
        roster.import_deputies(s, elections.get_election(s, ready.eid),
                               b"seat,name\n100,Extra Deputy\n", "more.csv")
    assert _count(ready, Deputy) == 9


def test_a_round_frozen_without_credentials_opens_with_genesis_head(ready: Rehearsal) -> None:
    _create(ready)
    _check_in(ready, 6)
    _in_round(ready, rounds.open_round)
    with ready.sessions.begin() as s:
        round_ = rounds.get_round(s, ready.eid, RID)
        head = s.get(BoardHead, round_.id)
        assert head is not None
        assert (head.length, head.hash) == (0, genesis(round_.context_bytes).hex())
        assert round_.manifest_json is not None
        assert Manifest.from_json(parse_json(round_.manifest_json)).enrolled == 9


# -- the key ceremony, as the server sees it --------------------------------------------------


@pytest.fixture
def election_only(sessions: sessionmaker[Session], tmp_path: Path) -> Rehearsal:
    run = Rehearsal(sessions, CONFIG, tmp_path)
    run.setup()
    return run


def _ceremony(run: Rehearsal) -> dict[str, Any]:
    with run.sessions.begin() as s:
        return ceremony.ceremony_document(s, elections.get_election(s, run.eid))


def _file(run: Rehearsal, doc: Any) -> ceremony.CeremonyStep:
    with run.sessions.begin() as s:
        return ceremony.import_trustee_file(s, elections.get_election(s, run.eid), doc)


def _init(run: Rehearsal, *trustees: int) -> list[dict[str, Any]]:
    return [run.trustees.init(i) for i in trustees]


def _commit(run: Rehearsal, i: int) -> dict[str, Any]:
    return run.trustees.step(i, lambda k: trustee_side.make_commitment(k, run.rng))


def _trustee_row(run: Rehearsal, i: int) -> tuple[Any, ...]:
    with run.sessions.begin() as s:
        t = elections.get_election(s, run.eid).trustees[i - 1]
        return t.transport_key, t.commitment, t.verified, t.complaint_against


def _election_state(run: Rehearsal) -> tuple[Any, ...]:
    with run.sessions.begin() as s:
        election = elections.get_election(s, run.eid)
        return election.state, election.joint_key, election.commitments_hash


def test_trustee_file_for_another_election_or_format_is_refused(
        election_only: Rehearsal) -> None:
    (transport,) = _init(election_only, 1)
    cases: list[tuple[Any, str]] = [
        ({**transport, "election_id": "other-2026"},
         "this file is for election 'other-2026', not 'rehearsal-2026'"),
        ({**transport, "format": "piaojue-transport/2"}, "not a trustee file"),
        ({**transport, "format": "piaojue-ceremony/1"}, "not a trustee file"),
        ([transport], "not a trustee file"),
        ("piaojue-transport/1", "not a trustee file"),
        ({**transport, "index": 3}, "trustee index must be between 1 and 2"),
        ({**transport, "index": True}, "trustee index must be between 1 and 2"),
        ({**transport, "transport_key": "zz"}, "transport_key: expected 64 lowercase hex"),
    ]
    for doc, message in cases:
        with pytest.raises(InvalidInput, match=message):
            _file(election_only, doc)
    assert _trustee_row(election_only, 1) == (None, None, False, None)
    assert _election_state(election_only) == (ElectionState.draft, None, None)


def test_transport_key_is_registered_once(election_only: Rehearsal) -> None:
    (first,) = _init(election_only, 1)
    assert str(_file(election_only, first)) == "trustee 1 (监票人1): transport key registered"
    assert _election_state(election_only)[0] == ElectionState.key_ceremony
    (again,) = _init(election_only, 1)
    with pytest.raises(Conflict, match="trustee 1 has registered a transport key already"):
        _file(election_only, again)
    assert _trustee_row(election_only, 1)[0] == first["transport_key"]


def test_commitment_before_transport_key_is_refused(election_only: Rehearsal) -> None:
    transports = _init(election_only, 1, 2)
    _file(election_only, transports[0])
    with pytest.raises(Conflict, match="trustee 2 must register a transport key first"):
        _file(election_only, _commit(election_only, 2))
    assert _trustee_row(election_only, 2) == (None, None, False, None)


def test_commitment_with_an_altered_proof_is_refused(election_only: Rehearsal) -> None:
    for doc in _init(election_only, 1, 2):
        _file(election_only, doc)
    honest = _commit(election_only, 1)
    altered = copy.deepcopy(honest)
    altered["commitment"]["proofs"][1][1] = flip_hex(altered["commitment"]["proofs"][1][1])
    with pytest.raises(InvalidInput, match="trustee 1: proof for commitment 1 does not verify"):
        _file(election_only, altered)
    swapped = copy.deepcopy(honest)
    swapped["commitment"]["commitments"].reverse()
    with pytest.raises(InvalidInput, match="trustee 1: proof for commitment 0 does not verify"):
        _file(election_only, swapped)
    assert _trustee_row(election_only, 1)[1] is None
    assert str(_file(election_only, honest)).startswith(
        "trustee 1 (监票人1): commitments and proofs")
    with pytest.raises(Conflict, match="trustee 1 has published commitments already"):
        _file(election_only, honest)


def _hand_made_shares(run: Rehearsal, sender: int, recipients: list[Any]) -> dict[str, Any]:
    """Well-formed but meaningless sealed shares: the server cannot open them anyway."""
    return {"format": "piaojue-shares/1", "election_id": run.eid, "sender": sender,
            "shares": [{"recipient": j, "sealed": "00" * SEALED_SHARE_BYTES}
                       for j in recipients]}


def test_shares_before_every_commitment_are_refused(election_only: Rehearsal) -> None:
    for doc in _init(election_only, 1, 2):
        _file(election_only, doc)
    _file(election_only, _commit(election_only, 1))
    with pytest.raises(InvalidInput, match="the ceremony's commitments do not check"):
        election_only.trustees.step(1, lambda k: trustee_side.make_shares(
            k, _ceremony(election_only), election_only.rng))
    with pytest.raises(Conflict, match="shares are sent once every trustee has committed; "
                                       "waiting for 2"):
        _file(election_only, _hand_made_shares(election_only, 1, [1, 2]))
    assert _count(election_only, CeremonyShare) == 0


def _through_commitments(run: Rehearsal) -> None:
    for doc in _init(run, 1, 2):
        _file(run, doc)
    for i in (1, 2):
        _file(run, _commit(run, i))


def _shares(run: Rehearsal, i: int) -> dict[str, Any]:
    return run.trustees.step(i, lambda k: trustee_side.make_shares(k, _ceremony(run), run.rng))


def _verification(run: Rehearsal, i: int) -> dict[str, Any]:
    return run.trustees.step(i, lambda k: trustee_side.verify_shares(k, _ceremony(run)))


def test_verification_before_every_share_is_refused(election_only: Rehearsal) -> None:
    _through_commitments(election_only)
    _file(election_only, _shares(election_only, 1))
    with pytest.raises(Conflict, match="not every trustee has sent a share"):
        _verification(election_only, 1)
    statement = {"format": "piaojue-verification/1", "election_id": election_only.eid,
                 "index": 1, "complaints": []}
    with pytest.raises(Conflict, match="trustee 1 cannot verify before every trustee has "
                                       "sent its shares"):
        _file(election_only, statement)
    with pytest.raises(Conflict, match="trustee 1 has sent its shares already"):
        _file(election_only, _shares(election_only, 1))
    assert _trustee_row(election_only, 1)[2:] == (False, None)
    assert _count(election_only, CeremonyShare) == 2


def test_malformed_shares_files_are_refused(election_only: Rehearsal) -> None:
    _through_commitments(election_only)
    cases: list[tuple[dict[str, Any], str]] = [
        (_hand_made_shares(election_only, 1, [1]), "exactly one share to each of trustees 1..2"),
        (_hand_made_shares(election_only, 1, [1, 1]), "exactly one share to each"),
        (_hand_made_shares(election_only, 1, [1, 2, 3]), "exactly one share to each"),
        ({**_hand_made_shares(election_only, 1, [1, 2]), "shares": "all"}, "exactly one"),
        (_hand_made_shares(election_only, 3, [1, 2]), "trustee index must be between 1 and 2"),
        ({**_hand_made_shares(election_only, 1, []),
          "shares": [{"recipient": 1, "sealed": "00" * SEALED_SHARE_BYTES},
                     {"recipient": 2, "sealed": "00"}]},
         "share for trustee 2: sealed share: expected"),
    ]
    for doc, message in cases:
        with pytest.raises(InvalidInput, match=message):
            _file(election_only, doc)
    assert _count(election_only, CeremonyShare) == 0


@pytest.mark.parametrize("recipients", [["1", 2], [None, 2], [1.0, 2], [True, 2], [[1], 2]],
                         ids=["text", "null", "float", "bool", "list"])
def test_shares_file_with_non_integer_recipients_is_refused(election_only: Rehearsal,
                                                            recipients: list[Any]) -> None:
    _through_commitments(election_only)
    with pytest.raises(InvalidInput, match="exactly one share to each"):
        _file(election_only, _hand_made_shares(election_only, 1, recipients))
    assert _count(election_only, CeremonyShare) == 0


def test_a_complaint_stops_the_ceremony(election_only: Rehearsal) -> None:
    run = election_only
    _through_commitments(run)
    honest = _shares(run, 1)
    key_file = run.trustees.path(1).read_bytes()
    key = trustee_side.TrusteeKey.open(key_file, run.trustees.passphrases[1])
    polynomial = [scalar_from_hex(a) for a in key.secrets["polynomial"]]
    recipient_key = bytes.fromhex(_ceremony(run)["trustees"][1]["transport_key"])
    wrong = seal_share((evaluate(polynomial, 2) + 1) % L, sender=1, recipient=2,
                       recipient_key=recipient_key,
                       context=election_context(run.eid, 2, 2), rng=run.rng)
    cheating = copy.deepcopy(honest)
    (for_two,) = [s for s in cheating["shares"] if s["recipient"] == 2]
    for_two["sealed"] = wrong.hex()
    _file(run, cheating)
    _file(run, _shares(run, 2))

    first = _verification(run, 1)
    assert first["complaints"] == []
    assert str(_file(run, first)) == "trustee 1 (监票人1) verified its shares"
    second = _verification(run, 2)
    assert second["complaints"] == [1]
    assert "public_share" not in second
    step = _file(run, second)
    assert step.complaint
    assert str(step).startswith("complaint: trustee 2 (监票人2) says the share from trustee 1 "
                                "(监票人1) does not match its commitments")
    assert _trustee_row(run, 2)[2:] == (False, 1)

    stopped = ("the key ceremony stopped: trustee 2 \\(监票人2\\) complained that trustee 1's "
               "share does not match its commitments")
    honest_second = {**second, "complaints": []}
    for doc in (second, honest_second, first, _init(run, 2)[0], honest):
        with pytest.raises(Conflict, match=stopped):
            _file(run, doc)
    assert _election_state(run) == (ElectionState.key_ceremony, None, None)
    with run.sessions.begin() as s:
        document = ceremony.ceremony_document(s, elections.get_election(s, run.eid))
        stopper = ceremony.stopped_by(elections.get_election(s, run.eid))
        assert stopper is not None
        assert stopper.index == 2
    assert document["joint_key"] is None
    assert [t["complaint_against"] for t in document["trustees"]] == [None, 1]
    # no round can be opened in an election whose ceremony stopped
    _create(run)
    _check_in(run, 6)
    with pytest.raises(Conflict, match="the key ceremony must be finished"):
        _in_round(run, rounds.open_round)


def test_the_honest_ceremony_reaches_ready_once(election_only: Rehearsal) -> None:
    run = election_only
    _through_commitments(run)
    for i in (1, 2):
        _file(run, _shares(run, i))
    _file(run, _verification(run, 1))
    last = _file(run, _verification(run, 2))
    assert last.complete
    assert str(last).startswith("trustee 2 (监票人2) verified its shares; the ceremony is complete")
    state, joint, _ = _election_state(run)
    assert state == ElectionState.ready
    assert joint is not None
    with pytest.raises(Conflict, match="the key ceremony is finished; the joint key is set"):
        _file(run, _init(run, 1)[0])


def test_a_verification_with_a_wrong_public_share_is_refused(election_only: Rehearsal) -> None:
    run = election_only
    _through_commitments(run)
    for i in (1, 2):
        _file(run, _shares(run, i))
    statement = _verification(run, 1)
    other = _verification(run, 2)
    with pytest.raises(InvalidInput, match="trustee 1's public share does not follow"):
        _file(run, {**statement, "public_share": other["public_share"]})
    with pytest.raises(InvalidInput, match="complaints must be a list of trustee indices"):
        _file(run, {**statement, "complaints": [3]})
    with pytest.raises(InvalidInput, match="complaints must be a list of trustee indices"):
        _file(run, {**statement, "complaints": [True]})
    assert _trustee_row(run, 1)[2:] == (False, None)
    assert _election_state(run)[0] == ElectionState.key_ceremony


def test_at_rest_key_of_the_rehearsal_opens_its_receipt_key(ready: Rehearsal) -> None:
    with ready.sessions.begin() as s:
        election = elections.get_election(s, ready.eid)
        key = elections.receipt_signing_key(election, ready.at_rest)
        assert key.public_key().public_bytes_raw().hex() == election.receipt_public_key
        with pytest.raises(Exception, match="PIAOJUE_SECRET_KEY"):
            elections.receipt_signing_key(election, AtRestKey(b"0" * 32))


def test_a_round_made_by_hand_keeps_the_candidate_ratio(ready: Rehearsal) -> None:
    """差额 holds for every path that makes a round, not only adoption (issue 14)."""
    with ready.sessions.begin() as s:
        election = elections.get_election(s, ready.eid)
        election.candidate_ratio = [[1, 5], [1, 2]]  # 2 seats: exactly 3 candidates
        ids = _project_ids(s, ready)
    with pytest.raises(InvalidInput, match=r"4 candidates for 2 seats: the list needs between "
                                           r"3 and 3 candidates \(差额\)"):
        _create(ready, project_ids=ids, seats=2)
    with pytest.raises(InvalidInput, match="2 candidates for 2 seats"):
        _create(ready, project_ids=ids[:2], seats=2)
    assert _count(ready, Round) == 0
    _create(ready, project_ids=ids[:3], seats=2)
    assert _count(ready, Round) == 1
