"""Trustee key files (crypto.keyfile): the only home of a trustee's secret share (§4).

The file must open only with its passphrase, refuse any alteration as a
wrong passphrase, show its public header without one, and refuse malformed
or hostile headers (absurd scrypt costs) as encoding errors before any work.
"""

from __future__ import annotations

import base64
import json

import pytest

from crypto.canonical import canonical_json, parse_json, scalar_hex
from crypto.errors import InvalidEncoding, WrongPassphrase
from crypto.keyfile import (
    DEFAULT_SCRYPT_N,
    FORMAT,
    MIN_PASSPHRASE_LENGTH,
    open_key_file,
    read_public_part,
    seal_key_file,
)
from crypto.rng import SeededRandomness, random_scalar

FAST_N = 2**10
PASSPHRASE = "correct horse battery staple 马"
SHARE = random_scalar(SeededRandomness("keyfile share"))
SECRET_SHARE = scalar_hex(SHARE)
TRANSPORT_KEY = "a1" * 32
POLYNOMIAL = [scalar_hex(SHARE + 1), scalar_hex(SHARE + 2)]
SECRETS = {"secret_share": SECRET_SHARE, "transport_key": TRANSPORT_KEY, "polynomial": POLYNOMIAL}
PUBLIC = {"election_id": "2025-人大", "trustee": 3, "n": 5, "threshold": 3}


@pytest.fixture(scope="module")
def sealed() -> bytes:
    return seal_key_file(SECRETS, PASSPHRASE, public=PUBLIC, scrypt_n=FAST_N)


def _edit(data: bytes, change) -> bytes:
    """Parse the file, let ``change`` mutate the dict, write it back canonically."""
    doc = json.loads(data)
    change(doc)
    return canonical_json(doc)


def _flip_b64(value: str, pos: int = 0) -> str:
    raw = bytearray(base64.b64decode(value))
    raw[pos] ^= 0x01
    return base64.b64encode(bytes(raw)).decode("ascii")


def test_round_trip(sealed):
    """What a trustee sealed comes back exactly, with its public part."""
    public, secrets = open_key_file(sealed, PASSPHRASE)
    assert public == PUBLIC
    assert secrets == SECRETS


def test_round_trip_with_default_cost():
    """The production scrypt cost works too and is recorded in the file."""
    data = seal_key_file(SECRETS, PASSPHRASE, public=PUBLIC)
    assert json.loads(data)["kdf"]["n"] == DEFAULT_SCRYPT_N
    assert open_key_file(data, PASSPHRASE) == (PUBLIC, SECRETS)


def test_file_is_canonical_json_with_the_format(sealed):
    """A trustee can see what the file is; the format tag identifies it."""
    assert sealed.endswith(b"\n")
    doc = parse_json(sealed)
    assert doc["format"] == FORMAT
    assert doc["kdf"]["name"] == "scrypt"
    assert doc["kdf"]["n"] == FAST_N
    assert set(doc) == {"format", "kdf", "public", "nonce", "ciphertext"}
    assert canonical_json(doc) + b"\n" == sealed


def test_wrong_passphrase(sealed):
    """A mistyped passphrase is a clear, named error."""
    with pytest.raises(WrongPassphrase, match="passphrase does not open this trustee key file"):
        open_key_file(sealed, PASSPHRASE + "x")
    with pytest.raises(WrongPassphrase, match="passphrase"):
        open_key_file(sealed, PASSPHRASE.upper())


def test_fresh_salt_and_nonce_each_time():
    """Two seals of the same secrets differ, so files cannot be compared for equality."""
    a = json.loads(seal_key_file(SECRETS, PASSPHRASE, scrypt_n=FAST_N))
    b = json.loads(seal_key_file(SECRETS, PASSPHRASE, scrypt_n=FAST_N))
    assert a["kdf"]["salt"] != b["kdf"]["salt"]
    assert a["nonce"] != b["nonce"]
    assert a["ciphertext"] != b["ciphertext"]


