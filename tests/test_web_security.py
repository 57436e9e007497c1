"""Security properties of the web layer, through Flask's test client.

No staff page is left open, no form is accepted without its CSRF token (the
JSON cast API, whose authority is a signature, is the one named exemption)
and no refused form writes anything, every response of every URL rule
carries the security headers and no page runs inline script; code entry,
staff login, the public proposal form and revisions, tracking-code lookups
and receipt checks are rate limited (the cast API's limit is in
test_api.py); and the server never receives a deputy's code or marks: a whole
vote as the tablet makes it leaves neither in a request, a cookie, a URL, a
log line or any row of any table.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import importlib
import inspect
import io
import json
import logging
import pkgutil
import re
from collections.abc import Callable, Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import func, select, update
from werkzeug.routing import Rule
from werkzeug.test import TestResponse

from admin.app import create_app
from admin.demo import DEMO_PASSWORD, DEMO_STAFF
from ballot.db import Base, make_sessionmaker
from ballot.models import (
    BoardEntry,
    Credential,
    CredentialStatus,
    HeldChallenge,
    Proposal,
    ProposalEvent,
    ProposalState,
    RateEvent,
    Receipt,
    StaffSession,
    StaffUser,
)
from ballot.rehearsal import RehearsalConfig
from ballot.services import elections, proposals, ratelimit, staff, staff_sessions
from booth import api as api_module
from booth import receipts
from booth.cast_client import RoundParameters, prepare_cast
from booth.public import proposals as booth_proposals
from booth.public import rounds as public_pages
from crypto.at_rest import AtRestKey
from crypto.canonical import parse_json
from crypto.credentials import (
    derive_credential_key,
    generate_code,
    normalize_code,
    public_key_bytes,
)
from crypto.receipts import RECEIPT_FIELDS
from tests import web_tools
from tests.web_tools import Site, csrf, new_client, seeded_site, site_app, text_of

CONFIG = RehearsalConfig(rows=5, seats=2, deputies=10, present=10, voters=10, spoil=1,
                         voided=0, trustees=3, threshold=2, scrypt_n=2**10, tie=True,
                         election_id="websec-2026")
AT_REST = AtRestKey("web security tests at-rest secret")
SECRET = "web security tests flask secret"
CSRF_REFUSED = "表单已过期或重复提交。请返回、刷新页面后重试。"
WRONG_ROLE = "您的账号没有访问此页面所需的角色。"
UNSAFE_METHODS = ("POST", "PUT", "PATCH", "DELETE")
@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from seeded_site(tmp_path_factory, CONFIG, AT_REST)


@pytest.fixture
def app(site: Site) -> Iterator[Flask]:
    yield from site_app(site, AT_REST, SECRET)


def _client(app: Flask) -> FlaskClient:
    return new_client(app, 2)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return _client(app)


def location(response: TestResponse) -> str:
    assert response.status_code in (302, 303), response.status_code
    parts = urlsplit(response.headers["Location"])
    return parts.path + (f"?{parts.query}" if parts.query else "")


def counts(site: Site) -> dict[str, int]:
    """Rows of every table a form could write to, and the credentials spent."""
    with site.session() as s:
        found = {model.__tablename__: s.scalar(select(func.count()).select_from(model)) or 0
                 for model in (BoardEntry, HeldChallenge, RateEvent, Receipt, StaffUser)}
        found["used credentials"] = s.scalar(select(func.count()).select_from(Credential).where(
            Credential.status == CredentialStatus.used)) or 0
    return found


def make_staff(site: Site, username: str, roles: list[str], password: str = DEMO_PASSWORD,
               *, strip_roles: bool = False, active: bool = True) -> int:
    with make_sessionmaker(site.engine).begin() as s:
        user = staff.create_staff(s, username, password, roles, f"Staff {username}",
                                  department="住建局" if "department" in roles else "")
        if strip_roles:  # an account whose roles were all withdrawn
            s.execute(update(StaffUser).where(StaffUser.id == user.id).values(roles=""))
        if not active:
            s.execute(update(StaffUser).where(StaffUser.id == user.id).values(active=False))
        return user.id


def log_in_as(client: FlaskClient, site: Site, user_id: int) -> None:
    web_tools.log_in_as(client, site.engine, user_id)


def staff_id_of(client: FlaskClient) -> Any:
    with client.session_transaction() as session:
        return session.get("staff_id")


def log_in(client: FlaskClient, username: str, password: str, query: str = "") -> TestResponse:
    token = csrf(client, "/admin/login")
    return client.post("/admin/login" + query, data={"csrf_token": token, "username": username,
                                                     "password": password})


def api(site: Site, what: str = "") -> str:
    return f"/api/rounds/{site.election_id}/{site.round_id}" + (f"/{what}" if what else "")


def tablet_view(client: FlaskClient, site: Site) -> RoundParameters:
    return RoundParameters.from_json(client.get(api(site)).get_json(), site.election_id,
                                     site.round_id)


def check_code(client: FlaskClient, site: Site, code: str, query: str = "") -> TestResponse:
    """What the tablet sends after a code passes its own checks: the derived public key."""
    key = derive_credential_key(code, site.election_id, site.round_id)
    return client.post(api(site, "credential") + query,
                       json={"credential": public_key_bytes(key).hex()})


def marks_of(params: RoundParameters, chosen: dict[int, str]) -> list[list[int]]:
    return [[1 if chosen.get(r) == o else 0 for o in params.manifest.options]
            for r in range(len(params.manifest.row_ids))]


def admin_rules(app: Flask) -> list[Rule]:
    return [rule for rule in app.url_map.iter_rules() if rule.endpoint.startswith("admin.")]


def declared_roles(app: Flask, endpoint: str) -> tuple[str, ...] | None:
    view: Callable[..., Any] = app.view_functions[endpoint]
    roles = getattr(view, "piaojue_roles", None)
    if roles is None:
        roles = getattr(inspect.unwrap(view), "piaojue_roles", None)
    return roles


def url_of(app: Flask, rule: Rule, site: Site) -> str:
    known = {"election_id": site.election_id, "round_id": site.round_id, "index": "1",
             "fmt": "pdf"}
    values = {name: known.get(name, "1") for name in rule.arguments}
    return app.url_map.bind("localhost").build(rule.endpoint, values)


def protected_requests(app: Flask, site: Site) -> list[tuple[str, str, tuple[str, ...]]]:
    """(method, url, roles) for every staff-only admin route and method."""
    found = []
    for rule in admin_rules(app):
        roles = declared_roles(app, rule.endpoint)
        if not roles:
            continue
        assert rule.methods is not None, f"{rule.rule} names no methods"
        for method in sorted(rule.methods - {"HEAD", "OPTIONS"}):
            found.append((method, url_of(app, rule, site), roles))
    assert found, "no staff-only route found"
    return found


def send(client: FlaskClient, method: str, url: str, token: str | None) -> TestResponse:
    data = {"csrf_token": token} if token else {}
    return client.open(url, method=method, data=data if method != "GET" else None)


# --- 1. every staff page needs a role ----------------------------------------------------


def test_every_admin_route_declares_its_roles(app: Flask) -> None:
    public = []
    for rule in admin_rules(app):
        roles = declared_roles(app, rule.endpoint)
        assert roles is not None, f"{rule.endpoint} declares no roles"
        if roles == ():
            public.append(rule.endpoint)
        else:
            assert set(roles) <= set(staff.ROLES), rule.endpoint
    assert public == ["admin.login"], "only the login page is open to anyone"
    assert len(admin_rules(app)) > len(public)


def test_staff_pages_send_strangers_to_the_login(client: FlaskClient, app: Flask,
                                                 site: Site) -> None:
    token = csrf(client, "/admin/login")
    before = counts(site)
    for method, url, _ in protected_requests(app, site):
        response = send(client, method, url, token)
        target = location(response)
        assert urlsplit(target).path == "/admin/login", (method, url)
        assert parse_qs(urlsplit(target).query)["next"] == [urlsplit(url).path]
    assert counts(site) == before


def test_staff_pages_refuse_the_wrong_role(app: Flask, site: Site) -> None:
    users = {role: make_staff(site, f"only-{role}", [role]) for role in staff.ROLES}
    roleless = make_staff(site, "roles-withdrawn", ["department"], strip_roles=True)
    inactive = make_staff(site, "left-the-office", ["presidium"], active=False)
    checked = 0
    for method, url, roles in protected_requests(app, site):
        outsiders = [users[r] for r in staff.ROLES if r not in roles] + [roleless]
        for user_id in outsiders:
            client = _client(app)
            log_in_as(client, site, user_id)
            before = counts(site)
            response = send(client, method, url, csrf(client))
            assert response.status_code == 403, (method, url, user_id)
            assert WRONG_ROLE in text_of(response)
            assert counts(site) == before
            checked += 1
        client = _client(app)
        log_in_as(client, site, inactive)
        target = location(send(client, method, url, csrf(client)))
        assert urlsplit(target).path == "/admin/login"
        if method == "GET":  # the right role gets past the gate (the page may then refuse
            for role in roles:  # for its own reasons, such as the round's state)
                client = _client(app)
                log_in_as(client, site, users[role])
                response = send(client, method, url, None)
                assert response.status_code not in (302, 403), (url, role)
                assert response.status_code < 500, (url, role)
    assert checked


@pytest.mark.parametrize("package", ["admin.web", "booth.public"])
def test_every_page_module_of_a_blueprint_package_serves_routes(app: Flask,
                                                                package: str) -> None:
    """A blueprint's package lists its page modules by name (issue 14, item 5): each one
    listed serves a route of the blueprint, and no module of the package is left out."""
    blueprint_package = importlib.import_module(package)
    listed = {module.__name__ for module in blueprint_package.ROUTE_MODULES}
    on_disk = {f"{package}.{info.name}" for info in pkgutil.iter_modules(
        blueprint_package.__path__)} - {f"{package}.blueprint"}
    assert listed == on_disk
    serving = {app.view_functions[rule.endpoint].__module__
               for rule in app.url_map.iter_rules()
               if rule.endpoint.startswith(blueprint_package.bp.name + ".")}
    assert listed <= serving


# --- 2. CSRF -----------------------------------------------------------------------------


def test_no_form_is_accepted_without_its_csrf_token(client: FlaskClient, app: Flask,
                                                    site: Site) -> None:
    code = site.code()
    log_in_as(client, site, make_staff(site, "csrf-target", ["presidium"]))
    fields = {"code": code, "row-0": "for", "row-1": "against",
              "username": DEMO_STAFF[0][0], "password": DEMO_PASSWORD, "receipt": "x"}
    rules = [rule for rule in app.url_map.iter_rules()
             if set(rule.methods or ()) & set(UNSAFE_METHODS)]
    assert {rule.endpoint for rule in rules} >= {"admin.login", "admin.logout",
                                                 "public.verify"}
    # No booth route takes a form: the tablet talks to the JSON API only.
    assert not [rule for rule in rules if rule.endpoint.startswith("booth.")]
    # The JSON API is the one exemption: it reads no cookie and no session (a cast's
    # authority is the credential's signature in the body), and it takes only
    # application/json, which no cross-site form can send. Any new exemption must be
    # added here on purpose.
    exempt = {rule.endpoint for rule in rules if rule.endpoint.startswith("api.")}
    assert exempt == {"api.cast", "api.credential_status", "api.challenge"}
    for rule in rules:
        url = url_of(app, rule, site)
        for method in sorted(set(rule.methods or ()) & set(UNSAFE_METHODS)):
            for token in (None, "not-a-token", ""):
                data = dict(fields) if token is None else {**fields, "csrf_token": token}
                before = counts(site)
                response = client.open(url, method=method, data=data)
                if rule.endpoint in exempt:
                    assert response.status_code == 415, (method, url, token)
                    assert "application/json" in response.get_json()["error"]
                    after = counts(site)
                    counted = 0 if rule.endpoint == "api.credential_status" else 1
                    assert after.pop("rate_event") == before.pop("rate_event") + counted
                else:
                    assert response.status_code == 400, (method, url, token)
                    assert CSRF_REFUSED in text_of(response), (method, url)
                    after = counts(site)
                assert after == before, (method, url)
    # Nothing moved: the code can still vote, the staff member is still logged in.
    assert check_code(client, site, code).status_code == 200
    assert client.get("/admin/").status_code == 200


def test_a_token_from_another_session_is_refused(app: Flask, site: Site) -> None:
    other, victim = _client(app), _client(app)
    stolen = csrf(other, "/verify")
    csrf(victim, "/verify")
    before = counts(site)
    response = victim.post("/verify", data={"csrf_token": stolen, "receipt": "x"})
    assert response.status_code == 400
    assert CSRF_REFUSED in text_of(response)
    assert counts(site) == before


# --- 3. headers and pages ----------------------------------------------------------------


def csp_directives(header: str) -> dict[str, list[str]]:
    directives = {}
    for part in header.split(";"):
        words = part.split()
        if words:
            directives[words[0].lower()] = words[1:]
    return directives


INLINE_SCRIPT = re.compile(r"<script\b(?![^>]*\bsrc\s*=)[^>]*>", re.I)
INLINE_HANDLER = re.compile(r"<[a-z][^>]*\son[a-z]+\s*=", re.I)
INLINE_STYLE = re.compile(r"<style\b|<[a-z][^>]*\sstyle\s*=", re.I)


def check_response(path: str, response: TestResponse) -> None:
    headers = response.headers
    csp = headers.get("Content-Security-Policy")
    assert csp, path
    directives = csp_directives(csp)
    scripts = directives.get("script-src", directives.get("default-src"))
    # The record verifier compiles libsodium's WebAssembly; nothing may evaluate script.
    wasm = urlsplit(path).path in ("/verify/record",) or path.startswith("/static/verify/")
    assert scripts == (["'self'", "'wasm-unsafe-eval'"] if wasm else ["'self'"]), (path, csp)
    for directive in ("script-src", "style-src", "default-src"):
        assert "'unsafe-inline'" not in directives.get(directive, []), (path, directive)
        assert "'unsafe-eval'" not in directives.get(directive, []), (path, directive)
    assert directives.get("object-src") == ["'none'"], path
    assert directives.get("frame-ancestors") == ["'none'"], path
    assert directives.get("base-uri") == ["'none'"], path
    assert headers.get("X-Content-Type-Options") == "nosniff", path
    assert headers.get("X-Frame-Options") == "DENY", path
    assert headers.get("Referrer-Policy") == "no-referrer", path
    if urlsplit(path).path.startswith(("/booth/", "/admin/", "/api/")) and \
            response.status_code not in (404, 405):  # no route matched: no blueprint
        assert "no-store" in headers.get("Cache-Control", ""), path
    if response.headers.get("Content-Disposition", "").startswith("attachment"):
        return  # downloaded, never rendered under this origin (the offline verifier)
    if response.mimetype == "text/html" and response.status_code != 302:
        page = response.get_data(as_text=True)
        assert not INLINE_SCRIPT.search(page), path
        assert not INLINE_HANDLER.search(page), path
        assert not INLINE_STYLE.search(page), path  # blocked by style-src 'self'
        assert "javascript:" not in page.lower(), path


def test_every_response_carries_the_security_headers(client: FlaskClient, app: Flask,
                                                     site: Site) -> None:
    seen: list[tuple[str, TestResponse]] = []

    def get(path: str) -> TestResponse:
        response = client.get(path)
        seen.append((path, response))
        return response

    def post(path: str, data: dict[str, str]) -> TestResponse:
        response = client.post(path, data=data)
        seen.append((path, response))
        return response

    with site.session() as s:
        spoiled = s.scalar(select(BoardEntry.index).where(BoardEntry.type == "spoiled"))
    e, counted, open_ = site.election_id, site.counted_round_id, site.round_id
    for path in ("/", "/booth/", "/verify", f"/board/{e}/{counted}", f"/board/{e}/{open_}",
                 f"/results/{e}/{counted}", f"/results/{e}/{open_}", f"/turnout/{e}/{open_}",
                 f"/spoiled/{e}/{counted}/{spoiled}", f"/record/{e}/{counted}.zip",
                 f"/record/{e}/{open_}.zip", "/admin/login", "/admin/", "/no/such/page",
                 "/booth/no-such-page", f"/booth/{e}/{counted}/", f"/booth/{e}/nope/",
                 "/booth/cast", "/booth/ballot", "/static/piaojue.js", "/static/piaojue.css",
                 "/static/booth/booth.js", "/static/vendor/noble.js", "/?lang=en",
                 "/booth/?notice=abandoned", "/static/booth/encrypt-worker.js",
                 "/static/protocol/group.js", f"/booth/{e}/{open_}/?lang=en",
                 f"/api/rounds/{e}/{open_}", f"/api/rounds/{e}/{counted}",
                 "/verify/record", f"/verify/record?election={e}&round={counted}",
                 f"/verify/record?election={e}&round=nope", "/verify/record/offline.html",
                 "/static/verify/worker.js", "/static/verify/record.js",
                 "/static/vendor/sodium.js"):
        get(path)
    # The booth page, then a whole vote through the API, a challenge included, the receipt.
    get(site.sign_in_path)
    token = csrf(client, "/verify")
    post(site.sign_in_path, {"csrf_token": token, "code": "never posted by the page"})  # 405
    code = site.code()

    def post_json(path: str, body: Any) -> TestResponse:
        response = client.post(path, json=body)
        seen.append((path, response))
        return response

    params = tablet_view(client, site)
    post_json(api(site, "credential"), {"credential": "00" * 32})
    key = public_key_bytes(derive_credential_key(code, site.election_id, site.round_id)).hex()
    post_json(api(site, "credential"), {"credential": key})
    doubt = prepare_cast(params, code, marks_of(params, {0: "for"}))
    post_json(api(site, "challenge"), doubt.spoiled_entry)
    prepared = prepare_cast(params, code, marks_of(params, {1: "against"}))
    cast = post_json(api(site, "cast"), prepared.body).get_json()
    text = receipts.encode({"receipt": cast["receipt"], "signature": cast["signature"]})
    get(f"/verify?receipt={text}")
    post("/verify", {"csrf_token": token, "receipt": "not a receipt"})
    post("/verify", {"receipt": text})  # no CSRF token
    # Staff pages, with and without the right role.
    post("/admin/login", {"csrf_token": token, "username": "nobody", "password": "wrong-wrong"})
    log_in_as(client, site, make_staff(site, "headers-check", ["clerk"]))
    get("/admin/")
    log_in_as(client, site, make_staff(site, "headers-none", ["clerk"], strip_roles=True))
    get("/admin/")

    statuses = {response.status_code for _, response in seen}
    assert statuses >= {200, 302, 400, 403, 404, 405, 409}
    assert len(seen) > 40
    for path, response in seen:
        check_response(path, response)
        response.close()


def test_every_url_rule_answers_with_the_security_headers(app: Flask, site: Site) -> None:
    """Every rule of the URL map and each of its methods, asked by a stranger and by staff
    holding every role; unsafe methods go without a CSRF token, so nothing is changed."""
    stranger = _client(app)
    insider = _client(app)
    log_in_as(insider, site, make_staff(site, "headers-every-role", list(staff.ROLES)))
    before = counts(site)
    asked = 0
    for rule in app.url_map.iter_rules():
        url = url_of(app, rule, site) if rule.endpoint != "static" else "/static/piaojue.css"
        for method in sorted((rule.methods or set()) - {"HEAD", "OPTIONS"}):
            for client in (stranger, insider):
                response = client.open(url, method=method)
                check_response(url, response)
                assert response.status_code < 500, (method, url)
                response.close()
                asked += 1
    assert asked > 2 * len(list(app.url_map.iter_rules()))
    after = counts(site)
    after.pop("rate_event"), before.pop("rate_event")  # the API counts the refused posts
    assert after == before


# --- 4. rate limits ----------------------------------------------------------------------

CODE_LIMIT = "本平板（编号 -）尝试投票码次数过多。请工作人员在签到页面解除锁定，或等待五分钟。"
LOGIN_LIMIT = "登录失败次数过多，请十五分钟后再试。"
LOGIN_WRONG = "用户名或密码错误。"


def _five_wrong_codes(client: FlaskClient, site: Site) -> None:
    """Five keys of codes never issued (typos never get this far: the tablet catches them)."""
    for _ in range(5):
        assert check_code(client, site, generate_code()).status_code == 400


def test_five_wrong_codes_lock_the_tablet(app: Flask, client: FlaskClient, site: Site) -> None:
    _five_wrong_codes(client, site)
    valid = site.codes[0]
    before = counts(site)
    response = check_code(client, site, valid)
    assert response.status_code == 429
    assert response.get_json() == {"error": CODE_LIMIT}
    assert counts(site) == before  # not even the refusal is stored again
    english = check_code(client, site, valid, "?lang=en")
    assert english.status_code == 429
    assert "Too many codes were tried on this tablet" in english.get_json()["error"]
    # Another tablet is not locked, and the code itself is not burnt.
    assert check_code(_client(app), site, valid).get_json() == {"usable": True}


def test_a_chosen_tablet_cookie_does_not_reset_the_limit_that_matters(client: FlaskClient,
                                                                      site: Site) -> None:
    """A tablet id tells apart the tablets behind one address, so one tablet's typos lock
    only that tablet; but a client that picks a fresh id for every guess still meets the
    address's own limit, which no cookie resets."""
    _five_wrong_codes(client, site)
    assert check_code(client, site, generate_code()).status_code == 429
    guesses = 5
    for n in range(api_module.ADDRESS_CODE_ATTEMPTS):
        client.set_cookie("piaojue_tablet", f"{n:08x}")
        answer = check_code(client, site, generate_code())
        if answer.status_code == 429:
            break
        assert answer.status_code == 400
        guesses += 1
    assert guesses == api_module.ADDRESS_CODE_ATTEMPTS
    assert "会场网络" in answer.get_json()["error"]


