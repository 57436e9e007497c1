"""How fast the tablet encrypts: the booth's JavaScript in headless Chromium, against Python.

Run from the repository root after ``make test`` or ``make demo`` (they install
Node's packages and Chromium)::

    .venv/bin/python bench/booth.py            # 15 ballots per shape
    .venv/bin/python bench/booth.py --repeats 5

It encrypts the two shapes of bench/crypto.py (20 x 1 with at most 5 for, the
shape peers are measured on; 80 x 2 with at most 10 for, a congress's ballot)
in a Web Worker, exactly as the booth page does, with the booth's own modules
(booth/static/protocol) on the bundled @noble/curves, and reports the time to
build the fixed-base tables (G's once per page, the joint key's once per round)
and the median encryption. Python's ``encrypt_ballot`` (libsodium) runs on the
same manifests and marks in the same run, so the ratio is measured on one
machine at one moment. Goals (issue 17): 80 x 2 under 1 s and 20 x 1 under
150 ms in the browser. No test uses this script.
"""

from __future__ import annotations

import argparse
import functools
import http.server
import json
import os
import platform
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import quote

_BENCH_DIR = Path(__file__).resolve().parent
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != _BENCH_DIR]
sys.path.insert(0, str(_BENCH_DIR.parent))

from playwright.sync_api import sync_playwright  # noqa: E402

from bench.crypto import random_marks, shapes  # noqa: E402
from crypto.encrypted_ballot import encrypt_ballot  # noqa: E402
from crypto.group import base_mul  # noqa: E402
from crypto.rng import random_scalar  # noqa: E402

ROOT = _BENCH_DIR.parent
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run",
                 "--disable-quic"]


class _Quiet(http.server.SimpleHTTPRequestHandler):
    def log_message(self, *args: Any) -> None:
        return None

    def end_headers(self) -> None:  # the booth's own policy, so the run is under it
        self.send_header("Content-Security-Policy",
                         "default-src 'self'; script-src 'self'; object-src 'none'")
        super().end_headers()


def serve(directory: Path) -> http.server.ThreadingHTTPServer:
    handler = functools.partial(_Quiet, directory=str(directory))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.handle_error = lambda *args: None  # type: ignore[method-assign]  # a closed tab
    threading.Thread(target=server.serve_forever, daemon=True).start()
    return server


def browser_figures(inputs: dict[str, Any], timeout: float) -> dict[str, Any]:
    server = serve(ROOT)
    with tempfile.NamedTemporaryFile("w", suffix=".json", dir=_BENCH_DIR, delete=False) as f:
        json.dump(inputs, f)
    try:
        port = server.server_address[1]
        request = quote(json.dumps({"input": f"/bench/{Path(f.name).name}"}))
        with sync_playwright() as p:
            browser = p.chromium.launch(
                executable_path=shutil.which("chromium") or "/usr/bin/chromium",
                args=CHROMIUM_ARGS)
            page = browser.new_page()
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(f"http://127.0.0.1:{port}/bench/booth.html#{request}")
            state = page.locator("#state[data-done=yes]")
            state.wait_for(timeout=timeout * 1000)
            figures: dict[str, Any] = json.loads(state.inner_text())
            version = browser.version
            browser.close()
        if errors or "error" in figures:
            raise SystemExit(f"the benchmark page failed: {errors or figures['error']}")
        figures["browser"] = version
        return figures
    finally:
        server.shutdown()
        os.unlink(f.name)


def python_seconds(manifest: Any, marks: list[list[list[int]]], repeats: int) -> list[float]:
    joint_key = base_mul(random_scalar())
    context = bytes(32)
    times = []
    for i in range(repeats):
        started = time.perf_counter()
        encrypt_ballot(manifest, joint_key, context, marks[i % len(marks)])
        times.append(time.perf_counter() - started)
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--json", type=Path, help="also write the figures here")
    args = parser.parse_args()
    chooser = random.Random(2026)
    chosen = shapes()
    marks = {s.key: [random_marks(s.manifest, chooser) for _ in range(args.repeats)]
             for s in chosen}
    inputs = {"manifests": {s.key: s.manifest.data for s in chosen}, "marks": marks,
              "repeats": args.repeats}
    # Alternate: Python, the browser, Python again, so a drift of the host shows.
    before = {s.key: python_seconds(s.manifest, marks[s.key], args.repeats) for s in chosen}
    browser = browser_figures(inputs, timeout=600)
    after = {s.key: python_seconds(s.manifest, marks[s.key], args.repeats) for s in chosen}

    machine = platform.processor() or platform.machine()
    print(f"Booth encryption, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {machine}, "
          f"{os.cpu_count()} CPUs; Chromium {browser['browser']}, {args.repeats} ballots per "
          "shape")
    print(f"  G's table in the worker (once per page): {browser['baseTable']:.0f} ms")
    report: dict[str, Any] = {"browser": browser["browser"], "base_table_ms":
                              browser["baseTable"], "shapes": {}}
    for s in chosen:
        js = browser["results"][s.key]
        js_median = statistics.median(js["times"])
        py_median = statistics.median(before[s.key] + after[s.key]) * 1000
        print(f"  {s.label}")
        print(f"    joint key's table (once per round): {js['keyTable']:.0f} ms")
        print(f"    Chromium worker: median {js_median:.0f} ms "
              f"(min {min(js['times']):.0f}, max {max(js['times']):.0f})")
        print(f"    Python (libsodium): median {py_median:.1f} ms "
              f"(before {statistics.median(before[s.key]) * 1000:.1f}, "
              f"after {statistics.median(after[s.key]) * 1000:.1f})")
        print(f"    ratio browser / Python: {js_median / py_median:.2f}")
        report["shapes"][s.key] = {"key_table_ms": js["keyTable"], "browser_ms": js["times"],
                                   "python_ms": [t * 1000 for t in before[s.key] + after[s.key]]}
    if args.json:
        args.json.write_text(json.dumps(report, indent=1))


if __name__ == "__main__":
    main()
