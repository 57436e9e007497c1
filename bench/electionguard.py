"""Piaojue's ballots against ElectionGuard's, on the same ballot, in the same run.

Run by hand from the repository root; no test runs it::

    .venv/bin/python bench/electionguard.py                  # 11 rounds, about half a minute
    .venv/bin/python bench/electionguard.py --quick          # 3 rounds
    .venv/bin/python bench/electionguard.py --json out.json  # also write the figures as JSON
    .venv/bin/python bench/electionguard.py --python310 /path/to/python3.10

The ballot is the shape Helios, Belenios and ElectionGuard are usually measured
on: 20 choices, approve at most 5. Piaojue's side is bench/crypto.py's "20x1"
shape (20 rows x 1 option, at most 5 "for"), timed by its ShapeBench: encrypt,
then parse the ballot's JSON (every point checked) and verify its proofs.

ElectionGuard's side is its published Python package, ``electionguard==1.4.0``
from PyPI, which imports only under Python 3.10. This script makes a venv for
it (``~/.cache/piaojue-bench/eg-venv`` unless ``--venv`` says otherwise; reused
when it is already there) with a Python 3.10 it finds (``--python310``, else
``python3.10`` on PATH, ``~/.pyenv/versions/3.10.*``, ``/usr/bin/python3.10``,
``/usr/local/bin/python3.10``), installs the package there with pip, and runs
bench/electionguard_side.py in it; that file imports nothing from Piaojue. The
contest is n-of-m with 20 selections and 5 votes allowed, one ballot style; the
key comes from a key ceremony of one guardian (decryption is not measured).
ElectionGuard encrypts with ``encrypt_ballot(..., should_verify_proofs=False)``
and verifies with ``ballot_is_valid_for_election(..., should_validate=True)``
after parsing the ballot's JSON with ``from_raw``. Its group is the 4096-bit
MODP group of its specification, with arithmetic by gmpy2 (GMP), a required
dependency of 1.4.0.

Each round times Piaojue ballots and then ElectionGuard ballots, so that other
work on this shared machine weighs on both sides alike; every figure is a
median over the rounds. ElectionGuard is timed twice per round: as shipped,
and with its INFO log messages stubbed out (as shipped, each of the roughly
hundred ``log_info`` calls of an encryption walks the stack with
``inspect.stack()`` before any level is checked; the messages go to
/dev/null). If no Python 3.10 is found or the install fails, the Piaojue
figures are printed alone and the script exits 0.
"""

from __future__ import annotations

import argparse
import glob
import json
import os
import platform
import random
import shutil
import statistics
import subprocess
import sys
import time
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

# As in bench/crypto.py: run as a script, bench/ comes first on sys.path and
# bench/crypto.py would shadow the crypto package. Put the repository root there.
_BENCH_DIR = Path(__file__).resolve().parent
_ROOT = _BENCH_DIR.parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_ROOT))

import nacl  # noqa: E402
from tqdm import tqdm  # noqa: E402

import bench.crypto as bench_crypto  # noqa: E402
from crypto.encrypted_ballot import EncryptedBallot, encrypt_ballot  # noqa: E402

EG_PACKAGE, EG_VERSION = "electionguard", "1.4.0"
EG_HELPER = _BENCH_DIR / "electionguard_side.py"
DEFAULT_VENV = Path.home() / ".cache" / "piaojue-bench" / "eg-venv"
SHAPE_KEY = "20x1"
SELECTIONS, SEATS = 20, 5
FULL_ROUNDS, QUICK_ROUNDS = 11, 3
PIAOJUE_PER_ROUND = 5
"""Piaojue ballots per round: they take milliseconds, so more of them cost nothing."""


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------
# Piaojue's side, through bench/crypto.py


@dataclass(frozen=True)
class Timing:
    """Medians in seconds over ``n`` ballots; ``verify`` includes ``parse``."""

    n: int
    encrypt: float
    parse: float
    verify: float
    proofs_only: float
    """Median of verify - parse per ballot: the proofs without parsing."""