def test_challenges_are_limited_per_tablet_refused_ones_included(app: Flask, client: FlaskClient,
                                                                site: Site) -> None:
    """Checking a challenge's proofs costs the server: every attempt counts, and the
    limit answers before any proof is checked."""
    broken = {"ballot": {"cells": [], "rows": [], "columns": {}}, "plaintext": [], "nonces": []}
    for _ in range(api_module.CHALLENGES):
        assert client.post(api(site, "challenge"), json=broken).status_code == 400
    before = counts(site)
    params = tablet_view(client, site)
    good = prepare_cast(params, site.codes[0], marks_of(params, {})).spoiled_entry
    limited = client.post(api(site, "challenge"), json=good)
    assert limited.status_code == 429
    assert limited.get_json() == {
        "error": "本终端核验选票的次数过多，请五分钟后再试，或请工作人员协助。"}
    assert counts(site) == before
    assert _client(app).post(api(site, "challenge"), json=good).status_code == 202


@pytest.mark.parametrize("proxies", [0, 1])
def test_behind_a_proxy_each_tablet_keeps_its_own_limit(site: Site, proxies: int) -> None:
    """Behind nginx every request comes from the proxy's address: with PIAOJUE_PROXIES the
    limit is per tablet as the proxy reports it; without it the header is not believed
    (a tablet cannot reset its own limit by sending a made-up X-Forwarded-For)."""
    app = create_app({"DATABASE_URL": site.url, "PIAOJUE_AT_REST": AT_REST,
                      "SECRET_KEY": SECRET, "PIAOJUE_PROXIES": proxies})
    proxy = f"10.99.{proxies}.1"

    def tablet(address: str) -> FlaskClient:
        client = app.test_client()
        client.environ_base.update(REMOTE_ADDR=proxy, HTTP_X_FORWARDED_FOR=address)
        return client

    try:
        noisy = tablet("192.168.7.10")
        _five_wrong_codes(noisy, site)
        assert check_code(noisy, site, generate_code()).status_code == 429
        neighbour = tablet("192.168.7.11")
        answer = check_code(neighbour, site, generate_code())
        assert answer.status_code == (400 if proxies else 429)
    finally:
        app.extensions["piaojue_engine"].dispose()


