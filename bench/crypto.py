"""How fast ballots are encrypted and verified, and how far that is from the floor.

Run from the repository root (``make bench`` does the same)::

    .venv/bin/python bench/crypto.py                  # full run, about half a minute
    .venv/bin/python bench/crypto.py --quick          # fewer repetitions, a few seconds
    .venv/bin/python bench/crypto.py --json out.json  # also write the figures as JSON

Nearly all the work of a ballot is group arithmetic done in C by libsodium:
fixed- and variable-base multiplications, additions, subtractions and point
checks (PROTOCOL.md §1). This script measures what one of each costs, counts
exactly how many of each a ballot's encryption and verification make (by
wrapping the libsodium bindings for one run), and multiplies the two: that is
the *floor*, the time the ballot would take if the Python around libsodium
cost nothing. The ratio measured / floor is the figure that matters: close to
1 means Python overhead is small and only fewer or cheaper group operations
(another proof system, batch verification, a faster curve library) can make
ballots faster; far above 1 means the time goes to Python and is worth
profiling before anything else.

Hashing (``HS``) is measured and counted too but is not part of the floor.
The figures are for one process on one core; no test uses this script.
"""

from __future__ import annotations

import argparse
import gc
import hashlib
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
import tracemalloc
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# Run as a script, Python puts bench/ first on sys.path, where this very file
# would shadow the crypto package. Put the repository root there instead.
_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

import nacl  # noqa: E402
import nacl.signing  # noqa: E402
from nacl._sodium import ffi, lib  # noqa: E402  (the bare C functions, for the floor)
from tqdm import tqdm  # noqa: E402

import crypto.group  # noqa: E402
import crypto.range_proof  # noqa: E402
from crypto.encrypted_ballot import EncryptedBallot, encrypt_ballot, verify_ballot  # noqa: E402
from crypto.group import Point, base_mul  # noqa: E402
from crypto.hashing import HS, enc  # noqa: E402
from crypto.manifest import PROTOCOL, Manifest, round_context  # noqa: E402
from crypto.rng import random_scalar  # noqa: E402

GROUP_OPS: dict[str, str] = {
    "base_mul": "crypto_scalarmult_ed25519_base_noclamp",
    "var_mul": "crypto_scalarmult_ed25519_noclamp",
    "add": "crypto_core_ed25519_add",
    "sub": "crypto_core_ed25519_sub",
    "check": "crypto_core_ed25519_is_valid_point",
}
"""Our name for each group operation -> the libsodium function that does it."""

COUNTED = [*GROUP_OPS, "hash"]
OP_LABELS: dict[str, str] = {
    "base_mul": "Fixed-base multiplication `k*G`",
    "var_mul": "Variable-base multiplication `k*P`",
    "add": "Point addition `P + Q`",
    "sub": "Point subtraction `P - Q`",
    "check": "Point validity check (`Point.from_bytes`)",
    "hash": "`HS` of a bit proof's input (not in the floor)",
}
SHORT_LABELS: dict[str, str] = {
    "base_mul": "k*G", "var_mul": "k*P", "add": "add", "sub": "sub", "check": "check",
    "hash": "HS",
}


@dataclass(frozen=True)
class Settings:
    rounds: int
    """Each round times one batch of every operation, then one ballot of every
    shape; every figure is the median over the rounds."""
    batch_seconds: float
    """A batch repeats one operation for about this long."""


FULL = Settings(rounds=21, batch_seconds=0.05)
QUICK = Settings(rounds=5, batch_seconds=0.01)


# --------------------------------------------------------------------------
# The operations, at three depths


@dataclass(frozen=True)
class OpCost:
    """Seconds per call: the bare C function, PyNaCl's binding, crypto/'s call."""

    c: float
    pynacl: float | None
    crypto: float


