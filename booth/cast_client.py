"""The tablet's side of the cast API (booth.api), for app authors to follow.

Everything here runs where the deputy votes and uses ``crypto/`` alone: read
the round's public parameters and **pin** them (recompute ``Q`` from the
manifest, the trustees' commitments and proofs, and the joint key, refusing
a server that substituted any of them), encrypt the marks, sign with the
slip's code, and check the receipt that comes back. It does exactly what the
browser booth (``booth/static/booth/booth.js``) does. The load benchmark
(bench/load.py) and the server tests use it to cast real ballots over HTTP;
no database and no server code is involved.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crypto.cast import PreparedCast, check_cast_answer, prepare_cast
from crypto.errors import InvalidEncoding
from crypto.pinning import PinnedRound, pin_round

__all__ = ["PreparedCast", "RoundParameters", "check_cast_answer", "prepare_cast"]


@dataclass(frozen=True)
class RoundParameters(PinnedRound):
    """What ``GET /api/rounds/<election>/<round>`` answers, pinned."""

    election_id: str = ""
    round_id: str = ""
    state: str = ""

    @classmethod
    def from_json(cls, doc: Any, election_id: str | None = None,
                  round_id: str | None = None) -> RoundParameters:
        """Pin the answer; ``election_id``/``round_id`` name the round asked for."""
        if not isinstance(doc, dict) or not isinstance(doc.get("manifest_json"), str):
            raise InvalidEncoding("the round's parameters carry no manifest")
        pinned = pin_round(doc["manifest_json"], doc.get("election"),
                           claimed_joint_key=doc.get("joint_key"),
                           claimed_context=doc.get("context"))
        manifest = pinned.manifest
        asked = (election_id or doc.get("election_id"), round_id or doc.get("round_id"))
        if (manifest.election_id, manifest.round_id) != asked:
            raise InvalidEncoding("the manifest is for another round")
        return cls(pinned.manifest, pinned.manifest_bytes, pinned.joint_key, pinned.context,
                   pinned.commitments, manifest.election_id, manifest.round_id,
                   str(doc.get("state")))
