"""The booth and the public pages through Flask's test client (no browser).

A real app on a real SQLite file, seeded like the browser tests: a rehearsal
whose tie calls for a runoff, opened at the booth with known codes. Sign-in
and ballot refusals, a whole vote with a challenge, receipts checked by link,
pasted text and QR image, the public pages, and the translations.
"""

from __future__ import annotations

import base64
import hashlib
import html
import io
import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
import qrcode
from babel.messages.catalog import Catalog
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.mofile import read_mo
from babel.messages.pofile import read_po
from flask import Flask
from flask.testing import FlaskClient
from PIL import Image
from sqlalchemy import func, select
from werkzeug.test import TestResponse

import booth
from admin.app import create_app
from ballot.db import make_sessionmaker
from ballot.models import BoardEntry, Credential, CredentialStatus, RateEvent
from ballot.rehearsal import RehearsalConfig
from ballot.services import casting, rounds
from ballot.services.challenges import held_count, publish_held_challenges
from ballot.verifier import verify_record
from booth import receipts
from booth.cast_client import PreparedCast, RoundParameters, check_cast_answer, prepare_cast
from crypto.at_rest import AtRestKey
from crypto.credentials import derive_credential_key, generate_code, public_key_bytes
from crypto.hashing import fingerprint
from tests.tablet import encrypt_marks
from tests.web_tools import Site, csrf, new_client, seeded_site, site_app, text_of

ROOT = Path(__file__).resolve().parents[1]
TRANSLATIONS = Path(booth.__file__).parent / "translations" / "zh_Hans_CN" / "LC_MESSAGES"
CONFIG = RehearsalConfig(rows=5, seats=2, deputies=10, present=10, voters=10, spoil=1,
                         voided=0, trustees=3, threshold=2, scrypt_n=2**10, tie=True,
                         election_id="web-2026")
AT_REST = AtRestKey("web tests at-rest secret")
SECRET = "web tests flask secret"
@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from seeded_site(tmp_path_factory, CONFIG, AT_REST)


@pytest.fixture
def app(site: Site) -> Iterator[Flask]:
    yield from site_app(site, AT_REST, SECRET)


def _client(app: Flask) -> FlaskClient:
    return new_client(app, 1)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return _client(app)


def count(site: Site, model: Any) -> int:
    with site.session() as s:
        return s.scalar(select(func.count()).select_from(model)) or 0


def location(response: TestResponse) -> str:
    """The redirect target's path and query, without scheme and host."""
    assert response.status_code in (302, 303), response.status_code
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def set_cookies(response: TestResponse) -> list[str]:
    return response.headers.getlist("Set-Cookie")


def api(site: Site, what: str = "") -> str:
    return f"/api/rounds/{site.election_id}/{site.round_id}" + (f"/{what}" if what else "")


def tablet_view(client: FlaskClient, site: Site) -> RoundParameters:
    """What the tablet's page does first: fetch the round's parameters and pin them."""
    response = client.get(api(site))
    assert response.status_code == 200
    return RoundParameters.from_json(response.get_json(), site.election_id, site.round_id)


def marks_of(params: RoundParameters, chosen: dict[int, str]) -> list[list[int]]:
    options = params.manifest.options
    return [[1 if chosen.get(r) == o else 0 for o in options]
            for r in range(len(params.manifest.row_ids))]


def check_credential(client: FlaskClient, site: Site, code: str, lang: str | None = None
                     ) -> TestResponse:
    """The tablet derives the key from the code and asks whether it can vote."""
    manifest = tablet_view(client, site).manifest
    key = public_key_bytes(derive_credential_key(code, manifest.election_id, manifest.round_id))
    query = f"?lang={lang}" if lang else ""
    return client.post(api(site, "credential") + query, json={"credential": key.hex()})


def vote(client: FlaskClient, site: Site, code: str, chosen: dict[int, str]
         ) -> tuple[PreparedCast, dict[str, Any]]:
    """Cast a whole ballot as the tablet does; return what was sent and the checked answer."""
    params = tablet_view(client, site)
    assert check_credential(client, site, code).status_code == 200
    prepared = prepare_cast(params, code, marks_of(params, chosen))
    response = client.post(api(site, "cast"), json=prepared.body)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    check_cast_answer(params, prepared, answer)
    return prepared, answer


def opened_marks(page: str) -> list[tuple[str, str]]:
    """(project code, mark label) per row of an opened (challenged) ballot table."""
    table = re.search(r'<table class="review" id="opened-marks">.*?</table>', page, re.S)
    assert table
    return re.findall(r'<span class="code">(\w+)</span>.*?<strong>([^<]+)</strong>',
                      table.group(0), re.S)


