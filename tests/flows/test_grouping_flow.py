"""Story groups over nights: corrections respected, changes explained, both index backends.

Each night is a real ``ingest_files`` into a real database (SQLite, and PostgreSQL
where CI provides it); the Redis backend runs against the real Redis.
"""

from __future__ import annotations

import json
import os
import random
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

import storage
from dedupe import DedupeConfig
from flows.errors import CorrectionError
from flows.grouping import merge_groups, move_articles, open_index, split_group
from flows.ingest import ingest_files
from flows.stages import open_store
from tests.conftest import seed_texts

CFG = DedupeConfig()
REDIS_URL = os.environ.get("WIREDUPE_TEST_REDIS_URL")


def _edited(text: str, seed: int) -> str:
    """A copy as another outlet runs it: a few words dropped, the last paragraph cut."""
    rng = random.Random(seed)
    paragraphs = [p for p in text.splitlines() if p.strip()][:-1]
    return "\n".join(" ".join(w for w in p.split(" ") if rng.random() > 0.03) for p in paragraphs)


def _night(
    tmp_path: Path,
    db: str,
    articles: list[dict[str, str]],
    lsh: str = "memory",
    config: DedupeConfig = CFG,
) -> None:
    path = tmp_path / f"night-{uuid.uuid4().hex[:8]}.jsonl"
    path.write_text("\n".join(json.dumps(a) for a in articles) + "\n", encoding="utf-8")
    errors: list[object] = []
    ingest_files([path], db_url=db, dedupe=config, on_error=errors.append, index_url=lsh)
    assert errors == []


def _article(name: str, text: str, hour: int, day: int = 21) -> dict[str, str]:
    return {
        "url": f"https://{name}.example/story",
        "source": name,
        "title": f"{name} headline",
        "published": f"2025-11-{day:02d}T{hour:02d}:00:00Z",
        "text": text,
    }


@pytest.fixture
def sessions(db_url: str) -> Iterator[sessionmaker[Session]]:
    with open_store(db_url) as made:
        yield made


def _groups(sessions: sessionmaker[Session]) -> dict[str, int | None]:
    with sessions() as s:
        return {r["source"]: r["group_id"] for r in storage.export_articles(s, with_text=False)}


def _ids(sessions: sessionmaker[Session]) -> dict[str, int]:
    with sessions() as s:
        return {r["source"]: r["id"] for r in storage.export_articles(s, with_text=False)}


def test_a_split_is_respected_by_later_nights(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session]
) -> None:
    seeds = seed_texts()
    _night(tmp_path, db_url, [_article("wire", seeds["004"], 6), _article("copy", seeds["000"], 9)])
    groups = _groups(sessions)
    assert groups["wire"] == groups["copy"]
    # A person decides the copy is another story.
    new = split_group(sessions, groups["wire"], [_ids(sessions)["copy"]], CFG, "not the same")
    assert _groups(sessions) == {"wire": groups["wire"], "copy": new}
    # Night 2: a third copy matches both; it joins one, and the two stay apart.
    _night(tmp_path, db_url, [_article("third", _edited(seeds["004"], 1), 8, day=22)])
    after = _groups(sessions)
    assert after["wire"] == groups["wire"] and after["copy"] == new
    assert after["third"] in (groups["wire"], new)
    with sessions() as s:
        assert storage.kept_apart(s) == [tuple(sorted((groups["wire"], new)))]
        assert storage.get_group(s, new)["articles"][0]["source"] == "copy"
    with pytest.raises(CorrectionError, match="at least one article"):
        split_group(sessions, new, [_ids(sessions)["copy"]], CFG)


