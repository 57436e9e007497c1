"""A deputy votes on a tablet in headless Chromium: the page encrypts, and nothing secret leaves it.

Every request of the session is recorded while the deputy signs in, is
refused a K+1-th 赞成, reviews, challenges once and sees the marks decoded,
votes again, casts and checks the receipt: no URL or body holds the code, in
any spelling, or a mark, and the cast body holds exactly ``ballot``,
``credential`` and ``signature``. A server that substitutes the joint key, the
manifest or a commitment makes the tablet refuse, posting nothing. The
booth's stable hooks (``name="code"``, ``row-<id>`` radios, ``data-action``
buttons, ``[data-receipt]``) are what these tests drive.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, Request, Route, expect

from ballot.db import make_engine, make_sessionmaker
from ballot.rehearsal import Rehearsal
from ballot.services import export, rounds
from ballot.verifier import verify_record_files
from tests.browser.conftest import CONFIG, Site, shoot

pytestmark = pytest.mark.slow
FINGERPRINT = re.compile(r"^[0-9A-F]{4}( [0-9A-F]{4}){3}$")


def booth_url(site: Site, lang: str = "zh_CN") -> str:
    return f"{site.url}/booth/{site.election_id}/{site.round_id}/?lang={lang}"


def sign_in(page: Page, site: Site, code: str, lang: str = "zh_CN") -> None:
    page.goto(booth_url(site, lang))
    expect(page.locator("#round-fingerprint")).to_have_text(FINGERPRINT)
    page.locator("input[name=code]").fill(code)
    page.locator("[data-action=sign-in]").click()


def mark(page: Page, row_id: str, value: str) -> None:
    """Touch the mark's label, as a deputy does (the radio itself is visually hidden)."""
    page.locator(f"label:has(> input[name='row-{row_id}'][value='{value}'])").click()


def encrypt_one_mark(page: Page, site: Site, code: str, row_id: str) -> None:
    """Sign in, mark one project 赞成, review and encrypt: the fingerprint is shown."""
    sign_in(page, site, code)
    mark(page, row_id, "for")
    page.locator("[data-action=review]").click()
    page.locator("[data-action=encrypt]").click()
    expect(page.locator("#step-fingerprint")).to_be_visible()


class Recorder:
    """Every request the page makes, with its body."""

    def __init__(self, page: Page) -> None:
        self.requests: list[tuple[str, str, str]] = []
        page.on("request", self._record)

    def _record(self, request: Request) -> None:
        self.requests.append((request.method, request.url, request.post_data or ""))

    def posts(self, path: str) -> list[Any]:
        return [json.loads(body) for method, url, body in self.requests
                if method == "POST" and urlsplit(url).path.endswith(path)]


def spellings(code: str) -> list[str]:
    bare = code.replace("-", "")
    return [code, bare, code.lower(), bare.lower(), code.replace("-", " "),
            code.replace("-", " ").lower()]


@pytest.fixture
def row_ids(site: Site, tablet: Page) -> list[str]:
    tablet.goto(booth_url(site))
    rows = tablet.locator("#booth").get_attribute("data-rows") or "[]"
    return [row["id"] for row in json.loads(rows)]


