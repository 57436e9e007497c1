"""Instance configuration shared by the CLI and the web app.

``DATABASE_URL`` picks the database (SQLite under ``instance/`` by default).
``PIAOJUE_PROXIES`` says how many reverse proxies stand in front of the server.
``PIAOJUE_SECRET_KEY`` is the at-rest secret that seals the receipt signing
key; without it, a random one is made once in ``instance/secret.key`` (mode
0600), like Flask's instance folder. It is never logged and never stored in
the database.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import tempfile
from pathlib import Path

from ballot.errors import InvalidInput
from crypto.at_rest import AtRestKey

INSTANCE = Path(os.environ.get("PIAOJUE_INSTANCE", "instance"))


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url.replace("postgres://", "postgresql+psycopg://", 1).replace(
            "postgresql://", "postgresql+psycopg://", 1)
    return f"sqlite:///{private_sqlite_file(INSTANCE / 'piaojue.sqlite').resolve()}"


def private_directory(path: Path) -> Path:
    """``path`` made (or made again) readable by this user only: it holds the database,
    the Flask and at-rest secrets, and the demo's trustee keys."""
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    path.chmod(0o700)
    return path


def private_sqlite_file(path: Path) -> Path:
    """An SQLite database file readable by this user only, in a private directory;
    SQLite gives its journal and WAL files the database file's permissions."""
    private_directory(path.parent)
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT, 0o600))
    path.chmod(0o600)
    return path


def trusted_proxies() -> int:
    """``PIAOJUE_PROXIES``: how many reverse proxies (nginx, a load balancer) stand in front
    of the server and append to X-Forwarded-For; 0 (the default) trusts no such header."""
    text = os.environ.get("PIAOJUE_PROXIES", "0").strip() or "0"
    if not (text.isascii() and text.isdigit() and int(text) <= 5):
        raise InvalidInput("PIAOJUE_PROXIES is the number of reverse proxies in front, 0 to 5")
    return int(text)


def instance_secret(name: str, directory: Path | None = None) -> str:
    """The random secret in ``instance/<name>``, made once (mode 0600) if missing.

    Safe when several processes start at once (gunicorn's workers each build
    the app): the secret is written whole to a private temporary file, then
    linked into place, which fails if another process got there first; every
    process then reads the one file that won, never a half-written one.
    """
    directory = directory or INSTANCE
    path = directory / name
    if not path.exists():
        private_directory(directory)
        fd, temporary = tempfile.mkstemp(prefix=f".{name}.", dir=directory)  # mode 0600
        try:
            with os.fdopen(fd, "w") as f:
                f.write(secrets.token_hex(32))
                f.flush()
                os.fsync(f.fileno())
            with contextlib.suppress(FileExistsError):
                os.link(temporary, path)
        finally:
            os.unlink(temporary)
    secret = path.read_text().strip()
    if len(secret) < 16:
        raise InvalidInput("%(path)s holds no usable secret; remove it to have a new one made",
                           path=path)
    return secret


def at_rest_key() -> AtRestKey:
    secret = os.environ.get("PIAOJUE_SECRET_KEY")
    if secret:
        if len(secret) < 16:
            raise InvalidInput("PIAOJUE_SECRET_KEY must have at least 16 characters")
        return AtRestKey(secret)
    return AtRestKey(instance_secret("secret.key"))