def test_five_wrong_passwords_lock_the_login(app: Flask, client: FlaskClient,
                                             site: Site) -> None:
    password = "correct horse battery staple"
    user_id = make_staff(site, "gatekeeper", ["presidium"], password)
    for n in range(5):
        response = log_in(client, "gatekeeper", f"wrong password {n}")
        assert response.status_code == 400
        assert LOGIN_WRONG in text_of(response)
    before = counts(site)
    response = log_in(client, "gatekeeper", password)
    assert response.status_code == 429
    assert LOGIN_LIMIT in text_of(response)
    assert staff_id_of(client) is None
    assert urlsplit(location(client.get("/admin/"))).path == "/admin/login"
    assert counts(site) == before
    # From another address the right password still works, and sets a session.
    other = _client(app)
    response = log_in(other, "gatekeeper", password)
    assert location(response) == "/admin/"
    assert staff_id_of(other) == user_id
    dashboard = other.get("/admin/")
    assert dashboard.status_code == 200
    assert "Staff gatekeeper" in text_of(dashboard)


def test_a_right_login_before_the_limit_works(client: FlaskClient, site: Site) -> None:
    password = "another long password"
    user_id = make_staff(site, "almost-locked", ["clerk"], password)
    unknown = log_in(client, "no-such-user", password)
    assert unknown.status_code == 400
    assert LOGIN_WRONG in text_of(unknown)  # the same words as a wrong password
    for n in range(4):
        assert log_in(client, "almost-locked", f"wrong {n}").status_code == 400
    assert staff_id_of(client) is None
    response = log_in(client, "almost-locked", password, "?next=/admin/")
    assert location(response) == "/admin/"
    assert staff_id_of(client) == user_id
    assert client.get("/admin/").status_code == 200
    logout = client.post("/admin/logout", data={"csrf_token": csrf(client, "/admin/")})
    assert location(logout) == "/"
    assert staff_id_of(client) is None
    assert urlsplit(location(client.get("/admin/"))).path == "/admin/login"


