"""``piaojue serve`` as an operator starts it: ``.venv/bin/piaojue serve`` with no
activated virtualenv, on a fresh instance whose secrets do not exist yet.

Before, it could not find gunicorn at all; and when gunicorn was found, its
workers raced to create the instance's secrets, so a worker failed to boot
or signed forms with a key the others did not share.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from pathlib import Path

import pytest

from tests.live_server import LiveServer, exchange, request, server_environment

pytestmark = pytest.mark.slow
TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


@pytest.fixture
def server(tmp_path: Path) -> Iterator[LiveServer]:
    env = server_environment(f"sqlite:///{tmp_path / 'fresh.sqlite'}", tmp_path / "instance",
                             "unused")
    del env["PIAOJUE_SECRET_KEY"]  # both secrets are made by the instance itself
    server = LiveServer(env, tmp_path / "server", workers=4)
    try:
        yield server
    finally:
        server.stop()


def test_a_fresh_instance_serves_with_one_secret_in_every_worker(server: LiveServer,
                                                                 tmp_path: Path) -> None:
    server.start()
    assert sorted(p.name for p in (tmp_path / "instance").iterdir()) == \
        ["flask.key", "secret.key"]
    status, headers, page = exchange(server.url, "GET", "/admin/login")
    assert status == 200
    # The session cookie and its CSRF token come from one worker; the 4 workers take
    # turns, and every one of them must accept both.
    found = TOKEN.search(page)
    assert found
    cookie = headers["Set-Cookie"].split(";", 1)[0]
    assert cookie.startswith("session=")
    for _ in range(24):
        status, answer = request(
            server.url, "POST", "/track", raw=f"csrf_token={found.group(1)}&code=".encode(),
            headers={"Content-Type": "application/x-www-form-urlencoded", "Cookie": cookie})
        assert status == 200, answer
    assert "Worker failed to boot" not in server.log_tail(200)
