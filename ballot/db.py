"""Engine, sessions and the declarative base.

SQLite (the default) runs in WAL mode and takes its write lock at BEGIN
(``BEGIN IMMEDIATE``), so two writers queue instead of failing half-way
through a transaction; PostgreSQL serialises board appends with a row lock
(see ballot.services.board). Callers own the transaction: services never
commit.
"""

from __future__ import annotations

import datetime as dt
from typing import Annotated, Any, ClassVar

from sqlalchemy import JSON, DateTime, Engine, String, create_engine, event
from sqlalchemy.orm import DeclarativeBase, Session, mapped_column, sessionmaker

from ballot.errors import InvalidInput

DEFAULT_URL = "sqlite:///instance/piaojue.sqlite"

str_pk = Annotated[str, mapped_column(String(64), primary_key=True)]
hex32 = Annotated[str, mapped_column(String(64))]
"""32 bytes as lowercase hex: points, digests, public keys."""
created_at = Annotated[dt.datetime, mapped_column(DateTime(timezone=True),
                                                  default=lambda: dt.datetime.now(dt.UTC))]


class Base(DeclarativeBase):
    type_annotation_map: ClassVar[dict[Any, Any]] = {dict[str, Any]: JSON, list[Any]: JSON}


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    dbapi_connection.isolation_level = None  # let SQLAlchemy's begin event emit BEGIN
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.execute("PRAGMA synchronous=FULL")
    cursor.close()


def _sqlite_begin_immediate(connection: Any) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_engine(url: str = DEFAULT_URL, **kwargs: Any) -> Engine:
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30, "check_same_thread": False},
                               **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        event.listen(engine, "begin", _sqlite_begin_immediate)
        return engine
    try:
        return create_engine(url, pool_pre_ping=True, **kwargs)
    except ModuleNotFoundError as exc:  # the driver is an extra: pip install 'piaojue[postgresql]'
        raise InvalidInput("the database %(dialect)s needs the Python package %(package)s, "
                           "which is not installed (pip install 'piaojue[postgresql]')",
                           dialect=url.split(":", 1)[0], package=exc.name) from None


def make_sessionmaker(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def is_postgresql(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"
