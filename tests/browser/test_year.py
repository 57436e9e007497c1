"""晒单 and 评单 in headless Chromium: the rest of the year after the selection vote.

A department reports progress with a photo; a citizen asks a question that the
department answers and the presidium publishes; the presidium opens the
mid-year rating round (年中票评), which flags nothing, then the year-end one;
each time deputies rate at the tablet, trustees decrypt offline and the
presidium counts and publishes; a flagged project is ordered to
rectify, its department reports, the presidium re-rates it, the deputies rate
again; and the public pages show the whole story, every round verifiable
from its record.

The election, ceremony and selection round are set up through the services
(the session-day test does them at pages); check-in and slips too, since the
session-day test covers those pages. The tests run in order on one server.
"""

from __future__ import annotations

import html
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy.orm import Session, sessionmaker

from ballot import trustee as trustee_side
from ballot.db import make_engine, make_sessionmaker
from ballot.models import RectificationState, RoundState
from ballot.rehearsal import Rehearsal, RehearsalConfig
from ballot.schema import upgrade
from ballot.services import credentials, elections, roster, rounds, staff, tracking
from ballot.verifier import verify_record
from crypto.at_rest import AtRestKey
from crypto.canonical import canonical_json, parse_json
from tests.browser.conftest import ballot_fingerprint, shoot
from tests.web_tools import served

CONFIG = RehearsalConfig(rows=3, seats=2, deputies=6, present=5, voters=5, spoil=0,
                         voided=0, trustees=3, threshold=2, scrypt_n=2**10,
                         election_id="year-2026")
EID = CONFIG.election_id
PASSWORD = "year browser password"
PNG_1PX = bytes.fromhex("89504e470d0a1a0a0000000d4948445200000001000000010806000000"
                        "1f15c4890000000d49444154789c6360f8cf000000030101001827dd"
                        "9e0000000049454e44ae426082")
# Mid-year ratings (年中票评): both projects on track, nothing flagged.
MID_YEAR = (("满意", "满意"), ("满意", "基本满意"), ("基本满意", "满意"), ("满意", "满意"),
            ("满意", "基本满意"))
# Year-end ratings: P01 (住建局) satisfied by all; P02 (商务局) 1 满意, 2 基本满意 and
# 2 不满意: a rate of 3/5, under the 4/5 threshold.
YEAR_END = (("满意", "满意"), ("满意", "基本满意"), ("满意", "基本满意"), ("满意", "不满意"),
            ("满意", "不满意"))


@dataclass
class Year:
    url: str
    sessions: sessionmaker[Session]
    browser: Browser
    run: Rehearsal
    work: Path
    contexts: list[BrowserContext] = field(default_factory=list)

    def page(self, username: str | None = None) -> Page:
        context = self.browser.new_context(viewport={"width": 1024, "height": 768},
                                           accept_downloads=True)
        self.contexts.append(context)
        page = context.new_page()
        if username:
            page.goto(f"{self.url}/admin/login?lang=zh_CN")
            page.get_by_label("用户名").fill(username)
            page.get_by_label("密码").fill(PASSWORD)
            page.get_by_role("button", name="登录").click()
            expect(page.locator("h1")).to_have_text("选举")
        return page

    def admin(self, path: str) -> str:
        return f"{self.url}/admin/e/{EID}{path}"


@pytest.fixture(scope="module")
def year(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Year]:
    tmp = tmp_path_factory.mktemp("year")
    url = f"sqlite:///{tmp / 'year.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    at_rest = AtRestKey("year browser at-rest secret")
    run = Rehearsal(sessions, CONFIG, tmp, at_rest=at_rest)
    run.setup()
    run.ceremony()
    with sessions.begin() as s:
        election = elections.get_election(s, EID)
        rounds.create_round(s, election, round_id="selection-1", kind="selection",
                            title="2026年度民生实事项目票决", seats=2,
                            project_ids=[p.id for p in roster.list_projects(s, election)])
        staff.create_staff(s, "zhuxituan", PASSWORD, ["presidium"], "主席团秘书")
        staff.create_staff(s, "zhujian", PASSWORD, ["department"], "住建局联络员",
                           department="住建局")
        staff.create_staff(s, "shangwu", PASSWORD, ["department"], "商务局联络员",
                           department="商务局")
    run.hold("selection-1", [[[1, 0], [1, 0], [0, 1]]] * 5)
    with served({"DATABASE_URL": url, "PIAOJUE_AT_REST": at_rest,
                 "SECRET_KEY": "year browser flask secret"}) as address:
        state = Year(address, sessions, browser, run, tmp)
        try:
            yield state
        finally:
            for context in state.contexts:
                context.close()
    engine.dispose()


