"""The whole session day through the staff pages and the booth, in Chromium at 1024×768.

An empty, migrated database and three staff accounts; everything else is done
by people at pages: the presidium creates the election, imports the roster
and the projects (a dry run first), runs the key ceremony with files the
trustees make offline (here the same ballot.trustee code, in-process, with
key files on "their laptops" under tmp), creates the round; a clerk checks
deputies in and issues the slips' public keys and is refused round control;
four deputies vote at the booth; the presidium closes, collects decryption
shares (a forged one is refused, naming its trustee), counts and publishes,
and the exported record verifies with ``piaojue verify``.

The tests run in order and share one server: each continues the day where the
previous one left it.
"""

from __future__ import annotations

import csv
import io
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, BrowserContext, Page, expect
from sqlalchemy.orm import Session, sessionmaker

from ballot import trustee as trustee_side
from ballot.db import make_engine, make_sessionmaker
from ballot.models import RoundState
from ballot.schema import upgrade
from ballot.services import credentials, elections, roster, rounds, staff
from ballot.services import tally as tallying
from ballot.services.credentials import counterfoil_tag
from crypto.at_rest import AtRestKey
from crypto.canonical import canonical_json, parse_json
from crypto.credentials import derive_credential_key, public_key_bytes
from crypto.rng import SYSTEM_RANDOMNESS
from tests.browser.conftest import ballot_fingerprint, shoot
from tests.web_tools import served

pytestmark = pytest.mark.slow

EID = "xiangjiang-2026"
RID = "selection-1"
CONGRESS = "湘江区第十八届人民代表大会第六次会议"
ROUND_TITLE = "2026年度民生实事项目票决"
PASSWORD = "session day password"
TRUSTEES = ("监票人甲", "监票人乙", "监票人丙")
SCRYPT_N = 2**10
DEPUTIES = (("001", "王建国", "第1代表团"), ("002", "李秀英", "第1代表团"),
            ("003", "张志强", "第2代表团"), ("004", "刘丽华", "第2代表团"),
            ("005", "陈明军", "第3代表团"), ("006", "杨海燕", "第3代表团"))
PROJECTS = (("P01", "老旧小区改造提质", "城乡建设", "3200", "12个老旧小区", "住建局"),
            ("P02", "农贸市场标准化改造", "商贸流通", "1500", "城区5个农贸市场", "商务局"),
            ("P03", "城区停车泊位建设", "交通出行", "2100", "中心城区", "城管局"),
            ("P04", "中小学校午餐配送", "教育", "900", "全区中小学", "教育局"))
# Each deputy's mark per project, in ballot order; None leaves the row at 弃权.
BALLOTS = (("赞成", "赞成", "反对", "反对"),
           ("赞成", "赞成", None, "反对"),
           ("赞成", "赞成", "反对", None),
           ("赞成", "赞成", "反对", "反对"))
# The 赞成 and 反对 counts per project that BALLOTS make.
EXPECTED_COUNTS = [[4, 0], [4, 0], [0, 3], [0, 3]]
VOTERS = len(BALLOTS)
PIAOJUE = Path(sys.executable).parent / "piaojue"


@dataclass
class Day:
    url: str
    sessions: sessionmaker[Session]
    browser: Browser
    work: Path
    presidium: Page = field(init=False)
    clerk: Page = field(init=False)
    contexts: list[BrowserContext] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    keys: list[str] = field(default_factory=list)
    tags: list[str] = field(default_factory=list)
    passphrases: dict[int, str] = field(default_factory=dict)

    def new_page(self) -> Page:
        context = self.browser.new_context(viewport={"width": 1024, "height": 768},
                                           accept_downloads=True)
        self.contexts.append(context)
        return context.new_page()

    def admin(self, path: str = "") -> str:
        return f"{self.url}/admin{path}"

    def round_url(self, suffix: str = "") -> str:
        return self.admin(f"/e/{EID}/r/{RID}/{suffix}")


