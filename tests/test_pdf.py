"""Printed slips and the results report, read back from the PDFs themselves."""

from __future__ import annotations

import re
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask.testing import FlaskClient
from sqlalchemy import select

from admin.app import create_app
from admin.demo import open_booth_round
from ballot.db import make_engine, make_sessionmaker
from ballot.models import Credential, CredentialStatus
from ballot.rehearsal import RehearsalConfig, rehearse
from ballot.schema import upgrade
from ballot.services import rounds, staff
from crypto.at_rest import AtRestKey
from crypto.credentials import derive_credential_key, normalize_code, public_key_bytes

CONFIG = RehearsalConfig(rows=4, seats=2, deputies=8, present=8, voters=8, spoil=0, voided=0,
                         trustees=2, threshold=2, scrypt_n=2**10, tie=True,
                         election_id="pdf-2026")
CODE = re.compile(r"[0-9A-Z]{4}(?:-[0-9A-Z]{4}){4}")


def pdf_text(data: bytes, tmp_path: Path) -> str:
    path = tmp_path / "doc.pdf"
    path.write_bytes(data)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True,
                          text=True, check=True).stdout


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple]:
    tmp = tmp_path_factory.mktemp("pdf")
    url = f"sqlite:///{tmp / 'pdf.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    at_rest = AtRestKey("pdf tests at-rest secret")
    sessions = make_sessionmaker(engine)
    (tmp / "keys").mkdir()
    outcome = rehearse(sessions, CONFIG, tmp / "keys", at_rest=at_rest)
    booth = open_booth_round(sessions, CONFIG.election_id, outcome, codes=2)
    with sessions.begin() as s:
        staff.create_staff(s, "clerk1", "clerk password 1", ["clerk", "presidium", "credentials"])
    app = create_app({"DATABASE_URL": url, "PIAOJUE_AT_REST": at_rest, "SECRET_KEY": "pdf"})
    yield app, sessions, booth
    engine.dispose()


@pytest.fixture
def client(site: tuple) -> FlaskClient:
    app = site[0]
    app.config["WTF_CSRF_ENABLED"] = False
    client = app.test_client()
    client.post("/admin/login", data={"username": "clerk1", "password": "clerk password 1"})
    return client


def test_printed_slips_carry_issued_codes_and_nothing_keeps_them(
        site: tuple, client: FlaskClient, tmp_path: Path) -> None:
    app, sessions, booth = site
    base = f"/admin/e/{CONFIG.election_id}/r/{booth.round_id}"
    response = client.post(f"{base}/slips", data={"count": "3"})
    assert response.status_code == 200
    assert response.mimetype == "application/pdf"
    text = pdf_text(response.data, tmp_path)
    codes = CODE.findall(text)
    assert len(codes) == 3
    assert "投票凭证 第 3 号" in text  # numbering continues after the 2 issued before
    with sessions.begin() as s:
        round_ = rounds.get_round(s, CONFIG.election_id, booth.round_id)
        issued = {c.public_key for c in s.scalars(select(Credential).where(
            Credential.round_pk == round_.id, Credential.status == CredentialStatus.issued))}
    for code in codes:
        key = derive_credential_key(normalize_code(code), CONFIG.election_id, booth.round_id)
        assert public_key_bytes(key).hex() in issued
    database = Path(str(app.extensions["piaojue_engine"].url.database)).read_bytes()
    assert not any(code.encode() in database or code.replace("-", "").encode() in database
                   for code in codes)


def test_slips_beyond_the_deputies_present_are_refused(site: tuple, client: FlaskClient) -> None:
    _, _, booth = site
    base = f"/admin/e/{CONFIG.election_id}/r/{booth.round_id}"
    response = client.post(f"{base}/slips", data={"count": "50"}, follow_redirects=True)
    assert "将超过实到人数" in response.get_data(as_text=True)
    response = client.post(f"{base}/slips", data={"count": "²"}, follow_redirects=True)
    assert response.status_code == 200


def test_results_report_states_the_count(site: tuple, client: FlaskClient,
                                         tmp_path: Path) -> None:
    _, sessions, _ = site
    response = client.get(f"/admin/e/{CONFIG.election_id}/r/selection-1/export/report.pdf")
    assert response.status_code == 200
    text = pdf_text(response.data, tmp_path)
    with sessions.begin() as s:
        result = rounds.get_round(s, CONFIG.election_id, "selection-1").result
    assert result is not None
    recon = result["reconciliation"]
    assert f"应到 {recon['enrolled']} 人，实到 {recon['present']} 人" in text
    assert "结果报告" in text
    assert "核验方法" in text
    for row in result["rows"]:
        assert re.search(rf"{row['id']}\s+\S+\s+{row['for']}\s+{row['against']}\s+"
                         rf"{row['abstain']}", text), row
    assert "再次投票" in text  # the tie at the last seat is announced