def op_functions() -> dict[str, Callable[[], object]]:
    """``"<op>/<depth>"`` -> a call of that operation at that depth, on fixed inputs.

    libsodium's multiplications are constant time, so one input stands for all.
    """
    k, s = random_scalar(), random_scalar()
    P, R = base_mul(random_scalar()), base_mul(random_scalar())
    k_bytes, p_bytes, r_bytes = crypto.group.scalar_to_bytes(k), P.data, R.data
    out = ffi.new("unsigned char[]", 32)
    sodium = crypto.group._sodium
    # What HS hashes for a 0..1 proof: tag, Q, A, B, lo, hi, a_0, b_0, a_1, b_1.
    bit_input = ("piaojue/v1/range", bytes(32), P, R, 0, 1, P, R, R, P)
    encoded = enc(*bit_input)
    return {
        "base_mul/c": lambda: lib.crypto_scalarmult_ed25519_base_noclamp(out, k_bytes),
        "base_mul/pynacl": lambda: sodium.crypto_scalarmult_ed25519_base_noclamp(k_bytes),
        "base_mul/crypto": lambda: base_mul(k),
        "var_mul/c": lambda: lib.crypto_scalarmult_ed25519_noclamp(out, k_bytes, p_bytes),
        "var_mul/pynacl": lambda: sodium.crypto_scalarmult_ed25519_noclamp(k_bytes, p_bytes),
        "var_mul/crypto": lambda: s * P,
        "add/c": lambda: lib.crypto_core_ed25519_add(out, p_bytes, r_bytes),
        "add/pynacl": lambda: sodium.crypto_core_ed25519_add(p_bytes, r_bytes),
        "add/crypto": lambda: P + R,
        "sub/c": lambda: lib.crypto_core_ed25519_sub(out, p_bytes, r_bytes),
        "sub/pynacl": lambda: sodium.crypto_core_ed25519_sub(p_bytes, r_bytes),
        "sub/crypto": lambda: P - R,
        "check/c": lambda: lib.crypto_core_ed25519_is_valid_point(p_bytes),
        "check/pynacl": lambda: sodium.crypto_core_ed25519_is_valid_point(p_bytes),
        "check/crypto": lambda: Point.from_bytes(p_bytes),
        "hash/c": lambda: hashlib.sha512(encoded).digest(),  # the C part of HS
        "hash/crypto": lambda: HS(*bit_input),
    }


def calibrate(fn: Callable[[], object], seconds: float) -> int:
    """How many calls of ``fn`` take about ``seconds``."""
    n = 1
    while True:
        elapsed = time_batch(fn, n) * n
        if elapsed >= seconds / 10:
            return max(1, round(n * seconds / elapsed))
        n *= 4


def time_batch(fn: Callable[[], object], n: int) -> float:
    """Seconds per call over one batch of ``n`` calls."""
    start = time.perf_counter()
    for _ in range(n):
        fn()
    return (time.perf_counter() - start) / n


def op_costs(per_call: dict[str, float]) -> dict[str, OpCost]:
    return {
        op: OpCost(c=per_call[f"{op}/c"], pynacl=per_call.get(f"{op}/pynacl"),
                   crypto=per_call[f"{op}/crypto"])
        for op in COUNTED
    }


# --------------------------------------------------------------------------
# Counting the group operations of one run


@contextmanager
def counting_ops() -> Iterator[Counter[str]]:
    """Count every libsodium group call, and every ``HS`` a range proof makes.

    crypto.group calls ``_sodium.<name>`` on the nacl.bindings module object,
    so replacing those attributes for the duration catches every call.
    """
    counts: Counter[str] = Counter()
    sodium = crypto.group._sodium
    saved = {name: getattr(sodium, name) for name in GROUP_OPS.values()}
    saved_hs = crypto.range_proof.HS

    def counted(op: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any) -> Any:
            counts[op] += 1
            return fn(*args)
        return wrapper

    for op, name in GROUP_OPS.items():
        setattr(sodium, name, counted(op, saved[name]))
    crypto.range_proof.HS = counted("hash", saved_hs)
    try:
        yield counts
    finally:
        for name, fn in saved.items():
            setattr(sodium, name, fn)
        crypto.range_proof.HS = saved_hs