@pytest.fixture(scope="module")
def day(browser: Browser, tmp_path_factory: pytest.TempPathFactory) -> Iterator[Day]:
    tmp = tmp_path_factory.mktemp("session-day")
    url = f"sqlite:///{tmp / 'day.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    with sessions.begin() as s:
        staff.create_staff(s, "zhuxituan", PASSWORD, ["presidium"], "主席团秘书")
        staff.create_staff(s, "dengji", PASSWORD, ["clerk"], "登记员")
        staff.create_staff(s, "jianpiao", PASSWORD, ["credentials"], "监票员")
        staff.create_staff(s, "bumen", PASSWORD, ["department"], "实施单位", department="住建局")
    at_rest = AtRestKey("session day at-rest secret")
    work = tmp / "files"
    work.mkdir()
    with served({"DATABASE_URL": url, "PIAOJUE_AT_REST": at_rest,
                 "SECRET_KEY": "session day flask secret"}) as address:
        state = Day(address, sessions, browser, work)
        state.presidium = state.new_page()
        try:
            yield state
        finally:
            for context in state.contexts:
                context.close()
    engine.dispose()


# -- helpers -------------------------------------------------------------------------------

def _log_in(page: Page, day: Day, username: str) -> None:
    page.goto(day.admin("/login?lang=zh_CN"))
    page.get_by_label("用户名").fill(username)
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    expect(page.locator("h1")).to_have_text("选举")


def _success(page: Page) -> str:
    flash = page.locator("main p.success")
    expect(flash).to_have_count(1)
    assert page.locator("main p.error").count() == 0, page.locator("main p.error").inner_text()
    return flash.inner_text()


def _error(page: Page) -> str:
    flash = page.locator("main p.error")
    expect(flash).to_have_count(1)
    return flash.inner_text()


def _write(day: Day, name: str, doc: Any) -> Path:
    path = day.work / name
    path.write_bytes(canonical_json(doc) + b"\n")
    return path


def _upload(page: Page, form: str, path: Path, button: str) -> None:
    """Choose ``path`` in the file input of the form matched by ``form`` and submit it."""
    target = page.locator(form)
    target.locator("input[type=file]").set_input_files(str(path))
    target.get_by_role("button", name=button).click()


def _download(page: Page, link: str, save_as: Path) -> Path:
    with page.expect_download() as info:
        page.get_by_role("link", name=link, exact=True).click()
    info.value.save_as(save_as)
    return save_as


def _key_path(day: Day, i: int) -> Path:
    return day.work / f"trustee-{i}.key.json"  # on trustee i's own laptop


def _trustee_step(day: Day, i: int, action: Any) -> dict[str, Any]:
    """Open trustee i's key file, run one offline step, seal the key file again."""
    key = trustee_side.TrusteeKey.open(_key_path(day, i).read_bytes(), day.passphrases[i])
    out = action(key)
    _key_path(day, i).write_bytes(key.seal(day.passphrases[i], SYSTEM_RANDOMNESS, SCRYPT_N))
    return out


def _ceremony_file(day: Day, name: str) -> dict[str, Any]:
    page = day.presidium
    return parse_json(_download(page, "下载密钥仪式文件", day.work / name).read_bytes())


def _table(rows: tuple[tuple[str, ...], ...], header: list[str]) -> bytes:
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8")


def _listed(day: Day, kind: str) -> int:
    with day.sessions.begin() as s:
        election = elections.get_election(s, EID)
        listing = roster.list_deputies if kind == "deputies" else roster.list_projects
        return len(listing(s, election))


def _db_round(day: Day) -> tuple[RoundState, Any, Any, int]:
    with day.sessions.begin() as s:
        round_ = rounds.get_round(s, EID, RID)
        return (round_.state, round_.counts, round_.result,
                rounds.issued_count(s, round_))


# -- the day -------------------------------------------------------------------------------