def _success(page: Page) -> str:
    assert page.locator("main p.error").count() == 0, page.locator("main p.error").inner_text()
    flash = page.locator("main p.success")
    expect(flash).to_have_count(1)
    return flash.inner_text()


def _slips(year: Year, round_id: str) -> list[str]:
    """The clerk's part, done through the services: check-in and slips for five."""
    with year.sessions.begin() as s:
        round_ = rounds.get_round(s, EID, round_id)
        for deputy in roster.list_deputies(s, round_.election)[:5]:
            rounds.check_in(s, round_, deputy)
        slips = credentials.make_slips(EID, round_id, 5)
        credentials.issue(s, round_, [slip.public_key for slip in slips])
    return [slip.code for slip in slips]


def _vote(year: Year, title: str, code: str, marks: tuple[str, ...]) -> None:
    booth = year.page()
    booth.goto(f"{year.url}/booth/?lang=zh_CN")
    booth.get_by_role("link", name=title).click()
    booth.get_by_label("凭证条上的投票码").fill(code)
    booth.get_by_role("button", name="开始投票").click()
    rows = booth.locator("fieldset.row")
    expect(rows).to_have_count(len(marks))
    for r, mark in enumerate(marks):
        rows.nth(r).get_by_text(mark, exact=True).click()
    booth.get_by_role("button", name="检查我的选票").click()
    booth.get_by_role("button", name="加密我的选票").click()
    ballot_fingerprint(booth)
    booth.get_by_role("button", name="投出选票").click()
    expect(booth.locator("h1")).to_contain_text("已投出")
    booth.context.close()
    year.contexts.remove(booth.context)


def _count_and_publish(year: Year, page: Page, round_id: str) -> None:
    """Close, let two trustees decrypt offline, upload their shares, count, publish."""
    page.goto(year.admin(f"/r/{round_id}/"))
    page.get_by_label("现在为所有人结束投票").check()
    page.get_by_role("button", name="结束投票").click()
    assert _success(page) == "完成：本轮现为 已结束投票。"
    with page.expect_download() as info:
        page.get_by_role("link", name="下载解密请求", exact=True).click()
    request = parse_json(Path(info.value.path()).read_bytes())
    for i in (2, 3):
        share = year.run.trustees.step(i, lambda k: trustee_side.decrypt(k, request))
        path = year.work / f"{round_id}-share-{i}.json"
        path.write_bytes(canonical_json(share))
        form = page.locator("form[action$='/share']")
        form.locator("input[type=file]").set_input_files(str(path))
        form.get_by_role("button", name="上传").click()
        assert _success(page) == f"监票人{i}的解密份额核验通过。"
    page.get_by_role("button", name="计票").click()
    assert _success(page) == "完成：本轮现为 已计票。"
    page.get_by_role("button", name="公布结果").click()
    assert _success(page) == "完成：本轮现为 已公布。"


def test_a_department_posts_progress_with_a_photo(year: Year) -> None:
    page = year.page("zhujian")
    page.get_by_role("link", name="年度项目").first.click()
    expect(page.locator("#tracked tbody tr")).to_have_count(2)
    page.get_by_role("link", name="老旧小区改造提质").click()
    expect(page.locator("#plan-form")).to_have_count(0)  # the plan is the presidium's
    photo = year.work / "工地.png"
    photo.write_bytes(PNG_1PX)
    form = page.locator("#update-form")
    form.get_by_label("进度（百分比）").fill("45")
    form.get_by_label("状态").select_option("in_progress")
    form.get_by_label("完成情况").fill("六个小区完成管网改造，外立面施工中")
    form.get_by_label("照片或文件（JPEG、PNG 或 PDF，最多 5 个）").set_input_files(str(photo))
    form.get_by_role("button", name="发布进度").click()
    assert _success(page) == "已保存。"
    expect(page.locator("#percent")).to_have_text("45%")
    shoot(page, "admin-tracked-project-1024x768")

    # The department of P01 cannot report on P02: the server refuses even a crafted post.
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    response = page.request.post(year.admin("/projects/P02/update"), form={
        "csrf_token": token or "", "percent": "90", "state": "in_progress", "text": "冒报"})
    assert "不属于您的部门" in html.unescape(response.text())
    with year.sessions.begin() as s:
        p02 = tracking.get_tracked(s, elections.get_election(s, EID), "P02")
        assert (p02.percent, p02.updates) == (0, [])

    public = year.page()
    public.goto(f"{year.url}/projects/{EID}/P01?lang=zh_CN")
    expect(public.locator("#percent")).to_have_text("45%")
    expect(public.locator("#timeline")).to_contain_text("六个小区完成管网改造")
    photo_img = public.locator("img.update-photo")
    expect(photo_img).to_have_count(1)
    assert public.evaluate("img => img.naturalWidth", photo_img.element_handle()) == 1


