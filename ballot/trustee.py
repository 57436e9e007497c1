"""What a trustee runs on their own machine: no database, no server.

Every step reads the public ceremony document (or a decryption request) and
the trustee's passphrase-protected key file, and writes a public file to
hand to the server plus, where the secrets grew, a new key file. The
trustee's polynomial and secret share never leave the key file.
"""

from __future__ import annotations

from typing import Any

from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from ballot.errors import Conflict, InvalidInput
from ballot.tally_request import CheckedRequest, check_request
from crypto.canonical import hex_bytes, scalar_from_hex, scalar_hex
from crypto.ceremony import (
    TrusteeCommitment,
    check_share,
    commit,
    election_context,
    evaluate,
    new_polynomial,
    public_share,
    secret_share,
    verify_all_commitments,
)
from crypto.errors import CryptoError, InvalidShare
from crypto.keyfile import DEFAULT_SCRYPT_N, open_key_file, scrypt_cost, seal_key_file
from crypto.rng import SYSTEM_RANDOMNESS, Randomness
from crypto.tally import make_decryption_share
from crypto.transport import (
    new_transport_key,
    open_share,
    seal_share,
    transport_private_bytes,
    transport_public_bytes,
)

key_scrypt_n = scrypt_cost
"""A key file is re-sealed with the cost it was made with."""


class TrusteeKey:
    """An opened key file: public facts and the secrets, in memory only."""

    def __init__(self, public: dict[str, Any], secrets: dict[str, Any]) -> None:
        self.public = public
        self.secrets = secrets

    @property
    def election_id(self) -> str:
        return self.public["election_id"]

    @property
    def index(self) -> int:
        return self.public["index"]

    @classmethod
    def open(cls, data: bytes, passphrase: str) -> TrusteeKey:
        public, secrets = open_key_file(data, passphrase)
        return cls(public, secrets)

    def seal(self, passphrase: str, rng: Randomness, scrypt_n: int) -> bytes:
        return seal_key_file(self.secrets, passphrase, public=self.public, scrypt_n=scrypt_n,
                             rng=rng)

    def transport(self) -> X25519PrivateKey:
        return X25519PrivateKey.from_private_bytes(bytes.fromhex(self.secrets["transport"]))


def init_trustee(
    election_id: str, index: int, n: int, threshold: int, passphrase: str,
    rng: Randomness = SYSTEM_RANDOMNESS, scrypt_n: int = DEFAULT_SCRYPT_N,
) -> tuple[bytes, dict[str, Any]]:
    """A new key file and the public transport-key file for the server."""
    election_context(election_id, n, threshold)  # validates n and t
    if not 1 <= index <= n:
        raise InvalidInput("the trustee index must be between 1 and %(n)s", n=n)
    transport = new_transport_key(rng)
    public = {"election_id": election_id, "index": index, "n": n, "threshold": threshold,
              "transport_key": transport_public_bytes(transport).hex()}
    key = TrusteeKey(public, {"transport": transport_private_bytes(transport).hex()})
    return key.seal(passphrase, rng, scrypt_n), {
        "format": "piaojue-transport/1", "election_id": election_id, "index": index,
        "transport_key": public["transport_key"]}


def _check_ceremony(key: TrusteeKey, ceremony: Any) -> dict[str, Any]:
    if not isinstance(ceremony, dict) or ceremony.get("format") != "piaojue-ceremony/1":
        raise InvalidInput("not a ceremony file (piaojue-ceremony/1)")
    if ceremony.get("election_id") != key.election_id:
        raise InvalidInput("the ceremony file is for election %(election_id)r; this key file is "
                           "for %(election_id2)r", election_id=ceremony.get('election_id'),
                           election_id2=key.election_id)
    if ceremony.get("n") != key.public["n"] or ceremony.get("threshold") != \
            key.public["threshold"]:
        raise InvalidInput("the ceremony's trustee count or threshold differs from this key's")
    return ceremony


def make_commitment(
    key: TrusteeKey, rng: Randomness = SYSTEM_RANDOMNESS
) -> dict[str, Any]:
    """Deal the polynomial (kept in the key) and return the public commitment file."""
    if "polynomial" in key.secrets:
        raise Conflict("this trustee has committed already; its polynomial is in the key file")
    t = key.public["threshold"]
    polynomial = new_polynomial(t, rng)
    context = election_context(key.election_id, key.public["n"], t)
    tc = commit(key.index, polynomial, context, rng)
    key.secrets["polynomial"] = [scalar_hex(a) for a in polynomial]
    return {"format": "piaojue-commitment/1", "election_id": key.election_id,
            "commitment": tc.to_json()}


