"""What a page load and an API query cost on a store of 100,000 articles, against 10,000.

Two SQLite stores are filled by ``wiredupe ingest`` from the scale corpus of
``benchmarks/syndication.py`` (about three copies per story over 30 days, as
``benchmarks/throughput.py`` writes it): ``--small`` and ``--large`` articles.
Then each page and API query is asked of the app (``web.create_app``, through
FastAPI's test client: the app and the database, no network) a few times, and
the median is printed for both stores. The baseline is the same query on the
small store: the ratio says how the cost grows with the store.

Run from the repository root::

    .venv/bin/python benchmarks/queries.py [--small 10000] [--large 100000] [--repeat 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import tempfile
import time
import warnings
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote

from sqlalchemy import func, select

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

import storage  # noqa: E402
from benchmarks.throughput import WIREDUPE, write_corpus  # noqa: E402
from storage.models import Article, StoryGroup  # noqa: E402
from web import create_app  # noqa: E402

START = datetime(2026, 10, 1, tzinfo=UTC)


def fill(folder: Path, n: int) -> str:
    """A store of ``n`` ingested and grouped articles; its URL."""
    corpus = folder / f"corpus-{n}.jsonl"
    write_corpus(corpus, n, seed=1, start=START, days=30)
    url = f"sqlite:///{folder / f'store-{n}.db'}"
    subprocess.run([WIREDUPE, "ingest", str(corpus), "--db", url], check=True, capture_output=True)
    corpus.unlink()
    return url


def queries(url: str) -> dict[str, str]:
    """The paths to time on the store at ``url``, with values taken from the store."""
    engine = storage.make_engine(url)
    with storage.make_session_factory(engine)() as s:
        source = s.scalars(
            select(Article.source).group_by(Article.source).order_by(func.count().desc())
        ).first()
        agency = s.scalars(
            select(StoryGroup.agency)
            .where(StoryGroup.agency.is_not(None))
            .group_by(StoryGroup.agency)
            .order_by(func.count().desc())
        ).first()
        group = s.scalars(select(StoryGroup.id).order_by(StoryGroup.size.desc())).first()
        article = s.scalars(select(Article.url).order_by(Article.id.desc())).first()
    engine.dispose()
    return {
        "API: groups, first page": "/api/groups",
        "API: groups of 3 or more": "/api/groups?min_size=3",
        "API: groups, page 20": "/api/groups?offset=1000&limit=50",
        "API: groups of one source": f"/api/groups?source={source}",
        "API: groups of one agency": f"/api/groups?agency={agency}",
        "API: groups of one week": "/api/groups?since=2026-10-10&until=2026-10-17",
        "API: groups, search a word": "/api/groups?search=minister",
        "API: groups, search a phrase": '/api/groups?search="prime minister"',
        "API: groups, search two words and a prefix": "/api/groups?search=police+said+minist*",
        "API: articles, search a word": "/api/search?q=minister",
        "API: one group": f"/api/groups/{group}",
        "API: one article by its URL": f"/api/articles?url={quote(article or '', safe='')}",
        "API: sources": "/api/sources",
        "API: runs": "/api/runs",
        "page: group list": "/",
        "page: group list, filtered": f"/?agency={agency}&min_size=2",
        "page: group list, searched": "/?search=minister",
        "page: one group": f"/groups/{group}",
        "page: sources": "/sources",
    }


def time_all(url: str, paths: dict[str, str], repeat: int) -> dict[str, float]:
    """The median milliseconds of each path (after one request to warm up)."""
    # FastAPI's test client warns that it prefers httpx2; plain httpx works the same.
    warnings.filterwarnings("ignore", message="Using `httpx` with `starlette.testclient`")
    from fastapi.testclient import TestClient

    medians = {}
    with TestClient(create_app(url)) as client:
        for name, path in paths.items():
            assert client.get(path).status_code == 200, path
            times = []
            for _ in range(repeat):
                start = time.perf_counter()
                client.get(path)
                times.append((time.perf_counter() - start) * 1000)
            medians[name] = statistics.median(times)
    return medians


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--small", type=int, default=10_000)
    parser.add_argument("--large", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=5)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="wiredupe-queries-") as tmp:
        folder = Path(tmp)
        stores = {n: fill(folder, n) for n in (args.small, args.large)}
        timed = {n: time_all(url, queries(url), args.repeat) for n, url in stores.items()}
    small, large = timed[args.small], timed[args.large]
    print(
        f"median of {args.repeat} requests, ms: a store of {args.large:,} articles "
        f"(baseline: {args.small:,}); the app and SQLite in one process, no network"
    )
    width = max(map(len, large))
    for name in large:
        print(
            f"{name:<{width}}  {large[name]:8.1f} ms  (baseline {small[name]:7.1f} ms, "
            f"{large[name] / small[name]:5.1f}x)"
        )


if __name__ == "__main__":
    main()