def floor_seconds(counts: dict[str, int], costs: dict[str, OpCost], depth: str = "c") -> float:
    """Sum over the group operations of count x cost (hashing left out)."""
    return sum(counts.get(op, 0) * getattr(costs[op], depth) for op in GROUP_OPS)


# --------------------------------------------------------------------------
# Ballot shapes


@dataclass(frozen=True)
class Shape:
    key: str
    label: str
    manifest: Manifest


def selection_manifest(rows: int, options: list[str], seats: int) -> Manifest:
    """A valid selection manifest: 0 or 1 mark per row, at most ``seats`` marked "for"."""
    receipt_key = nacl.signing.SigningKey.generate().verify_key.encode().hex()
    return Manifest.from_json({
        "protocol": PROTOCOL,
        "election_id": "bench-election",
        "round_id": f"bench-{rows}x{len(options)}",
        "kind": "selection",
        "title": f"Benchmark: {rows} projects, {seats} seats",
        "rows": [{"id": f"p{i:03d}", "title": f"Project {i}"} for i in range(1, rows + 1)],
        "options": options,
        "row_limits": [0, 1],
        "column_limits": {"for": [0, seats]},
        "rule": {"name": "majority-top-k", "seats": seats, "basis": "enrolled"},
        "electorate": {"enrolled": 100},
        "trustees": {"n": 5, "threshold": 3},
        "receipt_key": receipt_key,
    })


def shapes() -> list[Shape]:
    return [
        # The shape Helios, Belenios and ElectionGuard are usually measured on:
        # one approval choice per candidate, at most 5 approved. With a single
        # option and row limits [0, 1] the cell proofs already imply the row
        # limit (Manifest.row_needs_proof), so the proofs are 20 bits and one
        # 0..5 column. Manifest.from_json accepts ["for"] alone (APPROVAL_OPTIONS),
        # so this manifest is validated like any other rather than built raw.
        Shape("20x1", "20 rows x 1 option (approve at most 5)",
              selection_manifest(20, ["for"], seats=5)),
        # A congress's livelihood-project ballot: for / against / abstain on 80
        # projects, 10 seats: 160 bits, 80 row proofs 0..1, one 0..10 column.
        Shape("80x2", "80 rows x 2 options (for/against, at most 10 for)",
              selection_manifest(80, ["for", "against"], seats=10)),
    ]


def random_marks(manifest: Manifest, rng: random.Random) -> list[list[int]]:
    """Valid marks: up to the "for" limit of rows marked for, the others against or blank."""
    n_rows, n_opts = len(manifest.row_ids), len(manifest.options)
    most_for = min(manifest.column_limits["for"][1], n_rows)
    for_rows = set(rng.sample(range(n_rows), rng.randint(0, most_for)))
    marks = []
    for r in range(n_rows):
        row = [0] * n_opts
        choice = 0 if r in for_rows else rng.randrange(n_opts)  # 0 here means blank
        if r in for_rows or choice:
            row[choice] = 1
        marks.append(row)
    return marks


# --------------------------------------------------------------------------
# Timing ballots


@dataclass(frozen=True)
class BallotFigures:
    """Medians in seconds, and the operation counts of one counted run."""

    key: str
    label: str
    encrypt: float
    parse: float
    """EncryptedBallot.from_json alone: the shape and every point checked."""
    verify: float
    """Parse plus verify_ballot: what accepting a ballot costs."""
    encrypt_counts: dict[str, int]
    verify_counts: dict[str, int]
    encrypt_peak: int
    """Peak bytes of Python allocations during one encryption (tracemalloc)."""
    verify_peak: int
    """The same for parsing and verifying one ballot from its JSON value."""