def _commitments(ceremony: dict[str, Any], n: int, t: int, election_id: str
                 ) -> list[TrusteeCommitment]:
    try:
        published = [TrusteeCommitment.from_json(tr.get("commitment"))
                     for tr in ceremony.get("trustees", [])]
        verify_all_commitments(published, n, t, election_context(election_id, n, t))
    except CryptoError as exc:
        raise InvalidInput("the ceremony's commitments do not check: %(exc)s", exc=exc) from None
    return published


def make_shares(
    key: TrusteeKey, ceremony: Any, rng: Randomness = SYSTEM_RANDOMNESS
) -> dict[str, Any]:
    """Seal ``P_i(j)`` to every trustee j's transport key."""
    ceremony = _check_ceremony(key, ceremony)
    if "polynomial" not in key.secrets:
        raise Conflict("commit first: this key file has no polynomial yet")
    n, t = key.public["n"], key.public["threshold"]
    _commitments(ceremony, n, t, key.election_id)
    polynomial = [scalar_from_hex(a) for a in key.secrets["polynomial"]]
    context = election_context(key.election_id, n, t)
    shares = []
    for trustee in ceremony["trustees"]:
        j = trustee["index"]
        recipient_key = hex_bytes(trustee.get("transport_key"), 32, f"trustee {j} transport key")
        sealed = seal_share(evaluate(polynomial, j), sender=key.index, recipient=j,
                            recipient_key=recipient_key, context=context, rng=rng)
        shares.append({"recipient": j, "sealed": sealed.hex()})
    return {"format": "piaojue-shares/1", "election_id": key.election_id, "sender": key.index,
            "shares": shares}


def verify_shares(key: TrusteeKey, ceremony: Any) -> dict[str, Any]:
    """Open and check every share addressed to us; keep ``x_j`` or name who cheated."""
    ceremony = _check_ceremony(key, ceremony)
    n, t = key.public["n"], key.public["threshold"]
    published = _commitments(ceremony, n, t, key.election_id)
    context = election_context(key.election_id, n, t)
    mine = {s["sender"]: s["sealed"] for s in ceremony.get("shares", [])
            if s.get("recipient") == key.index}
    if sorted(mine) != list(range(1, n + 1)):
        raise Conflict("not every trustee has sent a share to this trustee yet")
    received, complaints = [], []
    for tc in published:
        try:
            share = open_share(bytes.fromhex(mine[tc.index]), sender=tc.index,
                               recipient=key.index, private_key=key.transport(),
                               context=context)
            check_share(tc, key.index, share)
            received.append(share)
        except (InvalidShare, ValueError):
            complaints.append(tc.index)
    statement: dict[str, Any] = {"format": "piaojue-verification/1",
                                 "election_id": key.election_id, "index": key.index,
                                 "complaints": complaints}
    if not complaints:
        key.secrets["secret_share"] = scalar_hex(secret_share(received))
        statement["public_share"] = public_share(published, key.index).hex()
    return statement


def decrypt(key: TrusteeKey, request: Any, rng: Randomness = SYSTEM_RANDOMNESS,
            jobs: int = 1) -> dict[str, Any]:
    """:func:`decrypt_checked`'s share alone."""
    return decrypt_checked(key, request, rng, jobs)[0]


def decrypt_checked(key: TrusteeKey, request: Any, rng: Randomness = SYSTEM_RANDOMNESS,
                    jobs: int = 1) -> tuple[dict[str, Any], CheckedRequest]:
    """Decryption share of a round's aggregates, after re-checking the request.

    The request carries the round's manifest, election record and board, so
    the trustee recomputes the aggregates from the cast ballots it can verify
    instead of decrypting whatever ciphertext it is handed (which could be a
    single deputy's ballot).
    """
    if "secret_share" not in key.secrets:
        raise Conflict("this key file has no secret share: the ceremony's verify step was "
                       "not completed with it")
    checked = check_request(request, key.election_id, jobs)
    share = make_decryption_share(key.index, scalar_from_hex(key.secrets["secret_share"]),
                                  checked.aggregates, checked.context, rng)
    return {"format": "piaojue-decryption/1", "election_id": key.election_id,
            "round_id": checked.round_id, "share": share.to_json()}, checked
