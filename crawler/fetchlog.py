"""The fetch log and run statistics of one crawl.

``{out_dir}/{source}.fetchlog.jsonl`` gets one JSON object per attempted URL
(see :meth:`crawler.items.FetchEvent.to_json`): ``url``, ``source``, ``kind``,
``status`` (int or null), ``outcome``, ``reason``, ``time``, and ``final_url``,
``published``, ``found_on`` (null when not applicable).

``{out_dir}/{source}.stats.json`` is written when the spider closes::

    {"source": "...", "started": "...", "finished": "...", "finish_reason": "finished",
     "discovered": 12,
     "fetched": 9,
     "fetched_by_kind": {"article": 6, "feed": 2, "sitemap": 1},
     "not_modified": 2,
     "skipped": {"robots": 1, "seen": 2},
     "errors": 4,
     "errors_by_outcome": {"http_error": 1, "timeout": 1, "not_html": 1, "error": 1}}

Its keys:

- ``source``: the source's name;
- ``started``, ``finished``: ISO 8601 times (UTC) the crawl opened and closed;
- ``finish_reason``: Scrapy's reason, ``"finished"`` for a crawl that ran to its end;
- ``discovered``: distinct article URLs with a fetch-log line, whatever their outcome;
- ``fetched``: ``fetched`` lines, responses archived with status < 400, all kinds;
- ``fetched_by_kind``: ``fetched`` lines by kind (``article``, ``feed``, ``sitemap``,
  ``section``), kinds without any left out;
- ``not_modified``: feeds and sitemaps that answered ``304`` (or were still fresh)
  and were read from the HTTP cache instead of being archived again;
- ``skipped``: URLs deliberately not fetched, by outcome (``robots``, ``offsite``,
  ``seen``, ``filtered``, ``capped``), outcomes without any left out;
- ``errors``: lines of every error outcome (``http_error``, ``not_html``, ``empty``,
  ``too_large``, ``timeout``, ``redirects``, ``error``);
- ``errors_by_outcome``: those lines by outcome, outcomes without any left out.
"""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Self, TextIO

from scrapy import Request, signals

from crawler.errors import CrawlSetupError
from crawler.failures import redirect_chain, request_event
from crawler.items import ERROR_OUTCOMES, SKIP_OUTCOMES, FetchedResponse, FetchEvent, Outcome
from crawler.meta import KIND_META
from crawler.outputs import outputs_from_settings

if TYPE_CHECKING:
    from scrapy.crawler import Crawler

__all__ = ["FetchLogPipeline", "read_fetch_log"]


