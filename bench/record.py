"""A whole record: ``piaojue verify`` and the tally of 500 ballots of 80 rows × 2 options.

Run from the repository root::

    .venv/bin/python bench/record.py                   # 500 ballots, 80 × 2, 10 seats
    .venv/bin/python bench/record.py --ballots 100     # smaller, for a quick look
    .venv/bin/python bench/record.py --json out.json   # also write the figures as JSON

The record is made once by the real rehearsal (``piaojue simulate`` does the
same: services, SQLite, trustees with key files) and kept with the trustees'
key files under ``~/.cache/piaojue-bench/`` (``--regenerate`` makes it anew);
casting 500 ballots of this shape takes a few minutes.

Then, each in a fresh process so that its memory peak is its own:

- ``piaojue verify --quiet --jobs N`` for each N of ``--jobs`` (default 1 and
  2), timed from outside: the figure an auditor sees;
- the same verification in process with the libsodium calls counted, so that
  the floor (count × C cost of each group operation, as in bench/crypto.py)
  can be set beside the measured time;
- the tally as the trustees and the server do it: parse and sum the cast
  ballots (aggregation), three of five trustees' decryption shares with their
  proofs, the server's check of those proofs, and the counts (Lagrange
  combination and discrete logarithms), each step timed and counted.

Progress goes to stderr; stdout ends with Markdown tables for docs/performance.md.
No test runs this script.
"""

from __future__ import annotations

import argparse
import json
import resource
import statistics
import subprocess
import sys
import time
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Python puts bench/ first on sys.path, where bench/crypto.py would shadow the
# crypto package: put the repository root there instead (bench.crypto is then
# bench/crypto.py, for its op costs and counters).
_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

from tqdm import tqdm  # noqa: E402

import bench.crypto as bench_crypto  # noqa: E402
from ballot.db import make_engine, make_sessionmaker  # noqa: E402
from ballot.record import read_record, write_record  # noqa: E402
from ballot.rehearsal import RehearsalConfig, rehearse  # noqa: E402
from ballot.schema import upgrade  # noqa: E402
from ballot.trustee import TrusteeKey  # noqa: E402
from ballot.verifier import verify_record_files  # noqa: E402
from crypto.canonical import parse_json, scalar_from_hex  # noqa: E402
from crypto.ceremony import (  # noqa: E402
    TrusteeCommitment,
    commitments_hash,
    joint_key,
    public_share,
)
from crypto.encrypted_ballot import EncryptedBallot  # noqa: E402
from crypto.manifest import Manifest, round_context  # noqa: E402
from crypto.tally import (  # noqa: E402
    aggregate,
    combine_counts,
    make_decryption_share,
    verify_decryption_share,
)

CACHE = Path.home() / ".cache" / "piaojue-bench"
PIAOJUE = Path(sys.executable).parent / "piaojue"
DECIDERS = (1, 2, 3)
"""The three of five trustees who decrypt in the tally benchmark."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# The record, made once


def config_for(ballots: int, rows: int, seats: int) -> RehearsalConfig:
    return RehearsalConfig(rows=rows, seats=seats, deputies=ballots + ballots // 5,
                           present=ballots + ballots // 10, voters=ballots, spoil=0, voided=0,
                           trustees=5, threshold=3)


def record_dir(config: RehearsalConfig) -> Path:
    return CACHE / f"record-{config.voters}x{config.rows}x{len(config.options)}"


def make_record(config: RehearsalConfig, regenerate: bool) -> Path:
    """The record zip, with the trustees' key files beside it in ``keys/``."""
    folder = record_dir(config)
    out = folder / "record.zip"
    if out.exists() and not regenerate:
        log(f"using the record made earlier: {out}")
        return folder
    log(f"casting {config.voters} ballots of {config.rows} × {len(config.options)} through the "
        "rehearsal (a few minutes) …")
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "keys").mkdir(exist_ok=True)
    db = folder / "rehearsal.sqlite"
    db.unlink(missing_ok=True)
    engine = make_engine(f"sqlite:///{db}")
    upgrade(engine)
    start = time.perf_counter()
    with tqdm(total=config.voters, desc="ballots", file=sys.stderr) as bar:
        def progress(stage: str, done: int, total: int) -> None:
            if stage == "ballots":
                bar.update(done - bar.n)
        try:
            outcome = rehearse(make_sessionmaker(engine), config, folder / "keys",
                               progress=progress)
        finally:
            engine.dispose()
    write_record(outcome.files, out)
    db.unlink(missing_ok=True)
    log(f"record made in {time.perf_counter() - start:.0f} s: {out}")
    return folder


