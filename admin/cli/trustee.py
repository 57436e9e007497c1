"""``piaojue trustee ...``: what a trustee runs on their own machine.

Nothing here touches the database. Each command reads the trustee's key file
(asking for its passphrase) and a public file from the server, and writes a
public file to hand back. Secrets stay in the key file.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import click

from admin.cli.common import existing_file, ok, output_file, read_json, speak, write_json
from ballot import trustee as trustee_side
from ballot.errors import DomainError
from ballot.tally_request import CheckedRequest
from crypto.errors import CryptoError
from crypto.hashing import fingerprint
from crypto.keyfile import MIN_PASSPHRASE_LENGTH
from crypto.pinning import pin_round
from crypto.rng import SYSTEM_RANDOMNESS

passphrase_option = click.option(
    "--passphrase-file", type=existing_file,
    help="read the passphrase from this file (else $PIAOJUE_PASSPHRASE, else a prompt)")


def _passphrase(path: Path | None, confirm: bool = False) -> str:
    if path is not None:
        return path.read_text(encoding="utf-8").rstrip("\n")
    if os.environ.get("PIAOJUE_PASSPHRASE"):
        return os.environ["PIAOJUE_PASSPHRASE"]
    return click.prompt("Key file passphrase", hide_input=True, confirmation_prompt=confirm)


def _run(action: Callable[[], Any]) -> Any:
    try:
        return action()
    except (DomainError, CryptoError, ValueError) as exc:
        raise click.ClickException(speak(exc)) from None


@click.group("trustee")
def trustee_group() -> None:
    """Trustee steps, run offline: init, commit, shares, verify, decrypt."""


@trustee_group.command("init")
@click.option("--election", "election_id", required=True)
@click.option("--index", type=int, required=True, help="your trustee number, 1..n")
@click.option("--trustees", type=int, required=True, help="n")
@click.option("--threshold", type=int, required=True, help="t")
@click.option("--key", "key_path", type=output_file, required=True, help="key file to create")
@click.option("--out", type=output_file, required=True, help="public transport-key file")
@passphrase_option
def init_command(election_id: str, index: int, trustees: int, threshold: int, key_path: Path,
                 out: Path, passphrase_file: Path | None) -> None:
    """Make a passphrase-protected key file and the public transport key for the server."""
    if key_path.exists():
        raise click.ClickException(f"{key_path} exists: refusing to overwrite a key file")
    passphrase = _passphrase(passphrase_file, confirm=True)
    if len(passphrase) < MIN_PASSPHRASE_LENGTH:
        raise click.ClickException(f"choose a passphrase of at least {MIN_PASSPHRASE_LENGTH} "
                                   "characters")
    data, public = _run(lambda: trustee_side.init_trustee(election_id, index, trustees,
                                                          threshold, passphrase))
    key_path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(key_path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    write_json(out, public)
    ok(f"key file {key_path} (keep it and its passphrase safe); hand {out} to the server")


def _with_key(key_path: Path, passphrase_file: Path | None,
              step: Callable[[trustee_side.TrusteeKey], dict[str, Any]], out: Path) -> None:
    passphrase = _passphrase(passphrase_file)
    key = _run(lambda: trustee_side.TrusteeKey.open(key_path.read_bytes(), passphrase))
    result = _run(lambda: step(key))
    data = key.seal(passphrase, SYSTEM_RANDOMNESS, trustee_side.key_scrypt_n(
        key_path.read_bytes()))
    tmp = key_path.with_suffix(key_path.suffix + ".new")
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "wb") as f:
        f.write(data)
    os.replace(tmp, key_path)
    write_json(out, result)


key_option = click.option("--key", "key_path", type=existing_file, required=True,
                          help="your key file")


@trustee_group.command("commit")
@key_option
@click.option("--out", type=output_file, required=True)
@passphrase_option
def commit_command(key_path: Path, out: Path, passphrase_file: Path | None) -> None:
    """Deal your polynomial (kept in the key file) and write its public commitments."""
    _with_key(key_path, passphrase_file, trustee_side.make_commitment, out)
    ok(f"wrote {out}: hand it to the server")


@trustee_group.command("shares")
@key_option
@click.option("--ceremony", type=existing_file, required=True,
              help="ceremony file from the server, with every trustee's commitments")
@click.option("--out", type=output_file, required=True)
@passphrase_option
def shares_command(key_path: Path, ceremony: Path, out: Path,
                   passphrase_file: Path | None) -> None:
    """Seal one share to each trustee's transport key."""
    doc = read_json(ceremony)
    _with_key(key_path, passphrase_file, lambda k: trustee_side.make_shares(k, doc), out)
    ok(f"wrote {out}: hand it to the server")


