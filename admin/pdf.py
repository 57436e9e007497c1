"""PDF documents: credential slips to print, the results report and the year report.

Chinese text needs a CJK font embedded in the PDF; Debian's fonts-noto-cjk
provides Noto Sans CJK (`make test` and the server install it). fpdf2
subsets it, so a slip sheet stays small.
"""

from __future__ import annotations

import glob
import io
from collections.abc import Callable, Sequence
from typing import Any

import qrcode
from fpdf import FPDF

from ballot.catalog import chinese
from ballot.errors import Conflict
from ballot.labels import RESULT_STATUS, label, majority_sentence, word
from ballot.models import Round, RoundKind
from ballot.rules import majority_line
from ballot.services.credentials import Slip, counterfoil_tag
from ballot.services.rounds import manifest_of
from ballot.services.year_report import YearReport, rating_class

FONT_CANDIDATES = (
    ("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc", 2),  # SC face of the collection
    ("/usr/share/fonts/truetype/wqy/wqy-zenhei.ttc", 0),
)
SLIPS_PER_PAGE = 8


def _font_path() -> tuple[str, int]:
    for path, index in FONT_CANDIDATES:
        if glob.glob(path):
            return path, index
    raise Conflict("no Chinese font is installed: install the Debian package fonts-noto-cjk")


def _document() -> FPDF:
    pdf = FPDF(format="A4", unit="mm")
    path, index = _font_path()
    pdf.add_font("cjk", fname=path, collection_font_number=index)
    pdf.set_font("cjk", size=11)
    pdf.set_auto_page_break(auto=True, margin=12)
    pdf.set_creator("Piaojue")
    return pdf


def _finish(pdf: FPDF) -> bytes:
    """The PDF's bytes; the font files fpdf2 opened lazily are closed, not left to the GC."""
    data = bytes(pdf.output())
    for font in pdf.fonts.values():
        ttfont = getattr(font, "ttfont", None)
        if ttfont is not None:
            ttfont.close()
    return data


def _paragraph(pdf: FPDF, height: float, text: str, **kwargs: Any) -> None:
    """A full-width paragraph from the left margin, leaving the cursor below it. Ragged
    right (not justified): a justified line of Chinese and a long URL is stretched with
    gaps."""
    pdf.set_x(pdf.l_margin)
    kwargs.setdefault("align", "L")
    pdf.multi_cell(0, height, text, new_x="LMARGIN", new_y="NEXT", **kwargs)


def _qr_png(text: str) -> io.BytesIO:
    buffer = io.BytesIO()
    qrcode.make(text, box_size=6, border=1).save(buffer)  # PNG, qrcode's default image
    buffer.seek(0)
    return buffer


MARKING = {RoundKind.selection: "对每个项目选择赞成、反对或弃权",
           RoundKind.rating: "对每个项目选择满意、基本满意或不满意（不选即不评价）"}
"""How a slip tells the deputy to mark, in the round's own words."""


def slips_pdf(congress: str, round_title: str, slips: Sequence[Slip], start: int = 1,
              round_fingerprint: str = "", kind: RoundKind = RoundKind.selection) -> bytes:
    """One cut-out slip per code: round, grouped code, its QR, instructions, and a counterfoil.

    The counterfoil (存根), cut off and kept by the clerk, carries the slip's
    number and its key tag, so a lost slip can be voided without the server
    keeping a table from numbers to keys. The round fingerprint lets the deputy
    check the tablet's. The caller streams the bytes and drops the codes.
    """
    pdf = _document()
    width, height = 95.0, 68.0
    for n, slip in enumerate(slips):
        code = slip.code
        if n % SLIPS_PER_PAGE == 0:
            pdf.add_page()
        col, row = n % 2, (n % SLIPS_PER_PAGE) // 2
        x, y = 10 + col * (width + 0), 10 + row * height
        pdf.set_draw_color(150)
        pdf.set_line_width(0.2)
        pdf.set_dash_pattern(dash=2, gap=2)  # cut lines
        pdf.rect(x, y, width, height)
        pdf.set_dash_pattern()
        pdf.set_xy(x + 4, y + 4)
        pdf.set_font("cjk", size=8)
        pdf.multi_cell(width - 40, 4, f"{congress}\n{round_title}\n投票凭证 第 {start + n} 号"
                                      f"\n本轮指纹 {round_fingerprint}")
        pdf.image(_qr_png(code), x=x + width - 31, y=y + 3, w=27, h=27)
        pdf.set_font("cjk", size=14)
        pdf.set_xy(x + 4, y + 32)
        pdf.cell(width - 8, 8, code, align="C")
        pdf.set_font("cjk", size=7.5)
        pdf.set_xy(x + 4, y + 43)
        pdf.multi_cell(width - 8, 3.6,
                       "使用方法：在投票终端输入上方20位投票码（不分大小写，短横线可省略），"
                       f"{MARKING[kind]}，核对后投出。投票后请保存回执，"
                       "可扫描回执二维码核验选票已被记录。本凭证只能投一次票，"
                       "不记录持有人姓名；遗失请告知工作人员作废补发。")
        pdf.set_dash_pattern(dash=1, gap=1)  # the counterfoil is cut off and kept by the clerk
        pdf.line(x, y + 59, x + width, y + 59)
        pdf.set_dash_pattern()
        pdf.set_font("cjk", size=7)
        pdf.set_xy(x + 4, y + 60)
        pdf.multi_cell(width - 8, 3.5,
                       f"存根（工作人员留存，本轮结束后销毁）第 {start + n} 号\n"
                       f"密钥标签 {counterfoil_tag(slip.public_key)}（遗失作废时输入）")
    return _finish(pdf)


