"""Fixtures for the crawler tests: the fixture web, a sources.toml for it, and real crawls.

The crawls run the real child process (``python -m scrapy crawl wire ...``) the
way the orchestrator does, all in parallel, once per session.
"""

from __future__ import annotations

import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
from crawler_harness import Crawl, read_warc

from crawler import crawl_command, crawl_env, crawl_outputs
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


@pytest.fixture(scope="session")
def crawl_web() -> Iterator[DemoWeb]:
    with serve_web(root=FIXTURE_WEB) as web:
        yield web


@pytest.fixture(scope="session")
def sources_file(crawl_web: DemoWeb, tmp_path_factory: pytest.TempPathFactory) -> Path:
    a, b, g = (crawl_web.bases[site] for site in ("alpha", "beta", "gamma"))
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
    processes = {}
    for name, (source, seen) in runs.items():
        out_dir = tmp_path_factory.mktemp(name) / "out"
        argv = crawl_command(
            sources_file=sources_file, source=source, out_dir=out_dir, seen_file=seen, settings=FAST
        )
        process = subprocess.Popen(
            argv,
            env=crawl_env(os.environ),
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            text=True,
        )
        processes[name] = (process, crawl_outputs(out_dir, source))
    results: dict[str, Crawl] = {}
    for name, (process, outputs) in processes.items():
        _, stderr = process.communicate(timeout=120)
        crawl = Crawl(name=name, returncode=process.returncode, stderr=stderr, outputs=outputs)
        if outputs.warc.exists():
            crawl.responses = read_warc(outputs.warc)
        if outputs.fetch_log.exists():
            text = outputs.fetch_log.read_text(encoding="utf-8")
            crawl.log = [json.loads(line) for line in text.splitlines()]
        if outputs.stats.exists():
            crawl.stats = json.loads(outputs.stats.read_text(encoding="utf-8"))
        results[name] = crawl
    return results
