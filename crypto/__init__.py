"""Piaojue's protocol core: PROTOCOL.md §1–8 as a pure library.

No database, no web, no I/O beyond what a caller passes in. Higher layers
use the small API re-exported here; the primitive modules stay importable
for tests and the verifier.
"""

from crypto.ceremony import (
    TrusteeCommitment,
    commit,
    commitments_hash,
    election_context,
    joint_key,
    public_share,
)
from crypto.credentials import derive_credential_key, generate_code, normalize_code
from crypto.encrypted_ballot import (
    BallotOpening,
    EncryptedBallot,
    ballot_digest,
    check_opening,
    encrypt_ballot,
    verify_ballot,
)
from crypto.manifest import Manifest, round_context
from crypto.receipts import make_receipt, sign_receipt, verify_receipt

__all__ = [
    "BallotOpening",
    "EncryptedBallot",
    "Manifest",
    "TrusteeCommitment",
    "ballot_digest",
    "check_opening",
    "commit",
    "commitments_hash",
    "derive_credential_key",
    "election_context",
    "encrypt_ballot",
    "generate_code",
    "joint_key",
    "make_receipt",
    "normalize_code",
    "public_share",
    "round_context",
    "sign_receipt",
    "verify_ballot",
    "verify_receipt",
]
