"""Incremental nights: a night's cost follows its new articles, not the store's size.

A generated news web (``--sites`` sites on 127.0.0.1, each with an RSS feed of its
50 latest articles, a plain sitemap of every article with ``<lastmod>``, and a
section page) is crawled by ``wiredupe run`` (real Scrapy child processes,
extraction, storage in SQLite, dedupe, a Prefect server started once):

1. night 1: ``--articles`` articles per site, the store empty: every article is new;
2. night 2: ``--new`` more articles per site: only they are fetched;
3. night 3: as night 2, after ``--store`` older articles (fetched 100 to 1,000
   days ago, grouped, with signatures) were added to the store through the same
   storage and dedupe code;
4. night 4: nothing new (feeds and sitemaps answer ``304``): the fixed part of a
   night.

For each night it prints the wall time of ``wiredupe run`` (which includes a
constant part: Prefect's client, one child process per source), the articles
fetched and stored, the requests the web served, and whether feeds and
sitemaps were answered ``304 Not Modified``. The figures to read are the
ratios: night 2 against night 1 (the baseline: a full crawl of the same web),
and night 3 against night 2 (the same night on a store ``--store`` larger), and each
night above the fixed part.

(Not named ``incremental.py``: run as a script, its folder comes first on the
import path, and Twisted, which Scrapy loads, imports a package of that name.)

Run from the repository root::

    .venv/bin/python benchmarks/nights.py [--sites 3] [--articles 150] [--new 5]
        [--store 20000]
"""

from __future__ import annotations

import argparse
import json
import os
import random
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from html import escape
from pathlib import Path
from typing import Any

from sqlalchemy import text

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
# Read by Prefect at import: a benchmark phones nobody.
os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")

import storage
from dedupe import DedupeConfig
from demo.server import DemoWeb, serve_web
from extract import Article
from flows.grouping import group_new_articles
from flows.stages import open_store, store_extracted

ROOT = Path(__file__).resolve().parents[1]
NOW = datetime.now(UTC).replace(microsecond=0)


def _sentences() -> list[str]:
    """Real news sentences (tests/fixtures/real_pages) to build article texts from."""
    pool: list[str] = []
    truth = ROOT / "tests" / "fixtures" / "real_pages" / "truth.jsonl"
    for line in truth.read_text(encoding="utf-8").splitlines():
        for sentence in json.loads(line)["text"].replace("\n", " ").split(". "):
            if 8 <= len(sentence.split()) <= 40:
                pool.append(sentence.strip().rstrip(".") + ".")
    return pool


SENTENCES = _sentences()


def _paragraphs(rng: random.Random) -> list[str]:
    return [" ".join(rng.sample(SENTENCES, 3)) for _ in range(6)]


def _article_page(site: str, n: int, published: datetime) -> str:
    rng = random.Random(f"{site}-{n}")
    title = escape(rng.choice(SENTENCES)[:90])
    body = "\n".join(f"<p>{escape(p)}</p>" for p in _paragraphs(rng))
    return f"""<!doctype html>
<html lang="en"><head><meta charset="utf-8"><title>{title}</title>
<link rel="canonical" href="__BASE__/news/{n}.html">
<meta property="article:published_time" content="{published.isoformat()}">
</head><body>
<header><nav><a href="/">Home</a> <a href="/news/">News</a>
<a href="/about/">About</a></nav></header>
<main><article><h1>{title}</h1>
<p class="byline">By Staff Writers</p>
{body}
</article>
<aside><h2>Most read</h2><ul><li><a href="/news/1.html">Top story</a></li></ul></aside>
</main>
<footer><p>Copyright {site} Media. All rights reserved.</p></footer>
</body></html>
"""


def write_site(root: Path, site: str, count: int) -> None:
    """Write (or extend to) ``count`` articles, and the feed, sitemap and section page."""
    folder = root / site
    (folder / "news").mkdir(parents=True, exist_ok=True)
    (folder / "robots.txt").write_text("User-agent: *\nAllow: /\n", encoding="utf-8")
    dates = {n: NOW - timedelta(hours=count - n) for n in range(1, count + 1)}
    for n, published in dates.items():
        page = folder / "news" / f"{n}.html"
        if not page.exists():
            page.write_text(_article_page(site, n, published), encoding="utf-8")
    latest = sorted(dates, reverse=True)[:50]
    items = "\n".join(
        f"<item><title>Story {n}</title><link>__BASE__/news/{n}.html</link>"
        f"<pubDate>{dates[n].strftime('%a, %d %b %Y %H:%M:%S +0000')}</pubDate></item>"
        for n in latest
    )
    (folder / "rss.xml").write_text(
        f'<?xml version="1.0"?><rss version="2.0"><channel><title>{site}</title>'
        f"<link>__BASE__/</link>{items}</channel></rss>\n",
        encoding="utf-8",
    )
    urls = "\n".join(
        f"<url><loc>__BASE__/news/{n}.html</loc><lastmod>{dates[n].date().isoformat()}</lastmod></url>"
        for n in sorted(dates)
    )
    (folder / "sitemap.xml").write_text(
        '<?xml version="1.0"?><urlset xmlns="http://www.sitemaps.org/schemas/sitemap/0.9">'
        f"{urls}</urlset>\n",
        encoding="utf-8",
    )
    links = "\n".join(f'<li><a href="/news/{n}.html">Story {n}</a></li>' for n in latest[:20])
    (folder / "news" / "index.html").write_text(
        f"<!doctype html><html><body><header><nav><a href='/'>Home</a></nav></header>"
        f"<main><ul>{links}</ul></main></body></html>\n",
        encoding="utf-8",
    )