def test_a_question_is_answered_and_published(year: Year) -> None:
    public = year.page()
    public.goto(f"{year.url}/projects/{EID}/P01?lang=zh_CN")
    ask = public.locator("#ask")
    ask.get_by_label("您的姓名").fill("刘阿姨")
    ask.get_by_label("联系方式（选填，仅工作人员可见）").fill("13800000000")
    ask.get_by_label("您的问题").fill("施工期间车辆怎么进出小区？")
    ask.get_by_role("button", name="提交问题").click()
    expect(public.locator("p.success")).to_contain_text("谢谢")
    expect(public.locator("main")).not_to_contain_text("施工期间车辆怎么进出小区")

    department = year.page("zhujian")
    department.goto(year.admin("/projects/P01"))
    question = department.locator("section.question")
    expect(question).to_contain_text("13800000000")  # staff see the contact
    question.get_by_label("承办部门答复").fill("东门临时通行，每天7点至19点施工。")
    question.get_by_role("button", name="保存答复").click()
    assert _success(department) == "已保存。"
    expect(department.get_by_role("button", name="公开提问和答复")).to_have_count(0)

    presidium = year.page("zhuxituan")
    presidium.goto(year.admin("/projects/P01"))
    presidium.get_by_role("button", name="公开提问和答复").click()
    assert _success(presidium) == "已保存。"

    public.reload()
    expect(public.locator("section.question")).to_contain_text("施工期间车辆怎么进出小区")
    expect(public.locator("section.question")).to_contain_text("东门临时通行")
    expect(public.locator("main")).not_to_contain_text("13800000000")


def _rating_round(year: Year, stage: str, round_id: str, title: str,
                  marks: tuple[tuple[str, ...], ...]) -> dict:
    """The presidium opens a rating round at its page, deputies rate at the tablet,
    trustees decrypt offline, the presidium counts and publishes; returns the result."""
    page = year.page("zhuxituan")
    page.goto(year.admin("/projects"))
    form = page.locator("#rating-form")
    form.get_by_label("阶段", exact=True).select_option(stage)
    form.get_by_label("轮次标识（字母、数字、-）").fill(round_id)
    form.get_by_role("button", name="创建测评轮次").click()
    assert _success(page) == f"已创建轮次 {round_id}。"
    codes = _slips(year, round_id)
    page.goto(year.admin(f"/r/{round_id}/"))
    page.get_by_role("button", name="开始投票").click()
    assert _success(page) == "完成：本轮现为 投票中。"
    for code, row_marks in zip(codes, marks, strict=True):
        _vote(year, title, code, row_marks)
    _count_and_publish(year, page, round_id)
    with year.sessions.begin() as s:
        result = rounds.get_round(s, EID, round_id).result
    assert result is not None
    return result


def test_mid_year_rating_is_cast_in_the_booth_and_flags_nothing(year: Year) -> None:
    result = _rating_round(year, "mid_year", "mid-year", "2026年度民生实事项目年中票评",
                           MID_YEAR)
    rows = {r["id"]: r for r in result["rows"]}
    assert (rows["P01"]["satisfied"], rows["P01"]["basically_satisfied"]) == (4, 1)
    assert (rows["P02"]["satisfied"], rows["P02"]["basically_satisfied"]) == (3, 2)
    assert not rows["P01"]["flagged"]
    assert not rows["P02"]["flagged"]
    page = year.page("zhuxituan")
    page.goto(year.admin("/projects"))
    expect(page.locator("form[action$='/rectifications/mid-year']")).to_have_count(0)


