"""A deputy votes on a tablet in headless Chromium, start to verified receipt.

Signs in, marks, is refused a K+1-th 赞成, reviews, challenges once and sees
the marks decoded, votes again and casts, gets the receipt, opens its QR link
and is told the ballot is on the board unchanged; the same code is then
refused, and a receipt with one altered character fails.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.browser.conftest import Site, shoot

pytestmark = pytest.mark.slow


def _sign_in(page: Page, site: Site, code: str) -> None:
    page.goto(f"{site.url}/booth/?lang=zh_CN")
    page.get_by_role("link", name="2026").first.click()
    page.get_by_label("凭证条上的投票码").fill(code.lower().replace("-", " "))
    page.get_by_role("button", name="开始投票").click()


def test_a_deputy_votes_challenges_casts_and_verifies(tablet: Page, site: Site) -> None:
    page = tablet
    _sign_in(page, site, site.codes[0])
    expect(page.locator("#counter")).to_contain_text("0 / 1")
    shoot(page, "booth-ballot-1024x768")
    rows = page.locator("fieldset.row")
    rows.nth(0).get_by_text("赞成").click()
    expect(page.locator("#counter")).to_contain_text("1 / 1")
    rows.nth(1).get_by_text("赞成").click()  # one seat: a second 赞成 is refused
    expect(page.locator("#limit-error")).to_be_visible()
    expect(rows.nth(1).locator("input[value=for]")).not_to_be_checked()
    shoot(page, "booth-ballot-refused-1024x768")
    rows.nth(1).get_by_text("反对").click()
    page.get_by_role("button", name="检查我的选票").click()
    expect(page.locator("table.review")).to_contain_text("赞成")
    shoot(page, "booth-review-1024x768")
    page.get_by_role("button", name="加密我的选票").click()
    fingerprint = page.locator("#fingerprint").inner_text()
    assert len(fingerprint.replace(" ", "")) == 16
    shoot(page, "booth-fingerprint-1024x768")
    page.get_by_role("button", name="核验").click()  # the Benaloh challenge
    opened = page.locator("#opened-marks")
    expect(opened).to_contain_text(fingerprint)
    expect(opened.locator("tbody tr").nth(0)).to_contain_text("赞成")
    expect(opened.locator("tbody tr").nth(1)).to_contain_text("反对")
    shoot(page, "booth-challenged-1024x768")
    page.get_by_role("link", name="重新投票").click()
    page.locator("fieldset.row").nth(0).get_by_text("反对").click()
    page.locator("fieldset.row").nth(1).get_by_text("赞成").click()
    page.get_by_role("button", name="检查我的选票").click()
    page.get_by_role("button", name="加密我的选票").click()
    fingerprint = page.locator("#fingerprint").inner_text()
    page.get_by_role("button", name="投出选票").click()
    expect(page.locator("h1")).to_contain_text("已投出")
    shoot(page, "booth-receipt-1024x768")
    link = page.locator("#verify-link").get_attribute("href")
    assert link
    page.go_back()  # no way back to the ballot or the marks
    expect(page.locator("body")).not_to_contain_text("检查您的选票")
    page.goto(link)
    expect(page.locator("#verify-result")).to_contain_text("未被改动")
    expect(page.locator("#board-fingerprint")).to_have_text(fingerprint)
    shoot(page, "verify-ok-1024x768")

    _sign_in(page, site, site.codes[0])  # the same code cannot vote twice
    expect(page.get_by_role("alert")).to_contain_text("不能在本轮投票")

    altered = link[:-3] + ("A" if link[-3] != "A" else "B") + link[-2:]
    page.goto(altered)
    expect(page.locator("#verify-result")).to_contain_text("核验未通过")


def test_portrait_tablet_and_english(browser: Browser, site: Site) -> None:
    context = browser.new_context(viewport={"width": 768, "height": 1024})
    page = context.new_page()
    page.goto(f"{site.url}/booth/?lang=en")
    page.get_by_role("link", name="2026").first.click()
    page.get_by_label("Code on your credential slip").fill("ABCD")
    page.get_by_role("button", name="Start voting").click()
    expect(page.get_by_role("alert")).to_contain_text("20 characters")
    shoot(page, "booth-sign-in-error-768x1024")
    page.get_by_label("Code on your credential slip").fill(site.codes[1])
    page.get_by_role("button", name="Start voting").click()
    page.locator("fieldset.row").nth(0).locator("label").nth(0).focus()
    page.keyboard.press("Tab")
    shoot(page, "booth-ballot-768x1024")
    context.close()


def test_results_page_shows_the_counted_round(tablet: Page, site: Site) -> None:
    tablet.goto(f"{site.url}/results/{site.election_id}/selection-1?lang=zh_CN")
    table = tablet.locator("#results-table")
    expect(table).to_contain_text("当选")
    expect(tablet.locator(".notice")).to_contain_text("P02")
    expect(tablet.locator("svg.chart")).to_be_visible()
    shoot(tablet, "results-1024x768")
