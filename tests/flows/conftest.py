"""Fixtures of the flow tests: stores as a night or an ingest uses them, and their checks."""

from __future__ import annotations

from collections.abc import Callable
from itertools import count
from pathlib import Path

import pytest
from sqlalchemy import func, select

import storage
from dedupe import DedupeConfig
from flows.grouping import open_index
from storage.models import Article, ArticleSignature, StoryGroup
from tests.conftest import migrated_sessions

# A store: a database URL and the index URL that goes with it.
Store = tuple[str, str]


@pytest.fixture(
    params=[
        "sqlite-memory",
        pytest.param("postgresql-redis", marks=[pytest.mark.postgres, pytest.mark.redis]),
    ]
)
def new_store(request: pytest.FixtureRequest, tmp_path: Path) -> Callable[[], Store]:
    """Make fresh stores: a SQLite file with the memory index, or PostgreSQL with Redis."""
    if request.param == "sqlite-memory":
        numbers = count()
        return lambda: (f"sqlite:///{tmp_path / f'store-{next(numbers)}.db'}", "memory")
    new_db = request.getfixturevalue("new_postgres_url")
    new_index = request.getfixturevalue("new_redis_url")
    return lambda: (new_db(), new_index())


def partition(db: str) -> set[frozenset[str]]:
    """The stored articles' URLs, grouped as their story groups group them."""
    groups: dict[int | None, set[str]] = {}
    with migrated_sessions(db) as sessions, sessions() as s:
        for record in storage.export_articles(s, with_text=False):
            groups.setdefault(record["group_id"], set()).add(record["url"])
    return {frozenset(urls) for urls in groups.values()}


def check_groups(db: str) -> set[int]:
    """Each group's record is true to its members, nothing half-written; return the grouped ids."""
    with migrated_sessions(db) as sessions, sessions() as s:
        members: dict[int | None, set[int]] = {}
        query = select(Article.id, Article.group_id).where(Article.group_id.is_not(None))
        for article_id, group_id in s.execute(query):
            members.setdefault(group_id, set()).add(article_id)
        signed = set(s.scalars(select(ArticleSignature.article_id)))
        groups = s.execute(
            select(
                StoryGroup.id, StoryGroup.size, StoryGroup.merged_into, StoryGroup.origin_article_id
            )
        ).all()
    grouped = {a for held in members.values() for a in held}
    # A batch stores its groups and its signatures in one transaction.
    assert signed == grouped, (
        f"{len(grouped - signed)} articles grouped but not signed, "
        f"{len(signed - grouped)} signed but not grouped: a batch was half-written"
    )
    for group_id, size, merged_into, origin in groups:
        held = members.get(group_id, set())
        assert size == len(held), f"group {group_id} says {size} articles, holds {len(held)}"
        assert not (held and merged_into), f"group {group_id} was merged away but holds articles"
        assert origin in held or not held, f"group {group_id}'s origin {origin} is not a member"
    return grouped


def check_consistent(store: Store, urls: set[str]) -> None:
    """Each URL stored once, each article grouped, the groups and the index true to them."""
    db, lsh = store
    with migrated_sessions(db) as sessions, sessions() as s:
        stored = s.execute(select(func.count(), func.count(Article.url.distinct()))).one()
        assert tuple(stored) == (len(urls), len(urls)), "an article was stored twice, or lost"
        assert set(s.scalars(select(Article.url))) == urls
        ungrouped = s.scalar(select(func.count()).where(Article.group_id.is_(None)))
    assert ungrouped == 0, f"{ungrouped} articles were left without a group"
    grouped = check_groups(db)
    if lsh != "memory":
        with open_index(DedupeConfig(), lsh) as index:
            assert index.keys() == grouped, "the Redis index does not hold the grouped articles"
