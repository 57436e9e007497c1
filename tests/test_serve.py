"""``piaojue serve`` and the instance's secrets, as several processes see them at once."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from admin.cli.serve import gunicorn_command
from admin.config import instance_secret
from ballot.errors import InvalidInput

RACE = """
import sys
from pathlib import Path
from admin.config import instance_secret
from ballot.errors import InvalidInput
sys.stdin.readline()  # released together
print(instance_secret("flask.key", Path(sys.argv[1])))
"""


def test_racing_processes_all_get_the_one_secret(tmp_path: Path) -> None:
    """gunicorn's workers each build the app at once on a fresh instance: each must read
    the same whole secret (before the fix one failed to boot, or read an empty file)."""
    for attempt in range(3):
        directory = tmp_path / f"instance-{attempt}"
        processes = [subprocess.Popen([sys.executable, "-c", RACE, str(directory)],
                                      stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                                      stderr=subprocess.PIPE, text=True) for _ in range(8)]
        for p in processes:  # each is waiting on its stdin by now, or soon will be
            assert p.stdin is not None
            p.stdin.write("go\n")
            p.stdin.flush()
        outputs = [p.communicate(timeout=60) for p in processes]
        assert [p.returncode for p in processes] == [0] * 8, [err for _, err in outputs]
        secrets = {out.strip() for out, _ in outputs}
        assert len(secrets) == 1
        assert len(secrets.pop()) == 64
        assert [p.name for p in directory.iterdir()] == ["flask.key"]  # no temporary left
        assert (directory / "flask.key").stat().st_mode & 0o777 == 0o600


def test_an_unusable_secret_file_is_named(tmp_path: Path) -> None:
    (tmp_path / "flask.key").write_text("")
    with pytest.raises(InvalidInput, match=r"flask\.key holds no usable secret"):
        instance_secret("flask.key", tmp_path)


def test_serve_runs_gunicorn_with_this_python() -> None:
    """Found without an activated virtualenv, and without a control socket per user."""
    command = gunicorn_command("127.0.0.1", 5000, 4)
    assert command[:3] == [sys.executable, "-m", "gunicorn"]
    assert command[-1] == "admin.wsgi:app"
    assert "127.0.0.1:5000" in command
    from gunicorn.config import KNOWN_SETTINGS

    if any(s.name == "control_socket_disable" for s in KNOWN_SETTINGS):
        assert "--no-control-socket" in command
