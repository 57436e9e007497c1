"""``make demo`` shows the whole year it promises (issue 16, item 8): every round it leaves
open can be closed, decrypted with the demo's own trustee key files and published from the
command line; the adoption page can adopt; a rating round has flagged a project and its
rectification is ordered."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from admin.config import instance_secret
from ballot.db import make_engine, make_sessionmaker
from ballot.models import RoundState
from ballot.services import casting, elections, proposals, rounds, tracking
from crypto.at_rest import AtRestKey
from tests.tablet import pinned, prepare_cast

pytestmark = pytest.mark.slow
PIAOJUE = Path(sys.executable).parent / "piaojue"
ELECTION = "demo-2026"


def piaojue(instance: Path, *args: str, passphrase: str = "") -> str:
    env = {**os.environ, "PIAOJUE_INSTANCE": str(instance), "PIAOJUE_PASSPHRASE": passphrase}
    env.pop("DATABASE_URL", None)
    env["DATABASE_URL"] = f"sqlite:///{(instance / 'demo.sqlite').resolve()}"
    done = subprocess.run([str(PIAOJUE), *args], cwd=instance.parent, env=env,
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, (args, done.stdout[-2000:], done.stderr[-2000:])
    return done.stdout


def test_the_demo_leaves_a_year_that_can_be_carried_on(tmp_path: Path) -> None:
    instance = tmp_path / "instance"
    out = piaojue(instance, "demo", "--no-serve", "--out", str(tmp_path / "record.zip"))
    keys = re.findall(r"(\S+trustee-\d\.key\.json)\s+passphrase: (.+)", out)
    assert len(keys) == 5, out
    open_round = re.search(r"/hall/demo-2026/(\S+)", out)
    assert open_round
    round_id = open_round.group(1)
    assert "整改 to rectify: P" in out

    # Two deputies vote with printed codes (as the booth does: pinned, encrypted, signed).
    codes = re.findall(r"^\s+([0-9A-Z]{4}(?:-[0-9A-Z]{4}){4})$", out, re.MULTILINE)
    assert len(codes) >= 2, out
    at_rest = AtRestKey(instance_secret("secret.key", instance))
    engine = make_engine(f"sqlite:///{(instance / 'demo.sqlite').resolve()}")
    try:
        for code in codes[:2]:
            with make_sessionmaker(engine).begin() as s:
                round_ = rounds.get_round(s, ELECTION, round_id)
                pin = pinned(round_)
                marks = [[0] * len(pin.manifest.options) for _ in pin.manifest.row_ids]
                body = prepare_cast(pin, code, marks).body
                casting.cast(s, round_, body["ballot"], body["credential"], body["signature"],
                             at_rest)
    finally:
        engine.dispose()

    # The round left open: closed, decrypted by three trustees with the printed files and
    # passphrases, combined and published, all from the command line.
    piaojue(instance, "round", "close", ELECTION, round_id)
    request = tmp_path / "request.json"
    piaojue(instance, "round", "tally-request", ELECTION, round_id, "--out", str(request))
    shares = []
    for n, (key, passphrase) in enumerate(keys[:3], 1):
        share = tmp_path / f"share-{n}.json"
        piaojue(instance, "trustee", "decrypt", "--key", str(instance.parent / key),
                "--request", str(request), "--out", str(share), passphrase=passphrase.strip())
        shares.append(str(share))
    piaojue(instance, "round", "import-share", ELECTION, round_id, *shares)
    piaojue(instance, "round", "combine", ELECTION, round_id)
    piaojue(instance, "round", "publish", ELECTION, round_id)

    engine = make_engine(f"sqlite:///{(instance / 'demo.sqlite').resolve()}")
    try:
        with make_sessionmaker(engine).begin() as s:
            election = elections.get_election(s, ELECTION)
            states = {r.round_id: r.state for r in election.rounds}
            assert set(states.values()) == {RoundState.published}, states
            midyear = rounds.get_round(s, ELECTION, "midyear-rating")
            assert midyear.result is not None
            assert any(row["flagged"] for row in midyear.result["rows"])
            assert [r for t in tracking.tracked_projects(s, election) for r in t.rectifications]
            # The adoption page can adopt: the reserve pool's accepted proposals become a
            # selection round of their own, numbered after the rehearsal's.
            pool = proposals.reserve_pool(s, election)
            adopted = proposals.adopt(s, election, [p.id for p in pool], 1, "主席团")
            assert adopted.round_id == "selection-2"
    finally:
        engine.dispose()
