"""Each role sees its way (issue 16, item 2): every staff page has the navigation bar with
who is logged in and logging out, and no link any role is shown leads that role to a
refusal. Each role's pages are walked from the dashboard, link by link."""

from __future__ import annotations

import html
import re
from collections.abc import Iterator
from urllib.parse import urljoin, urlsplit

import pytest
from flask import Flask
from flask.testing import FlaskClient

from ballot.db import make_sessionmaker
from ballot.rehearsal import RehearsalConfig
from ballot.services import staff
from crypto.at_rest import AtRestKey
from tests.web_tools import Site, log_in_as, new_client, seeded_site, site_app

CONFIG = RehearsalConfig(rows=5, seats=2, deputies=10, present=10, voters=10, spoil=0,
                         voided=0, trustees=3, threshold=2, scrypt_n=2**10, tie=True,
                         election_id="roles-2026")
AT_REST = AtRestKey("role links at-rest secret")
HREF = re.compile(r'<a\b[^>]*\bhref="([^"]+)"')
MOST_PAGES = 120
"""Enough for every page of a small election; a walk that goes further is looping."""


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Site]:
    yield from seeded_site(tmp_path_factory, CONFIG, AT_REST)


@pytest.fixture(scope="module")
def app(site: Site) -> Iterator[Flask]:
    yield from site_app(site, AT_REST, "role links flask secret")


def links_of(page: str, base: str) -> list[str]:
    out = []
    for href in HREF.findall(page):
        target = urljoin(base, html.unescape(href))
        parts = urlsplit(target)
        if parts.netloc not in ("", "localhost") or target.startswith(("mailto:", "#")):
            continue
        path = parts.path + (f"?{parts.query}" if parts.query else "")
        if path.startswith("/static/"):
            continue
        out.append(path)
    return out


@pytest.mark.parametrize("role", staff.ROLES)
def test_no_link_a_role_is_shown_leads_it_to_a_refusal(app: Flask, site: Site,
                                                        role: str) -> None:
    with make_sessionmaker(site.engine).begin() as s:
        user = staff.create_staff(s, f"walk-{role}", "walk password 1", [role], f"走查{role}",
                                  department="住建局" if role == "department" else "")
        user_id = user.id
    client: FlaskClient = new_client(app, 9)
    log_in_as(client, site.engine, user_id)
    seen: set[str] = set()
    queue = ["/admin/"]
    staff_pages = 0
    while queue:
        path = queue.pop(0)
        if path in seen:
            continue
        seen.add(path)
        assert len(seen) <= MOST_PAGES, "the walk does not end"
        response = client.get(path)
        assert response.status_code not in (401, 403, 500), (role, path, response.status_code)
        assert response.status_code in (200, 302, 304), (role, path, response.status_code)
        if response.status_code != 200 or response.mimetype != "text/html":
            continue
        page = response.get_data(as_text=True)
        if urlsplit(path).path.startswith("/admin"):
            staff_pages += 1
            assert 'class="staff-nav"' in page, (role, path)
            assert f"走查{role}" in page, (role, path)  # who is logged in
            assert 'action="/admin/logout"' in page, (role, path)
        queue += [link for link in links_of(page, path) if link not in seen
                  and not link.startswith("/admin/login")]
    assert staff_pages >= 2, f"{role} reaches no staff page beyond the dashboard"
