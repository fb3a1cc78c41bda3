"""What an article costs in PostgreSQL and in the Redis LSH index (for sizing, issue 8).

Two stores are filled by ``wiredupe ingest`` from the scale corpus of
``benchmarks/syndication.py`` (as ``benchmarks/throughput.py`` writes it):
``--small`` and ``--large`` articles, each into a new PostgreSQL database with
a Redis index under a basename of its own. Then, for each store: the bytes of
every table with its indexes and TOAST (``pg_total_relation_size``), and the
Redis memory of the index's keys (``MEMORY USAGE`` of each key, sampled by
Redis as it does), divided by the articles stored. The baseline is the small
store: the difference between the two, per article added, is the marginal
cost that a sizing table multiplies, free of each store's fixed part.

Needs PostgreSQL and Redis; both databases and the index are removed afterwards.

Run from the repository root::

    .venv/bin/python benchmarks/footprint.py [--small 2000] [--large 20000]
        [--postgres postgresql://postgres@127.0.0.1:5432/test]
        [--redis redis://127.0.0.1:6379/1]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import uuid
from datetime import UTC, datetime
from pathlib import Path

import redis
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from benchmarks.throughput import WIREDUPE, write_corpus  # noqa: E402

START = datetime(2026, 10, 1, tzinfo=UTC)


def _database(admin_url: str, name: str, create: bool) -> None:
    admin = create_engine(
        make_url(admin_url).set(drivername="postgresql+psycopg"), isolation_level="AUTOCOMMIT"
    )
    with admin.connect() as conn:
        if create:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        else:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
    admin.dispose()


def _table_bytes(url: str) -> dict[str, int]:
    """Bytes of each table of ours, with its indexes and TOAST."""
    engine = create_engine(make_url(url).set(drivername="postgresql+psycopg"))
    with engine.connect() as conn:
        rows = conn.execute(
            text(
                "SELECT relname, pg_total_relation_size(c.oid) FROM pg_class c "
                "JOIN pg_namespace n ON n.oid = c.relnamespace "
                "WHERE n.nspname = 'public' AND c.relkind = 'r'"
            )
        ).all()
        articles = conn.execute(text("SELECT count(*) FROM articles")).scalar_one()
    engine.dispose()
    return {**{name: int(size) for name, size in rows}, "_articles": int(articles)}


def _redis_bytes(url: str, basename: str) -> tuple[int, int]:
    """Bytes of the index's keys (``MEMORY USAGE``), and how many keys."""
    client = redis.Redis.from_url(url)
    total = keys = 0
    for key in client.scan_iter(match=f"{basename}*", count=10_000):
        total += int(client.memory_usage(key, samples=0) or 0)
        keys += 1
    client.close()
    return total, keys


def _drop_keys(url: str, basename: str) -> None:
    client = redis.Redis.from_url(url)
    for key in client.scan_iter(match=f"{basename}*", count=10_000):
        client.unlink(key)
    client.close()


def measure(n: int, folder: Path, postgres: str, redis_url: str) -> dict[str, int]:
    """Ingest ``n`` articles into a new database and index; return their footprint."""
    name = f"wiredupe_footprint_{uuid.uuid4().hex[:8]}"
    basename = f"wiredupe-footprint-{uuid.uuid4().hex[:8]}"
    corpus = folder / f"corpus-{n}.jsonl"
    write_corpus(corpus, n, seed=1, start=START, days=30)
    _database(postgres, name, create=True)
    db = make_url(postgres).set(database=name).render_as_string(hide_password=False)
    try:
        subprocess.run(
            [
                WIREDUPE,
                "ingest",
                str(corpus),
                "--db",
                db,
                "--lsh",
                f"{redis_url}?basename={basename}",
            ],
            check=True,
            capture_output=True,
        )
        sizes = _table_bytes(db)
        sizes["_redis"], sizes["_redis_keys"] = _redis_bytes(redis_url, basename)
        return sizes
    finally:
        _drop_keys(redis_url, basename)
        _database(postgres, name, create=False)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=2_000)
    parser.add_argument("--large", type=int, default=20_000)
    parser.add_argument("--postgres", default="postgresql://postgres@127.0.0.1:5432/test")
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/1")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wiredupe-footprint-") as tmp:
        small = measure(args.small, Path(tmp), args.postgres, args.redis)
        large = measure(args.large, Path(tmp), args.postgres, args.redis)
    added = large["_articles"] - small["_articles"]
    print(
        f"bytes per article added between {small['_articles']:,} and {large['_articles']:,} "
        f"stored articles (baseline: the {small['_articles']:,}-article store)"
    )
    tables = sorted(k for k in large if not k.startswith("_"))
    db_total = sum(large[t] - small.get(t, 0) for t in tables)
    for t in tables:
        per = (large[t] - small.get(t, 0)) / added
        if per >= 1:
            print(f"  PostgreSQL {t:<20} {per:10,.0f} B  (total {large[t] / 1e6:8.1f} MB)")
    print(f"  PostgreSQL, all tables    {db_total / added:10,.0f} B")
    redis_per = (large["_redis"] - small["_redis"]) / added
    print(
        f"  Redis LSH index           {redis_per:10,.0f} B  "
        f"(total {large['_redis'] / 1e6:.1f} MB in {large['_redis_keys']:,} keys)"
    )


if __name__ == "__main__":
    main()
