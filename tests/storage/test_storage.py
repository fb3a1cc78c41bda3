from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy.orm import Session, sessionmaker

import storage
from storage.models import Base
from storage.session import alembic_config

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
    engine = storage.make_engine(db_url)
    storage.upgrade(engine)
    yield storage.make_session_factory(engine)
    engine.dispose()


def test_migrations_match_the_models_and_rerun_cleanly(db_url: str) -> None:
    engine = storage.make_engine(db_url)
    storage.upgrade(engine)
    storage.upgrade(engine)  # idempotent
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
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
                storage.GroupUpdate(small, ids[0], {}, None),
                storage.GroupUpdate(big, ids[1], {}, None),
            ],
        )
    with sessions() as s:
        assert [g["id"] for g in storage.list_groups(s)] == [big, small]
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