def verify_failure(response: TestResponse) -> str:
    found = re.search(r'<div class="error" role="alert" id="verify-result">(.*?)</div>',
                      text_of(response), re.S)
    assert found, "the verify page shows no failure"
    return found.group(1)


@pytest.fixture(scope="module")
def receipt(site: Site) -> Iterator[dict[str, Any]]:
    """One ballot cast as the tablet casts it: its receipt text, document and fingerprint."""
    app = create_app({"DATABASE_URL": site.url, "PIAOJUE_AT_REST": AT_REST,
                      "SECRET_KEY": SECRET})
    client = _client(app)
    prepared, answer = vote(client, site, site.code(), {0: "for", 1: "against"})
    doc = {"receipt": answer["receipt"], "signature": answer["signature"]}
    yield {"text": receipts.encode(doc), "doc": doc,
           "fingerprint": fingerprint(prepared.ballot_digest)}
    app.extensions["piaojue_engine"].dispose()


# --- 1. the tablet's credential check ------------------------------------------------------

UNUSABLE = {"zh_CN": "此投票码不能在本轮投票：它不是为本轮发放的，或已挂失作废。请联系工作人员。",
            "en": "This code cannot vote in this round: it was not issued for it, or it was "
                  "reported lost. Please ask a clerk."}
USED = {"zh_CN": "此投票码已在本轮投过票，每张凭证只能投一次。如果您并未投票，请联系工作人员。",
        "en": "This code has already been used to vote in this round; a slip votes once. "
              "Please ask a clerk if you did not vote."}


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_an_unknown_credential_is_refused_translated_and_counted(
        client: FlaskClient, site: Site, lang: str) -> None:
    events = count(site, RateEvent)
    response = check_credential(client, site, generate_code(), lang)
    assert response.status_code == 400
    assert response.get_json() == {"error": UNUSABLE[lang]}
    # Every unusable key counts: against the tablet, and against its address.
    assert count(site, RateEvent) == events + 2


def test_a_usable_credential_is_not_counted(client: FlaskClient, site: Site) -> None:
    events = count(site, RateEvent)
    assert check_credential(client, site, site.codes[1]).get_json() == {"usable": True}
    assert count(site, RateEvent) == events


def test_a_code_already_used_is_refused(client: FlaskClient, site: Site, app: Flask) -> None:
    code = site.code()
    vote(client, site, code, {0: "for"})
    used = used_credentials(site)
    again = _client(app)
    events = count(site, RateEvent)
    refused = check_credential(again, site, code)
    assert refused.status_code == 409
    assert refused.get_json() == {"error": USED["zh_CN"]}
    # Typed differently (lower case, spaces): the same key, still spent.
    response = check_credential(again, site, code.lower().replace("-", " "), "en")
    assert response.get_json() == {"error": USED["en"]}
    assert used_credentials(site) == used
    # A real slip, used: said so, and not counted as a guess against the tablet.
    assert count(site, RateEvent) == events


@pytest.mark.parametrize("body", [{"credential": "zz"}, {"credential": "00" * 32, "x": 1},
                                  {}, [1], "text"])
def test_a_malformed_credential_check_is_refused_and_counts_nothing(
        client: FlaskClient, site: Site, body: Any) -> None:
    events = count(site, RateEvent)
    response = client.post(api(site, "credential"), json=body)
    assert response.status_code == 400
    assert response.get_json()["error"]
    assert count(site, RateEvent) == events


@pytest.mark.parametrize("lang", ["zh_CN", "en"])
def test_a_round_that_is_not_open_has_no_booth(client: FlaskClient, site: Site,
                                               lang: str) -> None:
    closed = f"/booth/{site.election_id}/{site.counted_round_id}/?lang={lang}"
    page = client.get(closed)
    assert page.status_code == 409
    assert {"zh_CN": "本轮未开放投票。",
            "en": "This round is not open for voting."}[lang] in text_of(page)
    assert 'name="code"' not in page.get_data(as_text=True)
    events = count(site, RateEvent)
    key = "00" * 32
    refused = client.post(f"/api/rounds/{site.election_id}/{site.counted_round_id}/credential",
                          json={"credential": key})
    assert refused.status_code == 409
    for missing in (f"/booth/{site.election_id}/no-such-round/",
                    f"/booth/no-such/{site.round_id}/"):
        assert client.get(missing + f"?lang={lang}").status_code == 404
    assert count(site, RateEvent) == events


