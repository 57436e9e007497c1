"""Cast latency under load: real gunicorn workers on PostgreSQL, many tablets casting at once.

Run from the repository root, by hand (no test runs it); it needs PostgreSQL's
binaries (``make test`` installs them) and, as root, the ``postgres`` user::

    .venv/bin/python bench/load.py                        # 500 ballots, 50 tablets, 4 workers
    .venv/bin/python bench/load.py --ballots 100 --concurrency 10 --timeout 60
    .venv/bin/python bench/load.py --rows 80 --seats 10   # another ballot shape
    .venv/bin/python bench/load.py --json load.json       # also write the figures as JSON

What it does, in order:

1. starts a throwaway PostgreSQL cluster on 127.0.0.1 (tests/pg_cluster.py; with
   ``fsync`` on, as PostgreSQL ships, unless ``--no-fsync``) and sets up an open
   round on it the way the session day does (tests/slow/server_round.py): one
   credential per ballot, since a credential casts once;
2. serves it with ``piaojue serve --workers 4`` (gunicorn) on 127.0.0.1;
3. encrypts and signs every ballot BEFOREHAND on the client side
   (booth/cast_client.py), so that the timed part is the server's work only;
4. a few warm-up casts (not in the figures), then ``--concurrency`` tablet
   threads post the prepared ballots to the cast API, each tablet one cast
   after another (a closed loop), until all are sent or ``--timeout`` passes;
   each latency is ``time.perf_counter`` around the HTTP call alone (connect,
   send, server time, answer), one new connection per cast as a tablet makes;
5. checks every receipt that came back against the ballot sent, then audits the
   board the server wrote (the chain, the receipts, the spent credentials), and
   with ``--tally`` closes the round, tallies it and verifies the record, so the
   figures are of correct work;
6. stops gunicorn and PostgreSQL, whatever happened (errors, Ctrl-C, SIGTERM).

Traffic goes to 127.0.0.1 only. The run is bounded: at most ``--ballots`` casts,
none sent or waited for after ``--timeout`` seconds of casting, and the whole
run stopped by itself after ``--timeout`` + ``--setup-timeout`` seconds.
Progress goes to stderr; the report to stdout, ending with Markdown for
docs/performance.md. The client runs on the same machine as the server and
takes CPU from it; the report says how much, and how much other processes used.
"""

from __future__ import annotations

import argparse
import json
import os
import queue
import random
import shutil
import signal
import statistics
import subprocess
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from types import FrameType
from typing import Any

# Run as a script, Python puts bench/ first on sys.path, where bench/crypto.py
# would shadow the crypto package. Put the repository root there instead.
_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

import gunicorn  # noqa: E402
from tqdm import tqdm  # noqa: E402

from ballot.rehearsal import RehearsalConfig  # noqa: E402
from ballot.verifier import verify_record_files  # noqa: E402
from bench.crypto import CpuSnapshot, machine, other_load  # noqa: E402
from booth.cast_client import (  # noqa: E402
    PreparedCast,
    RoundParameters,
    check_cast_answer,
    prepare_cast,
)
from crypto.manifest import APPROVAL_OPTIONS, SELECTION_OPTIONS  # noqa: E402
from tests.live_server import request  # noqa: E402
from tests.pg_cluster import Cluster, ClusterError, _bin  # noqa: E402
from tests.slow.server_round import (  # noqa: E402
    ServedRound,
    audit_board,
    random_marks,
    served_round,
    sums,
)

TARGET_P95_MS = 300.0
TARGET_CONCURRENCY = 50
LOCALHOST = "http://127.0.0.1:"


class RunTimeout(Exception):
    """The whole run passed its time limit."""


# --------------------------------------------------------------------------
# PostgreSQL


