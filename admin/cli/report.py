"""Printing a verification report as a table a person can read."""

from __future__ import annotations

import unicodedata

import click

from ballot.verifier import VerificationReport
from crypto.hashing import fingerprint


def _width(text: str) -> int:
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in text)


def _cells(*columns: tuple[object, int]) -> str:
    """Right-align each value in its column, counting a Chinese character as two."""
    return "".join(" " * max(0, w - _width(str(v))) + str(v) for v, w in columns)


def print_report(report: VerificationReport) -> None:
    click.echo(
        f"\n✔ record verifies: election {report.election_id}, round {report.round_id} "
        f"({report.kind})\n"
        f"  trustees: {report.threshold} of {report.trustees}, shares from "
        f"{', '.join(map(str, report.shares_used)) or '— (no ballots)'}\n"
        f"  board: {report.board_entries} entries, {report.issued} credentials issued "
        f"({report.voided} voided), {report.cast} cast, {report.spoiled} challenged\n"
        f"  board head: {fingerprint(bytes.fromhex(report.board_hash))} (the trustees "
        "announce the head of the board they decrypted: compare)\n"
        f"  receipts checked: {report.receipts}"
    )
    print_result(report.kind, report.result)


def print_result(kind: str, result: dict) -> None:
    # ballot.labels knows the database's enums: imported here, once a record has verified,
    # so `piaojue verify` starts without SQLAlchemy.
    from ballot.catalog import chinese
    from ballot.labels import RATING_CLASSES, RESULT_STATUS, word

    recon = result["reconciliation"]
    click.echo(f"  应到 enrolled {recon['enrolled']} ≥ 实到 present {recon['present']} ≥ "
               f"发出 issued {recon['issued']} ≥ 收回 cast {recon['cast']}\n")
    if kind == "selection":
        click.echo(_cells(("id", 6), ("赞成 for", 10), ("反对 against", 14),
                          ("弃权 abstain", 14)) + "  status")
        for row in result["rows"]:
            click.echo(_cells((row["id"], 6), (row["for"], 10), (row["against"], 14),
                              (row["abstain"], 14))
                       + f"  {chinese(word(RESULT_STATUS, row['status']))} {row['status']}")
        click.echo(f"\nelected 当选: {', '.join(result['elected']) or '—'}")
        if result["runoff"]:
            click.echo(f"runoff 再次投票: {', '.join(result['runoff']['candidates'])} for "
                       f"{result['runoff']['seats']} seat(s)")
        if result["unfilled"]:
            click.echo(f"unfilled seats 空缺: {result['unfilled']}")
    else:
        click.echo(_cells(("id", 6), ("满意", 8), ("基本满意", 10), ("不满意", 8),
                          ("rate", 8)) + "  class")
        for row in result["rows"]:
            rate = f"{row['rate'][0]}/{row['rate'][1]}"
            flag = "  ⚑ 整改 rectify" if row["flagged"] else ""
            click.echo(_cells((row["id"], 6), (row["satisfied"], 8),
                              (row["basically_satisfied"], 10), (row["dissatisfied"], 8),
                              (rate, 8))
                       + f"  {chinese(word(RATING_CLASSES, row['class']))} {row['class']}{flag}")
