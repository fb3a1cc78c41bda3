from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

import storage
from storage.models import Article, Base, StoryGroup
from storage.queries import _UNSTORABLE, _clean
from storage.search import include_name
from storage.session import alembic_config
from tests.conftest import migrated_sessions

T0 = datetime(2025, 11, 21, 6, 0, tzinfo=UTC)


def _row(i: int, **extra: object) -> dict[str, object]:
    return {
        "url": f"https://news.example/{i}",
        "fetched_url": f"https://news.example/{i}?utm_source=rss",
        "source": "example" if i % 2 else "other",
        "title": f"Title {i}",
        "text": f"Text of article {i}.",
        "published": T0 + timedelta(hours=i),
        "fetched": T0 + timedelta(days=1),
        **extra,
    }


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    with migrated_sessions(db_url) as factory:
        yield factory


def test_processes_starting_on_a_new_database_at_once_all_find_the_schema(db_url: str) -> None:
    # Every command migrates the database it opens; several starting together on a
    # new one must not each create the tables (one would fail: "already exists").
    code = "import storage, sys; storage.upgrade(storage.make_engine(sys.argv[1]))"
    starts = [
        subprocess.Popen([sys.executable, "-c", code, db_url], stderr=subprocess.PIPE, text=True)
        for _ in range(4)
    ]
    errors = [p.communicate(timeout=120)[1] for p in starts]
    assert [p.returncode for p in starts] == [0, 0, 0, 0], errors
    engine = storage.make_engine(db_url)
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        assert compare_metadata(context, Base.metadata) == []
    engine.dispose()


def test_migrations_match_the_models_and_rerun_cleanly(db_url: str) -> None:
    engine = storage.make_engine(db_url)
    storage.upgrade(engine)
    storage.upgrade(engine)  # idempotent
    with engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"include_name": include_name})
        diff = compare_metadata(context, Base.metadata)
    assert diff == [], f"models and migrations differ; add an Alembic revision: {diff}"
    command.downgrade(alembic_config(engine), "base")
    storage.upgrade(engine)
    engine.dispose()