# --- 2. the booth page ----------------------------------------------------------------------


def test_the_booth_page_carries_the_hooks_and_no_secret(client: FlaskClient, site: Site) -> None:
    """The page the tablet runs: the stable hooks, its scripts, and nothing to post to."""
    response = client.get(site.sign_in_path)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    params = tablet_view(client, site)
    assert 'name="code"' in page
    for row_id in params.manifest.row_ids:
        for value in ("for", "against", "abstain"):
            assert f'name="row-{row_id}" value="{value}"' in page
    for action in ("sign-in", "review", "encrypt", "cast", "challenge"):
        assert f'data-action="{action}"' in page
    assert "data-receipt" in page
    assert '<script type="module" src="/static/booth/booth.js">' in page
    assert "<form method=\"post\"" not in page  # nothing is posted to the server as a form
    assert "camera=(self)" in response.headers["Permissions-Policy"]
    assert "unsafe" not in response.headers["Content-Security-Policy"]


@pytest.mark.parametrize("path", ["/booth/ballot", "/booth/review", "/booth/fingerprint",
                                  "/booth/cast", "/booth/challenge", "/booth/encrypt",
                                  "/booth/cancel", "/booth/challenged/1", "/booth/receipt"])
def test_the_server_side_booth_steps_are_gone(client: FlaskClient, path: str) -> None:
    """No route takes a code or marks any more: the old steps do not exist."""
    assert client.get(path, follow_redirects=True).status_code in (404, 405)
    posted = client.post(path, data={"code": "x", "row-0": "for"}, follow_redirects=True)
    assert posted.status_code in (400, 404, 405)


@pytest.mark.parametrize(("notice", "shown"), [
    ("abandoned", "已放弃本张选票，没有投出任何选票。"), ("<script>alert(1)</script>", None),
    ("任意文字", None)])
def test_the_booth_start_shows_only_its_own_notices(client: FlaskClient, notice: str,
                                                    shown: str | None) -> None:
    page = text_of(client.get("/booth/", query_string={"notice": notice}))
    if shown:
        assert shown in page
    else:
        assert notice not in page  # (the language links carry it URL-encoded only)


# --- 3. a whole vote --------------------------------------------------------------------------


def test_a_whole_vote_with_a_challenge(client: FlaskClient, site: Site) -> None:
    code = site.code()
    used = used_credentials(site)
    params = tablet_view(client, site)
    assert check_credential(client, site, code).status_code == 200
    doubt = prepare_cast(params, code, marks_of(params, {0: "for", 1: "against"}))
    entries = count(site, BoardEntry)
    response = client.post(api(site, "challenge"), json=doubt.spoiled_entry)
    assert response.status_code == 202
    assert response.get_json() == {"held": True}
    assert count(site, BoardEntry) == entries  # held until the round closes
    with site.session() as s:
        round_ = rounds.get_round(s, site.election_id, site.round_id)
        assert held_count(s, round_) >= 1
    # The same code votes again, differently, and casts.
    prepared, answer = vote(client, site, code, {0: "against", 1: "for"})
    assert prepared.ballot_digest != doubt.ballot_digest
    assert answer["fingerprint"] == fingerprint(prepared.ballot_digest)
    assert answer["qr"].startswith("data:image/svg+xml;base64,")
    verify_link = answer["verify_url"]
    assert urlsplit(verify_link).path == "/verify"
    assert not urlsplit(verify_link).query  # the receipt rides in the fragment, never sent
    text = parse_qs(urlsplit(verify_link).fragment)["receipt"][0]
    doc = receipts.decode(text)
    assert doc == {"receipt": answer["receipt"], "signature": answer["signature"]}

    verified = client.post("/verify", data={"csrf_token": csrf(client, "/verify"),
                                            "receipt": text})
    assert verified.status_code == 200
    assert f"您的选票在公告板第{doc['receipt']['index']}条，未被改动。" in text_of(verified)
    assert re.search(r'id="board-fingerprint">([^<]+)<', verified.get_data(as_text=True)
                     ).group(1) == answer["fingerprint"]  # type: ignore[union-attr]
    english = client.post("/verify?lang=en", data={"csrf_token": csrf(client, "/verify"),
                                                   "receipt": text})
    assert "unchanged" in text_of(english)
    assert used_credentials(site) == used + 1


