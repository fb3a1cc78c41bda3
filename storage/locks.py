"""The grouping lock: one pass at a time changes a database's story groups.

Storing needs no lock (an article is stored once per URL by the database's
unique index), but placing articles in groups reads the groups, decides, and
writes, over many transactions and an index outside the database: two passes
at once would each open a group for one story. The lock is the database's own
where it has one, and always released when its holder dies:

- PostgreSQL: a session-level advisory lock (``pg_advisory_lock``) held by a
  connection of its own; the server releases it when that connection ends,
  however the process ended.
- SQLite: an exclusive ``flock`` on the file ``<database>.grouping-lock`` beside
  the database (never on the database file itself: closing any descriptor of
  that file would drop SQLite's own locks); the kernel releases it when the
  process dies. An in-memory database is one process's own: no lock.

The lock is not re-entrant: a holder that asks for it again waits for itself.
"""

from __future__ import annotations

import fcntl
import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import Connection, Engine, text
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

__all__ = ["GROUPING_LOCK_KEY", "SCHEMA_LOCK_KEY", "grouping_lock", "schema_lock"]

# The advisory locks' keys: "wiredupe" and "wdschema" in ASCII, read as
# big-endian signed 64-bit integers (PostgreSQL's bigint). Advisory locks are per
# database, so a key only has to differ from other programs' keys in the same one.
GROUPING_LOCK_KEY = int.from_bytes(b"wiredupe", "big", signed=True)
SCHEMA_LOCK_KEY = int.from_bytes(b"wdschema", "big", signed=True)
_LOCK_SUFFIX = ".grouping-lock"
_SCHEMA_SUFFIX = ".schema-lock"


@contextmanager
def grouping_lock(
    bind: Engine | sessionmaker[Session], *, on_wait: Callable[[], None] | None = None
) -> Iterator[None]:
    """Hold the database's grouping lock for the block; wait while another process holds it.

    Args:
        bind: the database, as an engine or the session factory made on it.
        on_wait: called once, before waiting, when another process holds the lock.

    Example:
        >>> with grouping_lock(sessions):  # doctest: +SKIP
        ...     place_new_articles(sessions)
    """
    with _held(_engine(bind), GROUPING_LOCK_KEY, _LOCK_SUFFIX, on_wait):
        yield


@contextmanager
def schema_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's schema lock for the block (migrations), as :func:`grouping_lock`.

    Two processes that start on a new database at once would otherwise both
    create its tables, and one would fail. A lock of its own, so that a process
    migrating (a no-op on a current schema) never waits for another's grouping.
    """
    with _held(engine, SCHEMA_LOCK_KEY, _SCHEMA_SUFFIX, None):
        yield


@contextmanager
def _held(
    engine: Engine, key: int, suffix: str, on_wait: Callable[[], None] | None
) -> Iterator[None]:
    """Hold the advisory lock ``key`` (PostgreSQL) or the file lock ``<database><suffix>``."""
    if engine.dialect.name == "postgresql":
        with engine.connect() as conn, _advisory_lock(conn, key, on_wait):
            yield
    elif engine.dialect.name == "sqlite" and engine.url.database not in (None, "", ":memory:"):
        with _file_lock(Path(f"{engine.url.database}{suffix}"), on_wait):
            yield
    else:
        yield


def _engine(bind: Engine | sessionmaker[Session]) -> Engine:
    if isinstance(bind, Engine):
        return bind
    engine = bind.kw.get("bind")
    if not isinstance(engine, Engine):
        raise TypeError("grouping_lock needs an engine, or a session factory bound to one")
    return engine


@contextmanager
def _advisory_lock(
    conn: Connection, lock_key: int, on_wait: Callable[[], None] | None
) -> Iterator[None]:
    key = {"key": lock_key}
    if not conn.scalar(text("SELECT pg_try_advisory_lock(CAST(:key AS bigint))"), key):
        if on_wait is not None:
            on_wait()
        conn.execute(text("SELECT pg_advisory_lock(CAST(:key AS bigint))"), key)
    # The lock belongs to the server session, not to the transaction: end the
    # transaction, so that the connection does not sit "idle in transaction".
    conn.commit()
    try:
        yield
    finally:
        try:
            conn.execute(text("SELECT pg_advisory_unlock(CAST(:key AS bigint))"), key)
            conn.commit()
        except SQLAlchemyError:
            # The connection broke: close it rather than pool it; the server
            # releases the lock of a session that ended.
            conn.invalidate()


@contextmanager
def _file_lock(path: Path, on_wait: Callable[[], None] | None) -> Iterator[None]:
    # The file is left in place: removing it would let two processes lock two files.
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            if on_wait is not None:
                on_wait()
            fcntl.flock(fd, fcntl.LOCK_EX)
        yield
    finally:
        # Closing the only descriptor of the open file releases its flock.
        os.close(fd)