def test_moves_and_merges_are_respected_by_later_nights(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session]
) -> None:
    seeds = seed_texts()
    _night(tmp_path, db_url, [_article("a", seeds["001"], 6), _article("b", seeds["002"], 7)])
    groups = _groups(sessions)
    assert groups["a"] != groups["b"]
    # A person merges b's group into a's: a's id stays, b's id leads there.
    merge_groups(sessions, groups["a"], [groups["b"]], CFG)
    assert set(_groups(sessions).values()) == {groups["a"]}
    # Night 2: a copy of b's story joins the merged group, not a new one.
    _night(tmp_path, db_url, [_article("b2", _edited(seeds["002"], 2), 9, day=22)])
    assert _groups(sessions)["b2"] == groups["a"]
    with sessions() as s:
        record = storage.get_group(s, groups["b"])
    assert record["id"] == groups["a"] and record["merged_from"] == [groups["b"]]
    # A person moves b2 out again, into a fresh group made by a split of c's story.
    _night(tmp_path, db_url, [_article("c", seeds["003"], 10, day=22)])
    target = _groups(sessions)["c"]
    assert target is not None
    assert move_articles(sessions, [_ids(sessions)["b2"]], target, CFG) == [groups["a"]]
    # Night 3: another copy of b's story matches b2 (in c's group) and b (in a's):
    # the person's move keeps the two groups apart.
    _night(tmp_path, db_url, [_article("b3", _edited(seeds["002"], 3), 11, day=23)])
    final = _groups(sessions)
    assert final["b2"] == target and final["b"] == groups["a"]
    assert final["b3"] in (target, groups["a"])
    with pytest.raises(CorrectionError, match="merged into group"):
        merge_groups(sessions, groups["b"], [target], CFG)


def test_a_split_outlives_a_later_merge_of_its_group(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session]
) -> None:
    seeds = seed_texts()
    _night(
        tmp_path,
        db_url,
        [
            _article("wire", seeds["004"], 6),
            _article("copy", seeds["000"], 9),
            _article("rewrite", seeds["001"], 7),
        ],
    )
    groups = _groups(sessions)
    split = split_group(sessions, groups["wire"], [_ids(sessions)["copy"]], CFG)
    # The split-off copy's group is then merged into the rewrite's group.
    merge_groups(sessions, groups["rewrite"], [split], CFG)
    with sessions() as s:
        assert storage.kept_apart(s) == [tuple(sorted((groups["wire"], groups["rewrite"])))]
    # A new copy of the dispatch matches wire and copy: the two groups stay apart.
    _night(tmp_path, db_url, [_article("third", _edited(seeds["004"], 1), 8, day=22)])
    after = _groups(sessions)
    assert after["wire"] != after["copy"] == after["rewrite"] == groups["rewrite"]


def test_a_moved_copy_is_explained_against_its_new_origin_and_empty_groups_hide(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session]
) -> None:
    seeds = seed_texts()
    night = [_article("wire", seeds["004"], 6), _article("other", seeds["002"], 7)]
    _night(tmp_path, db_url, night)
    groups, ids = _groups(sessions), _ids(sessions)
    move_articles(sessions, [ids["other"]], groups["wire"], CFG)
    with sessions() as s:
        records = {r["source"]: r for r in storage.export_articles(s, with_text=False)}
        listed = [g["id"] for g in storage.list_groups(s)]
        emptied = storage.get_group(s, groups["other"])
    assert records["other"]["group_id"] == groups["wire"]
    assert records["other"]["changes"]["origin_id"] == ids["wire"]
    assert records["wire"]["changes"] is None
    assert listed == [groups["wire"]]
    assert emptied["size"] == 0 and emptied["articles"] == [] and emptied["origin"] is None


