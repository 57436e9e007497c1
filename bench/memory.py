"""Peak memory of the tally's board passes, at two or more board sizes.

Run from the repository root::

    .venv/bin/python bench/memory.py                          # 100 and 400 ballots, 80 × 2
    .venv/bin/python bench/memory.py --ballots 50,200 --rows 20
    .venv/bin/python bench/memory.py --code /tmp/old          # the code of another commit

Memory that grows with the board is what limits a congress of thousands of
deputies, so each pass is measured at several board sizes: a pass that keeps
every parsed ballot alive grows by the ballots' Python objects (about
0.15 MiB each at 80 × 2, proofs included), one that streams grows only by the
raw board it holds. Each figure is the peak resident memory of a fresh process
that does one thing, read from ``getrusage`` as in bench/record.py:

- ``read record``: import the code and read the record zip; the floor the
  others stand on;
- ``verify record``: ``verify_record_files`` with one job, as ``piaojue verify``;
- ``server aggregates``: the server's ``compute_aggregates`` alone (what the
  export and the decryption request sum the cast ballots with), on the
  rehearsal's SQLite database;
- ``decryption request``: the server's ``decryption_request`` on the
  rehearsal's SQLite database (in a transaction that is rolled back), as
  ``piaojue round request`` makes it;
- ``check request``: a trustee reads that request file and runs
  ``check_request`` on it, as ``piaojue trustee decrypt`` does before it
  decrypts.

The rounds are made once by the real rehearsal and kept, database included,
under ``~/.cache/piaojue-bench/memory-*`` (``--regenerate`` makes them anew).
``--code DIR`` makes the rounds and runs the passes with the library from DIR
instead of this checkout's, e.g. a copy of the last commit made with
``git archive HEAD | tar -x -C DIR``, for a before-and-after comparison.

Progress goes to stderr; stdout ends with a Markdown table. No test runs this.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

_BENCH_DIR = Path(__file__).resolve().parent
_ROOT = _BENCH_DIR.parent


def _use_code(root: Path) -> None:
    """Put ``root`` first on sys.path, and bench/ off it (bench/crypto.py shadows crypto)."""
    sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
    sys.path.insert(0, str(root))


CACHE = Path.home() / ".cache" / "piaojue-bench"
PASSES = ("read record", "verify record", "server aggregates", "decryption request",
          "check request")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def folder_for(ballots: int, rows: int) -> Path:
    return CACHE / f"memory-{ballots}x{rows}x2"


def make_round(ballots: int, rows: int, seats: int, regenerate: bool) -> Path:
    """A rehearsed round: its record zip and the SQLite database it was made in."""
    from ballot.db import make_engine, make_sessionmaker
    from ballot.record import write_record
    from ballot.rehearsal import RehearsalConfig, rehearse
    from ballot.schema import upgrade

    folder = folder_for(ballots, rows)
    if (folder / "record.zip").exists() and not regenerate:
        log(f"using the round made earlier: {folder}")
        return folder
    config = RehearsalConfig(rows=rows, seats=seats, deputies=ballots + ballots // 5,
                             present=ballots + ballots // 10, voters=ballots, spoil=0,
                             voided=0, trustees=5, threshold=3)
    log(f"casting {ballots} ballots of {rows} × 2 through the rehearsal …")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "keys").mkdir(exist_ok=True)
    db = folder / "rehearsal.sqlite"
    db.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    start = time.perf_counter()
    try:
        outcome = rehearse(make_sessionmaker(engine), config, folder / "keys")
    finally:
        engine.dispose()
    write_record(outcome.files, folder / "record.zip")
    log(f"  made in {time.perf_counter() - start:.0f} s")
    return folder


# --------------------------------------------------------------------------
# Children: one pass each, in a process of its own


def child(name: str, folder: Path) -> dict[str, Any]:
    """Run one pass on the round in ``folder``; say which code ran it."""
    import ballot.verifier
    from ballot.record import read_record
    from crypto.canonical import canonical_json, parse_json

    start = time.perf_counter()
    if name == "read record":
        read_record(folder / "record.zip")
    elif name == "verify record":
        ballot.verifier.verify_record_files(read_record(folder / "record.zip"))
    elif name in ("server aggregates", "decryption request"):
        from ballot.db import make_engine, make_sessionmaker
        from ballot.services import rounds
        from ballot.services import tally as tallying

        manifest = parse_json(read_record(folder / "record.zip")["manifest.json"])
        engine = make_engine(f"sqlite:///{folder / 'rehearsal.sqlite'}")
        session = make_sessionmaker(engine)()
        try:
            round_ = rounds.get_round(session, manifest["election_id"], manifest["round_id"])
            if name == "server aggregates":
                tallying.compute_aggregates(session, round_)
            else:
                request = tallying.decryption_request(session, round_)
                (folder / "request.json").write_bytes(canonical_json(request))
        finally:
            session.rollback()
            session.close()
            engine.dispose()
    elif name == "check request":
        from ballot.tally_request import check_request

        request = parse_json((folder / "request.json").read_bytes())
        check_request(request, parse_json(request["manifest"])["election_id"])
    else:
        raise SystemExit(f"no pass {name!r}")
    return {"seconds": time.perf_counter() - start, "code": ballot.verifier.__file__}


def run_child(code: Path, name: str, folder: Path) -> dict[str, Any]:
    """This script's ``--child`` in a fresh process; its answer plus its peak RSS."""
    wrapper = (
        "import json, resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)\n"
        "if done.returncode: sys.exit(done.returncode)\n"
        "out = json.loads(done.stdout)\n"
        "out['peak_rss_kib'] = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, sys.executable,
                           str(Path(__file__).resolve()), "--code", str(code),
                           "--child", name, "--folder", str(folder)],
                          stdout=subprocess.PIPE, check=True)
    return json.loads(done.stdout)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ballots", default="100,400", help="board sizes, comma-separated")
    parser.add_argument("--rows", type=int, default=80)
    parser.add_argument("--seats", type=int, default=10)
    parser.add_argument("--code", type=Path, default=_ROOT,
                        help="the checkout whose library makes the rounds and runs the passes "
                        "(default: this one)")
    parser.add_argument("--passes", default=",".join(PASSES),
                        help="the passes to measure, comma-separated (default: all)")
    parser.add_argument("--regenerate", action="store_true", help="make the rounds anew")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", choices=PASSES, help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        _use_code(args.code.resolve())
        print(json.dumps(child(args.child, args.folder)))
        return 0
    try:
        sizes = [int(n) for n in args.ballots.split(",")]
    except ValueError:
        parser.error("--ballots takes board sizes separated by commas, e.g. 100,400")
    passes = [name.strip() for name in args.passes.split(",")]
    if min(sizes) < 1 or not 1 <= args.seats <= args.rows <= 200:
        parser.error("need at least one ballot and 1 ≤ seats ≤ rows ≤ 200")
    if not set(passes) <= set(PASSES):
        parser.error(f"the passes are: {', '.join(PASSES)} (check request reads the request "
                     "the decryption request pass wrote)")
    _use_code(args.code.resolve())
    folders = {n: make_round(n, args.rows, args.seats, args.regenerate) for n in sizes}
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    figures: dict[str, dict[int, dict[str, Any]]] = {name: {} for name in passes}
    for n, folder in folders.items():
        for name in passes:
            log(f"{n} ballots: {name} …")
            figures[name][n] = run = run_child(args.code.resolve(), name, folder)
            log(f"  {run['peak_rss_kib'] / 1024:.0f} MiB, {run['seconds']:.1f} s "
                f"({run['code']})")
    first, last = sizes[0], sizes[-1]
    print(f"Measured {date}; code from {args.code.resolve()}; {args.rows} rows × 2 options.")
    print()
    print("| Pass | " + " | ".join(f"{n} ballots (MiB)" for n in sizes)
          + f" | MiB per ballot, {first} → {last} |")
    print("|---|" + "---:|" * (len(sizes) + 1))
    for name in passes:
        peaks = [figures[name][n]["peak_rss_kib"] / 1024 for n in sizes]
        slope = (peaks[-1] - peaks[0]) / (last - first) if last != first else 0.0
        print(f"| {name} | " + " | ".join(f"{p:.0f}" for p in peaks) + f" | {slope:.2f} |")
    if args.json:
        args.json.write_text(json.dumps({"date": date, "code": str(args.code.resolve()),
                                         "rows": args.rows, "passes": figures}, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