def test_a_deputy_votes_and_nothing_secret_leaves_the_tablet(tablet: Page, site: Site,
                                                             row_ids: list[str]) -> None:
    page = tablet
    recorder = Recorder(page)
    code = site.codes[0]
    page.goto(booth_url(site))
    expect(page.locator("#booth-status")).to_contain_text("指纹")
    shoot(page, "booth-sign-in-1024x768")
    page.locator("input[name=code]").fill(code[:-1] + ("A" if code[-1] != "A" else "B"))
    page.locator("[data-action=sign-in]").click()
    expect(page.locator("#code-error")).to_contain_text("输入错误")  # caught on the tablet
    expect(page.locator("input[name=code]")).to_have_value(re.compile(".{20,}"))
    assert recorder.posts("/credential") == []
    page.locator("input[name=code]").fill(code.lower().replace("-", " "))
    page.locator("[data-action=sign-in]").click()
    expect(page.locator("#counter")).to_contain_text("0 / 1")
    shoot(page, "booth-ballot-1024x768")

    mark(page, row_ids[0], "for")
    expect(page.locator("#counter")).to_contain_text("1 / 1")
    mark(page, row_ids[1], "for")  # one seat: a second 赞成 is refused
    expect(page.locator("#limit-error")).to_be_visible()
    expect(page.locator(f"input[name='row-{row_ids[1]}'][value=for]")).not_to_be_checked()
    shoot(page, "booth-ballot-refused-1024x768")
    mark(page, row_ids[1], "against")
    page.locator("[data-action=review]").click()
    expect(page.locator("#review-table")).to_contain_text("赞成")
    shoot(page, "booth-review-1024x768")
    page.locator("[data-action=encrypt]").click()
    expect(page.locator("#step-fingerprint")).to_be_visible()
    expect(page.locator("#fingerprint")).to_have_text(FINGERPRINT)
    challenged = page.locator("#fingerprint").inner_text()
    shoot(page, "booth-fingerprint-1024x768")

    page.locator("[data-action=challenge]").click()  # the Benaloh challenge
    opened = page.locator("#opened-marks")
    expect(opened).to_contain_text(challenged)
    expect(opened.locator("tbody tr").nth(0)).to_contain_text("赞成")
    expect(opened.locator("tbody tr").nth(1)).to_contain_text("反对")
    shoot(page, "booth-challenged-1024x768")
    page.locator("[data-action=vote-again]").click()
    expect(page.locator(f"input[name='row-{row_ids[0]}'][value=for]")).to_be_checked()
    mark(page, row_ids[0], "against")
    mark(page, row_ids[1], "for")
    page.locator("[data-action=review]").click()
    page.locator("[data-action=encrypt]").click()
    expect(page.locator("#step-fingerprint")).to_be_visible()
    expect(page.locator("#fingerprint")).to_have_text(FINGERPRINT)
    cast_fingerprint = page.locator("#fingerprint").inner_text()
    page.locator("[data-action=cast]").click()
    expect(page.locator("h1")).to_contain_text("已投出")
    expect(page.locator("#receipt-fingerprint")).to_have_text(cast_fingerprint)
    shoot(page, "booth-receipt-1024x768")
    # The receipt names the round and the time, and fits a printed A4 page.
    expect(page.locator("#receipt-round")).to_have_text(page.title().split(" · ")[0])
    expect(page.locator("#receipt-time")).not_to_be_empty()
    page.set_viewport_size({"width": 794, "height": 1123})
    page.emulate_media(media="print")
    assert page.evaluate("document.documentElement.scrollWidth") <= 794
    expect(page.locator("#next-deputy")).to_be_hidden()  # no buttons on paper
    page.emulate_media(media="screen")
    page.set_viewport_size({"width": 1024, "height": 768})
    receipt = json.loads(page.locator("[data-receipt]").text_content() or "")
    assert set(receipt) == {"receipt", "signature"}

    # What went over the wire: no code in any spelling, no mark, exactly the cast fields.
    for method, url, body in recorder.requests:
        for spelling in spellings(code):
            assert spelling not in url, (method, url)
            assert spelling not in body, (method, url)
        assert not re.search(r"row-[^\"&=]*=(for|against|abstain)", url + body), url
    [check] = recorder.posts("/credential")
    assert set(check) == {"credential"}
    [cast] = recorder.posts("/cast")
    assert set(cast) == {"ballot", "credential", "signature"}
    assert cast["credential"] == check["credential"]
    [challenge] = recorder.posts("/challenge")
    assert set(challenge) == {"ballot", "plaintext", "nonces"}  # names no credential
    assert receipt["receipt"]["index"] >= 1

    link = page.locator("#verify-link").get_attribute("href")
    assert link
    page.goto(link)
    expect(page.locator("#verify-result")).to_contain_text("未被改动")
    expect(page.locator("#board-fingerprint")).to_have_text(cast_fingerprint)

    sign_in(page, site, code)  # the same code cannot vote twice, and is said to be used
    expect(page.locator("#code-error")).to_contain_text("已在本轮投过票")


SUBSTITUTE_KEY = "58" + "66" * 31
"""The base point G: a key whose secret (1) the server knows."""


