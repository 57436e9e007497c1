"""A seeded site for Flask test-client tests, shared by test_web and test_web_security.

The site is a rehearsal whose result calls for a runoff, opened for the booth
with known codes, on a real SQLite file; every test client gets an address
of its own so one test's rate limits spare the others.
"""

from __future__ import annotations

import html
import itertools
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.test import TestResponse

from admin.app import create_app
from admin.demo import open_booth_round
from ballot.db import make_engine, make_sessionmaker
from ballot.rehearsal import RehearsalConfig, rehearse
from ballot.schema import upgrade
from crypto.at_rest import AtRestKey

CSRF = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')
_addresses = itertools.count(1)


@dataclass
class Site:
    url: str
    engine: Engine
    election_id: str
    round_id: str
    counted_round_id: str
    codes: list[str] = field(default_factory=list)

    def code(self) -> str:
        """A code no other test has used."""
        return self.codes.pop()

    def session(self) -> Session:
        return make_sessionmaker(self.engine)()

    @property
    def sign_in_path(self) -> str:
        return f"/booth/{self.election_id}/{self.round_id}/"


def seeded_site(tmp_path_factory: pytest.TempPathFactory, config: RehearsalConfig,
                at_rest: AtRestKey) -> Iterator[Site]:
    """For a module fixture: ``yield from seeded_site(...)``."""
    tmp = tmp_path_factory.mktemp(config.election_id)
    url = f"sqlite:///{tmp / 'site.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    keys = tmp / "keys"
    keys.mkdir()
    outcome = rehearse(sessions, config, keys, at_rest=at_rest)
    opened = open_booth_round(sessions, config.election_id, outcome, codes=10)
    yield Site(url, engine, config.election_id, opened.round_id, outcome.round_id,
               list(opened.codes))
    engine.dispose()


def site_app(site: Site, at_rest: AtRestKey, secret: str) -> Iterator[Flask]:
    """For a fixture: ``yield from site_app(...)``; the app's engine is closed after."""
    app = create_app({"DATABASE_URL": site.url, "PIAOJUE_AT_REST": at_rest,
                      "SECRET_KEY": secret})
    yield app
    app.extensions["piaojue_engine"].dispose()


def new_client(app: Flask, subnet: int) -> FlaskClient:
    """A test client on an address of its own: a tablet or a staff laptop of its own."""
    client = app.test_client()
    n = next(_addresses)
    client.environ_base["REMOTE_ADDR"] = f"10.{subnet}.{n // 250}.{n % 250 + 1}"
    return client


def text_of(response: TestResponse) -> str:
    return html.unescape(response.get_data(as_text=True))


def csrf_from(response: TestResponse) -> str:
    found = CSRF.search(response.get_data(as_text=True))
    assert found, "the page has no CSRF token"
    return found.group(1)


def csrf(client: FlaskClient, path: str = "/verify") -> str:
    page = client.get(path)
    assert page.status_code == 200, path
    return csrf_from(page)


def log_in_as(client: FlaskClient, engine: Engine, user_id: int) -> None:
    """Give ``client`` a staff session of ``user_id`` without the login form: a live
    session row, as the login page makes, and its token in the signed cookie."""
    from ballot.models import StaffUser
    from ballot.services import staff_sessions

    with make_sessionmaker(engine).begin() as s:
        user = s.get(StaffUser, user_id)
        assert user is not None
        token = staff_sessions.start(s, user)
    with client.session_transaction() as session:
        session["staff_id"], session["staff_session"] = user_id, token