class BenchCluster(Cluster):
    """tests/pg_cluster.py's cluster, with ``fsync`` on by default as in production.

    The tests turn it off for speed; a commit then costs less than it will on
    the server, so a latency measured that way flatters the board's append.
    """

    def __init__(self, fsync: bool) -> None:
        super().__init__()
        self.fsync = fsync
        self.started = False

    def start(self) -> str:
        if self.as_postgres:
            shutil.chown(self.dir, "postgres", "postgres")
        self._run(_bin("initdb"), "-A", "trust", "-U", "postgres", "-E", "UTF8",
                  "--locale=C.UTF-8", "-D", str(self.data))
        fsync = "on" if self.fsync else "off"
        self._run(_bin("pg_ctl"), "-D", str(self.data), "-l", str(self.dir / "log"), "-w",
                  "-o", f"-h 127.0.0.1 -p {self.port} -k {self.dir} -c fsync={fsync} "
                  "-c max_connections=100", "start")
        self.started = True
        return f"postgresql+psycopg://postgres@127.0.0.1:{self.port}/postgres"

    def stop(self) -> None:
        if self.started or (self.data / "postmaster.pid").exists():  # even if cut short
            super().stop()
        else:
            shutil.rmtree(self.dir, ignore_errors=True)

    def postmaster_pid(self) -> int | None:
        try:
            return int((self.data / "postmaster.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None


def postgres_version() -> str:
    try:
        out = subprocess.run([_bin("postgres"), "--version"], capture_output=True, text=True,
                             timeout=30).stdout.strip()
    except (OSError, ClusterError, subprocess.SubprocessError):
        return "PostgreSQL (version unknown)"
    return f"PostgreSQL {out.removeprefix('postgres (PostgreSQL) ')}"


@contextmanager
def cluster(fsync: bool) -> Iterator[BenchCluster]:
    made = BenchCluster(fsync)
    try:
        yield made
    finally:
        made.stop()


# --------------------------------------------------------------------------
# CPU time of the server's processes (Linux /proc)


def _proc_stats() -> dict[int, tuple[int, int, float]]:
    """pid -> (parent pid, process group, CPU seconds used) for every process."""
    tick = os.sysconf("SC_CLK_TCK")
    out = {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            text = (entry / "stat").read_text()
        except OSError:
            continue
        fields = text[text.rindex(")") + 2:].split()
        out[int(entry.name)] = (int(fields[1]), int(fields[2]),
                                (int(fields[11]) + int(fields[12])) / tick)
    return out


@dataclass
class ServerCpu:
    """CPU seconds used so far by gunicorn (master and workers) and by PostgreSQL."""

    gunicorn: dict[int, float] = field(default_factory=dict)
    postgres: dict[int, float] = field(default_factory=dict)

    @classmethod
    def take(cls, gunicorn_group: int | None, postmaster: int | None) -> ServerCpu:
        snap = cls()
        for pid, (ppid, group, cpu) in _proc_stats().items():
            if gunicorn_group is not None and group == gunicorn_group:
                snap.gunicorn[pid] = cpu
            elif postmaster is not None and postmaster in (pid, ppid):
                snap.postgres[pid] = cpu
        return snap

    @staticmethod
    def _used(before: dict[int, float], after: dict[int, float]) -> float:
        return sum(cpu - before.get(pid, 0.0) for pid, cpu in after.items())

    def since(self, before: ServerCpu) -> tuple[float, float]:
        return (self._used(before.gunicorn, self.gunicorn),
                self._used(before.postgres, self.postgres))


# --------------------------------------------------------------------------
# Casting


@dataclass
class Outcome:
    status: int | None
    answer: Any
    seconds: float
    sent_at: float
    done_at: float


@dataclass
class Phase:
    outcomes: dict[int, Outcome]
    not_sent: int
    seconds: float


def cast_phase(served: ServedRound, bodies: list[bytes], indices: list[int], concurrency: int,
               deadline: float, desc: str) -> Phase:
    """``concurrency`` tablet threads post the prepared bodies, one after another each.

    Nothing is sent after ``deadline`` (time.monotonic) and no answer is waited
    for past it: a cast still in flight then counts as unanswered.
    """
    url, path = served.server.url, served.cast_path
    assert url.startswith(LOCALHOST), url
    todo: queue.SimpleQueue[int] = queue.SimpleQueue()
    for n in indices:
        todo.put(n)
    outcomes: dict[int, Outcome] = {}
    stop = threading.Event()
    lock = threading.Lock()
    concurrency = max(1, min(concurrency, len(indices)))
    start = threading.Barrier(concurrency + 1)
    bar = tqdm(total=len(indices), desc=desc, unit="cast", file=sys.stderr, leave=False)

    def tablet() -> None:
        try:
            start.wait()
        except threading.BrokenBarrierError:
            return
        while not stop.is_set():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                return
            try:
                n = todo.get_nowait()
            except queue.Empty:
                return
            sent = time.perf_counter()
            try:
                status, answer = request(url, "POST", path, raw=bodies[n], timeout=remaining)
            except OSError as exc:  # refused, reset, or timed out at the deadline
                status, answer = None, f"{type(exc).__name__}: {exc}"
            done = time.perf_counter()
            with lock:
                outcomes[n] = Outcome(status, answer, done - sent, sent, done)
                bar.update()

    threads = [threading.Thread(target=tablet, daemon=True, name=f"tablet-{i}")
               for i in range(concurrency)]
    for thread in threads:
        thread.start()
    began = time.perf_counter()
    try:
        start.wait()
        for thread in threads:
            thread.join()
    finally:
        stop.set()
        start.abort()
        bar.close()
    seconds = time.perf_counter() - began
    with lock:
        done = dict(outcomes)
    return Phase(done, len(indices) - len(done), seconds)


# --------------------------------------------------------------------------
# Figures


def percentile(sorted_values: list[float], p: float) -> float:
    """The p-th percentile, linear between the closest ranks (numpy's default)."""
    if len(sorted_values) == 1:
        return sorted_values[0]
    rank = (len(sorted_values) - 1) * p / 100
    low = int(rank)
    high = min(low + 1, len(sorted_values) - 1)
    return sorted_values[low] + (sorted_values[high] - sorted_values[low]) * (rank - low)


def latency_figures(seconds: list[float]) -> dict[str, float] | None:
    if not seconds:
        return None
    ms = sorted(s * 1000 for s in seconds)
    return {"p50": percentile(ms, 50), "p95": percentile(ms, 95), "p99": percentile(ms, 99),
            "min": ms[0], "mean": statistics.fmean(ms), "max": ms[-1]}


def shape_label(rows: int, options: tuple[str, ...], seats: int) -> str:
    if options == APPROVAL_OPTIONS:
        return f"{rows} rows x 1 option (approve at most {seats})"
    return f"{rows} rows x {len(options)} options ({'/'.join(options)}, at most {seats} for)"


def _ms(value: float | None) -> str:
    return "—" if value is None else f"{value:.0f}"


def command_line(s: dict[str, Any]) -> str:
    """The run's shape as options of this script (the defaults of the others left out)."""
    words = ["bench/load.py", "--ballots", str(s["ballots"]), "--concurrency",
             str(s["concurrency"]), "--workers", str(s["workers"]), "--rows", str(s["rows"]),
             "--seats", str(s["seats"])]
    if s["options"] != "for,against":
        words += ["--options", s["options"]]
    if not s["fsync"]:
        words.append("--no-fsync")
    return " ".join(words)


def markdown(fig: dict[str, Any]) -> list[str]:
    info, s, c, lat = fig["machine"], fig["settings"], fig["counts"], fig["latency_ms"]
    cpu = fig["cpu_ms_per_ballot"]
    others = fig["other_processes_cpus"]
    load = "" if others is None else (f" Other processes used {others:.2f} of the "
                                      f"{info['cores']} CPUs during the casts.")
    fsync = "on" if s["fsync"] else "off"
    lines = [
        f"Measured {fig['date'][:10]} ({fig['date'][11:16]} UTC) on {info['cpu']}, "
        f"{info['cores']} CPUs, {info['system']}, {info['python']}; gunicorn "
        f"{fig['gunicorn']} with {s['workers']} sync workers and {fig['postgresql']} "
        f"(fsync {fsync}) on the same machine, as is the load client.{load} "
        f"`{command_line(s)}`: each tablet casts one ballot after another on a new "
        f"connection; {s['warmup']} warm-up casts are left out.",
        "",
        "| Ballot | Tablets | Casts | Accepted | Refused | Unanswered | p50 (ms) | p95 (ms) "
        "| p99 (ms) | Max (ms) | Ballots/s |",
        "|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|",
        f"| {fig['shape']} | {s['concurrency']} | {c['sent']} | {c['accepted']} "
        f"| {c['refused']} | {c['unanswered']} | {_ms(lat and lat['p50'])} "
        f"| {_ms(lat and lat['p95'])} | {_ms(lat and lat['p99'])} | {_ms(lat and lat['max'])} "
        f"| {fig['ballots_per_second']:.1f} |",
        "",
        f"Target: p95 ≤ {TARGET_P95_MS:.0f} ms at {TARGET_CONCURRENCY} concurrent tablets: "
        f"**{fig['target']}**.",
    ]
    if cpu is not None:
        lines += [
            "",
            "CPU time per accepted ballot during the casts:",
            "",
            "| gunicorn workers (ms) | PostgreSQL (ms) | load client (ms) | total (ms) "
            "| Ceiling at this server CPU on all cores (ballots/s) |",
            "|---:|---:|---:|---:|---:|",
            f"| {cpu['gunicorn']:.1f} | {cpu['postgres']:.1f} | {cpu['client']:.1f} "
            f"| {cpu['total']:.1f} | {fig['ceiling_ballots_per_second']:.0f} |",
        ]
    return lines


def print_report(fig: dict[str, Any]) -> None:
    info, s, c, lat = fig["machine"], fig["settings"], fig["counts"], fig["latency_ms"]
    print(f"Date: {fig['date']}")
    print(f"Machine: {info['cpu']}, {info['cores']} CPUs, {info['system']}; {info['python']}")
    print(f"Load average (1 min) at start: {info['load_average_at_start']:.2f}")
    others = fig["other_processes_cpus"]
    if others is not None:
        busy = "  <- partly loaded; a quieter run may be faster" if others >= 0.2 else ""
        print(f"Other processes used {others:.2f} of the {info['cores']} CPUs during the "
              f"casts{busy}")
    print(f"Server: gunicorn {fig['gunicorn']}, {s['workers']} workers; {fig['postgresql']}, "
          f"fsync {'on' if s['fsync'] else 'off'}; all on 127.0.0.1")
    print(f"Ballot: {fig['shape']}; {s['trustees']} trustees (threshold {s['threshold']})")
    print(f"Tablets: {s['concurrency']} concurrent, closed loop; {s['warmup']} warm-up casts "
          f"left out")
    print(f"Client-side preparation (encrypt + sign, not timed): {fig['prepare_seconds']:.1f} s "
          f"for {s['ballots'] + s['warmup']} ballots")
    statuses = ", ".join(f"{k}: {v}" for k, v in sorted(c["statuses"].items())) or "none"
    print(f"Casts: {c['sent']} sent of {s['ballots']}, {c['accepted']} accepted, "
          f"{c['refused']} refused, {c['unanswered']} unanswered, {c['not_sent']} not sent "
          f"(statuses {statuses})")
    for reason, count in fig["refusals"].items():
        print(f"  {count} x {reason}")
    if lat:
        print(f"Latency of accepted casts (ms): p50 {lat['p50']:.1f}, p95 {lat['p95']:.1f}, "
              f"p99 {lat['p99']:.1f}; min {lat['min']:.1f}, mean {lat['mean']:.1f}, "
              f"max {lat['max']:.1f}")
    print(f"Throughput: {fig['ballots_per_second']:.1f} ballots/s "
          f"({c['accepted']} in {fig['cast_seconds']:.2f} s)")
    if lat and fig["ballots_per_second"] > 0:
        print(f"Little's law: {s['concurrency']} tablets / {fig['ballots_per_second']:.1f} "
              f"ballots/s = {1000 * s['concurrency'] / fig['ballots_per_second']:.0f} ms, "
              f"against a mean latency of {lat['mean']:.0f} ms")
    cpu = fig["cpu_ms_per_ballot"]
    if cpu is not None:
        print(f"CPU per accepted ballot (ms): gunicorn {cpu['gunicorn']:.1f}, PostgreSQL "
              f"{cpu['postgres']:.1f}, client {cpu['client']:.1f}; total {cpu['total']:.1f}, "
              f"so at most ~{fig['ceiling_ballots_per_second']:.0f} ballots/s on "
              f"{info['cores']} CPUs")
    print(f"Checked: {fig['checks']}")
    print(f"Target p95 <= {TARGET_P95_MS:.0f} ms at {TARGET_CONCURRENCY} tablets: "
          f"{fig['target']}")
    print(f"Whole run: {fig['run_seconds']:.0f} s\n")
    print("---- Markdown for docs/performance.md ----\n")
    print("\n".join(markdown(fig)))


# --------------------------------------------------------------------------
# The run


def _raise_timeout(signum: int, frame: FrameType | None) -> None:
    raise RunTimeout("the run passed its time limit (--timeout + --setup-timeout)")


def _raise_interrupt(signum: int, frame: FrameType | None) -> None:
    raise KeyboardInterrupt


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ballots", type=int, default=500,
                        help="casts to time, each with its own credential (default 500)")
    parser.add_argument("--concurrency", type=int, default=TARGET_CONCURRENCY,
                        help="tablets casting at once (default 50)")
    parser.add_argument("--workers", type=int, default=4, help="gunicorn workers (default 4)")
    parser.add_argument("--rows", type=int, default=15, help="candidate projects (default 15)")
    parser.add_argument("--seats", type=int, default=5,
                        help="at most this many 'for' marks (default 5)")
    parser.add_argument("--options", choices=["for,against", "for"], default="for,against",
                        help="the options of each row (default for,against)")
    parser.add_argument("--trustees", type=int, default=5, help="default 5")
    parser.add_argument("--threshold", type=int, default=3, help="default 3")
    parser.add_argument("--warmup", type=int, default=8,
                        help="casts first, left out of the figures (default 8)")
    parser.add_argument("--timeout", type=float, default=300,
                        help="seconds of casting at most: nothing is sent or waited for "
                             "after them (default 300)")
    parser.add_argument("--setup-timeout", type=float, default=900,
                        help="seconds for everything else (cluster, round, encryption, "
                             "audit); the whole run stops after --timeout plus these "
                             "(default 900)")
    parser.add_argument("--fsync", action=argparse.BooleanOptionalAction, default=True,
                        help="PostgreSQL's fsync (default on, as in production; the tests "
                             "run with it off)")
    parser.add_argument("--tally", action="store_true",
                        help="afterwards also close the round, tally it and verify the record")
    parser.add_argument("--seed", type=int, default=2026, help="seed of the marks (default 2026)")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    args = parser.parse_args(argv)
    if not 1 <= args.ballots <= 4000:
        parser.error("--ballots must be between 1 and 4000")
    if not 1 <= args.concurrency <= 1000:
        parser.error("--concurrency must be between 1 and 1000")
    if not 1 <= args.workers <= 64:
        parser.error("--workers must be between 1 and 64")
    if not 0 <= args.warmup <= 1000:
        parser.error("--warmup must be between 0 and 1000")
    if args.timeout <= 0 or args.setup_timeout <= 0:
        parser.error("the time limits must be positive")
    return args


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def prepare(params: RoundParameters, served: ServedRound, count: int, seed: int
            ) -> tuple[list[list[list[int]]], list[PreparedCast], list[bytes]]:
    """Every ballot encrypted and signed on the client side, as tablets would, before any cast."""
    chooser = random.Random(seed)
    marks, prepared, bodies = [], [], []
    for slip in tqdm(served.run.slips[:count], desc="encrypting ballots (client side)",
                     unit="ballot", file=sys.stderr, leave=False):
        m = random_marks(params, chooser)
        p = prepare_cast(params, slip.code, m)
        marks.append(m)
        prepared.append(p)
        bodies.append(json.dumps(p.body).encode())
    return marks, prepared, bodies


def run(args: argparse.Namespace) -> dict[str, Any]:
    run_started = time.perf_counter()
    date = datetime.now(UTC).isoformat(timespec="seconds")
    info = machine()
    options = SELECTION_OPTIONS if args.options == "for,against" else APPROVAL_OPTIONS
    total = args.warmup + args.ballots
    config = RehearsalConfig(rows=args.rows, seats=args.seats, deputies=total, present=total,
                             voters=total, trustees=args.trustees, threshold=args.threshold,
                             spoil=0, voided=0, options=options, scrypt_n=2**10,
                             election_id="load-2026")
    config.check()
    with ExitStack() as stack:
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="piaojue-load-")))
        log("starting PostgreSQL on 127.0.0.1 ...")
        pg = stack.enter_context(cluster(args.fsync))
        database_url = pg.start()
        log(f"setting up the round ({total} credentials, {config.trustees} trustees) ...")
        served = stack.enter_context(contextmanager(served_round)(
            database_url, workdir, config, workers=args.workers))
        log(f"starting gunicorn with {args.workers} workers on 127.0.0.1 ...")
        served.server.start()
        assert served.server.url.startswith(LOCALHOST), served.server.url
        try:
            params = served.parameters()
            started = time.perf_counter()
            marks, prepared, bodies = prepare(params, served, total, args.seed)
            prepare_seconds = time.perf_counter() - started

            deadline = time.monotonic() + args.timeout
            warm = list(range(args.warmup))
            warm_phase = Phase({}, 0, 0.0)
            if warm:
                warm_phase = cast_phase(served, bodies, warm,
                                        min(args.concurrency, args.workers), deadline, "warm-up")
            timed = list(range(args.warmup, total))
            gunicorn_group = served.server.process.pid if served.server.process else None
            cpu_before = ServerCpu.take(gunicorn_group, pg.postmaster_pid())
            machine_before = CpuSnapshot.take()
            log(f"casting {args.ballots} ballots from {args.concurrency} tablets "
                f"(at most {args.timeout:.0f} s) ...")
            phase = cast_phase(served, bodies, timed, args.concurrency, deadline, "casting")
            machine_after = CpuSnapshot.take()
            cpu_after = ServerCpu.take(gunicorn_group, pg.postmaster_pid())
        except Exception:
            log(f"server log (last lines):\n{served.server.log_tail()}")
            raise

        # Stopped first (gracefully: casts in flight finish), so the board holds still
        # while it is audited, even if a cast was left unanswered at the deadline.
        served.server.stop()
        log("checking every receipt and auditing the board ...")
        held, accepted_marks, accepted_seconds = [], [], []
        statuses: Counter[str] = Counter()
        refusals: Counter[str] = Counter()
        for n, outcome in warm_phase.outcomes.items():  # checked and audited, not timed
            if outcome.status == 201:
                check_cast_answer(params, prepared[n], outcome.answer)  # raises if wrong
                held.append({"receipt": outcome.answer["receipt"],
                             "signature": outcome.answer["signature"]})
                accepted_marks.append(marks[n])
        warm_accepted = len(held)
        warm_unanswered = sum(o.status is None for o in warm_phase.outcomes.values())
        for n in timed:
            if n not in phase.outcomes:
                continue
            outcome = phase.outcomes[n]
            statuses[str(outcome.status) if outcome.status is not None else "no answer"] += 1
            if outcome.status == 201:
                check_cast_answer(params, prepared[n], outcome.answer)  # raises if wrong
                held.append({"receipt": outcome.answer["receipt"],
                             "signature": outcome.answer["signature"]})
                accepted_marks.append(marks[n])
                accepted_seconds.append(outcome.seconds)
            elif outcome.status is None:
                refusals[f"no answer ({outcome.answer})"[:160]] += 1
            else:
                reason = (outcome.answer.get("error") if isinstance(outcome.answer, dict)
                          else str(outcome.answer)[:120])
                refusals[f"{outcome.status} {reason}"] += 1
        audit = audit_board(served, held)
        accepted = len(held) - warm_accepted
        unanswered = statuses.get("no answer", 0)
        refused = len(phase.outcomes) - accepted - unanswered
        # A cast left unanswered at the deadline may still have landed: its entry is on
        # the board (and audited) without a receipt here. Nothing else may be there.
        landed_unanswered = audit.cast - len(held)
        assert 0 <= landed_unanswered <= unanswered + warm_unanswered, \
            (audit.cast, len(held), unanswered + warm_unanswered)
        checks = (f"{len(held)} receipts verified against the ballots sent "
                  f"({warm_accepted} of them warm-up casts); board audit: the chain "
                  f"recomputes, {audit.cast} casts, {audit.receipts} receipts, {audit.spent} "
                  "spent credentials")
        if landed_unanswered:
            checks += f" ({landed_unanswered} of the casts unanswered at the deadline landed)"
        if args.tally:
            log("closing, tallying and verifying the record ...")
            counted = served.run.count()
            report = verify_record_files(counted.files)
            assert report.cast == audit.cast, (report.cast, audit.cast)
            if accepted_marks and not landed_unanswered:
                assert report.counts == sums(accepted_marks), "the tally differs from the marks"
            checks += f"; record verified, {report.cast} ballots tallied"

    lat = latency_figures(accepted_seconds)
    window = _window(phase)
    per_second = accepted / window if window > 0 else 0.0
    gunicorn_cpu, postgres_cpu = cpu_after.since(cpu_before)
    client_cpu = machine_after.ours - machine_before.ours
    cpu_ms = None
    ceiling = None
    if accepted:
        cpu_ms = {"gunicorn": 1000 * gunicorn_cpu / accepted,
                  "postgres": 1000 * postgres_cpu / accepted,
                  "client": 1000 * client_cpu / accepted}
        cpu_ms["total"] = sum(cpu_ms.values())
        server_ms = cpu_ms["gunicorn"] + cpu_ms["postgres"]
        ceiling = 1000 * (info["cores"] or 1) / server_ms if server_ms > 0 else None
    others = other_load(machine_before, machine_after)
    if others is not None:  # other_load leaves out only this process: the server is not "other"
        others = max(0.0, others - (gunicorn_cpu + postgres_cpu) /
                     (machine_after.wall - machine_before.wall))
    complete = accepted == args.ballots
    if lat is None or not complete:
        target = f"not measured: {accepted} of {args.ballots} casts accepted"
    elif args.concurrency < TARGET_CONCURRENCY:
        target = f"not comparable: {args.concurrency} tablets, not {TARGET_CONCURRENCY}"
    elif lat["p95"] <= TARGET_P95_MS:
        target = f"met (p95 {lat['p95']:.0f} ms)"
    else:
        target = f"missed (p95 {lat['p95']:.0f} ms, {lat['p95'] / TARGET_P95_MS:.1f}x the target)"
    return {
        "date": date,
        "machine": info,
        "gunicorn": gunicorn.__version__,
        "postgresql": postgres_version(),
        "settings": {k: (str(v) if isinstance(v, Path) else v) for k, v in vars(args).items()},
        "shape": shape_label(args.rows, options, args.seats),
        "counts": {"sent": len(phase.outcomes), "accepted": accepted, "refused": refused,
                   "unanswered": unanswered, "not_sent": phase.not_sent,
                   "warmup_accepted": warm_accepted, "statuses": dict(statuses)},
        "refusals": dict(refusals),
        "latency_ms": lat,
        "ballots_per_second": per_second,
        "cast_seconds": window,
        "prepare_seconds": prepare_seconds,
        "cpu_ms_per_ballot": cpu_ms,
        "ceiling_ballots_per_second": ceiling,
        "other_processes_cpus": others,
        "checks": checks,
        "target": target,
        "run_seconds": time.perf_counter() - run_started,
    }


def _window(phase: Phase) -> float:
    """From the first cast sent to the last answer: the time the casts took."""
    if not phase.outcomes:
        return 0.0
    return (max(o.done_at for o in phase.outcomes.values())
            - min(o.sent_at for o in phase.outcomes.values()))


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    signal.signal(signal.SIGTERM, _raise_interrupt)
    signal.signal(signal.SIGALRM, _raise_timeout)
    signal.alarm(int(args.timeout + args.setup_timeout) + 1)
    try:
        figures = run(args)
    except KeyboardInterrupt:
        log("interrupted; gunicorn and PostgreSQL are stopped")
        return 130
    except RunTimeout as exc:
        log(f"{exc}; gunicorn and PostgreSQL are stopped")
        return 3
    finally:
        signal.alarm(0)
    print_report(figures)
    if args.json:
        args.json.write_text(json.dumps(figures, indent=2, ensure_ascii=False) + "\n")
        log(f"figures written to {args.json}")
    return 0 if figures["counts"]["accepted"] == args.ballots else 1


if __name__ == "__main__":
    sys.exit(main())
