"""Pinning a round's public parameters (PROTOCOL.md §3, §4, §7).

Whoever encrypts a ballot (the tablet's page, ``booth/cast_client.py``) or
checks a record recomputes ``Q`` from the manifest, the joint key and the
trustees' commitments, instead of taking a server's word for any of them: a
server that substituted its own key for the joint key could read every mark.
Anything that disagrees raises :class:`PinningFailed`, and nothing is
encrypted. ``booth/static/protocol/pinning.js`` is this module's twin.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from crypto.canonical import canonical_json, parse_json, point_from_hex
from crypto.ceremony import (
    TrusteeCommitment,
    commitments_hash,
    election_context,
    joint_key,
    verify_all_commitments,
)
from crypto.errors import CryptoError, InvalidEncoding, PinningFailed
from crypto.group import Point
from crypto.hashing import fingerprint
from crypto.manifest import Manifest, round_context


@dataclass(frozen=True)
class PinnedRound:
    """A round whose context the holder recomputed itself."""

    manifest: Manifest
    manifest_bytes: bytes
    joint_key: Point
    context: bytes
    commitments: tuple[TrusteeCommitment, ...]

    @property
    def fingerprint(self) -> str:
        """The round fingerprint: a grouped prefix of ``Q`` to compare with the slips'."""
        return fingerprint(self.context)


def _step(what: str, check: Any) -> Any:
    try:
        return check()
    except CryptoError as exc:
        raise PinningFailed(f"{what}: {exc}") from None


def parse_manifest_bytes(data: bytes | str) -> Manifest:
    """The manifest from its canonical bytes, exactly as hashed (else refused)."""
    raw = data.encode("utf-8") if isinstance(data, str) else data
    value = parse_json(raw)
    if canonical_json(value) != raw:
        raise InvalidEncoding("not in canonical JSON form")
    return Manifest.from_json(value)


def pin_election(manifest: Manifest, election: Any) -> tuple[tuple[TrusteeCommitment, ...], Point]:
    """election.json against the manifest: ids, counts, every proof, ``K = sum C_i0``."""
    if not isinstance(election, dict) or not {"election_id", "threshold", "joint_key",
                                              "trustees"} <= set(election):
        raise PinningFailed("election.json: needs election_id, threshold, joint_key and trustees")
    if election["election_id"] != manifest.election_id:
        raise PinningFailed("election.json: election_id differs from the manifest's")
    if election["threshold"] != manifest.threshold:
        raise PinningFailed("election.json: threshold differs from the manifest's")
    if not isinstance(election["trustees"], list) or len(election["trustees"]) != manifest.trustees:
        raise PinningFailed(f"election.json: the manifest names {manifest.trustees} trustees")
    published = _step("election.json", lambda: tuple(
        TrusteeCommitment.from_json(t) for t in election["trustees"]))
    _step("election.json", lambda: verify_all_commitments(
        published, manifest.trustees, manifest.threshold,
        election_context(manifest.election_id, manifest.trustees, manifest.threshold)))
    key = joint_key(published)
    if _step("election.json joint_key", lambda: point_from_hex(election["joint_key"])) != key:
        raise PinningFailed("election.json: joint_key is not the sum of the C_i0")
    return published, key


def pin_round(manifest_bytes: bytes | str, election: Any, *, claimed_joint_key: str | None = None,
              claimed_context: str | None = None) -> PinnedRound:
    """Recompute ``Q``; the server's claimed joint key and ``Q`` must equal it."""
    raw = manifest_bytes.encode("utf-8") if isinstance(manifest_bytes, str) else manifest_bytes
    manifest = _step("manifest.json", lambda: parse_manifest_bytes(raw))
    published, key = pin_election(manifest, election)
    if claimed_joint_key is not None and claimed_joint_key != key.hex():
        raise PinningFailed("the joint key the server states is not the trustees' joint key")
    context = round_context(manifest.hash, key, commitments_hash(published))
    if claimed_context is not None and claimed_context != context.hex():
        raise PinningFailed("the context Q the server states differs from the one recomputed "
                            "from the manifest and the ceremony")
    return PinnedRound(manifest, raw, key, context, published)