def test_each_url_is_stored_once(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        first = storage.insert_articles(s, [_row(1), _row(2)])
    with sessions.begin() as s:
        second = storage.insert_articles(s, [_row(2), _row(3)])
    assert sorted(first) == ["https://news.example/1", "https://news.example/2"]
    assert list(second) == ["https://news.example/3"]
    with sessions() as s:
        assert storage.count_articles(s) == 3
        assert sorted(storage.stored_urls(s))[0] == "https://news.example/1"


def test_seen_set_is_one_sources_recent_pages(sessions: sessionmaker[Session]) -> None:
    old = {"fetched": T0 - timedelta(days=100)}
    with sessions.begin() as s:
        storage.insert_articles(
            s,
            [
                _row(1, requested_url="https://news.example/old-slug-1"),
                _row(3, **old),
                _row(2),  # source "other"
            ],
        )
        storage.record_rejections(
            s,
            None,
            [
                {
                    "url": "https://news.example/gallery",
                    "source": "example",
                    "reason": "x",
                    "lasting": True,
                },
                {"url": "https://news.example/busy", "source": "example", "reason": "HTTP 503"},
            ],
        )
    with sessions() as s:
        recent = set(storage.stored_urls(s, source="example", since=T0))
        everything = set(storage.stored_urls(s))
    assert recent == {
        "https://news.example/1",
        "https://news.example/1?utm_source=rss",
        "https://news.example/old-slug-1",
        "https://news.example/gallery",
    }
    assert "https://news.example/3" in everything
    assert "https://news.example/2" in everything


def test_timestamps_come_back_aware_utc(sessions: sessionmaker[Session]) -> None:
    paris = T0.astimezone(ZoneInfo("Europe/Paris"))
    with sessions.begin() as s:
        storage.insert_articles(s, [_row(1, published=paris)])
    with sessions() as s:
        (record,) = storage.export_articles(s)
    assert record["published"] == "2025-11-21T06:00:00+00:00"


def test_groups_keep_their_ids_and_derive_their_fields(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ids = storage.insert_articles(s, [_row(1, agency="AFP"), _row(2), _row(3)])
        (gid,) = storage.create_groups(s, 1)
        storage.set_groups(
            s, {ids["https://news.example/1"]: gid, ids["https://news.example/2"]: gid}
        )
        storage.update_groups(
            s,
            [
                storage.GroupUpdate(
                    gid, ids["https://news.example/1"], {ids["https://news.example/2"]: 0.61}, "AFP"
                )
            ],
        )
    with sessions() as s:
        group = storage.get_group(s, gid)
        assert [p.id for p in storage.pending_articles(s)] == [ids["https://news.example/3"]]
    assert group["id"] == gid and group["size"] == 2 and group["agency"] == "AFP"
    assert group["title"] == "Title 1"
    assert group["origin"] == {"url": "https://news.example/1", "source": "example"}
    assert group["first_published"] == "2025-11-21T07:00:00+00:00"
    assert group["last_published"] == "2025-11-21T08:00:00+00:00"
    assert group["sources"] == ["example", "other"]
    assert [a["is_origin"] for a in group["articles"]] == [True, False]
    assert group["articles"][1]["similarity"] == pytest.approx(0.61)
    assert "text" not in group["articles"][0]


def test_list_groups_filters_orders_and_binds_search(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ids = list(storage.insert_articles(s, [_row(i) for i in range(1, 6)]).values())
        small, big = storage.create_groups(s, 2)
        storage.set_groups(s, {ids[0]: small, ids[1]: big, ids[2]: big, ids[3]: big})
        storage.update_groups(
            s,
            [
                storage.GroupUpdate(small, ids[0], {}, "AFP"),
                storage.GroupUpdate(big, ids[1], {}, None),
            ],
        )
    with sessions() as s:
        assert [g["id"] for g in storage.list_groups(s)] == [big, small]
        # small: article 1 (source example) at T0+1h; big: 2-4 (other, example, other) T0+2h-4h.

        def ids_of(**filters: Any) -> list[int]:
            return [g["id"] for g in storage.list_groups(s, **filters)]

        assert ids_of(until=T0 + timedelta(hours=1, minutes=30)) == [small]
        in_period = {"since": T0 + timedelta(minutes=90), "until": T0 + timedelta(minutes=150)}
        assert ids_of(**in_period) == [big], "a group that ran within the period"
        assert ids_of(source="other") == [big]
        assert ids_of(source="example") == [big, small]
        assert ids_of(source="' OR 1=1 --") == []
        assert ids_of(agency="afp") == [small], "an agency matches whatever its case"
        assert [g["id"] for g in storage.list_groups(s, min_size=2)] == [big]
        assert [g["id"] for g in storage.list_groups(s, search="article 1.")] == [small]
        assert storage.list_groups(s, search="%' OR 1=1 --") == []
        assert storage.list_groups(s, search="%") == []
        late = T0 + timedelta(hours=3, minutes=30)
        assert [g["id"] for g in storage.list_groups(s, since=late)] == [big]
        assert [g["id"] for g in storage.list_groups(s, limit=1, offset=1)] == [small]
        with pytest.raises(storage.UnknownGroup, match="no story group with id 999"):
            storage.get_group(s, 999)


def test_window_signatures_and_runs(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ids = list(storage.insert_articles(s, [_row(1), _row(2)]).values())
        (gid,) = storage.create_groups(s, 1)
        storage.set_groups(s, {ids[0]: gid, ids[1]: gid})
        storage.add_signatures(
            s,
            [
                {
                    "article_id": ids[0],
                    "signature": b"\x01" * 8,
                    "shingles": 5,
                    "words": 7,
                    "window_at": T0,
                    "scheme": "v2",
                },
                {
                    "article_id": ids[1],
                    "signature": b"\x02" * 8,
                    "shingles": 5,
                    "words": 7,
                    "window_at": T0 + timedelta(days=40),
                    "scheme": "v1",
                },
            ],
        )
        run_id = storage.start_run(s, "ingest")
        storage.record_rejections(
            s, run_id, [{"url": "https://x/", "source": "x", "reason": "no text"}]
        )
    with sessions.begin() as s:
        storage.finish_run(s, run_id, "completed", {"files": 1})
    with sessions() as s:
        window = list(storage.window_signatures(s, T0 + timedelta(days=10)))
        everything = storage.window_ids(s, T0 - timedelta(days=1), "v2")
        stale = storage.stale_signature_ids(s, T0 - timedelta(days=1), "v2")
        by_id = storage.signatures_by_id(s, [ids[0]])
        runs = storage.list_runs(s)
    assert [w.article_id for w in window] == [ids[1]]
    assert window[0].signature == b"\x02" * 8 and window[0].group_id == gid
    assert window[0].window_at == T0 + timedelta(days=40)
    # Only signatures made under the asked scheme make up the index; others are stale.
    assert everything == {ids[0]: T0} and stale == [ids[1]]
    assert [(r.article_id, r.signature, r.scheme) for r in by_id] == [(ids[0], b"\x01" * 8, "v2")]
    assert runs[0]["status"] == "completed" and runs[0]["stats"] == {"files": 1}
    with sessions.begin() as s:  # re-signing replaces the stored signature
        storage.add_signatures(
            s,
            [
                {
                    "article_id": ids[1],
                    "signature": b"\x03" * 8,
                    "shingles": 6,
                    "words": 8,
                    "window_at": T0 + timedelta(days=40),
                    "scheme": "v2",
                }
            ],
        )
    with sessions() as s:
        (row,) = storage.signatures_by_id(s, [ids[1]])
    assert (row.signature, row.shingles, row.scheme) == (b"\x03" * 8, 6, "v2")


def test_merges_and_corrections(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        ids = list(storage.insert_articles(s, [_row(1), _row(2), _row(3), _row(4)]).values())
        a, b, c, d = storage.create_groups(s, 4)
        storage.set_groups(s, {ids[0]: a, ids[1]: b, ids[2]: c, ids[3]: d})
        storage.record_correction(s, "split", a, b, [ids[1]], "not the same story")
        storage.record_correction(s, "move", c, d, [ids[3]])
        storage.record_correction(s, "merge", d, c, [ids[2]])  # lifts the move's pair
        storage.merge_groups(s, [(b, d)])
        storage.merge_groups(s, [(d, c)])  # b was merged into d: it now leads to c
    with sessions() as s:
        assert storage.article_groups(s, ids) == {ids[0]: a, ids[1]: c, ids[2]: c, ids[3]: c}
        assert storage.resolve_group(s, b) == c and storage.resolve_group(s, c) == c
        record = storage.get_group(s, b)
        assert record["id"] == c and record["merged_from"] == [b, d]
        # The split still keeps a apart from where b's article went.
        assert storage.kept_apart(s) == [(a, c)]
        with pytest.raises(storage.UnknownGroup):
            storage.resolve_group(s, 999)


def test_unreachable_database_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(storage.DatabaseUnavailable, match="does not exist"):
        storage.make_engine(f"sqlite:///{tmp_path}/missing/dir/x.db")
    with pytest.raises(storage.DatabaseUnavailable, match="not a valid database URL"):
        storage.make_engine("nosuchdb://x")
    with pytest.raises(storage.DatabaseUnavailable, match=r"\*\*\*"):
        storage.make_engine("postgresql://u:secret@127.0.0.1:1/db")


def test_boilerplate_blocks_are_kept_per_source(sessions: sessionmaker[Session]) -> None:
    with sessions.begin() as s:
        assert storage.add_boilerplate(s, {"a": {"k1", "k2"}, "b": {"k1"}}) == 3
    with sessions.begin() as s:
        storage.add_boilerplate(s, {"a": {"k2", "k3"}})  # k2 again: ignored
    with sessions() as s:
        assert storage.boilerplate(s, ["a", "b", "c"]) == {
            "a": {"k1", "k2", "k3"},
            "b": {"k1"},
            "c": set(),
        }


def test_unstorable_characters_are_removed_on_both_databases(
    sessions: sessionmaker[Session],
) -> None:
    row = _row(1, text="Before\x00after \ud800end.", title="Nul\x00title", language="en" * 20)
    with sessions.begin() as s:
        storage.insert_articles(s, [row])
        storage.record_rejections(
            s, None, [{"url": "https://x/" + "y" * 3000, "source": "s\x00", "reason": "r\x00"}]
        )
    with sessions() as s:
        (record,) = storage.export_articles(s)
    assert record["text"] == "Beforeafter end." and record["title"] == "Nultitle"
    assert record["language"] == ("en" * 20)[: storage.models.LANGUAGE_LENGTH]


# The write path's bulk statements: many rows per statement, same rows as one by one.


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
        assert _clean(sample) == _UNSTORABLE.sub("", sample), repr(sample)
    unchanged = "no change \u00e9"
    assert _clean(unchanged) is unchanged


def test_sqlite_syncs_its_log_at_checkpoints(sqlite_url: str) -> None:
    engine = storage.make_engine(sqlite_url)
    with engine.connect() as conn:
        assert conn.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert conn.execute(text("PRAGMA synchronous")).scalar() == 1  # NORMAL
    engine.dispose()


def test_a_nights_groups_and_counts_per_source(sessions: sessionmaker[Session]) -> None:
    """What run 2 opened and grew, per source (sources: odd ids "example", even "other")."""

    def group(s: Session, urls: list[int], origin: int) -> int:
        (gid,) = storage.create_groups(s, 1)
        storage.set_groups(s, {ids[f"https://news.example/{i}"]: gid for i in urls})
        origin_id = ids[f"https://news.example/{origin}"]
        storage.update_groups(s, [storage.GroupUpdate(gid, origin_id, {}, None)])
        return gid

    with sessions.begin() as s:
        first = storage.start_run(s, "run")
        ids = storage.insert_articles(s, [_row(i, run_id=first) for i in (1, 2)])
        old = group(s, [1, 2], origin=1)
    with sessions.begin() as s:
        second = storage.start_run(s, "run")
    with sessions.begin() as s:
        ids |= storage.insert_articles(s, [_row(i, run_id=second) for i in (3, 4, 5, 6, 7)])
        storage.set_groups(s, {ids["https://news.example/3"]: old})  # a copy of run 1's story
        storage.update_groups(
            s, [storage.GroupUpdate(old, ids["https://news.example/1"], {}, None)]
        )
        big = group(s, [4, 5, 6], origin=5)
        lone = group(s, [7], origin=7)
    with sessions() as s:
        counts = storage.night_group_counts(s, second)
        night = storage.night_groups(s, second)
        before = storage.night_group_counts(s, first)
    assert counts == {
        "example": {"new_groups": 2, "new_copies": 1},  # opened big (5) and lone (7); 3 joined old
    }
    assert before == {"example": {"new_groups": 1, "new_copies": 0}}
    # The lone article's group is no story group yet: not among the new ones.
    assert [(g["id"], g["size"], g["outlets"], g["added"]) for g in night["new"]] == [
        (big, 3, 2, 3)
    ]
    assert lone not in {g["id"] for g in night["growing"]}
    assert [(g["id"], g["size"], g["added"]) for g in night["growing"]] == [(old, 3, 1)]
    assert night["new"][0]["origin"] == {"url": "https://news.example/5", "source": "example"}


def test_source_stats_keep_each_sources_latest_nightly_runs(
    sessions: sessionmaker[Session],
) -> None:
    with sessions.begin() as s:
        storage.insert_articles(s, [_row(1), _row(3)])  # two articles of "example"
        for kind, status, stats in (
            ("run", "completed", {"by_source": [{"source": "example", "stored": 1}]}),
            ("run", "completed", {"by_source": [{"source": "example", "stored": 2}]}),
            ("ingest", "completed", {"by_source": [{"source": "example", "stored": 99}]}),
            ("run", "failed", {"error": "no source could be crawled"}),
            ("run", "completed", {"by_source": [{"source": "example", "stored": 3}]}),
        ):
            run_id = storage.start_run(s, kind)
            storage.finish_run(s, run_id, status, stats)
    with sessions() as s:
        stats = storage.source_stats(s, per_source=2)
        runs = storage.list_runs(s, kind="run")
    assert [(r["stored"], r["total"]) for r in stats["example"]] == [(3, 2), (2, 2)]
    newest = runs[0]["id"]
    earlier = storage.records_by_source(runs, before=newest)
    assert [r["stored"] for r in earlier["example"]] == [2, 1], "tonight is not its own past"