# --------------------------------------------------------------------------
# Children: each measurement in a process of its own


def child_verify_counted(record: Path) -> dict[str, Any]:
    """Verify in process with one job, then again counting every group operation.

    The first run's time is the one set beside the floor: it leaves out the
    CLI's start-up and reading the zip, which the floor knows nothing of, and
    the counting wrappers, which slow every call a little.
    """
    files = read_record(record)
    start = time.perf_counter()
    verify_record_files(files)
    seconds = time.perf_counter() - start
    with bench_crypto.counting_ops() as counts:
        verify_record_files(files)
    return {"seconds": seconds, "counts": dict(counts)}


def child_tally(folder: Path) -> dict[str, Any]:
    """The tally's steps on the record's cast ballots, each timed and counted."""
    files = read_record(folder / "record.zip")
    manifest = Manifest.from_json(parse_json(files["manifest.json"]))
    election = parse_json(files["election.json"])
    published = [TrusteeCommitment.from_json(t) for t in election["trustees"]]
    K = joint_key(published)
    Q = round_context(manifest.hash, K, commitments_hash(published))
    entries = [parse_json(line)["entry"] for line in files["board.jsonl"].splitlines()]
    cast_json = [e["ballot"] for e in entries if e["type"] == "cast"]
    rows, options = len(manifest.row_ids), len(manifest.options)
    steps: dict[str, dict[str, Any]] = {}

    def step(name: str, fn: Any) -> Any:
        with bench_crypto.counting_ops() as counts:
            start = time.perf_counter()
            value = fn()
            seconds = time.perf_counter() - start
        steps[name] = {"seconds": seconds, "counts": dict(counts)}
        log(f"  {name}: {seconds:.2f} s")
        return value

    ballots = step("parse cast ballots", lambda: [EncryptedBallot.from_json(b, manifest)
                                                  for b in cast_json])
    aggregates = step("aggregate", lambda: aggregate(ballots, rows, options))
    start = time.perf_counter()
    # The passphrases the rehearsal's trustees seal their key files with
    # (ballot/rehearsal.py, _Trustees): a rehearsal's, never a real vote's.
    secrets = {i: scalar_from_hex(TrusteeKey.open(
        (folder / "keys" / f"trustee-{i}.key.json").read_bytes(),
        f"trustee {i} passphrase").secrets["secret_share"]) for i in DECIDERS}
    opening = time.perf_counter() - start
    shares = step("decryption shares (3 trustees)", lambda: {
        i: make_decryption_share(i, secrets[i], aggregates, Q) for i in DECIDERS})
    def check_shares() -> None:
        for i in DECIDERS:
            verify_decryption_share(shares[i], public_share(published, i), aggregates, Q)

    step("check the shares' proofs", check_shares)
    counts = step("counts (combine + discrete log)", lambda: combine_counts(
        aggregates, shares, manifest.threshold, len(cast_json)))
    expected = parse_json(files["tally.json"])["counts"]
    if [list(r) for r in counts] != expected:
        raise SystemExit("the counts differ from the record's: the benchmark is broken")
    return {"steps": steps, "key_files_opened": opening, "cast": len(cast_json)}


def run_child(*args: str) -> dict[str, Any]:
    """Run this script in a child mode; its JSON answer plus its peak RSS."""
    wrapper = (
        "import json, resource, subprocess, sys\n"
        "done = subprocess.run(sys.argv[1:], stdout=subprocess.PIPE)\n"
        "if done.returncode: sys.exit(done.returncode)\n"
        "peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss\n"
        "out = json.loads(done.stdout or b'{}')\n"
        "out['peak_rss_kib'] = peak\n"
        "print(json.dumps(out))\n"
    )
    done = subprocess.run([sys.executable, "-c", wrapper, *args], stdout=subprocess.PIPE,
                          check=True)
    return json.loads(done.stdout)