def test_a_challenge_that_does_not_open_is_refused_and_held_nowhere(
        client: FlaskClient, site: Site) -> None:
    params = tablet_view(client, site)
    doubt = prepare_cast(params, site.codes[1], marks_of(params, {0: "for"})).spoiled_entry
    doubt["plaintext"][0] = [1 - m for m in doubt["plaintext"][0]]
    with site.session() as s:
        before = held_count(s, rounds.get_round(s, site.election_id, site.round_id))
    response = client.post(api(site, "challenge"), json=doubt)
    assert response.status_code == 400
    assert "被核验的选票无法打开" in response.get_json()["error"]
    with site.session() as s:
        assert held_count(s, rounds.get_round(s, site.election_id, site.round_id)) == before


def test_one_code_on_two_tablets_casts_once(client: FlaskClient, app: Flask,
                                             site: Site) -> None:
    code = site.code()
    other = _client(app)
    params = tablet_view(client, site)
    first = prepare_cast(params, code, marks_of(params, {0: "for"}))
    second = prepare_cast(params, code, marks_of(params, {1: "for"}))
    used, entries = used_credentials(site), count(site, BoardEntry)
    assert client.post(api(site, "cast"), json=first.body).status_code == 201
    refused = other.post(api(site, "cast"), json=second.body)
    assert refused.status_code == 409
    assert "此凭证已投过票" in refused.get_json()["error"]
    assert (used_credentials(site), count(site, BoardEntry)) == (used + 1, entries + 1)
    again = other.post(api(site, "cast"), json=first.body)  # a retry of the first: its receipt
    assert again.status_code == 200
    assert again.get_json()["repeated"] is True


def used_credentials(site: Site) -> int:
    with site.session() as s:
        return s.scalar(select(func.count()).select_from(Credential).where(
            Credential.status == CredentialStatus.used)) or 0


def _round_pk(site: Site) -> int:
    with site.session() as s:
        return rounds.get_round(s, site.election_id, site.round_id).id


def _altered_signature(doc: dict[str, Any]) -> dict[str, Any]:
    signature = doc["signature"]
    changed = ("0" if signature[10] != "0" else "1")
    return {"receipt": doc["receipt"], "signature": signature[:10] + changed + signature[11:]}


def test_a_receipt_with_an_altered_signature_fails(client: FlaskClient,
                                                   receipt: dict[str, Any]) -> None:
    altered = receipts.encode(_altered_signature(receipt["doc"]))
    response = client.get(f"/verify?receipt={altered}")
    assert response.status_code == 400
    failure = verify_failure(response)
    assert "此回执核验未通过。" in failure
    assert "某个签名未通过核验" in failure
    assert 'id="board-fingerprint"' not in response.get_data(as_text=True)
    english = client.get(f"/verify?receipt={altered}&lang=en")
    assert english.status_code == 400
    assert "This receipt does not check." in verify_failure(english)


def test_a_receipt_naming_another_index_fails(client: FlaskClient,
                                              receipt: dict[str, Any]) -> None:
    doc = json.loads(json.dumps(receipt["doc"]))
    doc["receipt"]["index"] += 1
    response = client.get(f"/verify?receipt={receipts.encode(doc)}&lang=en")
    assert response.status_code == 400
    assert "signature does not verify" in verify_failure(response)


def test_a_pasted_receipt_verifies(client: FlaskClient, receipt: dict[str, Any]) -> None:
    token = csrf(client, "/verify")
    pasted = json.dumps(receipt["doc"], indent=2, ensure_ascii=False)
    response = client.post("/verify", data={"csrf_token": token, "receipt": pasted})
    assert response.status_code == 200
    assert "未被改动" in text_of(response)
    assert receipt["fingerprint"] in text_of(response)
    link = f"http://localhost/verify?receipt={receipt['text']}"
    response = client.post("/verify", data={"csrf_token": token, "receipt": f"  {link}\n"})
    assert response.status_code == 200
    assert "未被改动" in text_of(response)


@pytest.mark.parametrize(("pasted", "reason"), [
    ("hello, this is not a receipt", ""),
    ("", "paste a receipt"),
    ("{\"receipt\": 1}", "exactly two parts"),
    ("[1, 2, 3]", ""),
    ("{\"receipt\": [1, 2, 3]}", "exactly two parts"),
    ("{not json", "malformed JSON"),
    ("x" * 2001, "longer than any receipt"),
    ("{\"receipt\": {\"election_id\": \"no-such\", \"round_id\": \"r\"}, \"signature\": \"00\"}",
     "no such election or round"),
    ("{\"receipt\": {}, \"signature\": 1.5}", "no floats"),
])
def test_pasted_garbage_is_refused_with_a_message(client: FlaskClient, pasted: str,
                                                  reason: str) -> None:
    token = csrf(client, "/verify")
    response = client.post("/verify", data={"csrf_token": token, "receipt": pasted})
    assert response.status_code == 400
    failure = verify_failure(response)
    assert "此回执核验未通过。" in failure
    assert re.findall(r"<p>(.*?)</p>", failure, re.S)[-1].strip()
    # In English the page names the problem in the protocol's own words.
    response = client.post("/verify?lang=en", data={"csrf_token": token, "receipt": pasted})
    assert response.status_code == 400
    message = re.findall(r"<p>(.*?)</p>", verify_failure(response), re.S)
    assert message
    assert message[-1].strip()
    if reason == "no floats":
        assert "float" in message[-1].lower()
    else:
        assert reason in message[-1]