@pytest.mark.parametrize(("name", "change"), [
    ("joint key", lambda doc: doc.update(
        joint_key=SUBSTITUTE_KEY, election={**doc["election"], "joint_key": SUBSTITUTE_KEY})),
    ("manifest", lambda doc: doc.update(manifest_json=doc["manifest_json"].replace(
        '"enrolled":', '"enrolled":1', 1))),
    ("commitment", lambda doc: doc["election"]["trustees"][0]["commitments"].reverse()),
])
def test_a_substituting_server_makes_the_tablet_refuse_and_post_nothing(
        browser: Browser, site: Site, name: str, change: Callable[[dict[str, Any]], None]) -> None:
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    recorder = Recorder(page)
    api = f"{site.url}/api/rounds/{site.election_id}/{site.round_id}"

    def substitute(route: Route) -> None:
        response = route.fetch()
        doc = response.json()
        change(doc)
        route.fulfill(response=response, body=json.dumps(doc))

    page.route(api, substitute)
    page.goto(booth_url(site))
    expect(page.locator("#booth-refused")).to_be_visible()
    expect(page.locator("#booth-refused")).to_contain_text("拒绝加密")
    expect(page.locator("#step-sign-in")).to_be_hidden()
    shoot(page, f"booth-refuses-substituted-{name.replace(' ', '-')}-1024x768")
    assert [m for m, _, _ in recorder.requests if m != "GET"] == []
    context.close()


def test_portrait_tablet_and_english(browser: Browser, site: Site) -> None:
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    page = context.new_page()
    sign_in(page, site, "ABCD", lang="en")
    expect(page.locator("#code-error")).to_contain_text("20 characters")
    expect(page.locator("input[name=code]")).to_have_value("ABCD")
    shoot(page, "booth-sign-in-error-768x1024")
    page.locator("input[name=code]").fill(site.codes[1])
    page.locator("[data-action=sign-in]").click()
    expect(page.locator("fieldset.row").first).to_be_visible()
    page.locator("fieldset.row").nth(0).locator("label").nth(0).focus()
    page.keyboard.press("Tab")
    shoot(page, "booth-ballot-768x1024")
    context.close()


def test_phone_width_shows_the_whole_ballot(browser: Browser, site: Site) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    sign_in(page, site, site.codes[2])
    expect(page.locator("fieldset.row").first).to_be_visible()
    widths = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert widths[0] <= widths[1]
    shoot(page, "booth-ballot-390x844")
    context.close()


def test_results_page_shows_the_counted_round(tablet: Page, site: Site) -> None:
    tablet.goto(f"{site.url}/results/{site.election_id}/selection-1?lang=zh_CN")
    table = tablet.locator("#results-table")
    expect(table).to_contain_text("当选")
    expect(tablet.locator(".notice")).to_contain_text("P02")
    expect(tablet.locator("svg.chart")).to_be_visible()
    shoot(tablet, "results-1024x768")


def test_a_cast_whose_answer_is_lost_is_sent_again_and_gets_its_receipt(
        browser: Browser, site: Site, row_ids: list[str]) -> None:
    """The ballot lands but the answer is lost: the page sends the same signed ballot
    again and gets the stored receipt; the board holds the ballot once."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    recorder = Recorder(page)
    answers: list[int] = []

    def lose_the_first_answer(route: Route) -> None:
        response = route.fetch()  # the server receives and stores the ballot
        answers.append(response.status)
        if len(answers) == 1:
            route.abort("connectionreset")
        else:
            route.fulfill(response=response)

    page.route(re.compile(r".*/cast(\?.*)?$"), lose_the_first_answer)
    encrypt_one_mark(page, site, site.codes[3], row_ids[0])
    page.locator("[data-action=cast]").click()
    expect(page.locator("h1")).to_contain_text("已投出", timeout=20_000)
    assert answers == [201, 200]  # stored once, then its stored receipt
    first, second = recorder.posts("/cast")
    assert first == second  # the very same signed ballot
    context.close()


def test_an_invented_receipt_is_refused_not_shown_as_cast(
        browser: Browser, site: Site, row_ids: list[str]) -> None:
    """Issue 13, item 6: the old /booth/receipt page said "您的选票已投出" for any
    receipt. The tablet shows a receipt only once its signature and its digest check;
    a server (or a proxy) that answers with another one is named for it."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()

    def invent(route: Route) -> None:
        response = route.fetch()
        doc = response.json()
        doc["receipt"]["index"] += 7  # a receipt for an entry that is not this ballot
        route.fulfill(response=response, body=json.dumps(doc))

    page.route(re.compile(r".*/cast(\?.*)?$"), invent)
    encrypt_one_mark(page, site, site.codes[4], row_ids[1])
    page.locator("[data-action=cast]").click()
    expect(page.locator("#booth-refused")).to_be_visible(timeout=20_000)
    expect(page.locator("#booth-refused")).to_contain_text("回执的签名不是本轮次的签名")
    expect(page.locator("#booth-refused-nothing-sent")).to_be_hidden()  # it was sent
    expect(page.locator("#step-receipt")).to_be_hidden()
    assert "已投出" not in page.locator("h1").inner_text()
    context.close()