def piaojue_bench() -> Any:
    shape = next(s for s in bench_crypto.shapes() if s.key == SHAPE_KEY)
    return bench_crypto.ShapeBench(shape, random.Random())


def piaojue_timing(bench: Any) -> Timing:
    runs = bench.runs  # (encrypt, parse, parse + verify) per ballot
    fig = bench.figures()
    return Timing(len(runs), fig.encrypt, fig.parse, fig.verify,
                  statistics.median(v - p for _e, p, v in runs))


def piaojue_proofs(bench: Any) -> dict[str, Any]:
    manifest = bench.shape.manifest
    marks = bench_crypto.random_marks(manifest, random.Random())
    ballot, _opening = encrypt_ballot(manifest, bench.key, bench.context, marks)
    assert isinstance(ballot, EncryptedBallot)
    proofs = [c.proof for row in ballot.cells for c in row]
    proofs += [p for p in ballot.rows if p is not None]
    proofs += list(ballot.columns.values())
    ranges = sorted(len(p) - 1 for p in proofs)  # a 0..k proof has k + 1 branches
    described = ", ".join(f"{ranges.count(k)} x 0..{k}" for k in sorted(set(ranges)))
    return {
        "total": len(proofs),
        "branches": sum(len(p) for p in proofs),
        "ciphertexts": sum(len(row) for row in ballot.cells),
        "described": described,
        "json_bytes": len(json.dumps(ballot.to_json(), separators=(",", ":"))),
    }


# --------------------------------------------------------------------------
# ElectionGuard's venv


class Skip(Exception):
    """ElectionGuard's side cannot run here; the message says what is missing."""


def python_minor(path: str) -> tuple[int, int] | None:
    """(major, minor) of the interpreter at ``path``, or None if it does not run."""
    try:
        out = subprocess.run([path, "-c", "import sys; print(*sys.version_info[:2])"],
                             capture_output=True, text=True, timeout=60, check=True).stdout
        major, minor = out.split()
        return int(major), int(minor)
    except (OSError, subprocess.SubprocessError, ValueError):
        return None


def find_python310(override: str | None) -> str:
    if override:
        candidates = [override]
    else:
        on_path = [p for p in [shutil.which("python3.10")] if p]
        pyenv = sorted(glob.glob(str(Path.home() / ".pyenv/versions/3.10.*/bin/python3.10")),
                       key=_version_key, reverse=True)
        candidates = [*on_path, *pyenv, "/usr/bin/python3.10", "/usr/local/bin/python3.10"]
    tried = []
    for path in candidates:
        if not Path(path).exists():
            tried.append(f"{path} (absent)")
            continue
        found = python_minor(path)
        if found == (3, 10):
            return path
        tried.append(f"{path} (" + ("does not run" if found is None
                                    else f"is {found[0]}.{found[1]}") + ")")
    raise Skip("no Python 3.10 interpreter (electionguard 1.4.0 imports only under 3.10); "
               "tried: " + "; ".join(tried) + ". Pass one with --python310 PATH.")


def _version_key(path: str) -> tuple[int, ...]:
    version = Path(path).parents[1].name  # .../versions/3.10.13/bin/python3.10
    return tuple(int(p) if p.isdigit() else -1 for p in version.split("."))


def venv_ready(venv_python: Path) -> bool:
    if not venv_python.exists() or python_minor(str(venv_python)) != (3, 10):
        return False
    check = (f"import importlib.metadata as m, {EG_PACKAGE}; "
             f"assert m.version({EG_PACKAGE!r}) == {EG_VERSION!r}")
    return subprocess.run([str(venv_python), "-I", "-c", check],
                          capture_output=True, timeout=120).returncode == 0