def _png(image: Any) -> bytes:
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    return buffer.getvalue()


def _upload(client: FlaskClient, data: bytes, name: str = "qr.png") -> TestResponse:
    token = csrf(client, "/verify")
    return client.post("/verify", data={"csrf_token": token, "receipt": "",
                                        "qr": (io.BytesIO(data), name)},
                       content_type="multipart/form-data")


def test_an_uploaded_qr_image_of_the_link_verifies(client: FlaskClient,
                                                   receipt: dict[str, Any]) -> None:
    link = f"http://localhost/verify?receipt={receipt['text']}"
    response = _upload(client, _png(qrcode.make(link).get_image()))
    assert response.status_code == 200
    assert "未被改动" in text_of(response)
    assert receipt["fingerprint"] in text_of(response)
    # A photo is rarely a clean PNG: a JPEG of the code on a larger grey page works too.
    code = qrcode.make(link).get_image().convert("RGB")
    page = Image.new("RGB", (code.width + 300, code.height + 200), (230, 230, 230))
    page.paste(code, (120, 140))
    buffer = io.BytesIO()
    page.save(buffer, format="JPEG", quality=85)
    assert _upload(client, buffer.getvalue(), "photo.jpg").status_code == 200


def test_an_upload_over_the_size_limit_is_refused(client: FlaskClient) -> None:
    token = csrf(client, "/verify")
    boundary = "piaojue-test-boundary"
    body = (f"--{boundary}\r\nContent-Disposition: form-data; name=\"csrf_token\"\r\n\r\n"
            f"{token}\r\n--{boundary}\r\nContent-Disposition: form-data; name=\"qr\"; "
            f"filename=\"big.png\"\r\nContent-Type: image/png\r\n\r\n").encode() + \
        b"\x89PNG" + b"\0" * (9 * 1024 * 1024) + f"\r\n--{boundary}--\r\n".encode()
    # Sent as bytes: Werkzeug's test client would spool a dict upload this size to a
    # temporary file it never closes.
    response = client.post("/verify", data=body,
                           content_type=f"multipart/form-data; boundary={boundary}")
    assert response.status_code == 413
    assert "上传的文件太大。" in text_of(response)


def test_an_uploaded_qr_of_an_altered_receipt_fails(client: FlaskClient,
                                                    receipt: dict[str, Any]) -> None:
    altered = receipts.encode(_altered_signature(receipt["doc"]))
    response = _upload(client, _png(qrcode.make(
        f"http://localhost/verify?receipt={altered}").get_image()))
    assert response.status_code == 400
    assert "某个签名未通过核验" in verify_failure(response)


def test_an_upload_that_is_not_an_image_is_refused(client: FlaskClient) -> None:
    response = _upload(client, b"%PDF-1.4 this is not an image at all", "receipt.png")
    assert response.status_code == 400
    assert "不是 PNG 或 JPEG 图片" in verify_failure(response)


@pytest.mark.parametrize("kind", ["TIFF", "BMP", "GIF", "WEBP", "EPS"])
def test_qr_upload_formats_other_than_png_and_jpeg_are_refused_by_content(
        client: FlaskClient, receipt: dict[str, Any], kind: str) -> None:
    """Pillow opened any format it knows (and would hand EPS to Ghostscript)."""
    code = qrcode.make(f"http://localhost/verify?receipt={receipt['text']}",
                       box_size=3).get_image()  # small: a large upload spools to a file
    if kind == "EPS":
        data = b"%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 10 10\nshowpage\n"
    else:
        buffer = io.BytesIO()
        code.convert("RGB").save(buffer, format=kind)
        data = buffer.getvalue()
    response = _upload(client, data, "qr.png")  # whatever the name says
    assert response.status_code == 400
    assert "不是 PNG 或 JPEG 图片" in verify_failure(response)