class FetchLogPipeline:
    """Item pipeline writing one fetch-log line per event, and the statistics at close.

    :class:`FetchedResponse` items are logged through :meth:`FetchedResponse.to_event`,
    :class:`FetchEvent` items as they are. Requests the scheduler drops as duplicates
    are logged as ``redirects`` when they came back to a URL of their own redirect
    chain (a loop), else as ``filtered`` (a redirect to a URL already requested).

    Args:
        fetch_log: the JSON-lines file to write (replaced if it exists).
        stats: the statistics file written at close.
        source: the source's name.
    """

    def __init__(self, *, fetch_log: Path, stats: Path, source: str) -> None:
        self._fetch_log_path = fetch_log
        self._stats_path = stats
        self._source = source
        self._file: TextIO | None = None
        self._started = datetime.now(UTC)
        self._outcomes: Counter[str] = Counter()
        self._fetched_by_kind: Counter[str] = Counter()
        self._articles: set[str] = set()

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the pipeline from the ``WIREDUPE_OUT_DIR`` and ``WIREDUPE_SOURCE`` settings.

        Raises:
            CrawlSetupError: a setting is missing (the ``wire`` spider sets both).
        """
        outputs, source = outputs_from_settings(crawler.settings, component=cls.__name__)
        pipeline = cls(fetch_log=outputs.fetch_log, stats=outputs.stats, source=source)
        crawler.signals.connect(pipeline.request_dropped, signal=signals.request_dropped)
        crawler.signals.connect(pipeline.spider_closed, signal=signals.spider_closed)
        return pipeline

    def open_spider(self) -> None:
        """Create the fetch log."""
        self._fetch_log_path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self._fetch_log_path.open("w", encoding="utf-8")
        self._started = datetime.now(UTC)

    def process_item(self, item: object) -> object:
        """Log ``item`` when it is a :class:`FetchedResponse` or :class:`FetchEvent`."""
        if isinstance(item, FetchedResponse):
            self._write(item.to_event())
        elif isinstance(item, FetchEvent):
            self._write(item)
        return item

    def request_dropped(self, request: Request) -> None:
        """Log a request of ours that the scheduler dropped as a duplicate."""
        if request.meta.get(KIND_META) is None or self._file is None:
            return
        outcome: Outcome = "filtered"
        reason = f"duplicate: {request.url} was already requested in this crawl"
        if request.url in request.meta.get("redirect_urls", []):
            outcome, reason = "redirects", f"redirect loop: {redirect_chain(request)}"
        self._write(request_event(request, source=self._source, outcome=outcome, reason=reason))

    def close_spider(self) -> None:
        """Close the fetch log."""
        if self._file is not None:
            self._file.close()
        self._file = None

    def spider_closed(self, reason: str) -> None:
        """Write the statistics file (atomically: a reader never sees half of it)."""
        stats = {
            "source": self._source,
            "started": self._started.isoformat(timespec="seconds"),
            "finished": datetime.now(UTC).isoformat(timespec="seconds"),
            "finish_reason": reason,
            "discovered": len(self._articles),
            "fetched": self._outcomes["fetched"],
            "fetched_by_kind": dict(sorted(self._fetched_by_kind.items())),
            "not_modified": self._outcomes["not_modified"],
            "skipped": self._counts(SKIP_OUTCOMES),
            "errors": sum(self._outcomes[name] for name in ERROR_OUTCOMES),
            "errors_by_outcome": self._counts(ERROR_OUTCOMES),
        }
        self._stats_path.parent.mkdir(parents=True, exist_ok=True)
        partial = self._stats_path.with_name(self._stats_path.name + ".partial")
        partial.write_text(json.dumps(stats, indent=2) + "\n", encoding="utf-8")
        os.replace(partial, self._stats_path)

    def _counts(self, outcomes: tuple[Outcome, ...]) -> dict[str, int]:
        return {name: self._outcomes[name] for name in outcomes if self._outcomes[name]}

    def _write(self, event: FetchEvent) -> None:
        if self._file is None:
            raise CrawlSetupError(
                f"FetchLogPipeline got {event.url!r} before open_spider(); "
                "it must be enabled through ITEM_PIPELINES, not called directly"
            )
        self._file.write(json.dumps(event.to_json(), ensure_ascii=False) + "\n")
        self._file.flush()  # a killed crawl keeps every line written so far
        self._outcomes[event.outcome] += 1
        if event.outcome == "fetched":
            self._fetched_by_kind[event.kind] += 1
        if event.kind == "article":
            self._articles.add(event.url)


def read_fetch_log(path: Path, on_error: Callable[[str], None]) -> Iterator[FetchEvent]:
    """Yield the events of a fetch log, in order.

    Args:
        path: a ``{source}.fetchlog.jsonl`` file.
        on_error: called with ``"path:line: problem"`` for each unreadable line (a
            crawl killed mid-write leaves half a line at the end); the line is skipped.

    Yields:
        One :class:`FetchEvent` per readable line.
    """
    with path.open(encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            try:
                yield FetchEvent.from_json(json.loads(line))
            except ValueError as exc:  # json.JSONDecodeError is one
                on_error(f"{path}:{number}: unreadable fetch-log line ({exc})")
