"""Forms that forgive (issue 16, item 3): after a refusal a form keeps everything typed, and
the message stands beside the field it is about."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from flask import Flask

from ballot.db import make_sessionmaker
from ballot.rehearsal import RehearsalConfig
from ballot.services import staff
from crypto.at_rest import AtRestKey
from tests.web_tools import Site, csrf, log_in_as, new_client, seeded_site, site_app, text_of

CONFIG = RehearsalConfig(rows=5, seats=2, deputies=10, present=10, voters=10, spoil=0, voided=0,
                         trustees=2, threshold=2, scrypt_n=2**10, tie=True,
                         election_id="forms-2026")
AT_REST = AtRestKey("form tests at-rest secret")


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from seeded_site(tmp_path_factory, CONFIG, AT_REST)


@pytest.fixture
def app(site: Site) -> Iterator[Flask]:
    yield from site_app(site, AT_REST, "form tests flask secret")


def test_a_refused_election_form_keeps_what_was_typed_and_marks_the_field(
        app: Flask, site: Site) -> None:
    with make_sessionmaker(site.engine).begin() as s:
        user_id = staff.create_staff(s, "forms-presidium", "forms password 1", ["presidium"],
                                     "主席团秘书").id
    client = new_client(app, 31)
    log_in_as(client, site.engine, user_id)
    sent = {"election_id": "typo-2026", "congress_name": "某某区人民代表大会", "level": "city",
            "year": "二〇二六", "trustees": "甲\n乙\n丙", "threshold": "2", "quorum": "2/3",
            "ratio_min": "1/5", "ratio_max": "1/2", "categories": ""}
    answer = client.post("/admin/elections", data={"csrf_token": csrf(client, "/admin/"),
                                                   **sent}, follow_redirects=True)
    page = text_of(answer)
    assert "请更正下面标出的内容" in page
    year = re.search(r'<input id="year" name="year" value="([^"]*)"[^>]*>', page)
    assert year
    assert year.group(1) == "二〇二六"  # kept as typed
    assert 'aria-invalid="true"' in year.group(0)
    assert re.search(r'<p class="field-error" id="year-error">年度须为整数', page)
    assert 'value="某某区人民代表大会"' in page
    assert '<option value="city" selected>' in page
    assert ">甲\n乙\n丙</textarea>" in page
    # Shown once: the next visit starts empty.
    again = text_of(client.get("/admin/"))
    assert "某某区人民代表大会" not in again


def test_a_refused_proposal_marks_its_field_and_keeps_the_rest(app: Flask, site: Site) -> None:
    client = new_client(app, 32)
    answer = client.post(f"/propose/{site.election_id}", data={
        "csrf_token": csrf(client, f"/propose/{site.election_id}"), "title": "",
        "category": "教育", "description": "学校门口增设护学岗。", "proposer_name": "王五"})
    assert answer.status_code == 400
    page = text_of(answer)
    assert re.search(r'<input id="title" name="title" value=""[^>]*aria-invalid="true"', page)
    assert 'id="title-error"' in page
    assert "学校门口增设护学岗。</textarea>" in page
    assert 'value="王五"' in page


def test_a_refused_rating_round_form_keeps_its_values(app: Flask, site: Site) -> None:
    with make_sessionmaker(site.engine).begin() as s:
        user_id = staff.create_staff(s, "forms-rating", "forms password 2", ["presidium"],
                                     "主席团秘书").id
    client = new_client(app, 33)
    log_in_as(client, site.engine, user_id)
    listing = f"/admin/e/{site.election_id}/projects"
    answer = client.post(f"/admin/e/{site.election_id}/ratings", data={
        "csrf_token": csrf(client, listing), "stage": "mid_year", "round_id": "midyear-9",
        "title": "年中票评（补）", "threshold": "八成"}, follow_redirects=True)
    page = text_of(answer)
    assert re.search(r'<input id="rating-id" name="round_id" value="midyear-9"', page)
    assert 'value="年中票评（补）"' in page
    assert re.search(r'id="rating-threshold" name="threshold" value="八成"[^>]*aria-invalid', page)
    assert 'id="rating-threshold-error"' in page
    # The re-rating form on the same page is not filled with what the other one sent.
    assert not re.search(r'id="rerating-id" name="round_id" value="midyear-9"', page)