class ShapeBench:
    """One shape with a joint key ``x*G`` and its context ``Q``, ready to time."""

    def __init__(self, shape: Shape, rng: random.Random) -> None:
        self.shape, self.rng = shape, rng
        self.key = base_mul(random_scalar())
        self.context = round_context(shape.manifest.hash, self.key, bytes(32))
        self.runs: list[tuple[float, float, float]] = []
        # The warm-up fills small_multiple's cache, as in a long-running server,
        # so the counted run does what every later ballot does. Counts move by
        # a few additions with the marks (adding the identity 0*G is skipped).
        self._run()
        self.encrypt_counts, self.verify_counts = self._count()
        self.encrypt_peak, self.verify_peak = self._memory()

    def _marks(self) -> list[list[int]]:
        return random_marks(self.shape.manifest, self.rng)

    def _run(self) -> tuple[float, float, float]:
        manifest = self.shape.manifest
        marks = self._marks()
        start = time.perf_counter()
        ballot, _opening = encrypt_ballot(manifest, self.key, self.context, marks)
        encrypted = time.perf_counter()
        data = ballot.to_json()
        start_verify = time.perf_counter()
        parsed = EncryptedBallot.from_json(data, manifest)
        parsed_at = time.perf_counter()
        verify_ballot(parsed, manifest, self.key, self.context)
        done = time.perf_counter()
        return encrypted - start, parsed_at - start_verify, done - start_verify

    def _count(self) -> tuple[dict[str, int], dict[str, int]]:
        manifest = self.shape.manifest
        with counting_ops() as encrypt_counts:
            ballot, _opening = encrypt_ballot(manifest, self.key, self.context, self._marks())
        data = ballot.to_json()
        with counting_ops() as verify_counts:
            parsed = EncryptedBallot.from_json(data, manifest)
            verify_ballot(parsed, manifest, self.key, self.context)
        return dict(encrypt_counts), dict(verify_counts)

    def _memory(self) -> tuple[int, int]:
        """Peak Python allocations of one encryption and one verification.

        Measured apart from the timed runs: tracemalloc slows every allocation.
        """
        manifest = self.shape.manifest
        tracemalloc.start()
        try:
            ballot, _opening = encrypt_ballot(manifest, self.key, self.context, self._marks())
            encrypt_peak = tracemalloc.get_traced_memory()[1]
            data = ballot.to_json()
            del ballot, _opening
            tracemalloc.reset_peak()
            base = tracemalloc.get_traced_memory()[0]
            parsed = EncryptedBallot.from_json(data, manifest)
            verify_ballot(parsed, manifest, self.key, self.context)
            verify_peak = tracemalloc.get_traced_memory()[1] - base
        finally:
            tracemalloc.stop()
        return encrypt_peak, verify_peak

    def time_one(self) -> None:
        self.runs.append(self._run())

    def figures(self) -> BallotFigures:
        encrypt, parse, verify = (statistics.median(r[i] for r in self.runs) for i in range(3))
        return BallotFigures(self.shape.key, self.shape.label, encrypt, parse, verify,
                             self.encrypt_counts, self.verify_counts, self.encrypt_peak,
                             self.verify_peak)


def measure(settings: Settings) -> tuple[dict[str, OpCost], list[BallotFigures]]:
    """Operations and ballots, round-robin.

    Interleaving puts the operation costs and the ballot times in the same
    stretches of time, so that other work on the machine (this one is shared)
    weighs on both sides of the ratio alike instead of on one.
    """
    fns = op_functions()
    sizes = {name: calibrate(fn, settings.batch_seconds) for name, fn in fns.items()}
    benches = [ShapeBench(shape, random.Random()) for shape in shapes()]
    times: dict[str, list[float]] = {name: [] for name in fns}
    for _ in tqdm(range(settings.rounds), desc="rounds", unit="round", file=sys.stderr):
        gc.disable()  # as timeit does; ballots below run with the collector on, as in use
        try:
            for name, fn in fns.items():
                times[name].append(time_batch(fn, sizes[name]))
        finally:
            gc.enable()
        for bench in benches:
            bench.time_one()
    costs = op_costs({name: statistics.median(t) for name, t in times.items()})
    return costs, [bench.figures() for bench in benches]


# --------------------------------------------------------------------------
# The machine


def _lscpu() -> dict[str, str]:
    if not shutil.which("lscpu"):
        return {}
    try:
        text = subprocess.run(["lscpu"], capture_output=True, text=True, check=True,
                              env={**os.environ, "LC_ALL": "C"}).stdout
    except (OSError, subprocess.CalledProcessError):
        return {}
    pairs = (line.partition(":") for line in text.splitlines())
    return {k.strip(): v.strip() for k, _, v in pairs}