def test_year_end_rating_is_cast_in_the_booth_and_tallied_by_trustees(year: Year) -> None:
    result = _rating_round(year, "year_end", "year-end", "2026年度民生实事项目年终满意度测评",
                           YEAR_END)
    rows = {r["id"]: r for r in result["rows"]}
    assert (rows["P01"]["satisfied"], rows["P01"]["flagged"]) == (5, False)
    assert (rows["P02"]["basically_satisfied"], rows["P02"]["dissatisfied"]) == (2, 2)
    assert rows["P02"]["flagged"]


def test_a_flagged_project_is_rectified_and_rerated(year: Year) -> None:
    page = year.page("zhuxituan")
    page.goto(year.admin("/projects"))
    order = page.locator("form[action$='/rectifications/year-end']")
    expect(order).to_contain_text("P02")
    order.get_by_label("整改期限").fill("2027-03-31")
    order.get_by_label("对承办部门的整改要求").fill("加快冷链设施安装，回应摊户诉求")
    order.get_by_role("button", name="下达整改任务").click()
    assert _success(page) == "已下达 1 项整改任务。"

    department = year.page("shangwu")
    department.goto(year.admin("/projects/P02"))
    task = department.locator("section.rectification")
    expect(task).to_contain_text("加快冷链设施安装")
    task.get_by_label("整改报告").fill("冷链设施已安装调试，摊位租金下调")
    task.get_by_role("button", name="提交整改报告").click()
    assert _success(department) == "已保存。"

    page.goto(year.admin("/projects"))
    form = page.locator("#rerating-form")
    form.get_by_label("轮次标识（字母、数字、-）").fill("rerating-1")
    form.get_by_label("标题（留空则用该阶段的通用标题）").fill("整改项目再评")
    form.get_by_role("button", name="创建再评轮次").click()
    assert _success(page) == "已创建轮次 rerating-1。"
    codes = _slips(year, "rerating-1")
    page.goto(year.admin("/r/rerating-1/"))
    page.get_by_role("button", name="开始投票").click()
    for code in codes:
        _vote(year, "整改项目再评", code, ("满意",))
    _count_and_publish(year, page, "rerating-1")
    with year.sessions.begin() as s:
        p02 = tracking.get_tracked(s, elections.get_election(s, EID), "P02")
        assert [r.state for r in p02.rectifications] == [RectificationState.passed]


def test_the_public_pages_tell_the_year_and_every_round_verifies(year: Year) -> None:
    public = year.page()
    public.goto(f"{year.url}/projects/{EID}?lang=zh_CN")
    expect(public.locator("#projects tbody tr")).to_have_count(2)
    expect(public.locator("#projects")).to_contain_text("45%")
    shoot(public, "public-projects-1024x768")
    public.get_by_role("link", name="农贸市场标准化改造").click()
    ratings = public.locator("#ratings tbody tr")
    expect(ratings).to_have_count(3)
    expect(ratings.nth(0)).to_contain_text("年中票评")
    expect(ratings.nth(0)).not_to_contain_text("需整改")
    expect(ratings.nth(1)).to_contain_text("不满意")
    expect(ratings.nth(1)).to_contain_text("需整改")
    expect(ratings.nth(2)).to_contain_text("满意")
    expect(public.locator("svg.chart circle[fill]")).to_have_count(3 + 3)  # dots + legend
    expect(public.locator("section.rectification")).to_contain_text("整改通过再评")
    expect(public.locator("section.rectification")).to_contain_text("冷链设施已安装调试")
    shoot(public, "public-project-rated-1024x768")

    for round_id in ("selection-1", "mid-year", "year-end", "rerating-1"):
        with year.sessions.begin() as s:
            assert rounds.get_round(s, EID, round_id).state == RoundState.published
        public.goto(f"{year.url}/board/{EID}/{round_id}?lang=zh_CN")
        with public.expect_download() as info:
            public.get_by_role("link", name="下载选举记录").click()
        saved = year.work / f"{round_id}.zip"
        info.value.save_as(saved)
        verify_record(saved)
