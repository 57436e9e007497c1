"""What every command group needs: a database session, JSON files, clear errors."""

from __future__ import annotations

import contextlib
import functools
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import click
from sqlalchemy.exc import OperationalError, ProgrammingError
from sqlalchemy.orm import Session, sessionmaker

from admin.config import database_url
from ballot.catalog import translator
from ballot.db import make_engine, make_sessionmaker
from ballot.errors import DomainError, ImportErrors, Message, Translate, localize, untranslated
from crypto.canonical import canonical_json, parse_json
from crypto.errors import CryptoError

_sessions: dict[str, sessionmaker[Session]] = {}
@functools.cache
def terminal_language() -> Translate:
    """The catalog for the terminal's language (LANGUAGE, LC_ALL, LC_MESSAGES, LANG, as
    gettext reads them): the CLI says a refusal in the same words as the page does.

    A Chinese locale (``zh_CN.UTF-8``, say) gets the Chinese catalog; anything
    else gets the English message ids as they are.
    """
    for variable in ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG"):
        value = os.environ.get(variable, "")
        if value:
            return translator(value)
    return untranslated


def speak(message: Message | BaseException) -> str:
    """A message or a refusal in the terminal's language."""
    if isinstance(message, Message):
        return message.render(terminal_language())
    return localize(message, terminal_language())


def sessions(url: str | None = None) -> sessionmaker[Session]:
    url = url or database_url()
    if url not in _sessions:
        _sessions[url] = make_sessionmaker(make_engine(url))
    return _sessions[url]


@contextlib.contextmanager
def transaction() -> Iterator[Session]:
    """One transaction; a domain error becomes a clear message and exit status 1."""
    try:
        with sessions().begin() as session:
            yield session
    except ImportErrors as exc:
        for error in exc.errors:
            click.echo(f"✘ {speak(error)}", err=True)
        raise click.ClickException(speak(Message("nothing was imported"))) from None
    except (DomainError, CryptoError) as exc:
        raise click.ClickException(speak(exc)) from None
    except (OperationalError, ProgrammingError) as exc:
        if "no such table" in str(exc) or "does not exist" in str(exc):
            raise click.ClickException(
                "the database has no Piaojue tables yet: run `piaojue db upgrade` first "
                f"({database_url().split('://')[0]} at DATABASE_URL or instance/)") from None
        raise


def read_json(path: Path) -> Any:
    try:
        return parse_json(path.read_bytes())
    except CryptoError as exc:
        raise click.ClickException(f"{path}: {exc}") from None
    except OSError as exc:
        raise click.ClickException(f"{path}: {exc.strerror}") from None


def write_json(path: Path, value: Any) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(canonical_json(value) + b"\n")


def ok(message: str) -> None:
    click.echo(f"✔ {message}")


existing_file = click.Path(exists=True, dir_okay=False, path_type=Path)
output_file = click.Path(dir_okay=False, writable=True, path_type=Path)