def ensure_venv(venv: Path, python310_override: str | None) -> Path:
    """A venv with electionguard==1.4.0 (reused if there); its python."""
    venv_python = venv / "bin" / "python"
    if venv_ready(venv_python):
        log(f"reusing {venv} ({EG_PACKAGE} {EG_VERSION} already installed)")
        return venv_python
    python310 = find_python310(python310_override)
    log(f"creating {venv} with {python310}")
    venv.parent.mkdir(parents=True, exist_ok=True)
    made = subprocess.run([python310, "-m", "venv", "--clear", str(venv)],
                          stdout=sys.stderr, stderr=sys.stderr)
    if made.returncode != 0:
        raise Skip(f"could not create a venv at {venv} with {python310} "
                   f"(exit {made.returncode})")
    log(f"installing {EG_PACKAGE}=={EG_VERSION} with pip (a minute or two)")
    pip = [str(venv_python), "-m", "pip", "install", "--disable-pip-version-check",
           "--quiet", f"{EG_PACKAGE}=={EG_VERSION}"]
    try:
        installed = subprocess.run(pip, stdout=sys.stderr, stderr=sys.stderr, timeout=1800)
    except subprocess.TimeoutExpired as error:
        raise Skip(f"pip install {EG_PACKAGE}=={EG_VERSION} took over 30 minutes") from error
    if installed.returncode != 0:
        raise Skip(f"pip install {EG_PACKAGE}=={EG_VERSION} failed in {venv} "
                   f"(exit {installed.returncode}; see pip's messages above)")
    if not venv_ready(venv_python):
        raise Skip(f"{EG_PACKAGE} {EG_VERSION} was installed in {venv} but does not import")
    return venv_python


# --------------------------------------------------------------------------
# ElectionGuard's side: bench/electionguard_side.py in that venv


