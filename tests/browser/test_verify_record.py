"""The record verifier in the browser: /verify/record on the site, and the same
page saved as one file and opened from disk with the network cut off.

The record is verified by the JavaScript verifier in Web Workers (libsodium's
WebAssembly for the group); a tampered record shows its first failure, the same
one the Python verifier names; a receipt from the record checks against it, an
altered one does not; a challenged ballot's marks are shown decoded.
"""

from __future__ import annotations

import io
import json
import urllib.request
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Page, expect

from ballot.verifier import RecordInvalid, verify_record_files
from tests.browser.conftest import Site, shoot

VECTORS = Path(__file__).resolve().parents[1] / "vectors" / "record_v1"
VERIFY_TIMEOUT = 60_000


def _download(url: str) -> bytes:
    with urllib.request.urlopen(url) as response:  # the test site, on 127.0.0.1
        data: bytes = response.read()
    return data


def _zip(files: dict[str, bytes]) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in files.items():
            archive.writestr(name, data)
    return out.getvalue()


def _files(record: bytes) -> dict[str, bytes]:
    with zipfile.ZipFile(io.BytesIO(record)) as archive:
        return {name: archive.read(name) for name in archive.namelist()}


@pytest.fixture
def offline_page(browser: Browser, site: Site, tmp_path: Path) -> Iterator[Page]:
    """The offline verifier, downloaded once, opened from a file with no network."""
    html = tmp_path / "piaojue-verify-record.html"
    html.write_bytes(_download(f"{site.url}/verify/record/offline.html?lang=zh_CN"))
    context = browser.new_context(viewport={"width": 1024, "height": 768}, offline=True)
    page = context.new_page()
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))
    page.goto(html.as_uri())
    expect(page.locator("#record-verifier[data-ready='1']")).to_have_count(1)
    yield page
    assert all(url.startswith(("file:", "blob:", "data:")) for url in requests), requests
    context.close()


def _open_record(page: Page, tmp_path: Path, name: str, record: bytes) -> None:
    path = tmp_path / name
    path.write_bytes(record)
    page.locator("#record-file").set_input_files(str(path))


def test_the_published_record_verifies_on_the_site_and_its_receipt_checks(
        tablet: Page, site: Site) -> None:
    tablet.goto(f"{site.url}/verify/record?election={site.election_id}"
                f"&round={site.published_round_id}")
    tablet.locator('[data-action="fetch-record"]').click()
    result = tablet.locator("#result")
    expect(result).to_have_attribute("data-verdict", "verifies", timeout=VERIFY_TIMEOUT)
    expect(tablet.locator("#steps li")).to_have_count(6)  # receipts.jsonl included
    expect(tablet.locator("#steps")).to_contain_text("选票定义")
    shoot(tablet, "verify-record-tablet")
    record = _download(f"{site.url}/record/{site.election_id}/{site.published_round_id}.zip")
    line = _files(record)["receipts.jsonl"].decode().splitlines()[0]
    tablet.locator("#receipt-text").fill(line)
    tablet.locator('[data-action="check-receipt"]').click()
    expect(tablet.locator("#receipt-result")).to_have_attribute("data-verdict", "verifies")
    expect(tablet.locator("#receipt-result")).to_contain_text("第")
    doc = json.loads(line)
    doc["receipt"]["index"] += 1
    tablet.locator("#receipt-text").fill(json.dumps(doc))
    tablet.locator('[data-action="check-receipt"]').click()
    expect(tablet.locator("#receipt-result")).to_have_attribute("data-verdict", "fails")


def test_a_receipt_checked_by_the_site_is_checked_again_in_the_browser(
        tablet: Page, site: Site) -> None:
    record = _download(f"{site.url}/record/{site.election_id}/{site.published_round_id}.zip")
    doc = json.loads(_files(record)["receipts.jsonl"].decode().splitlines()[2])
    tablet.goto(f"{site.url}/verify")
    tablet.locator("#receipt").fill(json.dumps(doc))
    tablet.locator("form button[type=submit]").click()
    expect(tablet.locator("#verify-result")).to_contain_text("未被改动")
    tablet.get_by_role("link", name="在您自己的浏览器中").click()
    assert "receipt=" in tablet.url.split("#", 1)[1]
    expect(tablet.locator("#result")).to_have_attribute("data-verdict", "verifies",
                                                        timeout=VERIFY_TIMEOUT)
    expect(tablet.locator("#receipt-result")).to_have_attribute("data-verdict", "verifies")
    expect(tablet.locator("#receipt-result")).to_contain_text(f"第 {doc['receipt']['index']} 条")


def test_the_offline_file_verifies_a_record_with_a_challenge_and_refuses_a_tampered_one(
        offline_page: Page, tmp_path: Path) -> None:
    files = {path.name: path.read_bytes() for path in VECTORS.iterdir()}
    _open_record(offline_page, tmp_path, "record.zip", _zip(files))
    result = offline_page.locator("#result")
    expect(result).to_have_attribute("data-verdict", "verifies", timeout=VERIFY_TIMEOUT)
    expect(offline_page.locator("#challenged-rows tr")).to_have_count(1)
    expect(offline_page.locator("#challenged-rows")).to_contain_text("赞成")
    shoot(offline_page, "verify-record-offline")

    result_doc = json.loads(files["result.json"])
    result_doc["elected"] = list(reversed(result_doc["elected"])) or ["P99"]
    tampered = dict(files, **{"result.json": json.dumps(result_doc, sort_keys=True,
        separators=(",", ":"), ensure_ascii=False).encode()})
    with pytest.raises(RecordInvalid) as python_says:
        verify_record_files(tampered)
    _open_record(offline_page, tmp_path, "tampered.zip", _zip(tampered))
    expect(result).to_have_attribute("data-verdict", "fails", timeout=VERIFY_TIMEOUT)
    expect(offline_page.locator("#result-detail")).to_have_text(str(python_says.value))


def test_a_file_that_is_no_record_is_named_unreadable(offline_page: Page,
                                                      tmp_path: Path) -> None:
    _open_record(offline_page, tmp_path, "notes.zip", b"these are not the records")
    expect(offline_page.locator("#result")).to_have_attribute("data-verdict", "fails")
    expect(offline_page.locator("#result-title")).to_have_text("无法将此文件读作选举记录。")


def test_the_page_fits_a_phone(browser: Browser, site: Site) -> None:
    context = browser.new_context(viewport={"width": 390, "height": 844})
    page = context.new_page()
    page.goto(f"{site.url}/verify/record")
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= 390
    shoot(page, "verify-record-phone")
    context.close()


def test_a_receipt_link_carries_the_receipt_in_its_fragment_only(tablet: Page,
                                                                 site: Site) -> None:
    """The link a receipt's QR code holds: the page posts the receipt itself, so no
    request line (what access logs keep) ever contains it."""
    from booth import receipts

    record = _download(f"{site.url}/record/{site.election_id}/{site.published_round_id}.zip")
    doc = json.loads(_files(record)["receipts.jsonl"].decode().splitlines()[1])
    text = receipts.encode(doc)
    urls: list[str] = []
    tablet.on("request", lambda request: urls.append(request.url))
    tablet.goto(f"{site.url}/verify#receipt={text}")
    expect(tablet.locator("#verify-result")).to_contain_text("未被改动")
    assert not any(text in url for url in urls), urls
    assert "#" not in tablet.url  # and the address bar no longer shows it