def sources_toml(web: DemoWeb, sites: list[str]) -> str:
    """The sources.toml of the generated web."""
    return "\n".join(
        f'[[sources]]\nname = "{site}"\nfeeds = ["{web.url(site, "/rss.xml")}"]\n'
        f'sitemaps = ["{web.url(site, "/sitemap.xml")}"]\npages = ["{web.url(site, "/news/")}"]\n'
        for site in sites
    )


def prefill(db_url: str, sites: list[str], count: int) -> float:
    """Store ``count`` old articles (100 to 1,000 days old) and group them; return seconds."""
    rng = random.Random(7)
    start = time.perf_counter()

    def articles() -> Iterator[Article]:
        for i in range(count):
            site = sites[i % len(sites)]
            when = NOW - timedelta(days=rng.uniform(100, 1000))
            yield Article(
                url=f"https://archive.{site}.example/{i}",
                fetched_url=f"https://archive.{site}.example/{i}",
                source=site,
                title=rng.choice(SENTENCES)[:90],
                author=None,
                published=when,
                fetched=when,
                language="en",
                text="\n".join(_paragraphs(rng)),
            )

    with open_store(db_url) as sessions:
        store_extracted(sessions, articles(), None)
        group_new_articles(sessions, DedupeConfig())
        with sessions() as session:
            # A store at rest: the write-ahead log of the bulk load is not the night's to fold.
            session.execute(text("PRAGMA wal_checkpoint(TRUNCATE)"))
    return time.perf_counter() - start


@contextmanager
def prefect_server() -> Iterator[str]:
    """One Prefect server for all nights (its start-up is not a night's cost)."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())


def night(workdir: Path, sources: Path, db_url: str, api_url: str) -> dict[str, Any]:
    """Run ``wiredupe run`` once; return its wall time and its figures, summed over sources."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WIREDUPE_", "PREFECT_"))}
    env.update(
        WIREDUPE_DATABASE_URL=db_url,
        WIREDUPE_CRAWL_DELAY="0",
        WIREDUPE_ARCHIVE_DIR=str(workdir / "data"),
        PREFECT_API_URL=api_url,
        PREFECT_HOME=str(workdir / "prefect-home"),
        PREFECT_SERVER_ANALYTICS_ENABLED="false",
        PREFECT_LOGGING_LEVEL="WARNING",
    )
    start = time.perf_counter()
    subprocess.run(
        [sys.executable, "-m", "flows", "run", "--sources", str(sources)],
        cwd=workdir,
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    seconds = time.perf_counter() - start
    # The run's per-source figures, as ``wiredupe sources`` reads them (without another
    # child process and its start-up).
    with open_store(db_url) as sessions, sessions() as session:
        (latest,) = storage.list_runs(session, limit=1, kind="run")
    records = latest["stats"]["by_source"]
    total = {
        key: sum(r[key] for r in records)
        for key in ("discovered", "fetched", "not_modified", "stored")
    }
    return {"seconds": seconds, **total}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sites", type=int, default=3)
    parser.add_argument("--articles", type=int, default=150, help="per site, night 1")
    parser.add_argument("--new", type=int, default=5, help="new articles per site, nights 2, 3")
    parser.add_argument(
        "--store", type=int, default=20000, help="old articles added before night 3"
    )
    args = parser.parse_args()
    sites = [f"site{i}" for i in range(1, args.sites + 1)]
    with tempfile.TemporaryDirectory(prefix="wiredupe-incremental-") as tmp:
        workdir = Path(tmp)
        web_root = workdir / "web"
        for site in sites:
            write_site(web_root, site, args.articles)
        db_url = f"sqlite:///{workdir / 'store.db'}"
        with serve_web(root=web_root) as web, prefect_server() as api_url:
            sources = workdir / "sources.toml"
            sources.write_text(sources_toml(web, sites), encoding="utf-8")
            rows = [("night 1: empty store", night(workdir, sources, db_url, api_url))]
            for site in sites:
                write_site(web_root, site, args.articles + args.new)
            rows.append((f"night 2: +{args.new}/site", night(workdir, sources, db_url, api_url)))
            filled = prefill(db_url, sites, args.store)
            for site in sites:
                write_site(web_root, site, args.articles + 2 * args.new)
            label = f"night 3: +{args.new}/site, store +{args.store}"
            rows.append((label, night(workdir, sources, db_url, api_url)))
            # The fixed part of a night: Prefect's client, the child processes, robots.txt.
            rows.append(("night 4: nothing new", night(workdir, sources, db_url, api_url)))
    print(
        f"incremental nights: {args.sites} sites, {args.articles} articles each on night 1, "
        f"{args.new} new per site on nights 2 and 3 (SQLite, 2-core machine)"
    )
    print(f"{'night':38s} {'seconds':>8s} {'found':>6s} {'fetched':>8s} {'304':>4s} {'stored':>7s}")
    for label, r in rows:
        print(
            f"{label:38s} {r['seconds']:8.1f} {r['discovered']:6d} {r['fetched']:8d} "
            f"{r['not_modified']:4d} {r['stored']:7d}"
        )
    n1, n2, n3, n4 = (r["seconds"] for _, r in rows)
    print(f"night 2 / night 1 (baseline: a full crawl of the same web): {n2 / n1:.2f}")
    print(f"night 3 / night 2 (the same night, store +{args.store} articles): {n3 / n2:.2f}")
    print(
        f"above the fixed part (night 4, {n4:.1f} s): night 1 {n1 - n4:.1f} s, "
        f"night 2 {n2 - n4:.1f} s, night 3 {n3 - n4:.1f} s"
    )
    print(f"(adding the {args.store} old articles through storage and dedupe took {filled:.1f} s)")


if __name__ == "__main__":
    main()
