"""Fixtures for the crawler tests: the fixture web, a sources.toml for it, and real crawls.

The crawls run the real child process (``python -m scrapy crawl wire ...``) the
way the orchestrator does, in parallel, once per session. The trap site
(``delta``) is crawled on two "nights" sharing one HTTP cache folder, the second
with a seen file of the first night's articles, as the orchestrator runs it.
"""

from __future__ import annotations

import json
import os
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from crawler_harness import Crawl, read_warc

from crawler import CrawlOutputs, crawl_command, crawl_env, crawl_outputs
from demo.server import DemoWeb, serve_web

FIXTURE_WEB = Path(__file__).parents[1] / "fixtures" / "crawl_web"

# Politeness off for a local test web: the suite must stay fast.
FAST = {
    "AUTOTHROTTLE_START_DELAY": "0",
    "AUTOTHROTTLE_MAX_DELAY": "0.1",
    "DOWNLOAD_DELAY": "0",
    "CONCURRENT_REQUESTS_PER_DOMAIN": "8",
    "DOWNLOAD_TIMEOUT": "10",
}
# The trap crawls: limits small enough for the traps to trip them quickly.
TRAP_LIMITS = {
    **FAST,
    "DOWNLOAD_TIMEOUT": "1.5",  # delta-slow.html answers after 3 s
    "DOWNLOAD_MAXSIZE": "100000",  # delta-huge.html is padded to 300,000 bytes
    "DOWNLOAD_WARNSIZE": "0",
    "REDIRECT_MAX_TIMES": "3",  # delta-moved takes 3 hops, delta-relay 4
    "RETRY_TIMES": "2",
    "RETRY_BACKOFF_BASE": "0.2",  # retries wait 0.2 s, then 0.4 s
    "RETRY_BACKOFF_MAX": "1",
}
CRAWL_TIMEOUT_S = 120


@dataclass(frozen=True, kw_only=True)
class TrapNights:
    """Two nights of the trap site, and the paced site crawled beside the first.

    Attributes:
        night1: the first crawl of ``delta`` (empty cache, no seen file).
        night2: the second crawl of ``delta`` (same cache, seen file of night 1's articles).
        epsilon: the crawl of the site whose robots.txt asks for a Crawl-delay.
        night2_started: when night 2 started, on the ``time.monotonic()`` clock of the
            web's hits.
        seen: the URLs of night 2's seen file.
    """

    night1: Crawl
    night2: Crawl
    epsilon: Crawl
    night2_started: float
    seen: tuple[str, ...]


@pytest.fixture(scope="session")
def crawl_web() -> Iterator[DemoWeb]:
    with serve_web(root=FIXTURE_WEB) as web:
        yield web


@pytest.fixture(scope="session")
def sources_file(crawl_web: DemoWeb, tmp_path_factory: pytest.TempPathFactory) -> Path:
    a, b, g, d, e = (
        crawl_web.bases[site] for site in ("alpha", "beta", "gamma", "delta", "epsilon")
    )
    path = tmp_path_factory.mktemp("sources") / "sources.toml"
    path.write_text(
        f"""
[crawl]
concurrency = 4   # the application's table: not the crawler's concern

[[sources]]
name = "alpha"
feeds = ["{a}/rss.xml", "{a}/broken.xml"]

[[sources]]
name = "beta"
feeds = ["{b}/atom.xml"]
sitemaps = ["{b}/sitemap_index.xml"]
pages = ["{b}/latest/"]

[[sources]]
name = "gamma"
pages = ["{g}/world/"]
allow = ['/\\d{{4}}/\\d{{2}}/']
deny = ['/video/']

[[sources]]
name = "delta"
feeds = ["{d}/rss.xml", "{d}/rdf.xml", "{d}/hostile-lol.xml", "{d}/hostile-xxe.xml"]
sitemaps = ["{d}/sitemap.xml"]
pages = ["{d}/latest/"]

[[sources]]
name = "epsilon"
feeds = ["{e}/rss.xml"]

[[sources]]
name = "gamma-capped"
pages = ["{g}/world/"]
allow = ['/\\d{{4}}/\\d{{2}}/']
max_articles = 1
""",
        encoding="utf-8",
    )
    return path