@pytest.mark.parametrize("pos", [0, 17, -1])
def test_altered_ciphertext(sealed, pos):
    """Any flipped ciphertext or tag bit is caught by the AEAD."""
    def change(doc):
        raw = bytearray(base64.b64decode(doc["ciphertext"]))
        raw[pos] ^= 0x01
        doc["ciphertext"] = base64.b64encode(bytes(raw)).decode()

    with pytest.raises(WrongPassphrase):
        open_key_file(_edit(sealed, change), PASSPHRASE)


def test_truncated_ciphertext(sealed):
    def change(doc):
        doc["ciphertext"] = base64.b64encode(base64.b64decode(doc["ciphertext"])[:-1]).decode()

    with pytest.raises(WrongPassphrase):
        open_key_file(_edit(sealed, change), PASSPHRASE)


def test_altered_nonce(sealed):
    def change(doc):
        doc["nonce"] = _flip_b64(doc["nonce"], 5)

    with pytest.raises(WrongPassphrase):
        open_key_file(_edit(sealed, change), PASSPHRASE)


@pytest.mark.parametrize(
    "change",
    [
        lambda doc: doc["public"].__setitem__("trustee", 4),
        lambda doc: doc["public"].__setitem__("election_id", "another"),
        lambda doc: doc["public"].__setitem__("extra", 1),
        lambda doc: doc["public"].pop("n"),
        lambda doc: doc.__setitem__("public", {}),
    ],
    ids=["trustee", "election", "added", "removed", "emptied"],
)
def test_altered_public_header(sealed, change):
    """The public part is authenticated: relabelling the file as another trustee fails."""
    with pytest.raises(WrongPassphrase):
        open_key_file(_edit(sealed, change), PASSPHRASE)


def test_altered_kdf_parameters(sealed):
    """A changed salt or a different (valid) cost derives another key: refused."""
    def new_salt(doc):
        doc["kdf"]["salt"] = _flip_b64(doc["kdf"]["salt"])

    def new_cost(doc):
        doc["kdf"]["n"] = FAST_N * 2

    for change in (new_salt, new_cost):
        with pytest.raises(WrongPassphrase):
            open_key_file(_edit(sealed, change), PASSPHRASE)


def test_read_public_part_needs_no_passphrase(sealed):
    """Who the file belongs to is readable without unlocking it."""
    assert read_public_part(sealed) == PUBLIC
    assert read_public_part(seal_key_file(SECRETS, PASSPHRASE, scrypt_n=FAST_N)) == {}


def test_secrets_and_passphrase_not_in_file(sealed):
    """Nothing secret is stored in the clear, in any of the encodings we use."""
    for secret in [PASSPHRASE, SECRET_SHARE, TRANSPORT_KEY, *POLYNOMIAL, str(SHARE)]:
        assert secret.encode("utf-8") not in sealed
        assert base64.b64encode(secret.encode()) not in sealed
    assert bytes.fromhex(SECRET_SHARE) not in sealed
    assert base64.b64encode(bytes.fromhex(SECRET_SHARE)) not in sealed
    assert b"secret_share" not in sealed


@pytest.mark.parametrize("passphrase", ["", "short", "x" * (MIN_PASSPHRASE_LENGTH - 1)])
def test_short_passphrase_refused(passphrase):
    """A passphrase under the minimum is refused before anything is written."""
    with pytest.raises(ValueError, match=f"at least {MIN_PASSPHRASE_LENGTH} characters"):
        seal_key_file(SECRETS, passphrase, scrypt_n=FAST_N)


def test_minimum_length_passphrase_accepted():
    phrase = "x" * MIN_PASSPHRASE_LENGTH
    data = seal_key_file(SECRETS, phrase, scrypt_n=FAST_N)
    assert open_key_file(data, phrase)[1] == SECRETS


def _variant(change):
    """A builder: parse the sealed file, apply ``change``, serialise again."""
    def build(sealed: bytes) -> bytes:
        doc = json.loads(sealed)
        change(doc)
        return json.dumps(doc).encode()
    return build


