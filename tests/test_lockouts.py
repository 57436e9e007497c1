"""Lockouts that do not punish the honest (issue 16, item 5): what counts against a booth
tablet, what is said instead, and a clerk lifting a tablet's lockout from the check-in page."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from ballot.db import make_sessionmaker
from ballot.models import RateEvent
from ballot.rehearsal import RehearsalConfig
from ballot.services import credentials, elections, rectification, roster, rounds, staff
from booth import api as booth_api
from crypto.at_rest import AtRestKey
from crypto.credentials import derive_credential_key, generate_code, public_key_bytes
from tests.web_tools import Site, csrf_from, log_in_as, new_client, seeded_site, site_app

CONFIG = RehearsalConfig(rows=5, seats=2, deputies=10, present=10, voters=10, spoil=0,
                         voided=0, trustees=2, threshold=2, scrypt_n=2**10, tie=True,
                         election_id="lockouts-2026")
AT_REST = AtRestKey("lockout tests at-rest secret")
OTHER = "midyear-rating"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from seeded_site(tmp_path_factory, CONFIG, AT_REST)


@pytest.fixture(scope="module")
def other_codes(site: Site) -> list[str]:
    """A second round open at the same time (a rating round), with slips of its own."""
    with make_sessionmaker(site.engine).begin() as s:
        election = elections.get_election(s, site.election_id)
        round_ = rectification.create_rating_round(s, election, round_id=OTHER,
                                                   title="年中测评")
        for deputy in roster.list_deputies(s, election):
            rounds.check_in(s, round_, deputy)
        slips = credentials.make_slips(site.election_id, OTHER, 2)
        credentials.issue(s, round_, [slip.public_key for slip in slips])
        rounds.open_round(s, round_)
    return [slip.code for slip in slips]


@pytest.fixture
def app(site: Site) -> Iterator[Flask]:
    yield from site_app(site, AT_REST, "lockout tests flask secret")


def key_for(site: Site, code: str, round_id: str) -> str:
    return public_key_bytes(derive_credential_key(code, site.election_id, round_id)).hex()


def check(client: FlaskClient, site: Site, code: str, *, elsewhere: bool = True) -> TestResponse:
    body: dict[str, object] = {"credential": key_for(site, code, site.round_id)}
    if elsewhere:
        body["elsewhere"] = {OTHER: key_for(site, code, OTHER)}
    return client.post(f"/api/rounds/{site.election_id}/{site.round_id}/credential", json=body)


def events(site: Site) -> int:
    with site.session() as s:
        return s.scalar(select(func.count()).select_from(RateEvent)) or 0


def test_a_slip_for_another_open_round_is_named_not_counted(
        app: Flask, site: Site, other_codes: list[str]) -> None:
    client = new_client(app, 21)
    before = events(site)
    answer = check(client, site, other_codes[0])
    assert answer.status_code == 400
    assert answer.get_json()["error"] == ("这张凭证属于另一轮投票：年中测评。"
                                          "请到该轮的投票页面投票。")
    assert events(site) == before
    # Without the tablet's other keys the server cannot know: it counts as unknown.
    assert check(client, site, other_codes[0], elsewhere=False).status_code == 400
    assert events(site) == before + 2


def test_a_tablets_lockout_is_listed_for_the_clerk_and_lifted(app: Flask, site: Site,
                                                               other_codes: list[str]) -> None:
    tablet = new_client(app, 22)
    tablet.set_cookie("piaojue_tablet", "0a1b2c3d")
    for _ in range(booth_api.CODE_ATTEMPTS):
        assert check(tablet, site, generate_code()).status_code == 400
    locked = check(tablet, site, site.codes[0])
    assert locked.status_code == 429
    assert "0a1b2c3d" in locked.get_json()["error"]  # the tablet says which it is
    # Another tablet behind the same address is not locked.
    neighbour = new_client(app, 22)
    neighbour.environ_base["REMOTE_ADDR"] = tablet.environ_base["REMOTE_ADDR"]
    neighbour.set_cookie("piaojue_tablet", "99999999")
    assert check(neighbour, site, site.codes[0]).get_json() == {"usable": True}

    with make_sessionmaker(site.engine).begin() as s:
        clerk_id = staff.create_staff(s, "lockout-clerk", "lockout clerk password", ["clerk"],
                                      "登记员").id
    clerk = new_client(app, 23)
    log_in_as(clerk, site.engine, clerk_id)
    page_url = f"/admin/e/{site.election_id}/r/{site.round_id}/checkin"
    page = clerk.get(page_url)
    text = page.get_data(as_text=True)
    assert "平板 0a1b2c3d" in text
    key = f"{tablet.environ_base['REMOTE_ADDR']}|0a1b2c3d"
    cleared = clerk.post(f"/admin/e/{site.election_id}/r/{site.round_id}/lockout",
                         data={"csrf_token": csrf_from(page), "bucket": "code", "key": key},
                         follow_redirects=True)
    assert "已解除锁定" in cleared.get_data(as_text=True)
    assert check(tablet, site, site.codes[0]).get_json() == {"usable": True}
    again = clerk.post(f"/admin/e/{site.election_id}/r/{site.round_id}/lockout",
                       data={"csrf_token": csrf_from(clerk.get(page_url)), "bucket": "code",
                             "key": key}, follow_redirects=True)
    assert "这项锁定已经结束" in again.get_data(as_text=True)
    with site.session() as s:
        before = s.scalar(select(func.count()).select_from(RateEvent)) or 0
    made_up = clerk.post(f"/admin/e/{site.election_id}/r/{site.round_id}/lockout",
                         data={"csrf_token": csrf_from(clerk.get(page_url)), "bucket": "login",
                               "key": key}, follow_redirects=True)
    assert "没有这项锁定" in made_up.get_data(as_text=True)  # only the booth's lockouts
    assert events(site) == before
