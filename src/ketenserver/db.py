"""The database: one declarative base, engine creation and the session factory.

SQLite by default (a file in the data directory), any SQLAlchemy URL by setting; PostgreSQL is
exercised by the test suite whenever ``KETENSERVER_TEST_DATABASE_URL`` is set. The schema is
owned by Alembic (``ketenserver db upgrade``); see :mod:`ketenserver.migrate`.
"""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable
from contextlib import AbstractContextManager
from typing import Any

from sqlalchemy import MetaData, event
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.orm import DeclarativeBase, Session, sessionmaker
from sqlalchemy.pool import StaticPool

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    metadata = MetaData(naming_convention=NAMING_CONVENTION)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    # WAL lets readers run beside the one writer; several server processes share the file.
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")  # durable across process crashes; WAL-safe
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.close()


def make_engine(url: str, **kwargs: Any) -> Engine:
    from sqlalchemy import create_engine

    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite":
        if parsed.database in (None, "", ":memory:"):
            # One shared connection: every new connection to ":memory:" would be a new, empty database.
            kwargs.setdefault("poolclass", StaticPool)
        engine = create_engine(url, connect_args={"check_same_thread": False, "timeout": 10.0},
                               hide_parameters=True, **kwargs)
        event.listen(engine, "connect", _sqlite_pragmas)
        return engine
    # hide_parameters: a database error in the log never quotes values (names, search words, ...).
    return create_engine(url, pool_pre_ping=True, pool_size=10, max_overflow=20, hide_parameters=True, **kwargs)


def write_serialiser(engine: Engine) -> Callable[[], AbstractContextManager[object]]:
    """What a writer holds around a write transaction.

    SQLite allows one writer at a time and makes the others sleep and retry in steps of
    milliseconds (its busy handler), which under concurrent requests costs far more than the
    writes themselves; threads of one process queue on a lock instead. Server databases
    (PostgreSQL) handle concurrent writers themselves and need nothing.
    """
    if engine.dialect.name == "sqlite":
        lock = threading.Lock()
        return lambda: lock
    return contextlib.nullcontext


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)