@dataclass(frozen=True)
class CpuSnapshot:
    """Whole-machine busy CPU seconds (Linux /proc/stat), ours, and the wall clock."""

    machine_busy: float | None
    ours: float
    wall: float

    @classmethod
    def take(cls) -> CpuSnapshot:
        busy = None
        try:
            fields = [int(v) for v in Path("/proc/stat").read_text().split("\n")[0].split()[1:]]
            idle = fields[3] + fields[4]  # idle + iowait
            busy = (sum(fields[:8]) - idle) / os.sysconf("SC_CLK_TCK")
        except (OSError, ValueError, IndexError):
            pass
        return cls(busy, time.process_time(), time.perf_counter())


def own_share(start: CpuSnapshot, end: CpuSnapshot) -> float:
    """The fraction of the wall-clock time this process was running on a CPU."""
    return (end.ours - start.ours) / (end.wall - start.wall)


def other_load(start: CpuSnapshot, end: CpuSnapshot) -> float | None:
    """How many CPUs' worth of work other processes did between two snapshots."""
    if start.machine_busy is None or end.machine_busy is None:
        return None
    others = (end.machine_busy - start.machine_busy) - (end.ours - start.ours)
    return max(0.0, others / (end.wall - start.wall))


def machine() -> dict[str, Any]:
    info = _lscpu()
    cpu = info.get("Model name") or platform.processor() or platform.machine()
    if info.get("Hypervisor vendor"):
        cpu += f" ({info['Hypervisor vendor']} guest)"
    return {
        "cpu": cpu,
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "python": f"{platform.python_implementation()} {platform.python_version()}",
        "pynacl": nacl.__version__,
        "libsodium": f"bundled with PyNaCl {nacl.__version__} "
                     "(statically linked; its version is not exposed at run time)",
        "load_average_at_start": os.getloadavg()[0],
    }


# --------------------------------------------------------------------------
# Output


def _us(seconds: float | None) -> str:
    return "—" if seconds is None else f"{seconds * 1e6:.2f}"


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f}"


def _phases(fig: BallotFigures) -> list[tuple[str, float, dict[str, int]]]:
    return [("encrypt", fig.encrypt, fig.encrypt_counts), ("verify", fig.verify, fig.verify_counts)]


def ops_table(costs: dict[str, OpCost]) -> list[str]:
    lines = [
        "| Operation | libsodium C call (µs) | via PyNaCl (µs) | via `crypto.group` (µs) |",
        "|---|---:|---:|---:|",
    ]
    for op, cost in costs.items():
        lines.append(f"| {OP_LABELS[op]} | {_us(cost.c)} | {_us(cost.pynacl)} "
                     f"| {_us(cost.crypto)} |")
    return lines


def _peak(fig: BallotFigures, phase: str) -> int:
    return fig.encrypt_peak if phase == "encrypt" else fig.verify_peak


