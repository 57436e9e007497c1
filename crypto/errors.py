"""Every error the protocol core raises, in one flat module.

Callers (the ballot services, the verifier, the web layer) catch these by
class and show their message to a person, so each message names the thing
that was wrong and where it was found.
"""


class CryptoError(ValueError):
    """Base class: input that the protocol refuses. Never a crash."""


class InvalidEncoding(CryptoError):
    """Bytes, hex or JSON that do not have the shape the protocol requires."""


class InvalidPoint(InvalidEncoding):
    """Not a canonical point of the prime-order subgroup, or the identity."""


class InvalidScalar(InvalidEncoding):
    """Not 32 little-endian bytes of an integer below the group order L."""


class InvalidProof(CryptoError):
    """A zero-knowledge proof that does not verify."""


class InvalidSignature(CryptoError):
    """An Ed25519 signature that does not verify."""


class InvalidManifest(CryptoError):
    """A ballot definition missing a field or with an impossible limit."""


class InvalidMarks(CryptoError):
    """Marks that break the ballot's row or column limits."""


class InvalidBallot(CryptoError):
    """An encrypted ballot whose shape or proofs are wrong."""


class InvalidOpening(CryptoError):
    """A Benaloh opening that does not re-encrypt to the ballot."""


class InvalidCredentialCode(CryptoError):
    """A credential code that is mistyped (bad character, length, checksum)."""


class InvalidShare(CryptoError):
    """A key-ceremony share that does not match its sender's commitments.

    ``sender`` and ``recipient`` are trustee indices, so the complaint that
    must be published can name them.
    """

    def __init__(self, message: str, *, sender: int, recipient: int) -> None:
        super().__init__(message)
        self.sender = sender
        self.recipient = recipient


class InvalidCeremony(CryptoError):
    """Commitments, proofs or indices that break the key ceremony."""


class WrongPassphrase(CryptoError):
    """A trustee key file that does not open with the passphrase given."""


class InvalidBoard(CryptoError):
    """A bulletin board whose chain, digests or entries do not check."""


class DiscreteLogNotFound(CryptoError):
    """A decrypted total outside the range of possible counts."""


class PinningFailed(CryptoError):
    """A round's parameters that disagree with what the holder recomputed (§3, §4)."""
