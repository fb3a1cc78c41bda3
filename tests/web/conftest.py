"""The web tests' store: a fresh, migrated SQLite database to fill, then the app over it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy.orm import Session, sessionmaker

from tests.conftest import migrated_sessions
from web import create_app


@pytest.fixture
def sessions(sqlite_url: str) -> Iterator[sessionmaker[Session]]:
    """Sessions on a fresh, migrated SQLite database, for a test to fill."""
    with migrated_sessions(sqlite_url) as factory:
        yield factory


@pytest.fixture
def app(sqlite_url: str) -> Iterator[TestClient]:
    """The app over the same database (request it after filling ``sessions``)."""
    with TestClient(create_app(sqlite_url)) as test_client:
        yield test_client
