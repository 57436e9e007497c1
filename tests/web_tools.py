"""A seeded site for Flask test-client tests, shared by test_web and test_web_security.

The site is a rehearsal whose result calls for a runoff, opened for the booth
with known codes, on a real SQLite file; every test client gets an address
of its own so one test's rate limits spare the others.
"""

from __future__ import annotations

import html
import itertools
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Engine
from sqlalchemy.orm import Session
from werkzeug.serving import make_server
from werkzeug.test import TestResponse

from admin.app import create_app
from admin.demo import BoothRound, open_booth_round
from ballot.db import make_engine, make_sessionmaker
from ballot.rehearsal import RehearsalConfig, RehearsalOutcome, rehearse
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


@dataclass(frozen=True)
class Rehearsed:
    """A rehearsal on a fresh SQLite file whose result calls for another round, and that
    round opened for the booth with known codes: what the web and browser sites start from."""

    url: str
    engine: Engine
    keys: Path
    """The rehearsal trustees' key files: the booth round can be tallied with them."""
    outcome: RehearsalOutcome
    opened: BoothRound


def rehearse_and_open(tmp: Path, config: RehearsalConfig, at_rest: AtRestKey,
                      codes: int) -> Rehearsed:
    url = f"sqlite:///{tmp / 'site.sqlite'}"
    engine = make_engine(url)
    upgrade(engine)
    sessions = make_sessionmaker(engine)
    keys = tmp / "keys"
    keys.mkdir()
    outcome = rehearse(sessions, config, keys, at_rest=at_rest)
    opened = open_booth_round(sessions, config.election_id, outcome, codes=codes)
    return Rehearsed(url, engine, keys, outcome, opened)


@contextmanager
def served(config: dict[str, Any]) -> Iterator[str]:
    """The app made from ``config``, served on a free port of 127.0.0.1 by Werkzeug's
    threaded server for a browser to drive; yields its address. Stopped and its database
    engine closed afterwards."""
    app = create_app(config)
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        server.shutdown()
        thread.join(timeout=10)
        app.extensions["piaojue_engine"].dispose()


def seeded_site(tmp_path_factory: pytest.TempPathFactory, config: RehearsalConfig,
                at_rest: AtRestKey) -> Iterator[Site]:
    """For a module fixture: ``yield from seeded_site(...)``."""
    seeded = rehearse_and_open(tmp_path_factory.mktemp(config.election_id), config, at_rest,
                               codes=10)
    yield Site(seeded.url, seeded.engine, config.election_id, seeded.opened.round_id,
               seeded.outcome.round_id, list(seeded.opened.codes))
    seeded.engine.dispose()


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
