"""A real ``piaojue serve`` (gunicorn, several workers) on 127.0.0.1, and a small JSON client.

Used by the server tests in tests/slow and by bench/load.py. The server runs
in a process group of its own, so it can be stopped, or killed outright with
SIGKILL (master and workers at once, mid-request), by its own id. Its
environment has no activated virtualenv: ``piaojue serve`` must find gunicorn
by itself, as it does when an operator runs ``.venv/bin/piaojue serve``.
"""

from __future__ import annotations

import http.client
import json
import os
import signal
import socket
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

PIAOJUE = Path(sys.executable).parent / "piaojue"
START_LIMIT = 120.0
"""Seconds a server may take to answer after starting (gunicorn, 4 workers, a busy 2-CPU box)."""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def server_environment(database_url: str, instance: Path, secret: str) -> dict[str, str]:
    """The server machine's environment: its database, instance folder and at-rest secret."""
    venv_bin = str(Path(sys.executable).parent)
    env = {k: v for k, v in os.environ.items()
           if k not in ("DATABASE_URL", "PIAOJUE_SECRET_KEY", "PIAOJUE_FLASK_SECRET",
                        "PIAOJUE_INSTANCE", "VIRTUAL_ENV")}
    env["PATH"] = os.pathsep.join(p for p in env.get("PATH", "").split(os.pathsep)
                                  if p and p != venv_bin)
    env.update(DATABASE_URL=database_url, PIAOJUE_INSTANCE=str(instance),
               PIAOJUE_SECRET_KEY=secret, PYTHONIOENCODING="utf-8")
    return env


@dataclass
class LiveServer:
    env: dict[str, str]
    workdir: Path
    workers: int = 4
    port: int = field(default_factory=free_port)
    process: subprocess.Popen[bytes] | None = None
    starts: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def log(self) -> Path:
        return self.workdir / "server.log"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                [str(PIAOJUE), "serve", "--host", "127.0.0.1", "--port", str(self.port),
                 "--workers", str(self.workers)],
                cwd=self.workdir, env=self.env, stdout=log, stderr=subprocess.STDOUT,
                start_new_session=True)
        self.starts += 1
        self._wait_until_it_answers()

    def _wait_until_it_answers(self) -> None:
        deadline = time.monotonic() + START_LIMIT
        while True:
            assert self.process is not None
            if self.process.poll() is not None:
                raise RuntimeError(f"the server exited with status {self.process.returncode}:"
                                   f"\n{self.log_tail()}")
            try:
                status, _ = request(self.url, "GET", "/api/rounds/-/-", timeout=10)
                if status == 404:
                    return
            except OSError:
                pass
            if time.monotonic() > deadline:
                raise RuntimeError(f"the server did not answer in {START_LIMIT:.0f} s:\n"
                                   f"{self.log_tail()}")
            time.sleep(0.05)

    def kill(self) -> None:
        """SIGKILL the master and every worker at once: a crash, mid-request."""
        if self.process is not None and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        os.killpg(self.process.pid, signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            self.kill()

    def log_tail(self, lines: int = 40) -> str:
        if not self.log.exists():
            return ""
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])


def request(base: str, method: str, path: str, body: Any = None, *, timeout: float = 120,
            headers: dict[str, str] | None = None, raw: bytes | None = None
            ) -> tuple[int, Any]:
    """One HTTP request on a new connection; the answer's status and its JSON (or text).

    Connection errors (a server killed mid-request) propagate as ``OSError``.
    """
    status, _, answer = exchange(base, method, path, body, timeout=timeout, headers=headers,
                                 raw=raw)
    return status, answer


def exchange(base: str, method: str, path: str, body: Any = None, *, timeout: float = 120,
             headers: dict[str, str] | None = None, raw: bytes | None = None
             ) -> tuple[int, http.client.HTTPMessage, Any]:
    """:func:`request`, with the answer's headers too."""
    host, port = base.removeprefix("http://").split(":")
    connection = http.client.HTTPConnection(host, int(port), timeout=timeout)
    try:
        data = raw if raw is not None else (None if body is None else json.dumps(body).encode())
        sent = {"Content-Type": "application/json"} if data is not None else {}
        connection.request(method, path, body=data, headers={**sent, **(headers or {})})
        response = connection.getresponse()
        payload = response.read()
    except http.client.HTTPException as exc:  # a half answer from a dying server
        raise ConnectionError(f"{type(exc).__name__}: {exc}") from exc
    finally:
        connection.close()
    if response.getheader("Content-Type", "").startswith("application/json"):
        return response.status, response.msg, json.loads(payload)
    return response.status, response.msg, payload.decode("utf-8", errors="replace")