@pytest.mark.parametrize("target", ["//evil.example/admin", "https://evil.example/admin",
                                    "/verify", "javascript:alert(1)",
                                    # a CRLF gave a 500 after the login itself succeeded
                                    "/admin%0d%0aSet-Cookie:%20x=1", "/admin/%0a",
                                    "/admin\\evil.example", "/admin/%00"])
def test_login_never_redirects_off_the_staff_pages(client: FlaskClient, site: Site,
                                                   target: str) -> None:
    username = "redirect-" + hashlib.sha256(target.encode()).hexdigest()[:12]
    make_staff(site, username, ["clerk"], "redirect password")
    response = log_in(client, username, "redirect password", f"?next={target}")
    assert location(response) == "/admin/"
    assert urlsplit(response.headers["Location"]).netloc in ("", "localhost")


PROPOSE_LIMIT = "此地址提交的建议过多，请一小时后再试。"
TRACK_LIMIT = "此地址尝试的查询码中无效的过多，请十分钟后再试。"
VERIFY_LIMIT = "此地址核验回执的次数过多，请十分钟后再试。"


def public_counts(site: Site) -> dict[str, int]:
    with site.session() as s:
        found = {model.__tablename__: s.scalar(select(func.count()).select_from(model)) or 0
                 for model in (Proposal, ProposalEvent)}
        found["returned"] = s.scalar(select(func.count()).select_from(Proposal).where(
            Proposal.state == ProposalState.returned_for_revision)) or 0
    return {**counts(site), **found}


