"""The whole record verified in the browser, in Node and by ``piaojue verify``, in one run.

Run from the repository root (after ``make test`` or ``make demo`` has installed
everything, Chromium included)::

    .venv/bin/python bench/verify_browser.py                  # 500 ballots, 80 × 2
    .venv/bin/python bench/verify_browser.py --ballots 50     # a quick look

The record is bench/record.py's (made once by the rehearsal and cached under
``~/.cache/piaojue-bench/``). Each verifier checks it from its zip, each in a
fresh process, in this order so a drift of the host shows in Python's two runs:

1. ``piaojue verify --quiet --jobs 2`` (and ``--jobs 1``), timed from outside;
2. ``node booth/static/verify-cli.mjs`` (one thread, libsodium's WebAssembly);
3. the offline verification page (``/verify/record/offline.html``, exactly the
   file a citizen saves) opened from disk in headless Chromium with no network,
   with 1 and then 2 Web Workers: the time the page itself reports, from the
   file's bytes to the verdict, and the wall time around it;
4. ``piaojue verify --quiet --jobs 2`` again.

Prints the figures and each one's ratio to Python's ``--jobs 2`` (the mean of its
two runs), as Markdown rows for docs/performance.md. No test runs this script.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from admin.app import create_app  # noqa: E402
from bench.record import config_for, make_record  # noqa: E402

ROOT = _BENCH_DIR.parent
PIAOJUE = Path(sys.executable).parent / "piaojue"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--no-first-run"]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def timed(command: list[str]) -> float:
    start = time.perf_counter()
    subprocess.run(command, check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - start


def offline_page(folder: Path) -> Path:
    """The offline verifier as the site serves it for download."""
    app = create_app({"DATABASE_URL": f"sqlite:///{folder / 'bench.sqlite'}",
                      "SECRET_KEY": "bench"})
    response = app.test_client().get("/verify/record/offline.html?lang=en")
    assert response.status_code == 200, response.status
    page = folder / "piaojue-verify-record.html"
    page.write_bytes(response.get_data())
    return page


def browser_seconds(page_file: Path, record: Path, workers: int) -> tuple[float, float, str]:
    """(seconds the page reports, wall seconds, Chromium's version) for one verification."""
    executable = shutil.which("chromium") or "/usr/bin/chromium"
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        context = browser.new_context(offline=True)
        page = context.new_page()
        page.goto(f"{page_file.as_uri()}?workers={workers}")
        page.locator("#record-verifier[data-ready='1']").wait_for(state="attached")
        start = time.perf_counter()
        page.locator("#record-file").set_input_files(str(record))
        result = page.locator("#result[data-verdict]")
        result.wait_for(state="visible", timeout=30 * 60 * 1000)
        wall = time.perf_counter() - start
        verdict = result.get_attribute("data-verdict")
        if verdict != "verifies":
            raise SystemExit(f"the page did not verify the record: "
                             f"{page.locator('#result').inner_text()}")
        reported = float(page.locator("#record-verifier").get_attribute("data-seconds") or 0)
        version = browser.version
        browser.close()
    return reported, wall, version


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ballots", type=int, default=500)
    parser.add_argument("--rows", type=int, default=80)
    parser.add_argument("--seats", type=int, default=10)
    args = parser.parse_args()
    folder = make_record(config_for(args.ballots, args.rows, args.seats), regenerate=False)
    record = folder / "record.zip"
    verify = [str(PIAOJUE), "verify", "--quiet"]
    figures: dict[str, float] = {}
    log("piaojue verify --jobs 2 …")
    python_2 = [timed([*verify, "--jobs", "2", str(record)])]
    log("piaojue verify --jobs 1 …")
    figures["piaojue verify --jobs 1"] = timed([*verify, "--jobs", "1", str(record)])
    log("node booth/static/verify-cli.mjs …")
    figures["Node 20, verify-cli.mjs (1 thread)"] = timed(
        ["node", str(ROOT / "booth" / "static" / "verify-cli.mjs"), str(record)])
    with tempfile.TemporaryDirectory() as tmp:
        page = offline_page(Path(tmp))
        version = ""
        for workers in (1, 2):
            log(f"Chromium, offline page, {workers} worker(s) …")
            reported, wall, version = browser_seconds(page, record, workers)
            figures[f"Chromium, offline page, {workers} worker{'s' if workers > 1 else ''}"] = \
                reported
            log(f"  page reports {reported:.1f} s, wall {wall:.1f} s")
    log("piaojue verify --jobs 2 again …")
    python_2.append(timed([*verify, "--jobs", "2", str(record)]))
    reference = statistics.mean(python_2)
    machine = platform.processor() or platform.machine()
    print(f"Record verification, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine}, "
          f"{os.cpu_count()} CPUs, Chromium {version}; {args.ballots} ballots of "
          f"{args.rows} × 2, {record.stat().st_size / 2**20:.1f} MiB zip\n")
    print("| verifier | seconds | ÷ piaojue verify --jobs 2 |")
    print("|---|---|---|")
    print(f"| piaojue verify --jobs 2 (before, after) | {python_2[0]:.1f}, {python_2[1]:.1f} "
          "| 1.00 |")
    for name, seconds in figures.items():
        print(f"| {name} | {seconds:.1f} | {seconds / reference:.2f} |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