def results_pdf(round_: Round, verify_url: str) -> bytes:
    """The results report in Chinese: reconciliation, table, chart, how to verify."""
    result: dict[str, Any] | None = round_.result
    if not result:
        raise Conflict("round %(round_id)s has no result yet", round_id=round_.round_id)
    titles = {r.project.code: r.project.title for r in round_.rows}
    pdf = _document()
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    _paragraph(pdf, 9, f"{round_.election.congress_name}\n{round_.title} 结果报告",
                   align="C")
    pdf.ln(2)
    rec = result["reconciliation"]
    pdf.set_font("cjk", size=11)
    _paragraph(pdf, 6, f"应到 {rec['enrolled']} 人，实到 {rec['present']} 人，发出凭证 "
                         f"{rec['issued']} 张，收回选票 {rec['cast']} 张。")
    majority = majority_line(manifest_of(round_), rec["cast"])
    _paragraph(pdf, 6, chinese(majority_sentence(majority)) + "。")
    pdf.ln(2)
    selection = round_.kind.value == "selection"
    if selection:
        head = ("编号", "项目名称", "赞成", "反对", "弃权", "结果")
        rows = [(r["id"], titles.get(r["id"], ""), str(r["for"]), str(r["against"]),
                 str(r["abstain"]), chinese(word(RESULT_STATUS, r["status"])))
                for r in result["rows"]]
    else:
        head = ("编号", "项目名称", "满意", "基本满意", "不满意", "结果")
        rows = [(r["id"], titles.get(r["id"], ""), str(r["satisfied"]),
                 str(r["basically_satisfied"]), str(r["dissatisfied"]), rating_class(r))
                for r in result["rows"]]
    widths = (16, 78, 20, 20, 20, 36)
    pdf.set_font("cjk", size=10)
    for cells, shade in [(head, True), *((r, False) for r in rows)]:
        pdf.set_fill_color(230 if shade else 255)
        for text, w in zip(cells, widths, strict=True):
            pdf.cell(w, 7, text[:28], border=1, fill=shade)
        pdf.ln()
    pdf.ln(3)
    if selection:
        elected = "、".join(f"{c} {titles.get(c, '')}" for c in result["elected"]) or "无"
        _paragraph(pdf, 6, f"当选项目：{elected}")
        if result["runoff"]:
            _paragraph(pdf, 6, f"{'、'.join(result['runoff']['candidates'])} 票数相同，"
                                 f"将再次投票决定 {result['runoff']['seats']} 个名额。")
        if result["unfilled"]:
            _paragraph(pdf, 6, f"尚有 {result['unfilled']} 个名额空缺。")
    _bar_chart(pdf, result["rows"], "for" if selection else "satisfied",
               rec["cast"] or 1, "赞成票" if selection else "满意票")
    pdf.ln(4)
    y = pdf.get_y()
    if y > 230:
        pdf.add_page()
        y = pdf.get_y()
    _beside_qr(pdf, verify_url, y, 32,
               "核验方法：扫描二维码打开公开结果页面，从公告板页面下载选举记录，"
               "用 piaojue verify 记录文件.zip 独立核验每一张选票的证明、"
               "监票人的解密证明、计票和当选规则。投票代表可用回执核验"
               f"自己的选票已被如实记录。\n{verify_url}")
    return _finish(pdf)