def returned_proposal(site: Site) -> str:
    """A proposal sent back to its proposer; its tracking code."""
    with make_sessionmaker(site.engine).begin() as s:
        election = elections.get_election(s, site.election_id)
        proposal = proposals.submit(s, election, {**PROPOSAL, "title": "待修改的建议"})
        proposals.start_review(s, proposal, "审查员")
        proposals.return_for_revision(s, proposal, "审查员", "请补充地点")
        return proposal.tracking_code


PROPOSAL = {"title": "社区健身步道", "category": "文化体育", "description": "沿河修建步道。",
            "proposer_name": "李四"}


def test_unknown_tracking_codes_lock_the_address(app: Flask, client: FlaskClient,
                                                 site: Site) -> None:
    code = returned_proposal(site)
    for n in range(booth_proposals.TRACK_MISSES):
        wrong = f"ZZZZZZZZ{n:02d}"
        response = client.get(f"/track?code={wrong}")
        assert response.status_code == 404
    before = public_counts(site)
    for ask in (lambda c: c.get(f"/track?code={code}"),
                lambda c: c.post("/track", data={"csrf_token": csrf(c), "code": code,
                                                 **PROPOSAL})):
        response = ask(client)
        assert response.status_code == 429
        assert TRACK_LIMIT in text_of(response)
        assert "待修改的建议" not in text_of(response)
    assert public_counts(site) == before  # the locked attempts add nothing, revise nothing
    other = _client(app)
    found = other.get(f"/track?code={code}")
    assert found.status_code == 200
    assert "待修改的建议" in text_of(found)


