"""A walk through every page each role can reach, in Chinese and in English (issue 16,
items 1, 2 and 10): axe-core finds no accessibility violation on any page; a zh-CN page
shows no English word that is not data, a code, a file name or an allowed proper name;
an English page shows no Chinese but data and the bilingual labels."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any
from urllib.parse import urljoin, urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect
from sqlalchemy import JSON, MetaData, String, Text, create_engine, select

from ballot.db import make_engine, make_sessionmaker
from ballot.services import staff
from tests.browser.conftest import Site

pytestmark = pytest.mark.slow
AXE = Path(__file__).resolve().parents[2] / "node_modules" / "axe-core" / "axe.min.js"
PASSWORD = "page walk password"
ROLES = staff.ROLES
MOST_PAGES = 60
DOWNLOADS = re.compile(r"\.(pdf|csv|xlsx|zip|json|jsonl|pb)$|/export/|/logout|/year-report")
ENGLISH_WORD = re.compile(r"[A-Za-z][A-Za-z'’]+")
CHINESE_RUN = re.compile(r"[\u3400-\u9fff]+")
NOT_WORDS = [re.compile(p) for p in (
    r"https?://\S+",                                     # addresses
    r"[\w.-]*\.(?:csv|xlsx|json|jsonl|zip|pdf|pb)\b",    # file names, and bare extensions
    r"piaojue(?: [a-z][a-z-]*)+",                        # commands to type
    r"\b[0-9a-fA-F]{2,}(?:[ -][0-9a-fA-F]{2,})*\b",      # digests, keys and fingerprints
)]
ALLOWED_ENGLISH = {"Piaojue", "English", "PDF", "CSV", "XLSX", "JSON", "JPEG", "PNG", "MB",
                   "QR", "Tab", "ID"}
"""The brand, the language switch, and the names of file formats and keys."""
BILINGUAL = {"票决", "赞成", "反对", "弃权", "应到", "实到", "发出", "收回", "满意", "基本满意",
             "不满意", "差额", "监票人", "主席团", "大屏", "中文", "万元", "储备库", "座位号",
             "姓名", "代表团", "编号", "项目名称", "类别", "估算金额", "地点", "实施单位",
             "请假", "签到", "民生实事项目人大代表票决制", "选单", "议单", "定单", "晒单", "评单",
             "整改", "年中票评", "年终满意度测评", "第"}
"""Chinese an English page keeps on purpose: the ballot's own words and the terms of the
票决制 in parentheses beside their translation, the language switch, the CSV headings."""


def data_strings(site: Site) -> list[str]:
    """Every string the database holds: names, titles, places, answers. A page may show
    them in any language."""
    engine = create_engine(site.database)
    metadata = MetaData()
    metadata.reflect(engine)
    out: list[str] = []
    with engine.connect() as connection:
        for table in metadata.tables.values():
            columns = [c for c in table.columns if isinstance(c.type, String | Text | JSON)]
            if columns:
                for row in connection.execute(select(*columns)):
                    out += [str(v) for v in row if v]
    engine.dispose()
    return out


def english_words(text: str, ids: set[str]) -> list[str]:
    for pattern in NOT_WORDS:
        text = pattern.sub(" ", text)
    return sorted({w for w in ENGLISH_WORD.findall(text)
                   if w not in ALLOWED_ENGLISH and w not in ids})


def chinese_words(text: str, data: list[str]) -> list[str]:
    return sorted({run for run in CHINESE_RUN.findall(text)
                   if run not in BILINGUAL and not any(run in d for d in data)})


def log_in(page: Page, site: Site, role: str | None) -> str:
    if role is None:
        return "/"
    page.goto(f"{site.url}/admin/login")
    page.fill("#username", f"walk-{role}")
    page.fill("#password", PASSWORD)
    page.click("button[type=submit]")
    return "/admin/"


def walk(page: Page, site: Site, start: str, lang: str) -> dict[str, dict[str, Any]]:
    """Every HTML page reachable by links from ``start``: its axe violations and text."""
    seen: set[str] = set()
    queue, found = [start], {}
    while queue and len(seen) < MOST_PAGES:
        path = queue.pop(0)
        if path in seen or DOWNLOADS.search(urlsplit(path).path):
            continue
        seen.add(path)
        response = page.goto(f"{site.url}{path}")
        if response is None or "text/html" not in response.headers.get("content-type", ""):
            continue
        page.add_script_tag(path=str(AXE))
        violations = page.evaluate("""async () => (await axe.run(document)).violations
            .map(v => `${v.id}: ${v.nodes.map(n => n.target.join(' ')).join(', ')}`)""")
        found[path] = {"violations": violations, "text": page.locator("body").inner_text()}
        for href in page.eval_on_selector_all("a[href]",
                                              "links => links.map(a => a.getAttribute('href'))"):
            target = urlsplit(urljoin(path, href))
            if target.netloc or href.startswith("#") or target.path.startswith("/static/"):
                continue
            link = target.path + (f"?{target.query}" if target.query else "")
            if "lang=" not in link and link not in seen:
                queue.append(link)
    return found


@pytest.fixture(scope="module")
def walkers(site: Site) -> list[str | None]:
    engine = make_engine(site.database)
    with make_sessionmaker(engine).begin() as s:
        for role in ROLES:
            staff.create_staff(s, f"walk-{role}", PASSWORD, [role], "走查员",
                               department="住建局" if role == "department" else "")
    engine.dispose()
    return [None, *ROLES]


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_every_page_of_every_role_is_accessible_and_in_one_language(
        browser: Browser, site: Site, walkers: list[str | None], lang: str) -> None:
    ids = {part for name in (site.election_id, site.round_id, site.published_round_id)
           for part in re.split(r"[-\d]+", name) if part}
    data = data_strings(site)
    problems: list[str] = []
    pages = 0
    for role in walkers:
        context = browser.new_context(viewport={"width": 1024, "height": 768},
                                      bypass_csp=True)  # to inject axe-core, nothing else
        page = context.new_page()
        page.goto(f"{site.url}/?lang={lang}")  # the language cookie for the whole walk
        start = log_in(page, site, role)
        for path, seen in walk(page, site, start, lang).items():
            pages += 1
            who = f"{role or 'public'} {path}"
            problems += [f"{who}: axe {v}" for v in seen["violations"]]
            stray = (english_words(seen["text"], ids) if lang == "zh_CN"
                     else chinese_words(seen["text"], data))
            if stray:
                problems.append(f"{who}: {', '.join(stray[:12])}")
        context.close()
    assert pages > 40, "the walk reached too few pages"
    assert problems == [], "\n".join(problems)


def test_the_refusals_a_careless_user_meets_are_in_chinese(browser: Browser, site: Site,
                                                           walkers: list[str | None],
                                                           tmp_path: Path) -> None:
    """Empty and oversized fields, bad numbers and wrong files, as a careless user sends
    them: each is refused in Chinese, beside the field when it is about one."""
    ids = {part for name in (site.election_id, site.round_id, site.published_round_id)
           for part in re.split(r"[-\d]+", name) if part}
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    page.goto(f"{site.url}/?lang=zh_CN")
    log_in(page, site, "presidium")
    seen: list[str] = []

    def refused(what: str) -> None:
        expect(page.locator("main .error").first).to_be_visible()
        stray = english_words(page.locator("main").inner_text(), ids)
        assert stray == [], (what, stray)
        seen.append(what)

    # The new-election form: a year in Chinese numerals, then an oversized name.
    page.goto(f"{site.url}/admin/")
    page.get_by_text("新建选举").click()
    page.get_by_label("简短标识（字母、数字、-）").fill("careless-2026")
    page.get_by_label("会议名称").fill("某某区人民代表大会")
    page.get_by_label("年度").fill("二〇二六")
    page.get_by_label("监票人，每行一个姓名").fill("甲\n乙")
    page.get_by_label("解密所需监票人数").fill("1")
    page.get_by_role("button", name="创建").click()
    refused("a bad year")
    expect(page.locator("#year-error")).to_be_visible()
    expect(page.get_by_label("会议名称")).to_have_value("某某区人民代表大会")
    page.get_by_label("年度").fill("2026")
    page.get_by_label("简短标识（字母、数字、-）").fill("X" * 300)
    page.get_by_role("button", name="创建").click()
    refused("an oversized id")

    # A roster file that is not a table.
    wrong = tmp_path / "roster.csv"
    wrong.write_bytes(b"\x00\x01 not a table \xff")
    page.goto(f"{site.url}/admin/e/{site.election_id}/")
    page.locator("#file-deputies").set_input_files(str(wrong))
    page.locator("form[action$='/import/deputies'] button[type=submit]").click()
    refused("a wrong file")

    # A new round with seats in words.
    page.get_by_text("新建轮次").click()
    page.get_by_label("轮次标识").fill("careless-1")
    page.get_by_label("标题").fill("随手填写的轮次")
    page.get_by_label("名额（票决）").fill("两个")
    page.get_by_role("button", name="创建轮次").click()
    refused("seats in words")
    expect(page.locator("#seats-error")).to_be_visible()

    # The public's proposal form, sent empty.
    page.goto(f"{site.url}/propose")
    page.locator("form button[type=submit]").click()  # the browser's own check first…
    page.evaluate("document.querySelectorAll('[required]').forEach(f => f.required = false)")
    page.locator("form button[type=submit]").click()  # …then the server's
    refused("an empty proposal")
    assert len(seen) == 5
    context.close()