def test_presidium_creates_the_election_and_imports_roster_and_projects(day: Day) -> None:
    page = day.presidium
    _log_in(page, day, "zhuxituan")
    expect(page.locator("nav.staff-nav")).to_contain_text("已登录：主席团秘书 · 主席团")
    page.get_by_text("新建选举").click()
    page.get_by_label("简短标识（字母、数字、-）").fill(EID)
    page.get_by_label("会议名称").fill(CONGRESS)
    page.get_by_label("层级").select_option("county")
    page.get_by_label("年度").fill("2026")
    page.get_by_label("监票人，每行一个姓名").fill("\n".join(TRUSTEES))
    page.get_by_label("解密所需监票人数").fill("2")
    # 4 candidates for 2 seats is a surplus of 1/1: the 差额 ceiling is raised to allow it.
    page.get_by_label("至多多出").fill("1/1")
    shoot(page, "admin-dashboard-new-election-1024x768")
    page.get_by_role("button", name="创建", exact=True).click()
    assert EID in _success(page)
    expect(page.locator("h1")).to_contain_text(CONGRESS)
    expect(page.locator("main")).to_contain_text("代表: 0")

    deputies = day.work / "代表名册.csv"
    deputies.write_bytes(_table(DEPUTIES, ["座位号", "姓名", "代表团"]))
    projects = day.work / "候选项目.csv"
    projects.write_bytes(_table(PROJECTS, ["编号", "项目名称", "类别", "估算金额", "地点",
                                           "实施单位"]))
    for kind, path, n in (("deputies", deputies, 6), ("projects", projects, 4)):
        form = page.locator(f"form[action$='/import/{kind}']")
        form.locator("input[type=file]").set_input_files(str(path))
        form.get_by_label("只检查，不导入").check()
        form.get_by_role("button", name="导入").click()
        assert _success(page) == "每一行都有效；仅做检查，未导入。"
        assert _listed(day, kind) == 0
        form = page.locator(f"form[action$='/import/{kind}']")
        form.locator("input[type=file]").set_input_files(str(path))
        form.get_by_role("button", name="导入").click()
        assert _success(page) == f"已导入{n}行。"
        assert _listed(day, kind) == n

    expect(page.locator("main")).to_contain_text("代表: 6")
    expect(page.locator("main")).to_contain_text("项目: 4")
    with day.sessions.begin() as s:
        election = elections.get_election(s, EID)
        assert (election.trustees_n, election.threshold, election.level) == (3, 2, "county")
        assert [t.name for t in election.trustees] == list(TRUSTEES)
        assert [(d.seat, d.name, d.delegation) for d in roster.list_deputies(s, election)] \
            == list(DEPUTIES)
        assert [(p.code, p.title, str(p.cost_wan)) for p in roster.list_projects(s, election)] \
            == [(p[0], p[1], f"{p[3]}.00") for p in PROJECTS]

    page.get_by_role("link", name="选举", exact=True).click()
    expect(page.get_by_role("link", name=f"{CONGRESS} (2026)")).to_be_visible()
    shoot(page, "admin-dashboard-1024x768")


