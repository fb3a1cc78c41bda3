"""wiredupe's crawler: the Scrapy project that fetches news sources into WARC archives.

It owns the ``sources.toml`` schema and loader, the one generic spider
(``wire``), its settings (robots.txt and its ``Crawl-delay``, throttling,
retries with backoff, conditional requests for feeds and sitemaps across
nights), the raw-response archive (WARC) and the per-crawl fetch log. It
imports nothing else of wiredupe: callers run a crawl as a child process
(:func:`crawl_command`, :func:`crawl_env`) and read its outputs
(:func:`crawl_outputs`).
"""

from crawler.errors import CrawlerError, CrawlSetupError, SourcesError, SpiderArgumentError
from crawler.items import FetchedResponse, FetchEvent, Kind, Outcome
from crawler.outputs import CrawlOutputs, crawl_outputs
from crawler.run import crawl_command, crawl_env
from crawler.sources import Source, get_source, load_sources, parse_sources
from crawler.urls import load_seen_urls, normalize_url

__all__ = [
    "CrawlOutputs",
    "CrawlSetupError",
    "CrawlerError",
    "FetchEvent",
    "FetchedResponse",
    "Kind",
    "Outcome",
    "Source",
    "SourcesError",
    "SpiderArgumentError",
    "crawl_command",
    "crawl_env",
    "crawl_outputs",
    "get_source",
    "load_seen_urls",
    "load_sources",
    "normalize_url",
    "parse_sources",
]