def test_challenges_are_bounded_per_sign_in_and_the_limit_is_stated(
        browser: Browser, site: Site, row_ids: list[str]) -> None:
    """Issue 13, item 10: one code made 5 challenges in 1.5 s. The page allows a
    stated number per sign-in, then offers only the cast (the server bounds each
    tablet: it cannot count per code without learning which code challenged what)."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    recorder = Recorder(page)
    sign_in(page, site, site.codes[5])
    for left in (2, 1, 0):
        mark(page, row_ids[0], "for")
        page.locator("[data-action=review]").click()
        page.locator("[data-action=encrypt]").click()
        expect(page.locator("#step-fingerprint")).to_be_visible()
        expect(page.locator("[data-action=challenge]")).to_be_visible()
        page.locator("[data-action=challenge]").click()
        expect(page.locator("#step-challenged")).to_be_visible()
        expect(page.locator("#challenges-left")).to_contain_text(f"还可以再质询 {left} 次")
        page.locator("[data-action=vote-again]").click()
    page.locator("[data-action=review]").click()
    page.locator("[data-action=encrypt]").click()
    expect(page.locator("#step-fingerprint")).to_be_visible()
    expect(page.locator("[data-action=challenge]")).to_be_hidden()
    expect(page.locator("[data-action=cast]")).to_be_visible()
    assert len(recorder.posts("/challenge")) == 3
    context.close()


# --- for every deputy (issue 16, item 10): the choice shows without colour, in Windows
# high-contrast mode too; the keyboard is explained; the over-limit warning stands by its row
# and takes focus; a tablet left untouched warns, then forgets the ballot. Before the round
# is tallied below: they sign in.

IDLE = 240  # booth.routes.IDLE_SECONDS


def look(page: Page, row_id: str, value: str) -> dict[str, str]:
    """How a mark's face is drawn: its background, border width and the sign before it."""
    face = page.locator(f"label:has(> input[name='row-{row_id}'][value='{value}']) > span")
    return face.evaluate("""face => {
        const style = getComputedStyle(face), before = getComputedStyle(face, '::before');
        return {background: style.backgroundColor, border: style.borderTopWidth,
                sign: before.content};
    }""")


def test_the_choice_shows_without_colour_and_in_forced_colours(
        tablet: Page, site: Site, row_ids: list[str]) -> None:
    page = tablet
    rows = row_ids
    sign_in(page, site, site.codes[2])
    mark(page, rows[0], "for")
    for mode in ("none", "active"):
        page.emulate_media(forced_colors=mode)
        chosen, other = look(page, rows[0], "for"), look(page, rows[0], "against")
        assert "✓" in chosen["sign"], mode
        assert "✓" not in other["sign"], mode
        assert chosen["border"] != other["border"], mode
        assert chosen["background"] != other["background"], mode  # Highlight in forced colours
    shoot(page, "booth-forced-colours-1024x768")
    page.emulate_media(forced_colors="none")


def test_the_keyboard_is_explained_and_the_arrow_keys_change_a_mark(
        tablet: Page, site: Site, row_ids: list[str]) -> None:
    page = tablet
    rows = row_ids
    sign_in(page, site, site.codes[2])
    expect(page.locator("#keyboard-hint")).to_contain_text("方向键")
    abstain = page.locator(f"input[name='row-{rows[0]}'][value=abstain]")
    expect(abstain).to_be_checked()
    page.bring_to_front()  # keyboard focus goes to the page in front, of all the open ones
    abstain.focus()
    expect(abstain).to_be_focused()
    page.keyboard.press("ArrowLeft")  # from 弃权 to 反对
    expect(page.locator(f"input[name='row-{rows[0]}'][value=against]")).to_be_checked()