def _beside_qr(pdf: FPDF, url: str, y: float, size: float, text: str) -> None:
    """A QR code of ``url`` at the left margin and ``text`` in the column to its right,
    never over it; the cursor ends below whichever is taller."""
    pdf.image(_qr_png(url), x=pdf.l_margin, y=y, w=size, h=size)
    column = pdf.l_margin + size + 4
    pdf.set_xy(column, y)
    pdf.multi_cell(pdf.w - pdf.r_margin - column, 5.5, text, align="L", new_x="LMARGIN",
                   new_y="NEXT")
    pdf.set_y(max(pdf.get_y(), y + size + 2))


def _bar_chart(pdf: FPDF, rows: list[dict[str, Any]], key: str, most: int, label: str) -> None:
    pdf.ln(3)
    pdf.set_font("cjk", size=10)
    pdf.cell(0, 6, f"各项目{label}")
    pdf.ln(7)
    for r in rows:
        if pdf.get_y() > 270:
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_xy(12, y)
        pdf.cell(16, 5, r["id"])
        pdf.set_fill_color(27, 110, 58)
        pdf.rect(30, y + 0.5, 140 * r[key] / most, 4, style="F")
        pdf.set_xy(32 + 140 * r[key] / most, y)
        pdf.cell(20, 5, str(r[key]))
        pdf.ln(6)


def _table(pdf: FPDF, head: Sequence[str], rows: Sequence[Sequence[str]],
           widths: Sequence[float]) -> None:
    pdf.set_font("cjk", size=9)
    for cells, shade in [(head, True), *((r, False) for r in rows)]:
        if pdf.get_y() > 275:
            pdf.add_page()
        pdf.set_fill_color(230 if shade else 255)
        for text, w in zip(cells, widths, strict=True):
            pdf.cell(w, 6.5, pdf_fit(pdf, text, w - 1), border=1, fill=shade)
        pdf.ln()
    pdf.ln(3)


def pdf_fit(pdf: FPDF, text: str, width: float) -> str:
    """Shorten ``text`` with an ellipsis so it fits ``width`` mm in the current font."""
    if pdf.get_string_width(text) <= width:
        return text
    while text and pdf.get_string_width(text + "…") > width:
        text = text[:-1]
    return text + "…"


def _heading(pdf: FPDF, text: str) -> None:
    if pdf.get_y() > 250:
        pdf.add_page()
    pdf.ln(2)
    pdf.set_font("cjk", size=13)
    _paragraph(pdf, 8, text)
    pdf.set_font("cjk", size=10)