def ballot_table(figures: list[BallotFigures], costs: dict[str, OpCost]) -> list[str]:
    lines = [
        "| Ballot | Operation | Measured (ms) | Floor (ms) | Measured / floor "
        "| Memory peak (KiB) |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for fig in figures:
        for name, measured, counts in _phases(fig):
            floor = floor_seconds(counts, costs)
            lines.append(f"| {fig.label} | {name} | {_ms(measured)} | {_ms(floor)} "
                         f"| {measured / floor:.2f} | {_peak(fig, name) / 1024:.0f} |")
    return lines


def counts_table(figures: list[BallotFigures]) -> list[str]:
    header = " | ".join(SHORT_LABELS[op] for op in COUNTED)
    lines = [f"| Ballot | Operation | {header} |", "|---|---|" + "---:|" * len(COUNTED)]
    for fig in figures:
        for name, _measured, counts in _phases(fig):
            cells = " | ".join(str(counts.get(op, 0)) for op in COUNTED)
            lines.append(f"| {fig.label} | {name} | {cells} |")
    return lines


def print_report(info: dict[str, Any], date: str, settings: Settings,
                 costs: dict[str, OpCost], figures: list[BallotFigures]) -> None:
    others = info["other_processes_cpus"]
    print(f"Date: {date}")
    print(f"Machine: {info['cpu']}, {info['cores']} CPUs, {info['system']}")
    print(f"Python: {info['python']}; PyNaCl {info['pynacl']}; libsodium {info['libsodium']}")
    print(f"Load average (1 min) at start: {info['load_average_at_start']:.2f}")
    if others is not None:
        busy = "  <- partly loaded; a quieter run may be faster" if others >= 0.2 else ""
        print(f"Other processes used {others:.2f} of the {info['cores']} CPUs during the run"
              f"{busy}")
    share = info["own_cpu_share"]
    waited = "" if share > 0.95 else "  <- it waited for a CPU; times are inflated"
    print(f"This process ran {share:.0%} of the wall-clock time{waited}")
    print(f"Repetitions: {settings.rounds} rounds (medians), each one batch of "
          f"~{settings.batch_seconds}s per operation and one ballot per shape\n")

    for fig in figures:
        print(fig.label)
        for name, measured, counts in _phases(fig):
            floor = floor_seconds(counts, costs)
            at_crypto = floor_seconds(counts, costs, "crypto")
            print(f"  {name:8} measured {_ms(measured):>7} ms   floor {_ms(floor):>7} ms   "
                  f"ratio {measured / floor:.2f}   (at crypto.group prices {_ms(at_crypto)} ms)")
            ops = ", ".join(f"{counts.get(op, 0)} {SHORT_LABELS[op]}" for op in COUNTED)
            print(f"  {'':8} {ops}; memory peak {_peak(fig, name) / 1024:.0f} KiB")
        print(f"  {'':8} of verify, parsing (from_json, point checks) took {_ms(fig.parse)} ms\n")

    load = "" if others is None else (
        f"; other processes used {others:.2f} of the {info['cores']} CPUs during the run")
    load += f"; the benchmark ran {info['own_cpu_share']:.0%} of the wall-clock time"
    print("---- Markdown for docs/performance.md ----\n")
    print(f"Measured {date[:10]} on {info['cpu']}, {info['cores']} CPUs, {info['python']}, "
          f"PyNaCl {info['pynacl']}{load}.\n")
    print("\n".join(ops_table(costs)))
    print()
    print("\n".join(ballot_table(figures, costs)))
    print()
    print("\n".join(counts_table(figures)))


def figures_json(info: dict[str, Any], date: str, settings: Settings,
                 costs: dict[str, OpCost], figures: list[BallotFigures]) -> dict[str, Any]:
    ballots: dict[str, Any] = {}
    for fig in figures:
        entry: dict[str, Any] = {"label": fig.label, "parse_s": fig.parse}
        for name, measured, counts in _phases(fig):
            floor = floor_seconds(counts, costs)
            entry[name] = {
                "measured_s": measured,
                "floor_s": floor,
                "floor_at_crypto_group_prices_s": floor_seconds(counts, costs, "crypto"),
                "ratio": measured / floor,
                "counts": counts,
                "memory_peak_bytes": _peak(fig, name),
            }
        ballots[fig.key] = entry
    return {
        "date": date,
        "machine": info,
        "settings": asdict(settings),
        "operations_s": {op: asdict(cost) for op, cost in costs.items()},
        "ballots": ballots,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="fewer repetitions")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    args = parser.parse_args(argv)
    settings = QUICK if args.quick else FULL

    info = machine()
    date = datetime.now(UTC).isoformat(timespec="seconds")
    start = CpuSnapshot.take()
    costs, figures = measure(settings)
    end = CpuSnapshot.take()
    info["other_processes_cpus"] = other_load(start, end)
    info["own_cpu_share"] = own_share(start, end)

    print_report(info, date, settings, costs, figures)
    if args.json:
        data = figures_json(info, date, settings, costs, figures)
        args.json.write_text(json.dumps(data, indent=2) + "\n")
        print(f"\nfigures written to {args.json}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