def test_proposals_and_revisions_share_one_limit(app: Flask, client: FlaskClient,
                                                 site: Site) -> None:
    code = returned_proposal(site)
    path = f"/propose/{site.election_id}"
    token = csrf(client, path)
    for n in range(booth_proposals.SUBMISSIONS_PER_HOUR):
        sent = client.post(path, data={"csrf_token": token, **PROPOSAL, "title": f"建议{n}"})
        assert urlsplit(location(sent)).path == "/track"
    before = public_counts(site)
    refused = client.post(path, data={"csrf_token": token, **PROPOSAL})
    assert refused.status_code == 429
    assert PROPOSE_LIMIT in text_of(refused)
    revision = client.post("/track", data={"csrf_token": token, "code": code, **PROPOSAL,
                                           "place": "滨江社区"})
    assert revision.status_code == 429
    assert PROPOSE_LIMIT in text_of(revision)
    assert public_counts(site) == before
    other = _client(app)
    revised = other.post("/track", data={"csrf_token": csrf(other), "code": code,
                                         **PROPOSAL, "place": "滨江社区"})
    assert revised.status_code == 200
    assert public_counts(site)["returned"] == before["returned"] - 1


def a_receipt(site: Site) -> str:
    """A real receipt of the counted round, as the text of its link."""
    with site.session() as s:
        row = s.scalars(select(Receipt)).first()
        assert row is not None
        return receipts.encode({"receipt": parse_json(row.receipt_json),
                                "signature": row.signature})