def year_report_pdf(report: YearReport, results_url: Callable[[str], str]) -> bytes:
    """The year in Chinese, list by list (选单, 定单, 晒单, 评单, 整改), ending with a
    QR code per published round that opens its results and record, and the board
    hash the downloaded record must end with."""
    election = report.election
    pdf = _document()
    pdf.add_page()
    pdf.set_font("cjk", size=16)
    _paragraph(pdf, 9, f"{election.congress_name}\n{election.year}年度民生实事项目工作报告",
               align="C")
    pdf.set_font("cjk", size=10)

    _heading(pdf, "一、选单：征集与答复")
    accepted = sum(c.accepted for c in report.categories)
    _paragraph(pdf, 6, f"共收到群众和代表提出的项目建议 {report.proposals_received} 件，已答复 "
                       f"{report.proposals_answered} 件，采纳进入项目储备库 {accepted} 件。")
    _table(pdf, ("类别", "收到", "已答复", "采纳"),
           [(c.category, str(c.received), str(c.answered), str(c.accepted))
            for c in report.categories], (70, 30, 30, 30))

    titles = {p.tracked.project.code: p.tracked.project.title for p in report.projects}
    for line in report.rounds:
        titles.update({r.project.code: r.project.title for r in line.round.rows})
    selections = [line.round for line in report.rounds
                  if line.round.kind == RoundKind.selection]
    ratings = [line.round for line in report.rounds if line.round.kind == RoundKind.rating]
    _heading(pdf, "二、定单：代表票决")
    if not selections:
        _paragraph(pdf, 6, "本年度尚未公布票决结果。")
    for round_ in selections:
        _round_table(pdf, round_, titles)

    _heading(pdf, "三、晒单：项目实施进度")
    _table(pdf, ("编号", "项目名称", "承办部门", "进度", "状态", "督查"),
           [(p.tracked.project.code, p.tracked.project.title, p.tracked.department,
             f"{p.tracked.percent}%", chinese(label(p.tracked.state)),
             f"{len(p.tracked.checks)} 次") for p in report.projects],
           (16, 70, 44, 18, 20, 22))
    if report.projects:
        _progress_bars(pdf, report)

    _heading(pdf, "四、评单：代表测评")
    if not ratings:
        _paragraph(pdf, 6, "本年度尚未公布测评结果。")
    for round_ in ratings:
        _round_table(pdf, round_, titles)

    tasks = [(p, r) for p in report.projects for r in p.rectifications]
    _heading(pdf, "五、整改")
    if tasks:
        _table(pdf, ("编号", "因", "期限", "状态", "再评"),
               [(p.tracked.project.code, r.rating_round.title, r.due.isoformat(),
                 chinese(label(r.state)), r.rerating_round.title if r.rerating_round else "—")
                for p, r in tasks], (16, 70, 26, 30, 48))
    else:
        _paragraph(pdf, 6, "本年度没有需整改的项目。")

    _heading(pdf, "六、核验")
    _paragraph(pdf, 5.5, "每一轮投票的选举记录均已公开。扫描二维码打开该轮结果页面并下载记录，"
                         "用 piaojue verify 记录.zip 独立核验每张选票的证明、监票人的解密证明、"
                         "计票和规则；下载的记录中公告板最后的哈希应与下列哈希一致。", align="L")
    pdf.ln(2)
    for line in report.rounds:
        if pdf.get_y() > 250:
            pdf.add_page()
        y = pdf.get_y()
        url = results_url(line.round.round_id)
        _beside_qr(pdf, url, y, 26, f"{line.round.title}（{line.round.round_id}）\n{url}\n"
                                   f"公告板哈希 {line.board_hash}")
    return _finish(pdf)


def _round_table(pdf: FPDF, round_: Round, titles: dict[str, str]) -> None:
    """One published round: its reconciliation and its result, row by row."""
    result = round_.result or {}
    rec = result.get("reconciliation", {})
    pdf.set_font("cjk", size=11)
    _paragraph(pdf, 7, round_.title)
    pdf.set_font("cjk", size=10)
    _paragraph(pdf, 6, f"应到 {rec.get('enrolled')} 人，实到 {rec.get('present')} 人，"
                       f"发出凭证 {rec.get('issued')} 张，收回选票 {rec.get('cast')} 张。")
    if round_.kind == RoundKind.selection:
        _table(pdf, ("编号", "项目名称", "赞成", "反对", "弃权", "结果"),
               [(r["id"], titles.get(r["id"], ""), str(r["for"]), str(r["against"]),
                 str(r["abstain"]), chinese(word(RESULT_STATUS, r["status"])))
                for r in result["rows"]],
               (16, 84, 18, 18, 18, 36))
    else:
        _table(pdf, ("编号", "项目名称", "满意", "基本满意", "不满意", "等次"),
               [(r["id"], titles.get(r["id"], ""), str(r["satisfied"]),
                 str(r["basically_satisfied"]), str(r["dissatisfied"]),
                 rating_class(r)) for r in result["rows"]], (16, 78, 18, 22, 18, 38))


def _progress_bars(pdf: FPDF, report: YearReport) -> None:
    pdf.set_font("cjk", size=9)
    for p in report.projects:
        if pdf.get_y() > 275:
            pdf.add_page()
        y = pdf.get_y()
        pdf.set_xy(12, y)
        pdf.cell(16, 5, p.tracked.project.code)
        pdf.set_draw_color(120)
        pdf.rect(30, y + 0.5, 140, 4)
        pdf.set_fill_color(27, 110, 58)
        if p.tracked.percent:
            pdf.rect(30, y + 0.5, 140 * p.tracked.percent / 100, 4, style="F")
        pdf.set_xy(173, y)
        pdf.cell(20, 5, f"{p.tracked.percent}%")
        pdf.ln(6)
    pdf.ln(2)
