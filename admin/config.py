"""Instance configuration shared by the CLI and (later) the web app.

``DATABASE_URL`` picks the database (SQLite under ``instance/`` by default).
``PIAOJUE_SECRET_KEY`` is the at-rest secret that seals the receipt signing
key; without it, a random one is made once in ``instance/secret.key`` (mode
0600), like Flask's instance folder. It is never logged and never stored in
the database.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from ballot.errors import InvalidInput
from crypto.at_rest import AtRestKey

INSTANCE = Path(os.environ.get("PIAOJUE_INSTANCE", "instance"))


def database_url() -> str:
    url = os.environ.get("DATABASE_URL")
    if url:
        return url.replace("postgres://", "postgresql+psycopg://", 1).replace(
            "postgresql://", "postgresql+psycopg://", 1)
    INSTANCE.mkdir(parents=True, exist_ok=True)
    return f"sqlite:///{(INSTANCE / 'piaojue.sqlite').resolve()}"


def at_rest_key() -> AtRestKey:
    secret = os.environ.get("PIAOJUE_SECRET_KEY")
    if secret:
        if len(secret) < 16:
            raise InvalidInput("PIAOJUE_SECRET_KEY must have at least 16 characters")
        return AtRestKey(secret)
    path = INSTANCE / "secret.key"
    if not path.exists():
        INSTANCE.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    return AtRestKey(path.read_text().strip())
