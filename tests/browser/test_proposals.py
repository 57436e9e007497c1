"""选单 and 议单 in Chromium: a proposal from the public through review, a revision asked
and made, acceptance, adoption of the candidate list, and the public pages after it."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy.orm import Session, sessionmaker

from ballot.db import make_engine, make_sessionmaker
from ballot.models import Proposal
from ballot.schema import upgrade
from ballot.services import elections, proposals, staff
from crypto.at_rest import AtRestKey
from tests.browser.conftest import shoot
from tests.web_tools import served

pytestmark = pytest.mark.slow
PASSWORD = "proposal tests password"
EID = "xuandan-2026"
CONTACT = "13912345678"


@dataclass
class Site:
    url: str
    sessions: sessionmaker[Session]
    browser: Browser

    def page(self) -> Page:
        return self.browser.new_context(viewport={"width": 1024, "height": 768}).new_page()


@pytest.fixture(scope="module")
def site(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    tmp = tmp_path_factory.mktemp("proposals")
    url = f"sqlite:///{tmp / 'p.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    at_rest = AtRestKey("proposal browser at-rest secret")
    with sessions.begin() as s:
        staff.create_staff(s, "shencha", PASSWORD, ["reviewer"], "审查员")
        staff.create_staff(s, "zhuxituan", PASSWORD, ["presidium"], "主席团秘书")
        elections.create_election(s, election_id=EID, congress_name="湘江区人民代表大会",
                                  level="county", year=2026, trustee_names=["甲"],
                                  threshold=1, at_rest=at_rest)
    with served({"DATABASE_URL": url, "PIAOJUE_AT_REST": at_rest, "SECRET_KEY": "p"}) as address:
        yield Site(address, sessions, browser)
    engine.dispose()


def _log_in(page: Page, site: Site, username: str) -> None:
    page.goto(f"{site.url}/admin/login?lang=zh_CN")
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()


def test_a_proposal_from_the_public_to_the_adopted_list(site: Site) -> None:
    public = site.page()
    public.goto(f"{site.url}/propose?lang=zh_CN")
    public.get_by_label("项目名称").fill("城区新建口袋公园")
    public.get_by_label("类别").select_option("生态环境")
    public.get_by_label("建议内容及理由").fill("在社区空地建设口袋公园，方便居民休闲。")
    public.get_by_label("您的姓名").fill("李四")
    public.get_by_label("电话或地址（仅工作人员可见）").fill(CONTACT)
    shoot(public, "propose-1024x768")
    public.get_by_role("button", name="提交建议").click()
    code = public.locator("#tracking-code").inner_text()
    assert len(code) == 10
    expect(public.locator("#proposal-state")).to_have_text("已收到")
    assert CONTACT not in public.content()
    # Switching language keeps the proposal shown, and its code stays out of the address.
    public.get_by_role("link", name="English").click()
    expect(public.locator("#proposal-state")).to_have_text("received")
    assert code.lower() not in public.url.lower()
    public.get_by_role("link", name="中文").click()
    expect(public.locator("#proposal-state")).to_have_text("已收到")

    reviewer = site.page()
    _log_in(reviewer, site, "shencha")
    reviewer.goto(f"{site.url}/admin/e/{EID}/proposals")
    reviewer.get_by_role("link", name="城区新建口袋公园").click()
    expect(reviewer.locator("main")).to_contain_text(CONTACT)  # staff see the contact
    reviewer.get_by_role("button", name="开始审查").click()
    reviewer.get_by_label("投资估算").fill("约200万元")
    reviewer.get_by_label("责任单位").fill("城管局")
    reviewer.get_by_role("button", name="记录论证意见").click()
    reviewer.get_by_label("给提议人的答复（公开）").fill("请补充建设地点。")
    reviewer.get_by_role("button", name="退回修改").click()
    expect(reviewer.locator("#state")).to_have_text("退回修改")

    public.goto(f"{site.url}/track?code={code.lower()}")
    expect(public.locator("#proposal-state")).to_have_text("退回修改")
    expect(public.locator("#proposal-answer")).to_have_text("请补充建设地点。")
    public.get_by_label("地点").fill("湘江区枫林社区")
    public.get_by_role("button", name="提交修改").click()
    expect(public.locator("#proposal-state")).to_have_text("审查中")
    shoot(public, "track-1024x768")

    reviewer.reload()
    expect(reviewer.locator("main")).to_contain_text("湘江区枫林社区")
    reviewer.get_by_label("给提议人的答复（公开）").fill("采纳，列入储备库。")
    reviewer.get_by_role("button", name="采纳，列入储备库").click()
    expect(reviewer.locator("#state")).to_have_text("已采纳，列入储备库")
    expect(reviewer.locator("ol.trail li")).to_have_count(6)
    shoot(reviewer, "proposal-review-1024x768")
    reviewer.goto(f"{site.url}/admin/e/{EID}/adopt")
    expect(reviewer.locator("h1")).to_have_text("抱歉")  # adoption is the presidium's

    with site.sessions.begin() as s:  # two more accepted proposals, and one rejected
        election = elections.get_election(s, EID)
        for title in ("老年食堂进社区", "背街小巷路灯亮化", "修建私人会所"):
            p = proposals.submit(s, election, {"title": title, "category": "城乡建设",
                                               "description": "…", "proposer_name": "王五"})
            proposals.start_review(s, p, "审查员")
            if title == "修建私人会所":
                proposals.reject(s, p, "审查员", "不属于民生实事项目范围。")
            else:
                proposals.accept(s, p, "审查员", "列入储备库。")

    presidium = site.page()
    _log_in(presidium, site, "zhuxituan")
    presidium.goto(f"{site.url}/admin/e/{EID}/adopt")
    boxes = presidium.locator("input[name=proposal]")
    expect(boxes).to_have_count(3)
    boxes.nth(0).check()
    presidium.get_by_label("名额（票决）").fill("2")
    presidium.get_by_role("button", name="通过清单").click()
    expect(presidium.locator("p.error")).to_contain_text("清单须有 3 至 3 个候选项目")
    for n in range(3):
        presidium.locator("input[name=proposal]").nth(n).check()
    presidium.get_by_label("名额（票决）").fill("2")
    shoot(presidium, "adopt-1024x768")
    presidium.get_by_role("button", name="通过清单").click()
    expect(presidium.locator("p.success")).to_contain_text("selection-1")

    public.goto(f"{site.url}/proposals/{EID}")
    expect(public.locator("#adopted-list li")).to_have_count(3)
    expect(public.locator("#answered")).to_contain_text("不属于民生实事项目范围。")
    expect(public.locator("#proposal-counts")).to_contain_text("生态环境")
    assert CONTACT not in public.content()
    shoot(public, "proposals-public-1024x768")
    with site.sessions.begin() as s:
        assert s.query(Proposal).filter(Proposal.project_id.is_not(None)).count() == 3