def test_an_image_without_a_qr_code_is_refused(client: FlaskClient) -> None:
    response = _upload(client, _png(Image.new("RGB", (300, 200), "white")))
    assert response.status_code == 400
    assert "没有找到二维码" in verify_failure(response)


def test_an_upload_declaring_too_many_pixels_is_refused(client: FlaskClient) -> None:
    import struct
    import zlib

    def chunk(kind: bytes, data: bytes) -> bytes:
        return (struct.pack(">I", len(data)) + kind + data
                + struct.pack(">I", zlib.crc32(kind + data) & 0xFFFFFFFF))

    header = struct.pack(">IIBBBBB", 20000, 10000, 1, 0, 0, 0, 0)  # 1-bit grey
    png = (b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", zlib.compress(b""))
           + chunk(b"IEND", b""))
    response = _upload(client, png)
    assert response.status_code == 400


# --- 4. public pages ---------------------------------------------------------------------


def test_the_board_paginates(client: FlaskClient, site: Site) -> None:
    with make_sessionmaker(site.engine).begin() as s:
        round_ = rounds.get_round(s, site.election_id, site.round_id)
        have = s.scalar(select(func.count()).select_from(BoardEntry).where(
            BoardEntry.round_pk == round_.id)) or 0
        for _ in range(max(0, 55 - have)):
            prepared = encrypt_marks(round_, [[0, 1], [0, 0]])
            opened = prepared.opening.to_json()
            casting.hold_challenge(s, round_, prepared.ballot, opened["plaintext"],
                                   opened["nonces"])
        publish_held_challenges(s, round_)
        total = s.scalar(select(func.count()).select_from(BoardEntry).where(
            BoardEntry.round_pk == round_.id)) or 0
    assert total > 50
    base = f"/board/{site.election_id}/{site.round_id}"

    def indices(response: TestResponse) -> list[int]:
        assert response.status_code == 200
        return [int(i) for i in re.findall(r'<tr id="entry-(\d+)">',
                                           response.get_data(as_text=True))]

    first = client.get(base)
    assert indices(first) == list(range(1, 51))
    assert 'href="?page=2"' in first.get_data(as_text=True)
    assert indices(client.get(base + "?page=2")) == list(range(51, total + 1))
    assert indices(client.get(base + "?page=999")) == list(range(51, total + 1))
    for odd in ("abc", "0", "-1", "", "1.5"):
        assert indices(client.get(base + f"?page={odd}")) == list(range(1, 51)), odd
    assert f"<strong>{total}</strong>" in first.get_data(as_text=True)


def test_the_board_survives_a_unicode_digit_page(client: FlaskClient, site: Site) -> None:
    response = client.get(f"/board/{site.election_id}/{site.counted_round_id}?page=²")
    assert response.status_code == 200


def test_the_record_downloads_only_once_published(client: FlaskClient, site: Site) -> None:
    missing = client.get(f"/record/{site.election_id}/{site.round_id}.zip")
    assert missing.status_code == 404
    response = client.get(f"/record/{site.election_id}/{site.counted_round_id}.zip")
    assert response.status_code == 200
    assert response.mimetype == "application/zip"
    assert "attachment" in response.headers["Content-Disposition"]
    assert f"{site.election_id}-{site.counted_round_id}-record.zip" in \
        response.headers["Content-Disposition"]
    report = verify_record(response.data)
    assert (report.election_id, report.round_id) == (site.election_id, site.counted_round_id)
    assert report.cast == CONFIG.voters
    assert report.spoiled == CONFIG.spoil
    board = client.get(f"/board/{site.election_id}/{site.counted_round_id}")
    assert f'href="/record/{site.election_id}/{site.counted_round_id}.zip"' in \
        board.get_data(as_text=True)
    assert "/record/" not in client.get(f"/board/{site.election_id}/{site.round_id}"
                                        ).get_data(as_text=True)


def test_the_results_page_shows_the_stored_result(client: FlaskClient, site: Site) -> None:
    with site.session() as s:
        result = rounds.get_round(s, site.election_id, site.counted_round_id).result
    assert result
    response = client.get(f"/results/{site.election_id}/{site.counted_round_id}")
    assert response.status_code == 200
    page = text_of(response)
    shown = re.findall(r'<tr class="status-(\w+)"><td><span class="code">(\w+)</span>[^<]*</td>'
                       r"<td>(\d+)</td><td>(\d+)</td><td>(\d+)</td>", page)
    assert shown == [(row["status"], row["id"], str(row["for"]), str(row["against"]),
                      str(row["abstain"])) for row in result["rows"]]
    rec = result["reconciliation"]
    line = re.search(r'class="reconciliation">(.*?)</p>', page, re.S)
    assert line
    assert [int(n) for n in re.findall(r"\d+", line.group(1))] == \
        [rec["enrolled"], rec["present"], rec["issued"], rec["cast"]]
    assert "P02" in page
    assert "P03" in page
    assert "<svg" in page
    pending = client.get(f"/results/{site.election_id}/{site.round_id}")
    assert pending.status_code == 200
    assert 'id="results-table"' not in pending.get_data(as_text=True)