def test_failed_checks_and_uploads_lock_the_verify_page(app: Flask, client: FlaskClient,
                                                        site: Site) -> None:
    good = a_receipt(site)
    for _ in range(3 * public_pages.VERIFY_ATTEMPTS // 2):  # good checks are not counted
        assert client.get(f"/verify?receipt={good}").status_code == 200
    token = csrf(client, "/verify")
    for n in range(public_pages.VERIFY_ATTEMPTS):
        if n % 2:
            response = client.get(f"/verify?receipt=not-a-receipt-{n}")
        else:
            response = client.post("/verify", data={"csrf_token": token, "qr": (
                io.BytesIO(b"not an image"), "receipt.png")},
                content_type="multipart/form-data")
        assert response.status_code == 400
    before = counts(site)
    for response in (client.get(f"/verify?receipt={good}"),
                     client.post("/verify", data={"csrf_token": token, "receipt": good})):
        assert response.status_code == 429
        assert VERIFY_LIMIT in text_of(response)
    assert counts(site) == before
    assert _client(app).get(f"/verify?receipt={good}").status_code == 200


# --- 5. the server never receives the code or the marks ----------------------------------


def code_forms(code: str) -> list[str]:
    normal = normalize_code(code)
    return [normal, code, code.lower(), normal.lower(), normal[:8], code[:9],
            code.replace("-", " ")]


def every_stored_value(site: Site) -> str:
    """Every column of every row of every table, as text: what the server's database holds."""
    with site.session() as s:
        tables = Base.metadata.sorted_tables
        return "\n".join(repr(tuple(row)) for table in tables
                         for row in s.execute(select(table)))


def test_a_whole_vote_leaves_no_code_and_no_mark_on_the_server(
        client: FlaskClient, app: Flask, site: Site, caplog: pytest.LogCaptureFixture) -> None:
    """A vote as the tablet makes it (key check, challenge, cast, retry, receipt check):
    no request, cookie, URL, log line or row of any table holds the code, and the only
    marks the server ever sees are the challenged ballot's, which the board publishes."""
    for name in (None, "werkzeug", "piaojue", "sqlalchemy", "sqlalchemy.engine"):
        caplog.set_level(logging.DEBUG, logger=name)
    code = site.code()
    password = "logged nowhere at all"
    make_staff(site, "log-check", ["clerk"], password)
    responses: list[TestResponse] = []
    bodies: list[bytes] = []

    def post_json(path: str, body: Any) -> TestResponse:
        data = json.dumps(body).encode()
        response = client.post(path, data=data, content_type="application/json")
        bodies.append(data)
        responses.append(response)
        return response

    responses.append(client.get(site.sign_in_path))
    params = tablet_view(client, site)
    key = public_key_bytes(derive_credential_key(code, site.election_id, site.round_id)).hex()
    assert post_json(api(site, "credential"), {"credential": key}).status_code == 200
    doubt = prepare_cast(params, code, marks_of(params, {0: "for", 1: "against"}))
    assert post_json(api(site, "challenge"), doubt.spoiled_entry).status_code == 202
    prepared = prepare_cast(params, code, marks_of(params, {0: "against", 1: "for"}))
    before = counts(site)
    assert post_json(api(site, "cast"), prepared.body).status_code == 201
    assert counts(site)["board_entry"] == before["board_entry"] + 1
    answer = post_json(api(site, "cast"), prepared.body).get_json()  # a retry: the same receipt
    assert answer["repeated"] is True
    text = receipts.encode({"receipt": answer["receipt"], "signature": answer["signature"]})
    responses.append(client.get(f"/verify?receipt={text}"))
    assert set(answer["receipt"]) == RECEIPT_FIELDS  # where the ballot is, nothing more
    responses.append(log_in(client, "log-check", "not the password"))
    responses.append(log_in(client, "log-check", password))
    assert responses[-1].status_code == 302

    # What the server received: the public key, the encrypted ballot and its signature.
    cast_bodies = [parse_json(b) for b in bodies if b"signature" in b]
    assert {frozenset(body) for body in cast_bodies} == {frozenset(api_module.CAST_FIELDS)}
    secrets = [*code_forms(code), password]
    for body in bodies:
        for secret in secrets:
            assert secret.encode() not in body, secret
    stored = every_stored_value(site)
    for secret in secrets:
        assert secret not in stored, secret
    assert "plaintext" in stored  # the challenged ballot, held for the board
    with site.session() as s:
        cast_entry = s.scalar(select(BoardEntry.entry_json).where(
            BoardEntry.digest == answer["receipt"]["entry_digest"]))
    assert cast_entry is not None
    assert set(parse_json(cast_entry)) == {"type", *api_module.CAST_FIELDS}
    serializer = app.session_interface.get_signing_serializer(app)  # type: ignore[attr-defined]
    for response in responses:
        for header in response.headers.getlist("Set-Cookie"):
            name, _, rest = header.partition("=")
            value = rest.split(";", 1)[0]
            for secret in secrets:
                assert secret.lower() not in header.lower(), name
            if name == "session" and value:
                assert set(serializer.loads(value)) <= {"csrf_token", "staff_id", "staff_name",
                                                        "staff_session"}
        if "Location" in response.headers:
            for secret in secrets:
                assert secret.lower() not in response.headers["Location"].lower()
    for request_path in [r.request.path + "?" + r.request.query_string.decode()
                         for r in responses]:
        for secret in secrets:
            assert secret.lower() not in request_path.lower()
    logged = caplog.text
    assert logged, "nothing was logged at all: the capture is not working"
    for secret in secrets:
        assert secret.lower() not in logged.lower(), secret
    # The challenged ballot's opening is public (the board will show it); the form fields
    # and the labels of marks never reach the server at all.
    for word in ("row-0", "row-1", "row-P", "赞成", "反对"):
        assert word not in logged, word


# ---- server-side staff sessions (issue 13, item 3) -------------------------------------


def _captured(client: FlaskClient, app: Flask) -> FlaskClient:
    """Another browser holding a copy of ``client``'s session cookie (a stolen one)."""
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = _client(app)
    thief.set_cookie("session", cookie.value)
    return thief


def _logged_in(client: FlaskClient, site: Site, username: str) -> None:
    make_staff(site, username, ["clerk"], "a long enough password")
    assert location(log_in(client, username, "a long enough password")) == "/admin/"
    assert client.get("/admin/").status_code == 200


def test_session_cookie_captured_before_logout_opens_nothing_after_it(
        client: FlaskClient, app: Flask, site: Site) -> None:
    _logged_in(client, site, "captured-logout")
    thief = _captured(client, app)
    assert thief.get("/admin/").status_code == 200  # the copy works while the session lives
    client.post("/admin/logout", data={"csrf_token": csrf(client, "/admin/")})
    assert urlsplit(location(thief.get("/admin/"))).path == "/admin/login"


@pytest.mark.parametrize("how", ["password", "disable"])
def test_session_cookie_captured_before_a_password_change_or_disabling_opens_nothing(
        client: FlaskClient, app: Flask, site: Site, how: str) -> None:
    username = f"captured-{how}"
    _logged_in(client, site, username)
    thief = _captured(client, app)
    with make_sessionmaker(site.engine).begin() as s:
        if how == "password":
            staff.set_password(s, username, "a brand new password")
        else:
            staff.disable(s, username)
    for browser in (client, thief):
        assert urlsplit(location(browser.get("/admin/"))).path == "/admin/login"


def test_idle_staff_session_expires(client: FlaskClient, app: Flask, site: Site) -> None:
    _logged_in(client, site, "idle-clerk")
    with make_sessionmaker(site.engine).begin() as s:
        s.execute(update(StaffSession).values(
            last_seen=dt.datetime.now(dt.UTC) - staff_sessions.IDLE_LIMIT
            - dt.timedelta(minutes=1)))
    assert urlsplit(location(client.get("/admin/"))).path == "/admin/login"


def test_staff_sessions_keep_only_a_hash_of_the_token(site: Site) -> None:
    start = dt.datetime(2026, 12, 2, 9, 0, tzinfo=dt.UTC)
    with make_sessionmaker(site.engine).begin() as s:
        user = staff.create_staff(s, "token-hash", "a long enough password", ["clerk"])
        token = staff_sessions.start(s, user, now=start)
        stored = s.scalars(select(StaffSession.token_hash)).all()
        assert token not in stored
        assert staff_sessions.current_user(s, token, now=start + dt.timedelta(minutes=29)) is user
        assert staff_sessions.current_user(s, token, now=start + dt.timedelta(minutes=58)) is user
        assert staff_sessions.current_user(
            s, token, now=start + dt.timedelta(minutes=58) + staff_sessions.IDLE_LIMIT
            + dt.timedelta(seconds=1)) is None
        assert staff_sessions.current_user(s, "forged", now=start) is None


def test_https_mode_makes_every_cookie_secure_and_sends_hsts_over_plain_http(
        site: Site) -> None:
    """Issue 13, item 4: behind a proxy the request may arrive as plain HTTP."""
    app = create_app({"DATABASE_URL": site.url, "PIAOJUE_AT_REST": AT_REST,
                      "SECRET_KEY": "https tests", "PIAOJUE_HTTPS": True})
    client = app.test_client()
    username = "https-clerk"
    make_staff(site, username, ["clerk"], "a long enough password")
    responses = [client.get("/?lang=en"), client.get("/admin/login")]
    responses.append(log_in(client, username, "a long enough password"))
    cookies = [header for response in responses
               for header in response.headers.getlist("Set-Cookie")]
    assert {c.split("=", 1)[0] for c in cookies} >= {"lang", "session"}
    for cookie in cookies:
        assert "; Secure" in cookie, cookie
    for response in responses:
        assert response.headers["Strict-Transport-Security"].startswith("max-age=31536000")
    plain = create_app({"DATABASE_URL": site.url, "PIAOJUE_AT_REST": AT_REST,
                        "SECRET_KEY": "https tests", "PIAOJUE_HTTPS": False}).test_client()
    assert "Strict-Transport-Security" not in plain.get("/").headers


@pytest.mark.parametrize("path", ["slips", "keys"])
def test_separation_of_duties_the_check_in_clerk_cannot_make_slips(
        client: FlaskClient, site: Site, path: str) -> None:
    """Issue 13, item 13: the clerk who checked deputies in could print slips (codes in
    the PDF) and cast those a present deputy left unused. Slips are the credential
    authority's role."""
    log_in_as(client, site, make_staff(site, f"clerk-no-{path}", ["clerk", "presidium"]))
    before = counts(site)
    response = client.post(f"/admin/e/{site.election_id}/r/{site.round_id}/{path}",
                           data={"csrf_token": csrf(client, "/admin/"), "count": "1"})
    assert response.status_code == 403
    assert counts(site) == before


def test_rate_limit_claims_of_a_crashed_request_are_dropped_when_the_server_starts(
        site: Site) -> None:
    """A request killed mid-flight never settles its claim: it counts (the race stays
    bounded) until a server starts again, which drops it."""
    with make_sessionmaker(site.engine)() as s:
        claimed = ratelimit.attempt(s, "code", "198.51.100.7", 5, dt.timedelta(minutes=5))
        assert claimed.allowed
        s.info.clear()  # the process dies here: no settle
    def left() -> int:
        with site.session() as s:
            return s.scalar(select(func.count()).select_from(RateEvent).where(
                RateEvent.key == "198.51.100.7")) or 0
    assert left() == 1
    create_app({"DATABASE_URL": site.url, "PIAOJUE_AT_REST": AT_REST, "SECRET_KEY": "restart"})
    assert left() == 0