def test_a_night_in_many_batches_groups_as_one_batch(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    seeds = seed_texts()
    night = [_article(f"s{n}", seeds[n], int(n) + 6) for n in sorted(seeds)]
    night += [_article(f"e{i}", _edited(seeds["004"], i), 12 + i) for i in range(3)]
    one = f"sqlite:///{tmp_path / 'one.db'}"
    _night(tmp_path, one, night)
    monkeypatch.setattr("flows.grouping.BATCH", 2)
    many = f"sqlite:///{tmp_path / 'many.db'}"
    _night(tmp_path, many, night)
    with open_store(one) as a, open_store(many) as b:
        assert _groups(a) == _groups(b)
        assert len(set(_groups(a).values())) == 4  # the dispatch, and the three rewrites


def test_each_copy_says_what_it_changed(
    tmp_path: Path, db_url: str, sessions: sessionmaker[Session]
) -> None:
    seeds = seed_texts()
    origin = seeds["004"]
    paragraphs = [p for p in origin.splitlines() if p.strip()]
    cut = "PARIS (AFP) - " + "\n".join(paragraphs[: len(paragraphs) // 2]) + "\nADVERTISEMENT"
    _night(tmp_path, db_url, [_article("wire", origin, 6), _article("cut", cut, 9)])
    with sessions() as s:
        records = {r["source"]: r for r in storage.export_articles(s, with_text=False)}
        group = storage.get_group(s, records["wire"]["group_id"])
    assert records["wire"]["is_origin"] and records["wire"]["changes"] is None
    changes = records["cut"]["changes"]
    assert changes["headline_changed"] is True
    assert changes["paragraphs_cut"] >= len(paragraphs) // 2 - 1
    assert changes["paragraphs_added"] == 0  # dateline and advertisement are not the outlet's
    assert 0.3 < changes["kept_share"] < 0.7
    assert "new headline" in changes["summary"] and "cut" in changes["summary"]
    assert [a["changes"] for a in group["articles"] if a["source"] == "cut"] == [changes]


@pytest.mark.skipif(not REDIS_URL, reason="Redis tests need WIREDUPE_TEST_REDIS_URL (CI sets it)")
def test_the_redis_index_gives_the_same_groups_and_ages_out(tmp_path: Path) -> None:
    seeds = seed_texts()
    nights = [
        [_article("wire", seeds["004"], 6, day=1), _article("rewrite", seeds["001"], 7, day=1)],
        [_article("copy", seeds["000"], 6, day=3), _article("other", seeds["002"], 7, day=3)],
        # Forty days on: the first nights' articles have left the 30-day window.
        [{**_article("late", _edited(seeds["004"], 5), 6), "published": "2025-12-11T06:00:00Z"}],
    ]
    basename = f"wiredupe-test-{uuid.uuid4().hex[:8]}"
    redis = f"{REDIS_URL}?basename={basename}"
    partitions = []
    try:
        for lsh in ("memory", redis):
            db = f"sqlite:///{tmp_path / (lsh[:5] + '.db')}"
            for night in nights:
                _night(tmp_path, db, night, lsh)
            with open_store(db) as sessions:
                groups = _groups(sessions)
                ids = _ids(sessions)
            partitions.append(groups)
        memory, with_redis = partitions
        assert memory["wire"] == memory["copy"] != memory["rewrite"]
        # The late copy is outside the window of the first ones: a group of its own.
        assert memory["late"] not in (memory["wire"], memory["rewrite"], memory["other"])

        def shape(groups: dict[str, int | None]) -> set[frozenset[str]]:
            by: dict[int | None, set[str]] = {}
            for name, g in groups.items():
                by.setdefault(g, set()).add(name)
            return {frozenset(v) for v in by.values()}

        assert shape(memory) == shape(with_redis)
        # The Redis index kept between nights now holds only the window of the last night.
        with open_index(CFG, redis) as index:
            assert index.persistent and index.keys() == {ids["late"]}
    finally:
        _drop_redis_keys(basename)


def _drop_redis_keys(prefix: str) -> None:
    import redis as redis_client

    assert REDIS_URL is not None
    client = redis_client.Redis.from_url(REDIS_URL)
    for key in client.scan_iter(match=f"{prefix}*"):
        client.delete(key)
    client.close()


@pytest.mark.skipif(not REDIS_URL, reason="Redis tests need WIREDUPE_TEST_REDIS_URL (CI sets it)")
def test_the_redis_index_is_rebuilt_from_the_database_when_short_or_stale(tmp_path: Path) -> None:
    seeds = seed_texts()
    basename = f"wiredupe-test-{uuid.uuid4().hex[:8]}"
    redis = f"{REDIS_URL}?basename={basename}"
    other = DedupeConfig(shingle_size=4)
    try:
        results = []
        for lsh in ("memory", redis):
            db = f"sqlite:///{tmp_path / (lsh[:5] + '-rebuilt.db')}"
            _night(tmp_path, db, [_article("wire", seeds["004"], 6, day=1)], lsh)
            if lsh != "memory":
                # A crash between a commit and the index update, or a flushed Redis.
                with open_index(CFG, lsh) as index:
                    index.remove_many(index.keys())
            _night(tmp_path, db, [_article("copy", seeds["000"], 6, day=3)], lsh)
            # New settings: stored signatures are re-signed, the index replaced.
            night3 = [_article("third", _edited(seeds["004"], 4), 6, day=4)]
            _night(tmp_path, db, night3, lsh, config=other)
            with open_store(db) as sessions:
                results.append(_groups(sessions))
                ids = _ids(sessions)
            if lsh != "memory":
                with open_index(other, lsh) as index:
                    assert index.keys() == set(ids.values())
        memory, with_redis = results
        assert memory["wire"] == memory["copy"] == memory["third"]
        assert with_redis["wire"] == with_redis["copy"] == with_redis["third"]
    finally:
        _drop_redis_keys(basename)