class ElectionGuardSide:
    """The helper process; one JSON line per request (see electionguard_side.py)."""

    def __init__(self, venv_python: Path) -> None:
        env = {k: v for k, v in os.environ.items()
               if k not in {"PRIME_OPTION", "PYTHONPATH", "PYTHONHOME", "VIRTUAL_ENV"}}
        self.proc = subprocess.Popen(
            [str(venv_python), "-I", str(EG_HELPER),
             "--selections", str(SELECTIONS), "--seats", str(SEATS)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True, env=env,
        )
        self.info: dict[str, Any] = self._read()
        self.rounds: list[dict[str, dict[str, float]]] = []

    def _read(self) -> dict[str, Any]:
        assert self.proc.stdout is not None
        line = self.proc.stdout.readline()
        if not line:
            code = self.proc.wait(timeout=60)
            raise Skip(f"bench/electionguard_side.py stopped (exit {code}; "
                       "its traceback is above)")
        return json.loads(line)

    def time_round(self) -> None:
        assert self.proc.stdin is not None
        self.proc.stdin.write("round\n")
        self.proc.stdin.flush()
        self.rounds.append(self._read())

    def close(self) -> None:
        if self.proc.stdin is not None:
            self.proc.stdin.close()
        try:
            self.proc.wait(timeout=60)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            self.proc.wait()

    def timing(self, variant: str) -> Timing:
        runs = [r[variant] for r in self.rounds]

        def median(key: str) -> float:
            return statistics.median(r[key] for r in runs)

        return Timing(len(runs), median("encrypt_s"), median("parse_s"), median("verify_s"),
                      statistics.median(r["verify_s"] - r["parse_s"] for r in runs))


# --------------------------------------------------------------------------
# The machine


def git_commit() -> str | None:
    try:
        return subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=_ROOT,
                              capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return None


def machine_busy() -> float | None:
    """Busy CPU seconds of the whole machine (Linux /proc/stat)."""
    return bench_crypto.CpuSnapshot.take().machine_busy


def own_cpu() -> float:
    """CPU seconds of this process and of its children that have been waited for."""
    t = os.times()
    return t.user + t.system + t.children_user + t.children_system


# --------------------------------------------------------------------------
# Output


def _ms(seconds: float) -> str:
    return f"{seconds * 1e3:.1f}" if seconds < 1 else f"{seconds * 1e3:.0f}"


def _x(ratio: float) -> str:
    return f"{ratio:.0f}x" if ratio >= 10 else f"{ratio:.1f}x"


def report(info: dict[str, Any], pj: Timing, eg: dict[str, Timing] | None) -> list[str]:
    pj_proofs, pj_sys = info["piaojue"]["proofs"], info["piaojue"]
    lines = [
        f"Measured {info['date'][:10]} on {info['cpu']}, {info['cores']} CPUs "
        f"({info['system']}); ballot: 20 choices, approve at most 5; medians over "
        f"{info['rounds']} rounds ({pj.n} Piaojue ballots, "
        + (f"{next(iter(eg.values())).n} ElectionGuard ballots per variant" if eg
           else "ElectionGuard skipped")
        + f"); {info['load_note']}.",
        "",
        "| System | Group, arithmetic | Proofs per ballot | Encrypt (ms) | Verify (ms) "
        "| of which parsing (ms) |",
        "|---|---|---|---:|---:|---:|",
        f"| Piaojue {pj_sys['commit'] or ''} (Python {pj_sys['python']}) "
        f"| edwards25519, libsodium via PyNaCl {pj_sys['pynacl']} "
        f"| {pj_proofs['total']} range proofs ({pj_proofs['described']}; "
        f"{pj_proofs['branches']} OR branches) "
        f"| {_ms(pj.encrypt)} | {_ms(pj.verify)} | {_ms(pj.parse)} |",
    ]
    if eg:
        e = info["electionguard"]
        p = e["proofs"]
        group = (f"{e['group']['p_bits']}-bit MODP (q {e['group']['q_bits']} bits), "
                 f"gmpy2 {e['gmpy2']} ({e['gmp']})")
        proofs = (f"{p['total']} ({p['disjunctive_0_or_1']} disjunctive 0/1 incl. "
                  f"{p['of_which_placeholder_selections']} placeholders, "
                  f"{p['constant_chaum_pedersen']} constant Chaum-Pedersen)")
        for variant, label in VARIANTS.items():
            t = eg[variant]
            lines.append(f"| ElectionGuard {e['electionguard']}, {label} "
                         f"(Python {e['python'].split()[-1]}) | {group} | {proofs} "
                         f"| {_ms(t.encrypt)} | {_ms(t.verify)} | {_ms(t.parse)} |")
        lines += [
            "",
            "| Ratio ElectionGuard / Piaojue | Encrypt | Verify | Verify without parsing |",
            "|---|---:|---:|---:|",
        ]
        for variant, label in VARIANTS.items():
            t = eg[variant]
            lines.append(f"| ElectionGuard {label} | {_x(t.encrypt / pj.encrypt)} "
                         f"| {_x(t.verify / pj.verify)} "
                         f"| {_x(t.proofs_only / pj.proofs_only)} |")
        lines += [
            "",
            f"ElectionGuard: key from {e['key']}; encrypt is `encrypt_ballot(..., "
            "should_verify_proofs=False)`, verify is `from_raw` of the ballot's JSON then "
            "`ballot_is_valid_for_election(..., should_validate=True)` (its proofs check "
            "that every element is in the order-q subgroup). Piaojue: encrypt is "
            "`encrypt_ballot`, verify is `EncryptedBallot.from_json` (every point checked) "
            "then `verify_ballot`. Ballot JSON: Piaojue "
            f"{pj_proofs['json_bytes'] / 1024:.0f} KiB, ElectionGuard "
            f"{e['json_bytes'] / 1024:.0f} KiB.",
        ]
    else:
        lines += ["", f"ElectionGuard skipped: {info['skipped']}"]
    return lines


VARIANTS = {
    "as_shipped": "as shipped",
    "info_logging_stubbed": "INFO logging stubbed out",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help=f"{QUICK_ROUNDS} rounds, "
                        f"not {FULL_ROUNDS}")
    parser.add_argument("--rounds", type=int, help="this many rounds")
    parser.add_argument("--json", type=Path, metavar="PATH", help="also write the figures here")
    parser.add_argument("--python310", metavar="PATH", help="the Python 3.10 for the venv")
    parser.add_argument("--venv", type=Path, default=DEFAULT_VENV,
                        help=f"ElectionGuard's venv (default {DEFAULT_VENV})")
    args = parser.parse_args(argv)
    rounds = args.rounds or (QUICK_ROUNDS if args.quick else FULL_ROUNDS)

    info: dict[str, Any] = {
        "date": datetime.now(UTC).isoformat(timespec="seconds"),
        "cpu": bench_crypto.machine()["cpu"],
        "cores": os.cpu_count(),
        "system": f"{platform.system()} {platform.release()} {platform.machine()}",
        "rounds": rounds,
        "load_average_at_start": os.getloadavg()[0],
        "piaojue": {
            "commit": git_commit(),
            "python": platform.python_version(),
            "pynacl": nacl.__version__,
            "shape": SHAPE_KEY,
            "ballots_per_round": PIAOJUE_PER_ROUND,
        },
        "skipped": None,
    }

    eg: ElectionGuardSide | None = None
    try:
        venv_python = ensure_venv(args.venv, args.python310)
        log(f"starting {EG_HELPER.name} in {venv_python}")
        eg = ElectionGuardSide(venv_python)
        info["electionguard"] = {**eg.info, "venv": str(args.venv),
                                 "json_bytes": eg.info["warm_up"]["json_bytes"]}
        log(f"ElectionGuard {eg.info['electionguard']} on {eg.info['python']}, "
            f"{eg.info['group']['p_bits']}-bit group, gmpy2 {eg.info['gmpy2']} "
            f"({eg.info['gmp']}); warm-up ballot: encrypt "
            f"{_ms(eg.info['warm_up']['encrypt_s'])} ms, verify "
            f"{_ms(eg.info['warm_up']['verify_s'])} ms")
    except Skip as why:
        info["skipped"] = str(why)
        log(f"ElectionGuard side skipped: {why}")

    pj = piaojue_bench()
    info["piaojue"]["proofs"] = piaojue_proofs(pj)

    busy_start, cpu_start, wall_start = machine_busy(), own_cpu(), time.perf_counter()
    try:
        for _ in tqdm(range(rounds), desc="rounds", unit="round", file=sys.stderr):
            for _ in range(PIAOJUE_PER_ROUND):
                pj.time_one()
            if eg is not None:
                try:
                    eg.time_round()
                except Skip as why:
                    info["skipped"] = str(why)
                    log(f"ElectionGuard side stopped: {why}")
                    eg.close()
                    eg = None
    finally:
        if eg is not None:
            eg.close()
    busy_end, cpu_end, wall_end = machine_busy(), own_cpu(), time.perf_counter()
    wall = wall_end - wall_start
    others = (None if busy_start is None or busy_end is None
              else max(0.0, ((busy_end - busy_start) - (cpu_end - cpu_start)) / wall))
    share = (cpu_end - cpu_start) / wall  # both processes; they never run at once
    info["other_processes_cpus"] = others
    info["own_cpu_share"] = share
    info["load_note"] = (f"load average {info['load_average_at_start']:.2f} at start"
                         if others is None else
                         f"other processes used {others:.2f} of the {info['cores']} CPUs "
                         "during the run")
    info["load_note"] += f"; the benchmark ran {share:.0%} of the wall-clock time"

    pj_timing = piaojue_timing(pj)
    eg_timing = ({v: eg.timing(v) for v in VARIANTS}
                 if eg is not None and eg.rounds else None)
    lines = report(info, pj_timing, eg_timing)
    print("\n".join(lines))

    if args.json:
        data: dict[str, Any] = {**info, "piaojue_s": asdict(pj_timing)}
        if eg_timing and eg is not None:
            data["electionguard_s"] = {v: asdict(t) for v, t in eg_timing.items()}
            data["ratios"] = {
                v: {"encrypt": t.encrypt / pj_timing.encrypt,
                    "verify": t.verify / pj_timing.verify,
                    "verify_without_parsing": t.proofs_only / pj_timing.proofs_only}
                for v, t in eg_timing.items()
            }
            data["electionguard_rounds"] = eg.rounds
        data["piaojue_runs"] = [dict(zip(("encrypt_s", "parse_s", "verify_s"), r, strict=True))
                                for r in pj.runs]
        args.json.write_text(json.dumps(data, indent=2) + "\n")
        log(f"figures written to {args.json}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