@trustee_group.command("verify")
@key_option
@click.option("--ceremony", type=existing_file, required=True,
              help="ceremony file from the server, with every trustee's shares")
@click.option("--out", type=output_file, required=True)
@passphrase_option
def verify_command(key_path: Path, ceremony: Path, out: Path,
                   passphrase_file: Path | None) -> None:
    """Open and check the shares sent to you; keep your secret share or complain."""
    doc = read_json(ceremony)
    _with_key(key_path, passphrase_file, lambda k: trustee_side.verify_shares(k, doc), out)
    statement = read_json(out)
    if statement["complaints"]:
        click.echo(f"✘ the share(s) from trustee(s) {statement['complaints']} do not match "
                   f"their commitments; hand {out} to the server: the ceremony stops")
        raise SystemExit(1)
    ok(f"every share checks; your secret share is in the key file. Hand {out} to the server")


@trustee_group.command("decrypt")
@key_option
@click.option("--request", type=existing_file, required=True,
              help="decryption request from the server")
@click.option("--out", type=output_file, required=True)
@click.option("--jobs", type=click.IntRange(1, 64), default=1, show_default=True,
              help="check the board's ballots in this many processes")
@passphrase_option
def decrypt_command(key_path: Path, request: Path, out: Path, jobs: int,
                    passphrase_file: Path | None) -> None:
    """Check the request's board, then write your decryption share of its aggregates."""
    doc = read_json(request)
    checked: list[CheckedRequest] = []

    def step(key: trustee_side.TrusteeKey) -> dict[str, Any]:
        share, request_checked = trustee_side.decrypt_checked(key, doc, jobs=jobs)
        checked.append(request_checked)
        return share

    _with_key(key_path, passphrase_file, step, out)
    ok(f"the request's board verifies; wrote {out}: hand it to the server")
    ok(f"round fingerprint {_round_fingerprint(doc)}: announce it; it must be the one on the "
       "slips, the hall screen and every tablet")
    board = checked[0]
    ok(f"board decrypted: {board.board_entries} entries, head {fingerprint(board.board_hash)}: "
       "announce it too; the published record's board must end there")


def _round_fingerprint(request: Any) -> str:
    """The fingerprint of ``Q`` as this trustee recomputes it from the request's public part."""
    return pin_round(str(request["manifest"]), request["election"]).fingerprint


@trustee_group.command("fingerprint")
@click.argument("parameters", type=existing_file)
def fingerprint_command(parameters: Path) -> None:
    """Recompute a round's fingerprint from its public parameters before voting opens.

    PARAMETERS is what GET /api/rounds/<election>/<round> answers, saved to a file. The
    trustees' commitments and proofs are checked and Q recomputed, so the fingerprint
    printed is the trustees' own, not the server's word: announce it in the hall.
    """
    doc = read_json(parameters)
    if not isinstance(doc, dict) or not isinstance(doc.get("manifest_json"), str):
        raise click.ClickException("not a round's parameters (GET /api/rounds/…): "
                                   "no manifest_json")
    pinned = _run(lambda: pin_round(doc["manifest_json"], doc.get("election"),
                                    claimed_joint_key=doc.get("joint_key"),
                                    claimed_context=doc.get("context")))
    ok(f"round {pinned.manifest.round_id} of {pinned.manifest.election_id}: the trustees' "
       "commitments and proofs verify and Q is recomputed")
    click.echo(f"round fingerprint {pinned.fingerprint}")
