"""The PDF reports as a reader sees them: rendered to an image, each QR code decodes to its
link and stands beside the text, overlapping none of it (issue 16, item 6)."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import zxingcpp
from PIL import Image
from sqlalchemy.orm import Session, sessionmaker

from admin.pdf import results_pdf, slips_pdf, year_report_pdf
from ballot.db import make_sessionmaker
from ballot.models import RoundKind
from ballot.rehearsal import RehearsalConfig
from ballot.services import credentials, elections, rounds
from ballot.services.year_report import year_report
from crypto.at_rest import AtRestKey
from tests.web_tools import rehearse_and_open

CONFIG = RehearsalConfig(rows=4, seats=2, deputies=8, present=8, voters=8, spoil=0, voided=0,
                         trustees=2, threshold=2, scrypt_n=2**10, tie=True,
                         election_id="pdf-layout-2026")
DPI = 150
POINTS_PER_PIXEL = 72 / DPI
RESULTS_URL = "https://piaojue.example.gov.cn/results/pdf-layout-2026/selection-1"
WORD = re.compile(r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">'
                  r'([^<]*)</word>')


@dataclass(frozen=True)
class Box:
    left: float
    top: float
    right: float
    bottom: float

    def overlaps(self, other: Box) -> bool:
        return (self.left < other.right and other.left < self.right
                and self.top < other.bottom and other.top < self.bottom)


@dataclass(frozen=True)
class Page:
    codes: list[tuple[str, Box]]
    """Each QR code found on the page: its text and its box, in PDF points."""
    words: list[tuple[str, Box]]
    text: str


def read_page(data: bytes, tmp: Path, page: int = 1) -> Page:
    pdf = tmp / "report.pdf"
    pdf.write_bytes(data)
    subprocess.run(["pdftoppm", "-r", str(DPI), "-png", "-f", str(page), "-l", str(page),
                    "-singlefile", str(pdf), str(tmp / "page")], check=True)
    with Image.open(tmp / "page.png") as image:
        found = zxingcpp.read_barcodes(image.convert("L"))
    codes = []
    for code in found:
        corners = (code.position.top_left, code.position.top_right,
                   code.position.bottom_left, code.position.bottom_right)
        xs, ys = [c.x for c in corners], [c.y for c in corners]
        codes.append((code.text, Box(min(xs) * POINTS_PER_PIXEL, min(ys) * POINTS_PER_PIXEL,
                                     max(xs) * POINTS_PER_PIXEL, max(ys) * POINTS_PER_PIXEL)))
    layout = subprocess.run(["pdftotext", "-bbox", "-f", str(page), "-l", str(page), str(pdf),
                             "-"], capture_output=True, text=True, check=True).stdout
    words = [(m.group(5), Box(*map(float, m.group(1, 2, 3, 4)))) for m in WORD.finditer(layout)]
    text = subprocess.run(["pdftotext", "-layout", str(pdf), "-"], capture_output=True,
                          text=True, check=True).stdout
    return Page(codes, words, text)


@pytest.fixture(scope="module")
def sessions(tmp_path_factory: pytest.TempPathFactory) -> Iterator[sessionmaker[Session]]:
    seeded = rehearse_and_open(tmp_path_factory.mktemp("pdf-layout"), CONFIG,
                               AtRestKey("pdf layout at-rest secret"), codes=1)
    yield make_sessionmaker(seeded.engine)
    seeded.engine.dispose()


def assert_beside_the_text(page: Page, url: str) -> None:
    assert [text for text, _ in page.codes] == [url]
    _, qr = page.codes[0]
    over = [word for word, box in page.words if box.overlaps(qr)]
    assert over == [], f"the QR code lies over {over}"
    beside = [word for word, box in page.words if box.top < qr.bottom and box.bottom > qr.top]
    assert beside, "the text that explains the QR code stands beside it"


def test_the_results_report_puts_its_qr_code_beside_the_text(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with sessions() as s:
        round_ = rounds.get_round(s, CONFIG.election_id, "selection-1")
        page = read_page(results_pdf(round_, RESULTS_URL), tmp_path)
        enrolled = round_.result["reconciliation"]["enrolled"] if round_.result else 0
    assert_beside_the_text(page, RESULTS_URL)
    # What the majority is counted against, in the report's own words.
    assert f"过半数：应到代表 {enrolled} 人的半数以上，即至少 {enrolled // 2 + 1} 票" in page.text


def test_the_year_report_puts_each_rounds_qr_code_beside_its_line(
        sessions: sessionmaker[Session], tmp_path: Path) -> None:
    with sessions() as s:
        report = year_report(s, elections.get_election(s, CONFIG.election_id))
        data = year_report_pdf(report, lambda round_id: f"{RESULTS_URL[:-12]}/{round_id}")
    info = subprocess.run(["pdfinfo", "-"], input=data, capture_output=True, check=True)
    found = re.search(r"Pages:\s+(\d+)", info.stdout.decode())
    assert found
    pages = int(found[1])
    last = read_page(data, tmp_path, pages)
    assert last.codes, "the year report ends with a QR code per published round"
    for url, _ in last.codes:
        assert url.startswith(RESULTS_URL[:-12])
    for _, qr in last.codes:
        assert not [w for w, box in last.words if box.overlaps(qr)]


def test_a_rating_rounds_slips_speak_of_rating(tmp_path: Path) -> None:
    """Slips for a rating round say 满意/基本满意/不满意, not 赞成/反对/弃权 (issue 16, item 1)."""
    slips = credentials.make_slips(CONFIG.election_id, "midyear-rating", 1)
    for kind, words, absent in ((RoundKind.rating, "满意、基本满意或不满意", "赞成"),
                                (RoundKind.selection, "赞成、反对或弃权", "基本满意")):
        text = read_page(slips_pdf("湘江区人民代表大会", "年中票评", slips, kind=kind),
                         tmp_path).text
        assert words in text.replace("\n", "").replace(" ", "")
        assert absent not in text