def _drop(*path):
    def change(doc):
        for key in path[:-1]:
            doc = doc[key]
        del doc[path[-1]]
    return _variant(change)


def _put(value, *path):
    def change(doc):
        for key in path[:-1]:
            doc = doc[key]
        doc[path[-1]] = value(doc[path[-1]]) if callable(value) else value
    return _variant(change)


MALFORMED = [
    ("not json", lambda s: b"this is not json", "malformed JSON"),
    ("not utf-8", lambda s: b"\xff\xfe{}", "UTF-8"),
    ("a list", lambda s: b"[1, 2]", "not a Piaojue trustee key file"),
    ("empty object", lambda s: b"{}", "not a Piaojue trustee key file"),
    ("wrong format", _put("piaojue-trustee-key/2", "format"), "not a Piaojue trustee key file"),
    ("float", lambda s: s.replace(b'"n":1024', b'"n":1024.0'), "floating-point"),
    ("no kdf", _drop("kdf"), "missing or malformed"),
    ("no n", _drop("kdf", "n"), "missing or malformed"),
    ("no salt", _drop("kdf", "salt"), "missing or malformed"),
    ("no nonce", _drop("nonce"), "missing or malformed"),
    ("no ciphertext", _drop("ciphertext"), "missing or malformed"),
    ("no public", _drop("public"), "missing or malformed"),
    ("kdf a list", _put([], "kdf"), "missing or malformed"),
    ("kdf a string", _put("scrypt", "kdf"), "missing or malformed"),
    ("other kdf", _put("argon2id", "kdf", "name"), "unsupported key derivation"),
    ("other r", _put(16, "kdf", "r"), "unsupported key derivation"),
    ("other p", _put(2, "kdf", "p"), "unsupported key derivation"),
    ("n 2**30", _put(2**30, "kdf", "n"), "scrypt cost out of range"),
    ("n 2**21", _put(2**21, "kdf", "n"), "scrypt cost out of range"),
    ("n not power of two", _put(1000, "kdf", "n"), "scrypt cost out of range"),
    ("n 3", _put(3, "kdf", "n"), "scrypt cost out of range"),
    ("n 1", _put(1, "kdf", "n"), "scrypt cost out of range"),
    ("n 0", _put(0, "kdf", "n"), "scrypt cost out of range"),
    ("n negative", _put(-1024, "kdf", "n"), "scrypt cost out of range"),
    ("n string", _put("1024", "kdf", "n"), "scrypt cost out of range"),
    ("n true", _put(True, "kdf", "n"), "scrypt cost out of range"),
    ("bad base64 salt", _put("***", "kdf", "salt"), "missing or malformed"),
    ("salt not text", _put(12, "kdf", "salt"), "missing or malformed"),
    ("bad base64 nonce", _put("no!", "nonce"), "missing or malformed"),
    ("bad base64 body", _put(lambda old: old + "!", "ciphertext"), "missing or malformed"),
    ("body not text", _put(None, "ciphertext"), "missing or malformed"),
    ("short nonce", _put(base64.b64encode(b"x" * 11).decode(), "nonce"), "malformed header"),
    ("public a list", _put([], "public"), "malformed header"),
]


@pytest.mark.parametrize(
    ("build", "message"), [case[1:] for case in MALFORMED], ids=[case[0] for case in MALFORMED]
)
def test_malformed_files_are_encoding_errors(sealed, build, message):
    """Every malformed file is InvalidEncoding, never a crash or a scrypt of 2**30."""
    data = build(sealed)
    assert data != sealed
    with pytest.raises(InvalidEncoding, match=message):
        open_key_file(data, PASSPHRASE)
    with pytest.raises(InvalidEncoding, match=message):
        read_public_part(data)


def test_non_object_secrets_are_refused():
    """A file whose authenticated plaintext is not an object is an encoding error."""
    data = seal_key_file(["not", "an", "object"], PASSPHRASE, scrypt_n=FAST_N)  # type: ignore[arg-type]
    with pytest.raises(InvalidEncoding, match="secrets are not an object"):
        open_key_file(data, PASSPHRASE)
