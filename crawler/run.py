"""How a caller runs one crawl: the child-process command, its environment, its outputs.

Scrapy's reactor cannot restart inside one process, so each crawl of one source
runs in its own child process::

    import os, subprocess
    from crawler import crawl_command, crawl_env, crawl_outputs

    subprocess.run(
        crawl_command(sources_file=Path("sources.toml"), source="spacewar", out_dir=run_dir),
        env=crawl_env(os.environ),
        check=True,
    )
    outputs = crawl_outputs(run_dir, "spacewar")  # .warc, .fetch_log, .stats

The child exits 0 when the crawl ran, even if some pages failed (they are in
the fetch log); it exits non-zero when it could not start (for example an
invalid ``sources.toml``: the error is the last line of its stderr).
"""

from __future__ import annotations

import sys
from collections.abc import Mapping
from pathlib import Path

from crawler.outputs import CrawlOutputs, crawl_outputs

__all__ = ["SETTINGS_MODULE", "CrawlOutputs", "crawl_command", "crawl_env", "crawl_outputs"]

SETTINGS_MODULE = "crawler.settings"


def crawl_command(
    *,
    sources_file: Path,
    source: str,
    out_dir: Path,
    seen_file: Path | None = None,
    settings: Mapping[str, str] | None = None,
    cache_dir: Path | None = None,
) -> list[str]:
    """Return the argv that crawls one source with the ``wire`` spider.

    Args:
        sources_file: the ``sources.toml`` holding the source.
        source: the source's name.
        out_dir: where the WARC, fetch log and statistics go (created if missing).
        seen_file: a file of URLs already stored, one per line, not fetched again.
        settings: Scrapy settings to override, passed as ``-s KEY=VALUE``.
        cache_dir: a folder kept from night to night (created if missing): feeds and
            sitemaps are cached there and asked for conditionally the next time
            (``HTTPCACHE_ENABLED``, ``HTTPCACHE_DIR``); ``None`` for no cache.
            Pass the same folder for every crawl of a source; ``settings`` win.

    Returns:
        ``[sys.executable, "-m", "scrapy", "crawl", "wire", "-a", ..., "-s", ...]``,
        to run with :func:`crawl_env`.
    """
    argv = [
        sys.executable,
        "-m",
        "scrapy",
        "crawl",
        "wire",
        "-a",
        f"sources_file={sources_file}",
        "-a",
        f"source={source}",
        "-a",
        f"out_dir={out_dir}",
    ]
    if seen_file is not None:
        argv += ["-a", f"seen_file={seen_file}"]
    overrides: dict[str, str] = {}
    if cache_dir is not None:
        overrides |= {
            "HTTPCACHE_ENABLED": "True",
            "HTTPCACHE_DIR": str(Path(cache_dir).resolve()),
            "HTTPCACHE_POLICY": "scrapy.extensions.httpcache.RFC2616Policy",
        }
    for key, value in (overrides | dict(settings or {})).items():
        argv += ["-s", f"{key}={value}"]
    return argv


def crawl_env(base_env: Mapping[str, str]) -> dict[str, str]:
    """Return ``base_env`` plus what the crawl child process needs.

    Args:
        base_env: the environment to start from, usually ``os.environ``.

    Returns:
        A copy with ``SCRAPY_SETTINGS_MODULE=crawler.settings``.
    """
    return {**base_env, "SCRAPY_SETTINGS_MODULE": SETTINGS_MODULE}