def test_the_key_ceremony_through_the_upload_form(day: Day) -> None:
    page = day.presidium
    page.goto(day.admin(f"/e/{EID}/"))
    n, t = len(TRUSTEES), 2
    day.passphrases = {i: f"trustee {i} passphrase on a laptop" for i in range(1, n + 1)}
    ceremony_form = "form[action$='/ceremony']"

    for i in range(1, n + 1):
        data, public = trustee_side.init_trustee(EID, i, n, t, day.passphrases[i],
                                                 scrypt_n=SCRYPT_N)
        _key_path(day, i).write_bytes(data)
        _upload(page, ceremony_form, _write(day, f"transport-{i}.json", public), "上传")
        assert "传输公钥已登记" in _success(page)
    for i in range(1, n + 1):
        doc = _trustee_step(day, i, trustee_side.make_commitment)
        _upload(page, ceremony_form, _write(day, f"commitment-{i}.json", doc), "上传")
        assert "承诺和证明已核验" in _success(page)
    for i in range(1, n + 1):
        ceremony = _ceremony_file(day, f"ceremony-shares-{i}.json")
        doc = _trustee_step(day, i, lambda k, c=ceremony: trustee_side.make_shares(k, c))
        _upload(page, ceremony_form, _write(day, f"shares-{i}.json", doc), "上传")
        assert f"已转交 {n} 个加密份额" in _success(page)
    ceremony = _ceremony_file(day, "ceremony-verify.json")
    assert len(ceremony["shares"]) == n * n
    for i in range(1, n + 1):
        doc = _trustee_step(day, i, lambda k: trustee_side.verify_shares(k, ceremony))
        assert doc["complaints"] == []
        _upload(page, ceremony_form, _write(day, f"verification-{i}.json", doc), "上传")
        assert "已核验其份额" in _success(page)

    with day.sessions.begin() as s:
        joint_key = elections.get_election(s, EID).joint_key
    assert joint_key
    assert "密钥仪式完成" in _success(page)
    expect(page.locator("main")).to_contain_text("联合公钥指纹")
    expect(page.locator("code.hex")).to_have_text(joint_key[:16])
    ceremony_card = page.locator("section.card", has=page.get_by_role("heading", name="密钥仪式"))
    for row in range(n):  # every trustee: transport key, commitments, shares, verified, done
        cells = ceremony_card.locator("tbody tr").nth(row).locator("td")
        expect(cells.nth(1)).to_have_text("是")
        expect(cells.nth(2)).to_have_text("是")
        expect(cells.nth(3)).to_have_text(f"{n} / {n}")
        expect(cells.nth(4)).to_have_text("是")
        expect(cells.nth(5)).to_have_text("已完成")
    # The checklist moves on: the ceremony is done, the roster is next... or done already.
    expect(page.locator("#checklist [data-step=ceremony]")).to_have_class(re.compile("done"))
    expect(page.locator("#checklist [aria-current=step]")).to_have_count(1)
    shoot(page, "admin-election-ceremony-done-1024x768")


def test_presidium_creates_the_round(day: Day) -> None:
    page = day.presidium
    page.get_by_text("新建轮次").click()
    expect(page.get_by_label("轮次标识")).to_have_value(RID)
    page.get_by_label("标题").fill(ROUND_TITLE)
    page.get_by_label("类型").select_option("selection")
    page.get_by_label("名额（票决）").fill("2")
    for code, title, *_ in PROJECTS:
        expect(page.get_by_label(f"{code} {title}")).to_be_checked()
    page.get_by_role("button", name="创建轮次").click()
    assert _success(page) == f"已创建轮次 {RID}。"
    expect(page.locator("h1")).to_contain_text(ROUND_TITLE)
    expect(page.locator("h1")).to_contain_text("（草稿）")
    expect(page.get_by_role("button", name="开始投票")).to_be_visible()
    with day.sessions.begin() as s:
        round_ = rounds.get_round(s, EID, RID)
        assert (round_.seats, round_.kind.value, round_.state) == (2, "selection",
                                                                   RoundState.draft)
        assert [r.project.code for r in round_.rows] == [p[0] for p in PROJECTS]

    # A department's account sees where the year stands, and none of the session day's
    # pages or forms: no link leads it there, and typing their address is refused.
    department = day.new_page()
    _log_in(department, day, "bumen")
    department.goto(day.admin(f"/e/{EID}/"))
    expect(department.locator("#checklist")).to_be_visible()
    expect(department.locator("main form")).to_have_count(0)
    expect(department.locator(f"a[href$='/r/{RID}/']")).to_have_count(0)
    for url in (day.round_url(), day.round_url("checkin")):
        department.goto(url)
        expect(department.locator("p.error")).to_have_text("您的账号没有访问此页面所需的角色。")
    department.context.close()
    day.contexts.remove(department.context)