@pytest.fixture(scope="session")
def crawls(
    crawl_web: DemoWeb, sources_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, Crawl]:
    """Run every test crawl in parallel; key = run name."""
    seen_file = tmp_path_factory.mktemp("seen") / "seen.txt"
    seen_file.write_text(
        "# articles stored by an earlier run\n"
        + crawl_web.url("alpha", "/news/2025/11/alpha-deal.html?utm_campaign=x")
        + "\n\n",
        encoding="utf-8",
    )
    runs = {
        "alpha": ("alpha", None),
        "alpha-seen": ("alpha", seen_file),
        "beta": ("beta", None),
        "gamma": ("gamma", None),
        "gamma-capped": ("gamma-capped", None),
    }
    started = [
        _start(tmp_path_factory, name, sources_file, source, seen=seen)
        for name, (source, seen) in runs.items()
    ]
    return {run.name: _finish(run) for run in started}


@pytest.fixture(scope="session")
def trap_nights(
    crawl_web: DemoWeb, sources_file: Path, tmp_path_factory: pytest.TempPathFactory
) -> TrapNights:
    """Crawl ``delta`` twice with one cache folder (and ``epsilon`` beside the first night)."""
    cache_dir = tmp_path_factory.mktemp("http-cache")
    epsilon = _start(tmp_path_factory, "epsilon", sources_file, "epsilon", settings=TRAP_LIMITS)
    night1 = _finish(
        _start(
            tmp_path_factory,
            "delta-1",
            sources_file,
            "delta",
            cache_dir=cache_dir,
            settings=TRAP_LIMITS,
        )
    )
    # What the orchestrator writes from storage: where each fetched article was stored.
    seen = tuple(
        str(line["final_url"] or line["url"])
        for line in night1.log
        if line["kind"] == "article" and line["outcome"] == "fetched"
    )
    seen_file = tmp_path_factory.mktemp("delta-seen") / "seen.txt"
    seen_file.write_text("\n".join(seen) + "\n", encoding="utf-8")
    night2_started = time.monotonic()
    night2 = _finish(
        _start(
            tmp_path_factory,
            "delta-2",
            sources_file,
            "delta",
            seen=seen_file,
            cache_dir=cache_dir,
            settings=TRAP_LIMITS,
        )
    )
    return TrapNights(
        night1=night1,
        night2=night2,
        epsilon=_finish(epsilon),
        night2_started=night2_started,
        seen=seen,
    )


@dataclass(frozen=True, kw_only=True)
class _Running:
    """A crawl child process that was started, and the files it writes."""

    name: str
    process: subprocess.Popen[str]
    outputs: CrawlOutputs


def _start(
    tmp_path_factory: pytest.TempPathFactory,
    name: str,
    sources_file: Path,
    source: str,
    *,
    seen: Path | None = None,
    cache_dir: Path | None = None,
    settings: dict[str, str] = FAST,
) -> _Running:
    """Start the run ``name``: a crawl of ``source`` into a fresh folder named after it."""
    out_dir = tmp_path_factory.mktemp(name) / "out"
    argv = crawl_command(
        sources_file=sources_file,
        source=source,
        out_dir=out_dir,
        seen_file=seen,
        settings=settings,
        cache_dir=cache_dir,
    )
    process = subprocess.Popen(
        argv,
        env=crawl_env(os.environ),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return _Running(name=name, process=process, outputs=crawl_outputs(out_dir, source))


def _finish(run: _Running) -> Crawl:
    """Wait for a started crawl and read its outputs back."""
    _, stderr = run.process.communicate(timeout=CRAWL_TIMEOUT_S)
    outputs = run.outputs
    crawl = Crawl(name=run.name, returncode=run.process.returncode, stderr=stderr, outputs=outputs)
    if outputs.warc.exists():
        crawl.responses = read_warc(outputs.warc)
    if outputs.fetch_log.exists():
        text = outputs.fetch_log.read_text(encoding="utf-8")
        crawl.log = [json.loads(line) for line in text.splitlines()]
    if outputs.stats.exists():
        crawl.stats = json.loads(outputs.stats.read_text(encoding="utf-8"))
    return crawl
