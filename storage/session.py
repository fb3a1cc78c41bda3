"""Engines, sessions and schema migrations (Alembic)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError
from sqlalchemy.orm import Session, sessionmaker

from storage.errors import DatabaseUnavailable
from storage.locks import schema_lock

__all__ = [
    "DEFAULT_URL",
    "absolute_url",
    "alembic_config",
    "make_engine",
    "make_session_factory",
    "upgrade",
    "url_password",
]

DEFAULT_URL = "sqlite:///wiredupe.db"
_MIGRATIONS = Path(__file__).with_name("migrations")


def _normalize_url(url: str) -> str:
    """Map ``postgresql://`` and ``postgres://`` to the psycopg 3 driver."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def absolute_url(url: str) -> str:
    """``url`` with a relative SQLite file made absolute (from the current folder).

    A URL for another process that may start elsewhere (a worker's flow run starts
    in a folder of its own). Other URLs are returned as they are.

    Raises:
        DatabaseUnavailable: the URL is malformed.
    """
    try:
        parsed = make_url(url)
    except ArgumentError as exc:
        raise DatabaseUnavailable(url, f"not a valid database URL ({exc})") from exc
    if parsed.get_backend_name() != "sqlite" or parsed.database in (None, "", ":memory:"):
        return url
    return parsed.set(database=str(Path(parsed.database).resolve())).render_as_string(
        hide_password=False
    )


def url_password(url: str) -> str | None:
    """The password in a database URL, or None (to keep it out of what others see).

    Raises:
        DatabaseUnavailable: the URL is malformed.
    """
    try:
        password = make_url(url).password
    except ArgumentError as exc:
        raise DatabaseUnavailable(url, f"not a valid database URL ({exc})") from exc
    return None if password is None else str(password)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    # WAL lets the API read while a night writes; busy_timeout waits out short locks.
    cursor.execute("PRAGMA journal_mode=WAL")
    # In WAL mode, NORMAL syncs the log at checkpoints instead of at every commit
    # (one fsync less per commit, about 3 ms on the benchmark machine's disk; an
    # ingest commits every 500 articles). The database stays consistent whatever
    # happens; what it gives up is the last transactions committed before a power
    # cut or an OS crash (not a crash of wiredupe), which are then rolled back.
    # Every write of a night or an ingest is redone by running it again (articles
    # are stored once per URL, ungrouped articles are placed by the next pass); a
    # person's correction made just before a power cut would have to be made again.
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


def make_engine(url: str) -> Engine:
    """Create an engine for ``url`` and check that the database answers.

    Args:
        url: a SQLAlchemy URL; ``postgresql://`` uses psycopg 3.

    Raises:
        DatabaseUnavailable: the URL is malformed or the database cannot be reached.
    """
    try:
        parsed = make_url(_normalize_url(url))
        if parsed.get_backend_name() == "sqlite" and parsed.database not in (None, "", ":memory:"):
            folder = Path(parsed.database).parent
            if not folder.is_dir():
                raise DatabaseUnavailable(url, f"folder {folder} does not exist")
        engine = create_engine(parsed, pool_pre_ping=True)
    except (ArgumentError, NoSuchModuleError, ValueError) as exc:
        raise DatabaseUnavailable(url, f"not a valid database URL ({exc})") from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    try:
        with engine.connect() as conn:
            conn.execute(text("SELECT 1"))
    except OperationalError as exc:
        engine.dispose()
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig else str(exc)
        raise DatabaseUnavailable(url, reason) from exc
    return engine


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Return a session factory; callers own their transactions (``with f.begin()``)."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config(engine: Engine) -> Config:
    """Return an Alembic configuration bound to ``engine``'s connection."""
    cfg = Config()
    cfg.set_main_option("script_location", str(_MIGRATIONS))
    cfg.attributes["engine"] = engine
    return cfg


def upgrade(engine: Engine) -> None:
    """Bring the schema to the newest migration (idempotent).

    Under the database's schema lock: of processes that start on a new database
    at once, one creates the tables and the others find them made.
    """
    with schema_lock(engine):
        command.upgrade(alembic_config(engine), "head")
