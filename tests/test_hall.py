"""The hall screen (大屏) and the turnout page (issue 16, items 6, 7 and 10): the counts the
chamber sees are the board's, they update without reloading, and a published round shows
its result against the majority line it was counted on."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ballot.rehearsal import RehearsalConfig
from ballot.services import public, rounds
from booth.cast_client import prepare_cast
from crypto.at_rest import AtRestKey
from tests.test_api import marks, parameters, post
from tests.web_tools import Site, new_client, seeded_site, site_app, text_of

CONFIG = RehearsalConfig(rows=5, seats=2, deputies=10, present=10, voters=10, spoil=0,
                         voided=0, trustees=3, threshold=2, scrypt_n=2**10, tie=True,
                         election_id="hall-2026")
AT_REST = AtRestKey("hall tests at-rest secret")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from seeded_site(tmp_path_factory, CONFIG, AT_REST)


@pytest.fixture
def app(site: Site) -> Iterator[Flask]:
    yield from site_app(site, AT_REST, "hall tests flask secret")


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return new_client(app, 7)


def hall(site: Site, round_id: str, tail: str = "") -> str:
    return f"/hall/{site.election_id}/{round_id}{tail}"


def test_the_live_counts_are_the_boards_and_move_with_a_cast(client: FlaskClient,
                                                             site: Site) -> None:
    before = client.get(hall(site, site.round_id, "/live.json"))
    assert before.headers["Cache-Control"] == "no-store"
    with site.session() as s:
        turnout = public.turnout(s, rounds.get_round(s, site.election_id, site.round_id))
    assert before.get_json() == {"state": "open", "state_label": "投票中", "issued": turnout.issued,
                                 "cast": turnout.cast, "published": False}
    params = parameters(client, site)
    assert post(client, site, prepare_cast(params, site.code(), marks(params)).body
                ).status_code == 201
    after = client.get(hall(site, site.round_id, "/live.json")).get_json()
    assert after["cast"] == turnout.cast + 1
    assert after["issued"] == turnout.issued


def test_an_open_rounds_hall_screen_shows_its_fingerprint_and_counts(client: FlaskClient,
                                                                    site: Site) -> None:
    page = text_of(client.get(hall(site, site.round_id)))
    live = json.loads(client.get(hall(site, site.round_id, "/live.json")).data)
    assert re.search(r'class="fingerprint" id="round-fingerprint">[0-9A-F]{4}( [0-9A-F]{4}){3}<',
                     page)
    assert f'data-live-issued>{live["issued"]}<' in page
    assert f'data-live-cast>{live["cast"]}<' in page
    assert 'id="hall-table"' not in page  # no result before publication
    assert client.get(hall(site, site.round_id, "/results")).get_data(as_text=True) == ""


def test_a_published_rounds_hall_screen_shows_the_result_and_the_majority(
        client: FlaskClient, site: Site) -> None:
    page = text_of(client.get(hall(site, site.counted_round_id)))
    with site.session() as s:
        result = rounds.get_round(s, site.election_id, site.counted_round_id).result
    assert result is not None
    enrolled = result["reconciliation"]["enrolled"]
    assert f"过半数：应到代表 {enrolled} 人的半数以上，即至少 {enrolled // 2 + 1} 票" in page
    elected = re.findall(r'<tr class="status-elected"><th scope="row"><span class="code">'
                         r'([^<]+)</span>', page)
    assert elected == result["elected"]
    fragment = text_of(client.get(hall(site, site.counted_round_id, "/results")))
    assert 'id="hall-table"' in fragment
    assert "<html" not in fragment  # a panel for the screen to swap in, not a page
    english = text_of(client.get(hall(site, site.counted_round_id) + "?lang=en"))
    assert f"Majority: more than half of the {enrolled} deputies enrolled" in english


def test_the_results_chart_draws_the_majority_line(client: FlaskClient, site: Site) -> None:
    page = text_of(client.get(f"/results/{site.election_id}/{site.counted_round_id}"))
    assert 'class="majority-line"' in page
    assert 'id="majority"' in page


def test_the_turnout_page_updates_in_a_live_region_not_by_reloading(client: FlaskClient,
                                                                    site: Site) -> None:
    page = text_of(client.get(f"/turnout/{site.election_id}/{site.round_id}"))
    assert 'http-equiv="refresh"' not in page
    assert 'aria-live="polite"' in page
    assert f'data-live="{hall(site, site.round_id, "/live.json")}"' in page
