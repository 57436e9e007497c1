"""Check-in at the speed of a queue (issue 16, item 4): two clerks at two laptops check in
a hall's deputies at once; each mark answers in place, each page comes to show the other
clerk's marks, and the counts and quorum both pages show are the database's."""

from __future__ import annotations

import re
from collections.abc import Iterator

import pytest
from playwright.sync_api import Browser, Page, expect

from ballot.db import make_sessionmaker
from ballot.rehearsal import RehearsalConfig
from ballot.services import elections, roster, rounds, staff
from crypto.at_rest import AtRestKey
from tests.browser.conftest import shoot
from tests.web_tools import Rehearsed, rehearse_and_open, served

pytestmark = pytest.mark.slow
CONFIG = RehearsalConfig(rows=4, seats=2, deputies=60, present=40, voters=4, spoil=0, voided=0,
                         trustees=2, threshold=2, scrypt_n=2**10, tie=False,
                         election_id="checkin-2026")
AT_REST = AtRestKey("check-in browser at-rest secret")
PASSWORD = "check-in clerk password"
ROUND = "queue-1"


@pytest.fixture(scope="module")
def hall(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Rehearsed]]:
    seeded = rehearse_and_open(tmp_path_factory.mktemp("checkin"), CONFIG, AT_REST, codes=1)
    with make_sessionmaker(seeded.engine).begin() as s:
        election = elections.get_election(s, CONFIG.election_id)
        rounds.create_round(s, election, round_id=ROUND, kind="rating", title="排队签到测试",
                            project_ids=[p.id for p in roster.list_projects(s, election)],
                            threshold=(4, 5))
        for name in ("dengji1", "dengji2"):
            staff.create_staff(s, name, PASSWORD, ["clerk"], f"登记员{name[-1]}")
    with served({"DATABASE_URL": seeded.url, "PIAOJUE_AT_REST": AT_REST,
                 "SECRET_KEY": "check-in flask secret"}) as address:
        yield address, seeded
    seeded.engine.dispose()


def clerk(browser: Browser, address: str, username: str) -> Page:
    page = browser.new_context(viewport={"width": 1024, "height": 768}).new_page()
    page.goto(f"{address}/admin/login?lang=zh_CN")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.goto(f"{address}/admin/e/{CONFIG.election_id}/r/{ROUND}/checkin")
    return page


def test_two_clerks_check_in_a_hall_at_once(browser: Browser,
                                          hall: tuple[str, Rehearsed]) -> None:
    address, seeded = hall
    first, second = clerk(browser, address, "dengji1"), clerk(browser, address, "dengji2")
    seats = first.locator("#deputies tbody tr").evaluate_all(
        "rows => rows.map(row => row.dataset.seat)")
    assert len(seats) == CONFIG.deputies
    for page in (first, second):
        page.evaluate("window.notReloaded = true")
    # The two queues interleave: each clerk takes every other deputy, without waiting for
    # the other; a few deputies are marked by both (the second mark changes nothing).
    for n, seat in enumerate(seats):
        page = first if n % 2 == 0 else second
        page.locator(f"#deputy-{seat} button.primary").click()
        if n % 15 == 0:
            other = second if page is first else first
            other.locator(f"#deputy-{seat} button.primary").click()
    for page in (first, second):
        expect(page.locator("#quorum")).to_contain_text(f"实到 {CONFIG.deputies} / 应到 "
                                                        f"{CONFIG.deputies}", timeout=15_000)
        expect(page.locator("#deputies tbody tr[data-state=present]")).to_have_count(
            CONFIG.deputies, timeout=15_000)
        expect(page.locator("#checkin-error")).to_be_hidden()
        assert page.evaluate("window.notReloaded") is True
    with make_sessionmaker(seeded.engine)() as s:
        round_ = rounds.get_round(s, CONFIG.election_id, ROUND)
        assert rounds.present_count(s, round_) == CONFIG.deputies
        required = rounds.quorum_required(s, round_)
    expect(first.locator("#quorum")).to_contain_text(f"法定人数 {required}")
    expect(first.locator("#quorum")).to_contain_text("已达到法定人数")
    shoot(first, "admin-checkin-two-clerks-1024x768")


def test_the_search_filters_as_one_types_and_keeps_the_place(browser: Browser,
                                                              hall: tuple[str, Rehearsed]
                                                              ) -> None:
    address, _ = hall
    page = clerk(browser, address, "dengji1")
    name = page.locator("#deputies tbody tr").nth(37).locator("td").nth(1).inner_text()
    page.get_by_label("按姓名、座位号或代表团查找代表").press_sequentially(name[:2])
    visible = page.locator("#deputies tbody tr:visible")
    expect(visible.first).to_contain_text(name[:2])
    expect(page.locator("#q-count")).to_have_text(re.compile(r"显示 \d+ 名代表"))
    page.get_by_label("按姓名、座位号或代表团查找代表").fill("")
    expect(page.locator("#deputies tbody tr:visible")).to_have_count(CONFIG.deputies)
