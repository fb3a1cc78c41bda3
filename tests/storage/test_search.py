"""Full-text search: the same answers on SQLite (FTS5) and PostgreSQL (tsvector)."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from alembic import command
from sqlalchemy import delete, update
from sqlalchemy.orm import Session, sessionmaker

import storage
from storage.models import Article
from storage.search import Term, parse_query
from storage.session import alembic_config

T0 = datetime(2025, 11, 21, 6, 0, tzinfo=UTC)
TEXTS = {
    "foxconn": ("Foxconn and OpenAI", "Hon Hai, known as Foxconn, will build servers with OpenAI."),
    "hai-hon": ("Markets", "The word order is hai then hon, and state-run banks bought."),
    "cafe": ("Paris", "A café in Paris reopened; the State Run club met there."),
    "briefs": ("Briefs", "Short items: weather, sport, markets."),
}


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    engine = storage.make_engine(db_url)
    storage.upgrade(engine)
    factory = storage.make_session_factory(engine)
    rows = [
        {
            "url": f"https://news.example/{key}",
            "fetched_url": f"https://news.example/{key}",
            "source": "example",
            "title": title,
            "text": text,
            "published": T0,
            "fetched": T0,
        }
        for key, (title, text) in TEXTS.items()
    ]
    with factory.begin() as s:
        storage.insert_articles(s, rows)
    yield factory
    engine.dispose()


def _found(sessions: sessionmaker[Session], query: str) -> set[str]:
    with sessions() as s:
        return {a["url"].rsplit("/", 1)[1] for a in storage.search_articles(s, query)}


@pytest.mark.parametrize(
    ("query", "expected"),
    [
        ("foxconn openai", {"foxconn"}),  # every word, anywhere in title or text
        ("FOXCONN", {"foxconn"}),  # case folded
        ("hon hai", {"foxconn", "hai-hon"}),  # words, in any order
        ('"hon hai"', {"foxconn"}),  # a phrase: in this order, side by side
        ("foxc*", {"foxconn"}),  # a prefix
        ("mark*", {"hai-hon", "briefs"}),  # a prefix, in a title or a text
        ("state-run", {"hai-hon", "cafe"}),  # a hyphenated word is its words in order
        ("café", {"cafe"}),
        ("cafe", set()),  # accents are kept
        ("paris -weather", set()),  # "-" is no operator: "weather" is required too
    ],
)
def test_words_phrases_and_prefixes_mean_the_same_on_both_databases(
    sessions: sessionmaker[Session], query: str, expected: set[str]
) -> None:
    assert _found(sessions, query) == expected


@pytest.mark.parametrize(
    "hostile",
    ['"', "*", "NEAR(foxconn openai)", "title:foxconn", "foxconn OR 1=1 --", "'; DROP TABLE x"],
)
def test_query_syntax_is_never_the_databases(sessions: sessionmaker[Session], hostile: str) -> None:
    # Operators, column filters and quotes are words like any other (or nothing):
    # no error, no injection, and here no article has all their words.
    assert _found(sessions, hostile) == set()


def test_the_index_follows_inserts_updates_and_deletes(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        s.execute(
            update(Article)
            .where(Article.url == "https://news.example/briefs")
            .values(text="Typhoon warning for the coast.")
        )
        # The grouping's own updates leave the indexed words alone.
        s.execute(update(Article).values(similarity=0.5))
    assert _found(sessions, "typhoon") == {"briefs"} and _found(sessions, "weather") == set()
    with sessions.begin() as s:
        s.execute(delete(Article).where(Article.url == "https://news.example/foxconn"))
    assert _found(sessions, "openai") == set()
    assert _found(sessions, '"hon hai"') == set()


def test_search_survives_migrations(sessions: sessionmaker[Session]) -> None:
    engine = sessions.kw["bind"]
    command.downgrade(alembic_config(engine), "0006")
    command.upgrade(alembic_config(engine), "head")
    assert _found(sessions, '"hon hai"') == {"foxconn"}, "the index is rebuilt from the rows"
    with sessions.begin() as s:
        storage.insert_articles(
            s,
            [
                {
                    "url": "https://news.example/late",
                    "fetched_url": "https://news.example/late",
                    "source": "example",
                    "title": "Late",
                    "text": "Foxconn again.",
                    "fetched": T0,
                }
            ],
        )
    assert _found(sessions, "foxconn again") == {"late"}, "the triggers are back"


def test_queries_are_parsed_into_words() -> None:
    assert parse_query('"Hon Hai" foxc* state_run "open') == [
        Term(("hon", "hai")),
        Term(("foxc",), prefix=True),
        Term(("state", "run")),
        Term(("open",)),
    ]
    assert parse_query('%" * -- ()') == []