def test_the_clerk_checks_in_the_credential_authority_issues_and_neither_can_open(day: Day) -> None:
    page = day.clerk = day.new_page()
    _log_in(page, day, "dengji")
    page.goto(day.round_url())
    page.get_by_role("link", name="签到").click()
    expect(page.locator("h1")).to_have_text("签到")
    quorum = page.locator("#quorum")
    expect(quorum).to_contain_text("实到 0 / 应到 6 · 法定人数 4")
    page.evaluate("window.notReloaded = true")  # marks answer in place: no reload
    for n, (_, name, _) in enumerate(DEPUTIES[:4], 1):
        expect(quorum).not_to_contain_text("已达到法定人数")
        page.get_by_role("button", name=f"为{name}签到").click()
        expect(page.locator("#checkin-done")).to_have_text(f"{name}已签到。")
        expect(quorum).to_contain_text(f"实到 {n} / 应到 6")
    expect(quorum).to_contain_text("已达到法定人数")
    assert page.evaluate("window.notReloaded") is True
    shoot(page, "admin-checkin-quorum-1024x768")

    # The check-in clerk holds no code: slips are the credential authority's.
    page.goto(day.round_url())
    expect(page.locator("form[action$='/keys']")).to_have_count(0)
    expect(page.locator("form[action$='/slips']")).to_have_count(0)
    _log_in(page, day, "jianpiao")

    # Five slips were printed offline but only four deputies are present: refused.
    slips = credentials.make_slips(EID, RID, 5)
    day.codes, day.keys = [s.code for s in slips], [s.public_key for s in slips]
    keys_file = _write(day, "keys.json", {"format": "piaojue-credential-keys/1",
                                          "election_id": EID, "round_id": RID,
                                          "keys": day.keys})
    page.goto(day.round_url())
    _upload(page, "form[action$='/keys']", keys_file, "发放")
    assert "实到代表 4 名" in _error(page)
    assert _db_round(day)[3] == 0

    # The fifth deputy arrives late: the clerk finds them with the search box.
    _log_in(page, day, "dengji")
    page.goto(day.round_url())
    page.get_by_role("link", name="签到").click()
    seat, name, _ = DEPUTIES[4]
    page.get_by_label("按姓名、座位号或代表团查找代表").press_sequentially(name)  # filters as typed
    expect(page.locator("tbody tr:visible")).to_have_count(1)
    expect(page.locator("tbody tr:visible")).to_contain_text(seat)
    page.get_by_role("button", name=f"为{name}签到").click()
    expect(page.locator("#checkin-done")).to_have_text(f"{name}已签到。")
    expect(page.locator("tbody tr:visible")).to_have_count(1)  # the search is kept
    # Marked by mistake? Undo, then mark again.
    page.get_by_role("button", name=f"撤销{name}的签到").click()
    expect(page.locator("#checkin-done")).to_have_text(f"已撤销{name}的签到。")
    expect(quorum).to_contain_text("实到 4 / 应到 6")
    page.get_by_role("button", name=f"为{name}签到").click()
    expect(page.locator("#checkin-done")).to_have_text(f"{name}已签到。")
    expect(quorum).to_contain_text("实到 5 / 应到 6 · 法定人数 4 已达到法定人数")

    # Now the credential authority prints the slips from the page: a PDF whose codes
    # are nowhere else.
    _log_in(page, day, "jianpiao")
    page.goto(day.round_url())
    page.get_by_label("打印凭证（PDF）：张数").fill("5")
    with page.expect_download() as download:
        page.get_by_role("button", name="打印凭证").click()
    slips_pdf = day.work / "slips.pdf"
    download.value.save_as(slips_pdf)
    text = subprocess.run(["pdftotext", "-layout", str(slips_pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    day.codes = re.findall(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}", text)
    assert len(day.codes) == 5
    assert "投票凭证 第 5 号" in text
    # Each slip carries the round fingerprint and a counterfoil with its key tag.
    assert len(re.findall(r"本轮指纹 [0-9A-F]{4}( [0-9A-F]{4}){3}", text)) == 5
    day.tags = [counterfoil_tag(public_key_bytes(derive_credential_key(c, EID, RID)).hex())
                for c in day.codes]
    assert all(tag in text for tag in day.tags)
    page.goto(day.round_url())
    expect(page.locator("#reconciliation")).to_have_text("应到 6 ≥ 实到 5 ≥ 发出 5 ≥ 收回 0")
    assert _db_round(day)[3] == 5

    expect(page.locator("#slip-counts tbody")).to_contain_text("5")
    # Every present deputy has a slip now: no one can be unmarked.
    _log_in(page, day, "dengji")
    page.goto(day.round_url())
    page.get_by_role("link", name="签到").click()
    # No undo is offered that would be refused; the page says why.
    expect(page.get_by_role("button", name=f"撤销{DEPUTIES[0][1]}的签到")).to_be_hidden()
    expect(page.locator("#undo-closed")).to_contain_text("请先作废一张未使用的凭证")

    # Round control is the presidium's: the clerk is not shown its buttons, and a post
    # made by hand is refused.
    page.goto(day.round_url())
    expect(page.get_by_role("button", name="开始投票")).to_have_count(0)
    token = page.locator("input[name=csrf_token]").first.get_attribute("value")
    assert token
    for action in ("open", "close", "combine", "publish"):
        response = page.request.post(day.round_url(action), form={"csrf_token": token},
                                     max_redirects=0)
        assert response.status == 403, action
        assert "您的账号没有访问此页面所需的角色。" in response.text()
    assert _db_round(day)[0] == RoundState.draft


def test_four_deputies_vote_in_the_booth(day: Day) -> None:
    page = day.presidium
    page.goto(day.round_url())
    page.get_by_role("button", name="开始投票").click()
    assert _success(page) == "完成：本轮现为 投票中。"
    expect(page.locator("h1")).to_contain_text("（投票中）")

    for voter, marks in enumerate(BALLOTS):
        booth = day.new_page()
        booth.goto(f"{day.url}/booth/?lang=zh_CN")
        booth.get_by_role("link", name=ROUND_TITLE).click()
        code = day.codes[voter]
        booth.get_by_label("凭证条上的投票码").fill(code.lower() if voter % 2 else code)
        booth.get_by_role("button", name="开始投票").click()
        expect(booth.locator("#counter")).to_contain_text("0 / 2")
        rows = booth.locator("fieldset.row")
        expect(rows).to_have_count(len(PROJECTS))
        for r, mark in enumerate(marks):
            if mark:
                rows.nth(r).get_by_text(mark).click()
        expect(booth.locator("#counter")).to_contain_text("2 / 2")
        booth.get_by_role("button", name="检查我的选票").click()
        review = booth.locator("table.review tbody tr")
        for r, mark in enumerate(marks):
            expect(review.nth(r)).to_contain_text(mark or "弃权")
        booth.get_by_role("button", name="加密我的选票").click()
        assert len(ballot_fingerprint(booth).replace(" ", "")) == 16
        booth.get_by_role("button", name="投出选票").click()
        expect(booth.locator("h1")).to_contain_text("已投出")
        booth.context.close()
        day.contexts.remove(booth.context)

    page.reload()
    expect(page.locator("#reconciliation")).to_have_text(
        f"应到 6 ≥ 实到 5 ≥ 发出 5 ≥ 收回 {VOTERS}")

    # The fifth slip was never used: the clerk voids it, publicly, by its counterfoil's tag.
    clerk = day.clerk
    clerk.goto(day.round_url())
    clerk.get_by_label("作废遗失的凭证（填写存根上的密钥标签或公钥）").fill(day.tags[VOTERS])
    clerk.get_by_role("button", name="作废").click()
    assert re.fullmatch(r"凭证已作废（公告板第\d+条）。", _success(clerk))
    expect(clerk.locator("#reconciliation")).to_have_text(
        f"应到 6 ≥ 实到 5 ≥ 发出 {VOTERS} ≥ 收回 {VOTERS}")


def test_presidium_closes_collects_shares_counts_and_publishes(day: Day) -> None:
    page = day.presidium
    page.goto(day.round_url())
    page.get_by_role("button", name="结束投票").click()
    assert _error(page) == "请勾选，确认现在结束投票。"
    assert _db_round(day)[0] == RoundState.open
    page.get_by_label("现在为所有人结束投票").check()
    page.get_by_role("button", name="结束投票").click()
    assert _success(page) == "完成：本轮现为 已结束投票。"
    expect(page.locator("h1")).to_contain_text("（已结束投票）")
    expect(page.locator("main")).to_contain_text("已收到的监票人解密份额: — (需要: 2)")
    shoot(page, "admin-round-closed-1024x768")

    request = parse_json(_download(page, "下载解密请求", day.work / "request.json").read_bytes())
    assert request["format"] == "piaojue-decryption-request/1"
    shares = {}
    for i in (1, 3):  # any two of the three trustees
        key = trustee_side.TrusteeKey.open(_key_path(day, i).read_bytes(), day.passphrases[i])
        shares[i] = trustee_side.decrypt(key, request)
        assert shares[i]["share"]["trustee"] == i

    forged = parse_json(canonical_json(shares[1]))
    cells = forged["share"]["cells"][0]
    cells[0]["M"], cells[1]["M"] = cells[1]["M"], cells[0]["M"]
    share_form = "form[action$='/share']"
    _upload(page, share_form, _write(day, "share-1-forged.json", forged), "上传")
    message = _error(page)
    assert "不予接收" in message
    assert f"（监票人 1，{TRUSTEES[0]}）" in message
    with day.sessions.begin() as s:
        assert tallying.shares_in(s, rounds.get_round(s, EID, RID)) == []

    for i, share in shares.items():
        _upload(page, share_form, _write(day, f"share-{i}.json", share), "上传")
        assert _success(page) == f"监票人{i}的解密份额核验通过。"
    expect(page.locator("main")).to_contain_text("已收到的监票人解密份额: 1, 3 (需要: 2)")

    page.get_by_role("button", name="计票").click()
    assert _success(page) == "完成：本轮现为 已计票。"
    expect(page.locator("main")).to_contain_text("当选 P01, P02")
    page.get_by_role("button", name="公布结果").click()
    assert _success(page) == "完成：本轮现为 已公布。"
    expect(page.locator("h1")).to_contain_text("（已公布）")
    shoot(page, "admin-round-published-1024x768")

    state, counts, result, issued = _db_round(day)
    assert state == RoundState.published
    assert counts == EXPECTED_COUNTS
    assert result["elected"] == ["P01", "P02"]
    assert result["reconciliation"] == {"enrolled": 6, "present": 5, "issued": VOTERS,
                                        "cast": VOTERS}
    assert issued == VOTERS

    record = _download(page, "record.zip", day.work / "record.zip")
    verified = subprocess.run([str(PIAOJUE), "verify", "--quiet", str(record)],
                              capture_output=True, text=True, timeout=60, check=False)
    assert verified.returncode == 0, verified.stderr

    page.get_by_role("link", name="结果", exact=True).click()
    table = page.locator("#results-table")
    for code, title, *_ in PROJECTS:
        expect(table.locator("tr", has_text=code)).to_contain_text(title)
    expect(table.locator("tr.status-elected")).to_have_count(2)
    expect(table.locator("tr.status-elected").nth(0)).to_contain_text("P01")
    expect(table.locator("tr.status-elected").nth(1)).to_contain_text("P02")
    expect(table.locator("tr.status-failed")).to_have_count(2)
    expect(table.locator("tr", has_text="P03").locator("td").nth(2)).to_have_text("3")