def test_turnout_shows_cast_of_issued(client: FlaskClient, site: Site) -> None:
    for round_id in (site.round_id, site.counted_round_id):
        response = client.get(f"/turnout/{site.election_id}/{round_id}")
        assert response.status_code == 200
        with site.session() as s:
            round_ = rounds.get_round(s, site.election_id, round_id)
            issued = s.scalar(select(func.count()).select_from(Credential).where(
                Credential.round_pk == round_.id,
                Credential.status != CredentialStatus.voided))
            cast = s.scalar(select(func.count()).select_from(Credential).where(
                Credential.round_pk == round_.id, Credential.status == CredentialStatus.used))
        shown = re.search(r'id="turnout" aria-live="polite"><span class="big-number" '
                          r'data-live-cast>(\d+)</span> / <span data-live-issued>(\d+)<',
                          response.get_data(as_text=True))
        assert shown
        assert (int(shown.group(1)), int(shown.group(2))) == (cast, issued)
    assert (cast, issued) == (CONFIG.voters, CONFIG.present)


def test_spoiled_pages_only_for_challenged_entries(client: FlaskClient, site: Site) -> None:
    with site.session() as s:
        round_ = rounds.get_round(s, site.election_id, site.counted_round_id)
        kinds = dict(s.execute(select(BoardEntry.index, BoardEntry.type).where(
            BoardEntry.round_pk == round_.id)).all())
    base = f"/spoiled/{site.election_id}/{site.counted_round_id}"
    spoiled = [i for i, kind in kinds.items() if kind == "spoiled"]
    assert len(spoiled) == CONFIG.spoil
    assert client.get(f"{base}/{spoiled[0]}").status_code == 200
    for index, kind in kinds.items():
        if kind != "spoiled":
            assert client.get(f"{base}/{index}").status_code == 404, kind
    assert client.get(f"{base}/{max(kinds) + 1}").status_code == 404
    assert client.get(f"{base}/0").status_code == 404
    assert client.get(f"{base}/-1").status_code == 404
    assert client.get(f"{base}/abc").status_code == 404


def test_a_huge_index_is_not_found(client: FlaskClient, site: Site) -> None:
    """Beyond SQLite's 64-bit integers: a 404, not an overflow."""
    for index in ("9223372036854775808", "99999999999999999999"):
        response = client.get(f"/spoiled/{site.election_id}/{site.counted_round_id}/{index}")
        assert response.status_code == 404


@pytest.mark.parametrize("path", [
    "/board/no-such-2026/selection-1", "/results/no-such-2026/selection-1",
    "/turnout/no-such-2026/selection-1", "/record/no-such-2026/selection-1.zip",
    "/spoiled/no-such-2026/selection-1/1", "/booth/no-such-2026/selection-1/",
    "/board/web-2026/no-such-round", "/results/web-2026/no-such-round",
    "/turnout/web-2026/no-such-round", "/no/such/page",
])
def test_unknown_elections_and_rounds_are_not_found(client: FlaskClient, path: str) -> None:
    response = client.get(path)
    assert response.status_code == 404
    assert "<h1>" in response.get_data(as_text=True)


def test_the_language_switch(client: FlaskClient) -> None:
    chinese = client.get("/")
    assert '<html lang="zh-CN">' in chinese.get_data(as_text=True)
    assert "核验回执" in text_of(chinese)
    assert not [c for c in set_cookies(chinese) if c.startswith("lang=")]
    english = client.get("/?lang=en")
    cookie = [c for c in set_cookies(english) if c.startswith("lang=")]
    assert len(cookie) == 1
    assert cookie[0].startswith("lang=en;")
    assert "HttpOnly" in cookie[0]
    assert "SameSite=Lax" in cookie[0]
    assert '<html lang="en">' in english.get_data(as_text=True)
    assert "Verify a receipt" in text_of(english)
    kept = client.get("/verify")  # the cookie keeps English on the next page
    assert "Verify a receipt" in text_of(kept)
    assert "核验回执" not in text_of(kept)
    unknown = client.get("/?lang=fr")  # an unknown language is not kept
    assert unknown.status_code == 200
    assert not [c for c in set_cookies(unknown) if c.startswith("lang=")]
    back = client.get("/booth/?lang=zh_CN")
    assert [c for c in set_cookies(back) if c.startswith("lang=zh_CN;")]
    assert "投票终端" in text_of(back)