def time_cli_verify(record: Path, jobs: int) -> dict[str, Any]:
    """``piaojue verify`` as an auditor runs it, timed from outside."""
    timer = ("import subprocess, sys, time, json\n"
             "start = time.perf_counter()\n"
             "subprocess.run(sys.argv[1:], check=True, stdout=subprocess.DEVNULL)\n"
             "print(json.dumps({'seconds': time.perf_counter() - start}))\n")
    return run_child(sys.executable, "-c", timer, str(PIAOJUE), "verify", "--quiet",
                     "--jobs", str(jobs), str(record))


# --------------------------------------------------------------------------
# Report


def report(info: dict[str, Any], costs: dict[str, Any], figures: dict[str, Any]) -> list[str]:
    shape = figures["shape"]
    lines = [
        f"Machine: {info['cpu']}, {info['cores']} CPUs, {info['system']}, {info['python']}, "
        f"PyNaCl {info['pynacl']}.",
        f"Record: {shape['ballots']} cast ballots, {shape['rows']} rows × {shape['options']} "
        f"options, {shape['seats']} seats; 5 trustees, threshold 3; "
        f"{figures['record_mib']:.1f} MiB zipped.",
        f"Other processes used {figures['other_load']:.2f} CPUs on average during the run. "
        f"A variable-base multiplication's C cost, sampled through the run: "
        f"{figures['var_mul_us_range'][0]:.1f}–{figures['var_mul_us_range'][1]:.1f} µs; "
        "the floor uses the medians.",
        "",
        "| `piaojue verify` | wall time (s) | per ballot (ms) | speed-up | peak RSS, largest "
        "process (MiB) |",
        "|---|---:|---:|---:|---:|",
    ]
    base = figures["verify"][0]["seconds"]
    for run in figures["verify"]:
        lines.append(f"| `--jobs {run['jobs']}` | {run['seconds']:.1f} | "
                     f"{1000 * run['seconds'] / shape['ballots']:.1f} | "
                     f"{base / run['seconds']:.2f} | {run['peak_rss_kib'] / 1024:.0f} |")
    counted = figures["verify_counted"]
    floor = bench_crypto.floor_seconds(counted["counts"], costs)
    inside = counted["seconds"]
    lines += [
        "",
        "| Whole-record step | measured (s) | floor (s) | measured / floor |",
        "|---|---:|---:|---:|",
        f"| verify, one job, in process | {inside:.1f} | {floor:.1f} | {inside / floor:.2f} |",
    ]
    tally = figures["tally"]
    total_measured = total_floor = 0.0
    for name, step in tally["steps"].items():
        f = bench_crypto.floor_seconds(step["counts"], costs)
        total_measured += step["seconds"]
        total_floor += f
        ratio = f"{step['seconds'] / f:.2f}" if f else "—"
        lines.append(f"| tally: {name} | {step['seconds']:.2f} | {f:.2f} | {ratio} |")
    lines.append(f"| tally, all steps | {total_measured:.2f} | {total_floor:.2f} | "
                 f"{total_measured / total_floor:.2f} |")
    lines += [
        "",
        f"Tally peak RSS: {tally['peak_rss_kib'] / 1024:.0f} MiB. Opening the three trustees' "
        f"key files (scrypt, passphrase) took {tally['key_files_opened']:.1f} s, not counted "
        "above: a trustee does it once.",
        "",
        "Group operations counted (check = point validity check):",
        "",
        "| Step | k*G | k*P | add | sub | check |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    every = [("verify (whole record)", counted["counts"]),
             *((f"tally: {n}", s["counts"]) for n, s in tally["steps"].items())]
    for name, counts in every:
        c = Counter(counts)
        lines.append(f"| {name} | {c['base_mul']} | {c['var_mul']} | {c['add']} | {c['sub']} | "
                     f"{c['check']} |")
    return lines