def test_the_over_limit_warning_stands_by_its_row_and_takes_focus(
        tablet: Page, site: Site, row_ids: list[str]) -> None:
    page = tablet
    rows = row_ids
    sign_in(page, site, site.codes[2])
    mark(page, rows[0], "for")
    mark(page, rows[1], "for")  # one seat: refused
    warning = page.locator(f"fieldset[data-row='{rows[1]}'] #limit-error")
    expect(warning).to_be_visible()
    expect(warning).to_be_focused()
    expect(page.locator(f"input[name='row-{rows[1]}'][value=for]")).not_to_be_checked()


def test_a_tablet_left_untouched_warns_then_forgets_the_ballot(
        tablet: Page, site: Site, row_ids: list[str]) -> None:
    page = tablet
    rows = row_ids
    page.clock.install()
    sign_in(page, site, site.codes[2])
    mark(page, rows[0], "for")
    page.clock.run_for(IDLE * 1000 + 500)
    warning = page.locator("#idle-warning")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text("60 秒")
    expect(warning.locator("button")).to_be_focused()
    shoot(page, "booth-idle-warning-1024x768")
    warning.locator("button").click()  # 继续投票: the marks stay
    expect(warning).to_be_hidden()
    expect(page.locator(f"input[name='row-{rows[0]}'][value=for]")).to_be_checked()
    page.clock.run_for(IDLE * 1000 + 500)
    expect(warning).to_be_visible()
    page.clock.run_for(61_000)
    expect(page.locator("p.notice")).to_contain_text("无人操作")
    assert "/booth/" in page.url
    assert f"/{site.round_id}/" not in page.url


def test_switching_language_keeps_the_marks_and_sends_nothing(
        tablet: Page, site: Site, row_ids: list[str]) -> None:
    """The marks live only in the page: the language links put the other language's words
    in place instead of reloading it, and the server is asked for nothing but the page."""
    page = tablet
    sign_in(page, site, site.codes[2])
    mark(page, row_ids[0], "for")
    mark(page, row_ids[1], "against")
    recorder = Recorder(page)
    page.evaluate("window.notReloaded = true")
    page.get_by_role("link", name="English").click()
    expect(page.locator("#keyboard-hint")).to_contain_text("arrow keys")
    expect(page.locator(f"input[name='row-{row_ids[0]}'][value=for]")).to_be_checked()
    expect(page.locator(f"input[name='row-{row_ids[1]}'][value=against]")).to_be_checked()
    assert page.evaluate("window.notReloaded") is True
    assert page.evaluate("document.documentElement.lang") == "en"
    assert [method for method, _, _ in recorder.requests] == ["GET"]
    page.locator("[data-action=review]").click()
    expect(page.locator("#review-table")).to_contain_text("For")
    page.get_by_role("link", name="中文").click()
    expect(page.locator("#review-table")).to_contain_text("赞成")
    expect(page.locator("#review-table")).to_contain_text("反对")
    expect(page.locator("#round-fingerprint")).to_have_text(FINGERPRINT)


def test_the_booth_round_tallies_and_its_record_verifies(site: Site) -> None:
    """Last in this file: close the round the tablets voted in, let the trustees decrypt,
    and check its record, the browser's challenge and casts included, from the file alone."""
    engine = make_engine(site.database)
    try:
        sessions = make_sessionmaker(engine)
        result = Rehearsal(sessions, CONFIG, site.keys).tally(site.round_id)
        with sessions.begin() as s:
            files = export.record_files_for(s, rounds.get_round(s, site.election_id,
                                                                site.round_id))
    finally:
        engine.dispose()
    report = verify_record_files(files)
    assert report.cast >= 1  # the ballot cast at the tablet above
    assert report.spoiled >= 1  # the challenge, published at close
    lines = files["board.jsonl"].splitlines()
    spoiled = [i for i, line in enumerate(lines) if b'"type":"spoiled"' in line]
    casts = [i for i, line in enumerate(lines) if b'"type":"cast"' in line]
    assert min(spoiled) > max(casts)  # after every cast: not next to the one that followed it
    assert result["reconciliation"]["cast"] == report.cast


@pytest.fixture(autouse=True)
def _no_console_errors(tablet: Page) -> Iterator[None]:
    """A script error on a booth page is a failure, not a silent dead button."""
    errors: list[str] = []
    tablet.on("pageerror", lambda exc: errors.append(str(exc)))
    yield
    assert errors == []
