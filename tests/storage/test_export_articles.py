"""export_articles: every article once, and the filters of ``wiredupe groups`` on articles."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy.orm import Session, sessionmaker

import storage
from dedupe import CopyChanges
from tests.conftest import migrated_sessions

T0 = datetime(2025, 11, 21, 6, 0, tzinfo=UTC)
FETCHED = T0 + timedelta(days=1)
HOUR = timedelta(hours=1)
HOSTILE = "<img src=x onerror=alert(1)>"
FORMULA = '=HYPERLINK("http://evil.example","click")'


def _article(name: str, source: str, published: datetime | None, **extra: Any) -> dict[str, Any]:
    return {
        "url": f"https://{source}.example/{name}",
        "fetched_url": f"https://{source}.example/{name}?utm_source=rss",
        "source": source,
        "title": f"Title {name}",
        "text": f"Text of {name}.",
        "published": published,
        "fetched": FETCHED,
        **extra,
    }


# The stored articles by name; fill_store puts them in groups.
ARTICLES = {
    "afp-origin": _article(
        "afp-origin", "spacewar", T0, title=HOSTILE, agency="AFP", agency_evidence="(AFP)"
    ),
    "afp-copy": _article(
        "afp-copy",
        "southern",
        T0 + timedelta(hours=3),
        title="Foxconn s'associe à OpenAI — 鸿海精密, «IA»",
        author="Zoë Ünal",
        language="fr",
        text="Le texte: café, 東京, emoji 🚀, a\ttab and\na new line.",
    ),
    "afp-undated": _article("afp-undated", "lemonde", None, author=None, language=None),
    "reuters-alone": _article(
        "reuters-alone", "spacewar", T0 - timedelta(days=10), agency="Reuters"
    ),
    "pending": _article("pending", "southern", T0 + timedelta(days=1), title=FORMULA),
}


def copy_changes(origin_id: int) -> dict[str, Any]:
    """A copy's changes as the grouping flow stores them (flows.grouping)."""
    found = CopyChanges(
        headline_changed=True,
        paragraphs_kept=3,
        paragraphs_edited=1,
        paragraphs_cut=2,
        paragraphs_added=1,
        kept_share=0.625,
        words_changed=4,
    )
    return {**found.as_dict(), "summary": found.summary(), "origin_id": origin_id}


def fill_store(sessions: sessionmaker[Session]) -> dict[str, int]:
    """Store :data:`ARTICLES`; return their ids by name.

    One AFP group of three (origin, a copy with changes, an undated copy), a group
    of one whose article credits Reuters (the group has no agency), and an
    article not grouped yet.
    """
    with sessions.begin() as s:
        by_url = storage.insert_articles(s, list(ARTICLES.values()))
        ids = {name: by_url[a["url"]] for name, a in ARTICLES.items()}
        afp, alone = storage.create_groups(s, 2)
        storage.set_groups(
            s,
            {
                ids["afp-origin"]: afp,
                ids["afp-copy"]: afp,
                ids["afp-undated"]: afp,
                ids["reuters-alone"]: alone,
            },
        )
        origin = ids["afp-origin"]
        storage.update_groups(
            s,
            [
                storage.GroupUpdate(
                    afp,
                    origin,
                    {ids["afp-copy"]: 0.61, ids["afp-undated"]: 0.9},
                    "AFP",
                    {origin: None, ids["afp-copy"]: copy_changes(origin)},
                ),
                storage.GroupUpdate(alone, ids["reuters-alone"], {}, None),
            ],
        )
    return ids


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    with migrated_sessions(db_url) as factory:
        yield factory


def test_every_article_once_in_id_order_with_its_group(sessions: sessionmaker[Session]) -> None:
    ids = fill_store(sessions)
    with sessions() as s:
        records = list(storage.export_articles(s))
    assert [r["id"] for r in records] == sorted(ids.values())
    by_id = {r["id"]: r for r in records}
    origin, copy = by_id[ids["afp-origin"]], by_id[ids["afp-copy"]]
    assert origin["title"] == HOSTILE and origin["is_origin"] and origin["changes"] is None
    assert copy["title"] == ARTICLES["afp-copy"]["title"] and not copy["is_origin"]
    assert copy["changes"] == copy_changes(ids["afp-origin"])
    assert copy["agency"] == "AFP" and copy["credited_agency"] is None
    assert by_id[ids["afp-undated"]]["published"] is None
    assert by_id[ids["reuters-alone"]]["agency"] == "Reuters", "the article's own credit"
    assert by_id[ids["pending"]]["group_id"] is None


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({}, ["afp-origin", "afp-copy", "afp-undated", "reuters-alone", "pending"]),
        # An undated article counts at the time it was fetched (T0 + 1 day).
        ({"since": T0 + HOUR}, ["afp-copy", "afp-undated", "pending"]),
        ({"until": T0}, ["afp-origin", "reuters-alone"]),
        ({"since": T0 - HOUR, "until": T0 + 4 * HOUR}, ["afp-origin", "afp-copy"]),
        ({"since": FETCHED, "until": FETCHED}, ["afp-undated", "pending"]),
        ({"source": "southern"}, ["afp-copy", "pending"]),
        ({"source": "' OR 1=1 --"}, []),
        ({"agency": "afp"}, ["afp-origin", "afp-copy", "afp-undated"]),
        ({"agency": "REUTERS"}, ["reuters-alone"]),
        ({"agency": "' OR 1=1 --"}, []),
        ({"min_size": 1}, ["afp-origin", "afp-copy", "afp-undated", "reuters-alone", "pending"]),
        ({"min_size": 2}, ["afp-origin", "afp-copy", "afp-undated"]),
        ({"min_size": 3}, ["afp-origin", "afp-copy", "afp-undated"]),
        ({"min_size": 4}, []),
        ({"source": "spacewar", "min_size": 2}, ["afp-origin"]),
        ({"source": "spacewar", "agency": "reuters", "until": T0}, ["reuters-alone"]),
        # Full text over titles and texts (storage.search): words, phrases, prefixes.
        ({"search": "café"}, ["afp-copy"]),
        ({"search": '"text of" pend*'}, ["pending"]),
        ({"search": "text", "min_size": 2}, ["afp-origin", "afp-undated"]),  # afp-copy: "texte"
        ({"search": "' OR 1=1 --"}, []),
    ],
)  # fmt: skip
def test_filters_narrow_the_export(
    sessions: sessionmaker[Session], filters: dict[str, Any], expected: list[str]
) -> None:
    ids = fill_store(sessions)
    with sessions() as s:
        found = [r["id"] for r in storage.export_articles(s, with_text=False, **filters)]
    names = {i: name for name, i in ids.items()}
    assert [names[i] for i in found] == expected


def test_an_empty_store_exports_nothing(sessions: sessionmaker[Session]) -> None:
    with sessions() as s:
        assert list(storage.export_articles(s, since=T0, min_size=2)) == []
