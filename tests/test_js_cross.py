"""Python accepts what the JavaScript booth makes, for random marks on every ballot shape.

``tests/js/make_cast.mjs`` pins the round, encrypts with fresh randomness and
signs, exactly as the page's worker and script do; Python's ``crypto/`` then
verifies every proof, the signature and the opening, and recomputes the
digests. (The browser tests cast such ballots through the server, and their
rounds are tallied and their records verified.) Byte-for-byte
agreement with fixed randomness is checked the other way round, under Node
(tests/js/vectors.test.mjs).
"""

from __future__ import annotations

import json
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from crypto.canonical import canonical_json, parse_json
from crypto.credentials import verify_cast
from crypto.encrypted_ballot import (
    BallotOpening,
    EncryptedBallot,
    ballot_digest,
    check_opening,
    verify_ballot,
)
from crypto.pinning import pin_round
from tests.vectors.generate import BOOTH

ROOT = Path(__file__).resolve().parents[1]
VECTORS = parse_json(BOOTH.read_bytes())
NODE = shutil.which("node")


def js_cast(vector: dict[str, Any], marks: list[list[int]], **changes: Any) -> dict[str, Any]:
    assert NODE, "Node.js is needed (make test installs it)"
    request = {"manifest_json": vector["manifest_json"], "election": vector["election"],
               "code": vector["code"], "marks": marks, **changes}
    done = subprocess.run([NODE, str(ROOT / "tests" / "js" / "make_cast.mjs")],
                          input=json.dumps(request), capture_output=True, text=True,
                          timeout=60, check=False)
    if done.returncode:
        raise ValueError(done.stderr.strip())
    result: dict[str, Any] = json.loads(done.stdout)
    return result


@st.composite
def valid_marks(draw: st.DrawFn, name: str) -> list[list[int]]:
    """Marks the manifest allows: at most one per row, the column limits kept."""
    pinned = pin_round(VECTORS[name]["manifest_json"], VECTORS[name]["election"])
    manifest = pinned.manifest
    width = len(manifest.options)
    most_for = manifest.column_limits.get("for", (0, len(manifest.row_ids)))[1]
    marks = []
    for _ in manifest.row_ids:
        choice = draw(st.integers(-1, width - 1))
        row = [0] * width
        if choice >= 0:
            row[choice] = 1
        marks.append(row)
    for row in marks:  # drop surplus 赞成 marks
        if "for" in manifest.options and sum(r[0] for r in marks) > most_for and row[0]:
            row[0] = 0
    return marks


@pytest.mark.parametrize("name", sorted(VECTORS))
@settings(max_examples=4, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_python_verifies_what_the_javascript_makes(name: str, data: st.DataObject) -> None:
    vector = VECTORS[name]
    marks = data.draw(valid_marks(name))
    made = js_cast(vector, marks)
    pinned = pin_round(vector["manifest_json"], vector["election"])
    body = made["body"]
    assert set(body) == {"ballot", "credential", "signature"}
    assert body["credential"] == vector["credential"]
    ballot = EncryptedBallot.from_json(body["ballot"], pinned.manifest)
    verify_ballot(ballot, pinned.manifest, pinned.joint_key, pinned.context)
    assert canonical_json(ballot.to_json()) == canonical_json(body["ballot"])
    digest = ballot_digest(pinned.context, body["ballot"])
    assert digest.hex() == made["digest"]
    verify_cast(bytes.fromhex(body["credential"]), bytes.fromhex(body["signature"]),
                pinned.context, digest)
    spoiled = made["spoiled"]
    opening = BallotOpening.from_json(spoiled["plaintext"], spoiled["nonces"], pinned.manifest)
    assert [list(row) for row in opening.plaintext] == marks
    check_opening(ballot, opening, pinned.joint_key)


def test_the_javascript_refuses_a_substituted_key_and_marks_over_the_limit() -> None:
    vector = VECTORS["selection"]
    election = {**vector["election"], "joint_key": "58" + "66" * 31}
    with pytest.raises(ValueError, match="pin-joint-key"):
        js_cast(vector, [[0, 0]] * 4, election=election)
    with pytest.raises(ValueError, match="marks-column"):
        js_cast(vector, [[1, 0]] * 4)