def test_every_message_is_translated() -> None:
    with (TRANSLATIONS / "messages.po").open("rb") as f:
        catalog = read_po(f)
    untranslated = [m.id for m in catalog if m.id and (
        not m.string or (isinstance(m.string, tuple) and not all(m.string)))]
    assert untranslated == []
    assert [m.id for m in catalog if m.id and m.fuzzy] == []
    with (TRANSLATIONS / "messages.mo").open("rb") as f:
        shipped = read_mo(f)
    # Compare the translations, not the bytes: the header names the Babel
    # version that compiled the file, which moves with every Babel release.
    assert _translations(shipped) == _translations(catalog), \
        "messages.mo is stale: run pybabel compile"


def _translations(catalog: Catalog) -> dict[object, object]:
    return {(m.context, m.id): m.string for m in catalog if m.id}


# The domain errors and labels of ballot/ are messages too (Makefile's ERROR_KEYWORDS).
ERROR_KEYWORDS = ("DomainError", "NotFound", "Conflict", "InvalidInput", "Forbidden",
                  "CastRefused", "AlreadyCast", "CredentialUnusable", "UnsupportedBody",
                  "Message", "N_")


def test_every_message_in_the_code_is_in_the_catalog() -> None:
    with (TRANSLATIONS / "messages.po").open("rb") as f:
        known = {m.id if isinstance(m.id, str) else m.id[0] for m in read_po(f) if m.id}
    method_map = [("**.py", "python"), ("templates/**.html", "jinja2")]
    keywords = {**DEFAULT_KEYWORDS, **{name: None for name in ERROR_KEYWORDS}}
    missing = set()
    for package in ("ballot", "booth", "admin"):
        for _, _, message, _, _ in extract_from_dir(str(ROOT / package), method_map,
                                                    keywords=keywords):
            msgid = message if isinstance(message, str) else message[0]
            if msgid not in known:
                missing.add(msgid)
    assert sorted(missing) == []


# ---- the record verifier page ------------------------------------------------------------


def test_the_record_verifier_page_names_its_worker_and_allows_webassembly_only(
        client: FlaskClient, site: Site) -> None:
    response = client.get("/verify/record")
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert '<script type="module" src="/static/verify/record.js">' in page
    assert 'data-worker="/static/verify/worker.js"' in page
    assert "data-record" not in page  # no round named: the reader opens a file
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self' 'wasm-unsafe-eval';" in csp
    assert "unsafe-eval'" not in csp.replace("'wasm-unsafe-eval'", "")
    assert client.get("/verify/record?election=nope&round=nope").status_code == 404
    opened = client.get(f"/verify/record?election={site.election_id}&round={site.round_id}")
    assert "data-record" not in opened.get_data(as_text=True)  # open: no record yet


def test_the_offline_verifier_is_one_file_that_can_reach_nothing(client: FlaskClient) -> None:
    response = client.get("/verify/record/offline.html")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith("attachment;")
    page = response.get_data(as_text=True)
    policy = re.search(r'http-equiv="Content-Security-Policy" content="([^"]+)"', page)
    assert policy
    text = html.unescape(policy.group(1))  # the attribute's quotes are escaped
    directives = dict(d.strip().split(" ", 1) for d in text.split(";"))
    assert directives["connect-src"] == "'none'"
    assert directives["default-src"] == "'none'"
    assert directives["worker-src"] == "blob:"
    script = re.search(r"<script>(.*)</script>", page, re.S)
    assert script
    assert "import " not in script.group(1)[:200]
    digest = base64.b64encode(hashlib.sha256(script.group(1).encode()).digest()).decode()
    assert directives["script-src"] == f"'sha256-{digest}' 'wasm-unsafe-eval'"
    assert 'src="' not in page  # nothing loaded from anywhere
    assert 'href="' not in page
    assert "在浏览器中验证选举记录" in page


def test_switching_language_keeps_the_query(client: FlaskClient, site: Site) -> None:
    page = client.get(f"/board/{site.election_id}/{site.round_id}?page=1&lang=zh_CN")
    links = re.findall(r'href="([^"]*lang=en[^"]*)"', page.get_data(as_text=True))
    assert links == ["?page=1&amp;lang=en"]
