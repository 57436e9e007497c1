"""A real server on 127.0.0.1 and Debian's Chromium driven by Playwright.

Chromium is Debian's package (`make test` installs it); Playwright never
downloads a browser here. The server is the real app on a real SQLite file,
seeded by a rehearsal whose result calls for another round, opened for the
booth with known codes.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright

from ballot.rehearsal import RehearsalConfig
from crypto.at_rest import AtRestKey
from tests.web_tools import rehearse_and_open, served

CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]
SCREENSHOTS = Path(__file__).resolve().parents[2] / "out" / "screenshots"
CONFIG = RehearsalConfig(rows=5, seats=2, deputies=10, present=10, voters=10, spoil=0,
                         voided=0, trustees=3, threshold=2, scrypt_n=2**10, tie=True,
                         election_id="browser-2026")


@dataclass
class Site:
    url: str
    election_id: str
    round_id: str
    codes: list[str]
    database: str
    at_rest: AtRestKey
    keys: Path
    """The rehearsal trustees' key files: the booth round can be tallied with them."""
    published_round_id: str
    """The rehearsal's own round, published: its record is on the site."""


@pytest.fixture(scope="session")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    at_rest = AtRestKey("browser tests at-rest secret")
    seeded = rehearse_and_open(tmp_path_factory.mktemp("site"), CONFIG, at_rest, codes=6)
    seeded.engine.dispose()
    with served({"DATABASE_URL": seeded.url, "PIAOJUE_AT_REST": at_rest,
                 "SECRET_KEY": "browser tests flask secret"}) as address:
        yield Site(address, CONFIG.election_id, seeded.opened.round_id,
                   seeded.opened.codes, seeded.url, at_rest, seeded.keys,
                   seeded.outcome.round_id)


@pytest.fixture(scope="session")
def browser() -> Iterator[Browser]:
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield browser
        browser.close()


@pytest.fixture
def tablet(browser: Browser) -> Iterator[Page]:
    """A landscape tablet, 1024×768, in a fresh browser context."""
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    page = context.new_page()
    yield page
    context.close()


def shoot(page: Page, name: str) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{name}.png"), full_page=True)


def ballot_fingerprint(page: Page) -> str:
    """Wait until the tablet has encrypted the ballot; the fingerprint it shows."""
    expect(page.locator("#step-fingerprint")).to_be_visible(timeout=30_000)
    return page.locator("#fingerprint").inner_text()
