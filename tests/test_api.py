"""The cast API (booth.api) through Flask's test client, with the client side of
booth.cast_client: ballots encrypted and signed where the deputy votes, posted as JSON.

Every refusal is a 4xx JSON ``{"error": ...}`` naming what is wrong, and
writes nothing but the count of refusals for the sender's address; a retry
of the same signed ballot gets the same receipt; a credential casts once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select
from werkzeug.test import TestResponse

from ballot.models import BoardEntry, Credential, CredentialStatus, RateEvent, Receipt
from ballot.rehearsal import RehearsalConfig
from booth import api
from booth.cast_client import PreparedCast, RoundParameters, check_cast_answer, prepare_cast
from crypto.at_rest import AtRestKey
from crypto.credentials import generate_code
from tests.web_tools import Site, csrf, new_client, seeded_site, site_app

CONFIG = RehearsalConfig(rows=4, seats=1, deputies=10, present=10, voters=10, spoil=0,
                         voided=0, trustees=2, threshold=2, scrypt_n=2**10, tie=True,
                         election_id="api-2026")
AT_REST = AtRestKey("api tests at-rest secret")
SECRET = "api tests flask secret"


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from seeded_site(tmp_path_factory, CONFIG, AT_REST)


@pytest.fixture
def app(site: Site) -> Iterator[Flask]:
    yield from site_app(site, AT_REST, SECRET)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    """A tablet whose page is in English: these tests read the refusals' own words
    (test_web checks them in Chinese)."""
    tablet = new_client(app, 3)
    tablet.set_cookie("lang", "en")
    return tablet


def round_url(site: Site, round_id: str | None = None) -> str:
    return f"/api/rounds/{site.election_id}/{round_id or site.round_id}"


def parameters(client: FlaskClient, site: Site) -> RoundParameters:
    response = client.get(round_url(site))
    assert response.status_code == 200
    return RoundParameters.from_json(response.get_json())


def marks(params: RoundParameters) -> list[list[int]]:
    """赞成 on the first row, 反对 on the second, nothing else."""
    width = len(params.manifest.options)
    rows = [[0] * width for _ in params.manifest.row_ids]
    rows[0][0] = 1
    if len(rows) > 1 and width > 1:
        rows[1][1] = 1
    return rows


def post(client: FlaskClient, site: Site, body: Any, *, raw: bytes | None = None,
         content_type: str = "application/json", round_id: str | None = None) -> TestResponse:
    data = raw if raw is not None else json.dumps(body).encode()
    return client.post(round_url(site, round_id) + "/cast", data=data,
                       content_type=content_type)


def written(site: Site) -> dict[str, int]:
    with site.session() as s:
        return {
            "board": s.scalar(select(func.count()).select_from(BoardEntry)) or 0,
            "receipts": s.scalar(select(func.count()).select_from(Receipt)) or 0,
            "spent": s.scalar(select(func.count()).select_from(Credential).where(
                Credential.status == CredentialStatus.used)) or 0,
        }


def refusals(site: Site) -> int:
    with site.session() as s:
        return s.scalar(select(func.count()).select_from(RateEvent).where(
            RateEvent.bucket == "api-cast")) or 0


def test_the_round_parameters_are_the_public_ones(client: FlaskClient, site: Site) -> None:
    doc = client.get(round_url(site)).get_json()
    params = RoundParameters.from_json(doc)
    assert (params.election_id, params.round_id, params.state) == \
        (site.election_id, site.round_id, "open")
    assert doc["board"]["length"] >= 1  # the credentials entry
    assert client.get(round_url(site, "no-such-round")).status_code == 404


def test_a_cast_returns_a_receipt_for_exactly_that_ballot(client: FlaskClient,
                                                          site: Site) -> None:
    params = parameters(client, site)
    prepared = prepare_cast(params, site.code(), marks(params))
    before = written(site)
    response = post(client, site, prepared.body)
    assert response.status_code == 201, response.get_json()
    answer = response.get_json()
    index = check_cast_answer(params, prepared, answer)
    assert answer["repeated"] is False
    assert written(site) == {"board": before["board"] + 1, "receipts": before["receipts"] + 1,
                             "spent": before["spent"] + 1}
    assert not response.headers.getlist("Set-Cookie")
    assert response.headers["Cache-Control"] == "no-store"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    # The public verification page agrees.
    link = urlsplit(answer["verify_url"])
    assert link.path == "/verify"
    assert not link.query  # the receipt rides in the fragment, which no server receives
    page = client.post("/verify", data={"csrf_token": csrf(client, "/verify"),
                                        "receipt": parse_qs(link.fragment)["receipt"][0]})
    assert page.status_code == 200
    assert answer["fingerprint"] in page.get_data(as_text=True)
    assert index == answer["receipt"]["index"]


def _cast(client: FlaskClient, site: Site) -> tuple[RoundParameters, PreparedCast, str, Any]:
    params = parameters(client, site)
    code = site.code()
    prepared = prepare_cast(params, code, marks(params))
    response = post(client, site, prepared.body)
    assert response.status_code == 201
    return params, prepared, code, response.get_json()


def test_a_retry_of_the_same_ballot_gets_the_same_receipt(client: FlaskClient,
                                                          site: Site) -> None:
    params, prepared, _, first = _cast(client, site)
    before, counted = written(site), refusals(site)
    again = post(client, site, prepared.body)
    assert again.status_code == 200
    answer = again.get_json()
    assert answer["repeated"] is True
    assert {k: answer[k] for k in ("receipt", "signature", "ballot_digest")} == \
        {k: first[k] for k in ("receipt", "signature", "ballot_digest")}
    check_cast_answer(params, prepared, answer)
    assert written(site) == before
    assert refusals(site) == counted


def test_a_credential_casts_once(client: FlaskClient, site: Site) -> None:
    params, _, code, _ = _cast(client, site)
    before, counted = written(site), refusals(site)
    other = prepare_cast(params, code, [[0] * len(row) for row in marks(params)])
    response = post(client, site, other.body)
    assert response.status_code == 409
    assert response.get_json() == {"error": "this credential has already cast a ballot"}
    assert written(site) == before
    assert refusals(site) == counted  # holding the credential is not guessing


def _valid(client: FlaskClient, site: Site) -> dict[str, Any]:
    params = parameters(client, site)
    return prepare_cast(params, site.codes[0], marks(params)).body


def _unknown(client: FlaskClient, site: Site) -> dict[str, Any]:
    params = parameters(client, site)
    return prepare_cast(params, generate_code(), marks(params)).body


REFUSED = [
    ("form post", lambda c, s: {"raw": b"ballot=1", "content_type":
                                "application/x-www-form-urlencoded"}, 415, "application/json"),
    ("text", lambda c, s: {"raw": b"{}", "content_type": "text/plain"}, 415,
     "application/json"),
    ("not json", lambda c, s: {"raw": b"{ballot"}, 400, "not valid JSON"),
    ("not utf-8", lambda c, s: {"raw": b"\xff\xfe"}, 400, "UTF-8"),
    ("float", lambda c, s: {"raw": b'{"ballot": 1.5}'}, 400, "floating-point"),
    ("list", lambda c, s: {"body": [1, 2]}, 400, "exactly the fields"),
    ("extra field", lambda c, s: {"body": {**_valid(c, s), "marks": [1]}}, 400,
     "exactly the fields"),
    ("missing field", lambda c, s: {"body": {k: v for k, v in _valid(c, s).items()
                                             if k != "signature"}}, 400, "exactly the fields"),
    ("short key", lambda c, s: {"body": {**_valid(c, s), "credential": "ab"}}, 400,
     "credential: expected 64"),
    ("key not text", lambda c, s: {"body": {**_valid(c, s), "credential": 7}}, 400,
     "credential"),
    ("bad signature", lambda c, s: {"body": {**_valid(c, s), "signature": "00" * 64}}, 400,
     "signature"),
    ("changed ballot", lambda c, s: {"body": {**_valid(c, s), "ballot": {"cells": []}}}, 400,
     "signature"),
    ("ballot as text", lambda c, s: {"body": {**_valid(c, s), "ballot": json.dumps(
        _valid(c, s)["ballot"])}}, 400, "a JSON object, not text"),
    ("unknown credential", lambda c, s: {"body": _unknown(c, s)}, 400, "not issued"),
    ("no such round", lambda c, s: {"body": _valid(c, s), "round_id": "nope"}, 404,
     "nope"),
    ("closed round", lambda c, s: {"body": _valid(c, s), "round_id": s.counted_round_id},
     409, "not open"),
]


@pytest.mark.parametrize(("make", "status", "reason"), [r[1:] for r in REFUSED],
                         ids=[r[0] for r in REFUSED])
def test_refusals_are_clear_json_and_write_nothing(client: FlaskClient, site: Site, make,
                                                   status: int, reason: str) -> None:
    request = make(client, site)
    before, counted = written(site), refusals(site)
    response = post(client, site, request.get("body"), raw=request.get("raw"),
                    content_type=request.get("content_type", "application/json"),
                    round_id=request.get("round_id"))
    assert response.status_code == status, response.get_data(as_text=True)
    assert reason in response.get_json()["error"]
    assert written(site) == before
    assert refusals(site) == counted + 1


@pytest.mark.parametrize(("method", "path", "status"), [
    ("GET", "/api/rounds/x/y/cast", 405),
    ("PUT", "/api/rounds/x/y/cast", 405),
    ("GET", "/api/nothing/here", 404),
])
def test_other_api_errors_are_json_too(client: FlaskClient, method: str, path: str,
                                       status: int) -> None:
    response = client.open(path, method=method)
    assert response.status_code == status
    assert response.is_json
    assert response.get_json()["error"]


def test_a_body_over_the_size_limit_is_refused(client: FlaskClient, site: Site,
                                               app: Flask) -> None:
    before = written(site)
    too_big = b'{"ballot": "' + b"0" * app.config["MAX_CONTENT_LENGTH"] + b'"}'
    response = post(client, site, None, raw=too_big)
    assert response.status_code == 413
    assert response.get_json()["error"]
    assert written(site) == before


def test_refusals_lock_the_address_but_not_the_credential(client: FlaskClient, app: Flask,
                                                         site: Site) -> None:
    for _ in range(api.REFUSALS):
        assert post(client, site, _unknown(client, site)).status_code == 400
    params = parameters(client, site)
    code = site.code()
    prepared = prepare_cast(params, code, marks(params))
    before, counted = written(site), refusals(site)
    locked = post(client, site, prepared.body)
    assert locked.status_code == 429
    assert "Too many refused casts" in locked.get_json()["error"]
    assert written(site) == before
    assert refusals(site) == counted  # a locked address adds nothing more
    # Another address casts with the very same ballot: the credential was not burnt.
    other = new_client(app, 3)
    response = post(other, site, prepared.body)
    assert response.status_code == 201
    check_cast_answer(params, prepared, response.get_json())


def test_the_api_needs_no_cookie_and_ignores_one(client: FlaskClient, app: Flask,
                                                 site: Site) -> None:
    """The signature is the authority: no CSRF token, no session, and a cookie changes
    nothing (a browser's cookies are exactly what CSRF would abuse)."""
    params = parameters(client, site)
    prepared = prepare_cast(params, site.code(), marks(params))
    client.set_cookie("session", "forged-or-stolen")
    client.set_cookie("booth", "x" * 43, path="/booth")
    response = post(client, site, prepared.body)
    assert response.status_code == 201
    assert not response.headers.getlist("Set-Cookie")
