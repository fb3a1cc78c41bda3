"""The write path's bulk statements: many rows per statement, same rows as one by one."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

import storage
from storage.models import Article, StoryGroup
from storage.queries import _clean

T0 = datetime(2025, 11, 21, 6, 0, tzinfo=UTC)


def _row(i: int, **extra: object) -> dict[str, object]:
    return {
        "url": f"https://news.example/{i}",
        "fetched_url": f"https://news.example/{i}",
        "source": "example",
        "title": f"Title {i}",
        "text": f"Text of article {i}.",
        "published": T0 + timedelta(minutes=i),
        "fetched": T0 + timedelta(days=1),
        **extra,
    }


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = storage.make_engine(db_url)
    storage.upgrade(engine)
    yield storage.make_session_factory(engine)
    engine.dispose()


def test_a_large_insert_returns_each_new_url_with_its_own_id(
    sessions: sessionmaker[Session],
) -> None:
    # More rows than one multi-row INSERT holds, some stored before, one twice.
    with sessions.begin() as s:
        before = storage.insert_articles(s, [_row(i) for i in range(0, 2600, 7)])
    rows = [_row(i) for i in range(2600)] + [_row(5, title="second copy")]
    with sessions.begin() as s:
        new = storage.insert_articles(s, rows)
    assert set(new) == {f"https://news.example/{i}" for i in range(2600) if i % 7}
    assert not set(new) & set(before)
    with sessions() as s:
        stored = {url: i for url, i in s.execute(select(Article.url, Article.id))}
        titles = {url: t for url, t in s.execute(select(Article.url, Article.title))}
    assert len(stored) == 2600
    assert all(stored[url] == article_id for url, article_id in new.items())
    assert titles["https://news.example/5"] == "Title 5"  # the first copy is kept


def test_created_groups_are_empty_and_come_in_creation_order(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        assert storage.create_groups(s, 0) == []
        first = storage.create_groups(s, 3)
        second = storage.create_groups(s, 1500)
    assert first == sorted(first) and second == sorted(second)
    assert len(set(first + second)) == 1503 and max(first) < min(second)
    with sessions() as s:
        groups = s.scalars(select(StoryGroup).order_by(StoryGroup.id)).all()
    assert [g.id for g in groups] == first + second
    assert {(g.size, g.title, g.origin_article_id, g.merged_into) for g in groups} == {
        (0, None, None, None)
    }
    assert all(g.created_at == g.updated_at for g in groups)


def test_similarities_and_changes_are_set_per_article(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ids = list(storage.insert_articles(s, [_row(i) for i in range(4)]).values())
        (gid,) = storage.create_groups(s, 1)
        storage.set_groups(s, dict.fromkeys(ids, gid))
        storage.update_groups(
            s,
            [
                storage.GroupUpdate(
                    gid,
                    ids[0],
                    # ids[1]: both columns; ids[2]: similarity only; ids[3]: changes only.
                    {ids[1]: 0.75, ids[2]: 0.5},
                    None,
                    {
                        ids[0]: None,
                        ids[1]: {"summary": "one word", "origin_id": ids[0]},
                        ids[3]: {},
                    },
                )
            ],
        )
    with sessions() as s:
        found = {
            a.id: (a.similarity, a.changes) for a in s.scalars(select(Article).order_by(Article.id))
        }
        group = storage.get_group(s, gid)
    assert found == {
        ids[0]: (None, None),
        ids[1]: (0.75, {"summary": "one word", "origin_id": ids[0]}),
        ids[2]: (0.5, None),
        ids[3]: (None, {}),
    }
    assert group["size"] == 4 and group["title"] == "Title 0"


def test_cleaning_matches_the_pattern_it_replaces() -> None:
    pattern = re.compile("[\x00\ud800-\udfff]")
    samples = [
        "",
        "plain ascii",
        "nul\x00inside\x00",
        "\x00",
        "caf\u00e9 \u201cquoted\u201d",
        "caf\u00e9\x00",
        "lone \ud800 surrogate",
        "\udfff\x00\u00e9",
        "astral \U0001f600 ok",
    ]
    for sample in samples:
        assert _clean(sample) == pattern.sub("", sample), repr(sample)
    unchanged = "no change \u00e9"
    assert _clean(unchanged) is unchanged


def test_sqlite_syncs_its_log_at_checkpoints(sqlite_url: str) -> None:
    engine = storage.make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    engine.dispose()
