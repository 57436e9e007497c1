"""The election record of one round as files (PROTOCOL.md §9).

This module only moves bytes: it turns a round's published objects into the
record's files and reads a record zip back, with limits so a hostile upload
cannot exhaust memory. Checking what the files say is ballot.verifier's job.
"""

from __future__ import annotations

import io
import zipfile
import zlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, BinaryIO

from crypto.canonical import canonical_json

REQUIRED_FILES = ("manifest.json", "election.json", "board.jsonl", "tally.json", "result.json")
OPTIONAL_FILES = ("receipts.jsonl",)
MAX_MEMBER_BYTES = 512 * 1024 * 1024
MAX_RECORD_BYTES = 2 * 1024 * 1024 * 1024


class RecordFormatError(ValueError):
    """A record zip that is not readable as a record at all."""


@dataclass(frozen=True)
class BoardLine:
    """One published board entry with its digest ``d_k`` and chain value ``h_k``."""

    index: int
    entry: dict[str, Any]
    digest: bytes
    hash: bytes

    def to_json(self) -> dict[str, Any]:
        return {"index": self.index, "entry": self.entry,
                "digest": self.digest.hex(), "hash": self.hash.hex()}


def json_lines(items: Iterable[Any]) -> bytes:
    return b"".join(canonical_json(item) + b"\n" for item in items)


def record_files(
    *,
    manifest_bytes: bytes,
    election: dict[str, Any],
    board: Iterable[BoardLine],
    tally: dict[str, Any],
    result: dict[str, Any],
    receipts: Iterable[dict[str, Any]] | None = None,
) -> dict[str, bytes]:
    """The record's files by name, every JSON value in canonical form."""
    files = {
        "manifest.json": manifest_bytes,
        "election.json": canonical_json(election),
        "board.jsonl": json_lines(line.to_json() for line in board),
        "tally.json": canonical_json(tally),
        "result.json": canonical_json(result),
    }
    if receipts is not None:
        files["receipts.jsonl"] = json_lines(receipts)
    return files


def write_record(files: dict[str, bytes], target: str | Path | BinaryIO) -> None:
    """Write a zip with fixed timestamps, so the same record gives the same bytes."""
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as zf:
        for name in (*REQUIRED_FILES, *OPTIONAL_FILES):
            if name in files:
                info = zipfile.ZipInfo(name, date_time=(2000, 1, 1, 0, 0, 0))
                info.compress_type = zipfile.ZIP_DEFLATED
                info.external_attr = 0o644 << 16
                zf.writestr(info, files[name])


def record_zip_bytes(files: dict[str, bytes]) -> bytes:
    buffer = io.BytesIO()
    write_record(files, buffer)
    return buffer.getvalue()


def read_record(source: str | Path | bytes | BinaryIO) -> dict[str, bytes]:
    """Read a record zip: only the known files, each within the size limits."""
    if isinstance(source, bytes):
        source = io.BytesIO(source)
    try:
        with zipfile.ZipFile(source) as zf:
            infos = zf.infolist()
            names = [i.filename for i in infos]
            unknown = sorted(set(names) - set(REQUIRED_FILES) - set(OPTIONAL_FILES))
            if unknown:
                raise RecordFormatError(f"the record holds unexpected files: {', '.join(unknown)}")
            if len(set(names)) != len(names):
                raise RecordFormatError("the record holds a file twice")
            missing = [n for n in REQUIRED_FILES if n not in names]
            if missing:
                raise RecordFormatError(f"the record lacks {', '.join(missing)}")
            if sum(i.file_size for i in infos) > MAX_RECORD_BYTES:
                raise RecordFormatError("the record is larger than a record can be")
            files = {}
            for info in infos:
                if info.file_size > MAX_MEMBER_BYTES:
                    raise RecordFormatError(f"{info.filename} is too large")
                with zf.open(info) as member:
                    data = member.read(MAX_MEMBER_BYTES + 1)
                if len(data) > MAX_MEMBER_BYTES:
                    raise RecordFormatError(f"{info.filename} is too large")
                files[info.filename] = data
            return files
    except (zipfile.BadZipFile, EOFError, zlib.error, NotImplementedError, RuntimeError) as exc:
        raise RecordFormatError(f"not a readable zip file: {exc}") from None
    except FileNotFoundError:
        raise RecordFormatError(f"no such file: {source}") from None