class OpSampler:
    """The group operations' costs, sampled before, between and after the long steps.

    The steps take minutes and a shared virtual machine's speed drifts over
    that long; pricing the floor with the median of samples spread over the
    whole run, rather than with one sample at the start, lets the drift fall on
    both sides of the ratio, as bench/crypto.py's interleaving does.
    """

    def __init__(self) -> None:
        self.fns = bench_crypto.op_functions()
        self.sizes = {name: bench_crypto.calibrate(fn, 0.05) for name, fn in self.fns.items()}
        self.samples: dict[str, list[float]] = {name: [] for name in self.fns}
        self.sample()

    def sample(self) -> None:
        for _ in range(3):
            for name, fn in self.fns.items():
                self.samples[name].append(bench_crypto.time_batch(fn, self.sizes[name]))

    def costs(self) -> dict[str, Any]:
        return bench_crypto.op_costs({name: statistics.median(times)
                                      for name, times in self.samples.items()})

    def spread(self, name: str) -> tuple[float, float]:
        return min(self.samples[name]), max(self.samples[name])


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--ballots", type=int, default=500)
    parser.add_argument("--rows", type=int, default=80)
    parser.add_argument("--seats", type=int, default=10)
    parser.add_argument("--jobs", default="1,2", help="job counts to time, comma-separated")
    parser.add_argument("--regenerate", action="store_true", help="make the record anew")
    parser.add_argument("--json", type=Path, help="also write the figures here")
    parser.add_argument("--child", choices=["verify-counted", "tally"], help=argparse.SUPPRESS)
    parser.add_argument("--folder", type=Path, help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        fn = child_verify_counted if args.child == "verify-counted" else child_tally
        target = args.folder / "record.zip" if args.child == "verify-counted" else args.folder
        print(json.dumps(fn(target)))
        return 0
    try:
        jobs = [int(j) for j in args.jobs.split(",")]
    except ValueError:
        parser.error("--jobs takes job counts separated by commas, e.g. 1,2")
    if args.ballots < 1 or not 1 <= args.seats <= args.rows <= 200 or min(jobs) < 1:
        parser.error("need at least one ballot, 1 ≤ seats ≤ rows ≤ 200 and jobs ≥ 1")
    config = config_for(args.ballots, args.rows, args.seats)
    folder = make_record(config, args.regenerate)
    info = bench_crypto.machine()
    date = datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC")
    record = folder / "record.zip"
    log("timing the group operations …")
    ops = OpSampler()
    start = bench_crypto.CpuSnapshot.take()
    figures: dict[str, Any] = {
        "date": date, "machine": info,
        "shape": {"ballots": args.ballots, "rows": args.rows, "options": 2,
                  "seats": args.seats},
        "record_mib": record.stat().st_size / 2**20,
        "verify": [],
    }
    me = [sys.executable, str(Path(__file__).resolve())]
    for n in jobs:
        log(f"piaojue verify --jobs {n} …")
        figures["verify"].append({"jobs": n, **time_cli_verify(record, n)})
        log(f"  {figures['verify'][-1]['seconds']:.1f} s")
        ops.sample()
    log("verifying again with the group operations counted …")
    figures["verify_counted"] = run_child(*me, "--child", "verify-counted", "--folder",
                                          str(folder))
    ops.sample()
    log("the tally, step by step …")
    figures["tally"] = run_child(*me, "--child", "tally", "--folder", str(folder))
    ops.sample()
    costs = ops.costs()
    figures["op_costs_us"] = {op: 1e6 * c.c for op, c in costs.items()}
    figures["var_mul_us_range"] = [1e6 * t for t in ops.spread("var_mul/c")]
    end = bench_crypto.CpuSnapshot.take()
    load = bench_crypto.other_load(start, end)
    # The children's CPU time is not in our own process time, so subtract it too.
    children = resource.getrusage(resource.RUSAGE_CHILDREN)
    figures["other_load"] = max(0.0, (load or 0.0) - (children.ru_utime + children.ru_stime)
                                / (end.wall - start.wall))
    print(f"Measured {date}.")
    print("\n".join(report(info, costs, figures)))
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, default=str))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
