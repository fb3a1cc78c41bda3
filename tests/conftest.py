"""Shared fixtures: fresh databases (SQLite always, PostgreSQL when enabled), Redis, seeds."""

from __future__ import annotations

import os
import subprocess
import sys
import urllib.parse
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from sqlalchemy.orm import Session, sessionmaker

# Before Prefect is imported anywhere: no telemetry from test servers (no network here).
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

FIXTURES = Path(__file__).with_name("fixtures")
SEEDS = FIXTURES / "seeds"

# CI sets these (see .ci/run); elsewhere the PostgreSQL and Redis variants are skipped.
POSTGRES_URL = os.environ.get("WIREDUPE_TEST_POSTGRES_URL")
_NO_POSTGRES = "PostgreSQL tests need WIREDUPE_TEST_POSTGRES_URL (CI sets it in .ci/run)"
REDIS_URL = os.environ.get("WIREDUPE_TEST_REDIS_URL")
_NO_REDIS = (
    "Redis tests need WIREDUPE_TEST_REDIS_URL, e.g. redis://127.0.0.1:6379/0 "
    "(CI sets it in .ci/run)"
)


def child_env(**settings: str) -> dict[str, str]:
    """The environment of a child process: this one's, without WIREDUPE_* and PREFECT_*.

    ``settings`` are added to it; Prefect phones nobody.
    """
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WIREDUPE_", "PREFECT_"))}
    env["PREFECT_SERVER_ANALYTICS_ENABLED"] = "false"
    env.update(settings)
    return env


def run_wiredupe(*args: str, cwd: Path, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run ``wiredupe ARGS`` as a user would, in a child process; it must succeed."""
    proc = subprocess.run(
        [sys.executable, "-m", "flows", *args],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert proc.returncode == 0, f"wiredupe {' '.join(args)} failed:\n{proc.stderr[-3000:]}"
    return proc


def seed_texts() -> dict[str, str]:
    """The five seed reports by number; 004 cut before its sidebar."""
    texts = {p.name[:3]: p.read_text(encoding="utf-8") for p in sorted(SEEDS.glob("*.txt"))}
    head, _, _ = texts["004"].partition("\nTECH SPACE\nNASA")
    texts["004"] = head.split("Space Travel News\nTECH SPACE\n", 1)[1]
    return texts


@contextmanager
def migrated_sessions(url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on the database at ``url``, migrated to the newest schema."""
    import storage

    engine = storage.make_engine(url)
    storage.upgrade(engine)
    try:
        yield storage.make_session_factory(engine)
    finally:
        engine.dispose()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite:///{tmp_path / 'wiredupe.db'}"


@pytest.fixture
def new_postgres_url() -> Iterator[Callable[[], str]]:
    """Make new, empty PostgreSQL databases for one test; all are dropped afterwards."""
    if not POSTGRES_URL:
        pytest.skip(_NO_POSTGRES)
    from sqlalchemy import create_engine, text
    from sqlalchemy.engine import make_url

    admin_url = make_url(POSTGRES_URL).set(drivername="postgresql+psycopg")
    admin = create_engine(admin_url, isolation_level="AUTOCOMMIT")
    names: list[str] = []

    def make() -> str:
        names.append(f"wiredupe_test_{uuid.uuid4().hex[:12]}")
        with admin.connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{names[-1]}"'))
        return admin_url.set(database=names[-1]).render_as_string(hide_password=False)

    try:
        yield make
    finally:
        with admin.connect() as conn:
            for name in names:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


@pytest.fixture
def postgres_url(new_postgres_url: Callable[[], str]) -> str:
    """A new, empty PostgreSQL database for one test, dropped afterwards."""
    return new_postgres_url()


@pytest.fixture(params=["sqlite", pytest.param("postgresql", marks=pytest.mark.postgres)])
def db_url(request: pytest.FixtureRequest) -> str:
    """Each test using it runs on a fresh SQLite file and a fresh PostgreSQL database."""
    name = "sqlite_url" if request.param == "sqlite" else "postgres_url"
    return request.getfixturevalue(name)


def _with_basename(url: str, basename: str) -> str:
    parts = urllib.parse.urlsplit(url)
    query = urllib.parse.urlencode({"basename": basename})
    return urllib.parse.urlunsplit(parts._replace(query=query))


@pytest.fixture
def redis_client() -> Iterator[redis.Redis]:
    """A client of the test Redis (skips the test when there is none)."""
    if not REDIS_URL:
        pytest.skip(_NO_REDIS)
    client = redis.Redis.from_url(REDIS_URL)
    yield client
    client.close()


@pytest.fixture
def new_redis_url(redis_client: redis.Redis) -> Iterator[Callable[[], str]]:
    """Make URLs with a fresh basename each; every key under them is deleted afterwards."""
    assert REDIS_URL
    names: list[str] = []

    def make() -> str:
        names.append(f"wiredupe-test-{uuid.uuid4().hex}")
        return _with_basename(REDIS_URL, names[-1])

    yield make
    for name in names:
        for key in redis_client.scan_iter(match=f"{name}*", count=1000):
            redis_client.delete(key)


@pytest.fixture(scope="session")
def prefect_api_url() -> Iterator[str]:
    """One Prefect server for the whole session (it is slow to start).

    Flows run in the test process report to it; ``PREFECT_API_URL`` is set while it runs.
    """
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        url = PREFECT_API_URL.value()
        assert url, "the Prefect test harness gave no API URL"
        yield url
