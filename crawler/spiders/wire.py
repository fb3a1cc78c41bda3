"""The ``wire`` spider: one generic spider for every source of ``sources.toml``.

Run as ``scrapy crawl wire -a sources_file=PATH -a source=NAME -a out_dir=DIR
[-a seen_file=PATH]`` (see :func:`crawler.run.crawl_command`). It fetches the
source's feeds, sitemaps and section pages, finds article links in them
(:mod:`crawler.discovery`), decides which to fetch (:mod:`crawler.policy`) and
fetches each article once.

Articles are requested only when discovery is over (on ``spider_idle``): by then
every feed and sitemap has been read, so each article carries the publication
hint of whichever document gave one, whatever order the responses came in. The
spider does no I/O of its own: it yields requests, one
:class:`~crawler.items.FetchedResponse` per response worth archiving and one
:class:`~crawler.items.FetchEvent` per URL skipped, failed or not archived; the
item pipelines archive and log them.

Not archived: an article response that is not an HTML page or is empty
(:mod:`crawler.content`), and a feed or sitemap that the HTTP cache revalidated
(``not_modified``, :mod:`crawler.cache`): its links are still read from the
cached copy, so an article that failed last night is tried again.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, Self

from scrapy import Request, Spider, signals
from scrapy.exceptions import DontCloseSpider
from scrapy.http import Response, TextResponse
from scrapy.spidermiddlewares.httperror import HttpError

from crawler.cache import CACHED_KINDS
from crawler.content import article_body_problem
from crawler.discovery import Link, feed_links, section_links, sitemap_links
from crawler.errors import SpiderArgumentError
from crawler.failures import attempts, failure_outcome, request_event, requested_url
from crawler.items import FetchedResponse, FetchEvent, Kind, Outcome
from crawler.meta import (
    FETCHED_AT_META,
    FOUND_ON_META,
    KEY_META,
    KIND_META,
    REVALIDATED_META,
    SITEMAP_DEPTH_META,
    WIRE_HEADERS_META,
)
from crawler.middlewares import header_pairs
from crawler.outputs import OUT_DIR_SETTING, SOURCE_SETTING
from crawler.policy import ArticlePolicy, newest_lastmod
from crawler.sources import Source, get_source, load_sources
from crawler.urls import load_seen_urls

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from twisted.python.failure import Failure

__all__ = ["LASTMOD_DAYS_SETTING", "WireSpider"]

# A sitemap index may list further indexes; real sites nest one or two levels.
_MAX_SITEMAP_DEPTH = 3
# Sent with feed and sitemap requests: a cached copy is revalidated, never assumed fresh.
_REVALIDATE = {"Cache-Control": "max-age=0"}
# The setting of the recent window of plain sitemaps' <lastmod>, in days.
LASTMOD_DAYS_SETTING = "WIREDUPE_LASTMOD_DAYS"

_Item = FetchedResponse | FetchEvent
_Output = Request | FetchedResponse | FetchEvent


class WireSpider(Spider):
    """Crawl one source of ``sources.toml``: discovery documents, then their articles.

    Args:
        sources_file: path of ``sources.toml``.
        source: name of the source to crawl.
        out_dir: folder for the crawl's WARC, fetch log and statistics.
        seen_file: optional file of URLs already stored (one per line), not fetched again.
        lastmod_days: the recent window of plain sitemaps' ``<lastmod>``, in days;
            ``None`` or 0 keeps every entry. :meth:`from_crawler` passes the
            ``WIREDUPE_LASTMOD_DAYS`` setting.

    Raises:
        SpiderArgumentError: an argument is missing, or the seen file cannot be read.
        SourcesError: the sources file is invalid or has no such source.
    """

    name = "wire"

    def __init__(
        self,
        sources_file: str | None = None,
        source: str | None = None,
        out_dir: str | None = None,
        seen_file: str | None = None,
        *,
        lastmod_days: float | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        for argument, value in (
            ("sources_file", sources_file),
            ("source", source),
            ("out_dir", out_dir),
        ):
            if not value:
                raise SpiderArgumentError(
                    f"the wire spider needs -a {argument}=...; run it as "
                    "scrapy crawl wire -a sources_file=PATH -a source=NAME -a out_dir=DIR"
                )
        assert sources_file and source and out_dir  # narrowed by the loop above
        self.source: Source = get_source(
            load_sources(Path(sources_file)), source, origin=sources_file
        )
        self.out_dir = Path(out_dir)
        self.policy = ArticlePolicy(
            self.source,
            seen=load_seen_urls(Path(seen_file)) if seen_file else frozenset(),
            lastmod_days=lastmod_days,
        )
        self._pending: list[Request] = []  # article requests held until discovery is over

    @classmethod
    def from_crawler(cls, crawler: Crawler, *args: Any, **kwargs: Any) -> Self:
        """Create the spider and tell the pipelines where this crawl's outputs go."""
        lastmod_days = crawler.settings.getfloat(LASTMOD_DAYS_SETTING)
        spider = super().from_crawler(crawler, *args, lastmod_days=lastmod_days, **kwargs)
        # Settings are still mutable here: Scrapy freezes them after creating the spider.
        crawler.settings.set(OUT_DIR_SETTING, str(spider.out_dir), priority="spider")
        crawler.settings.set(SOURCE_SETTING, spider.source.name, priority="spider")
        crawler.signals.connect(spider.release_articles, signal=signals.spider_idle)
        return spider

    async def start(self) -> AsyncIterator[Request]:
        """Yield the requests for the source's feeds, sitemaps and section pages."""
        for url in self.source.feeds:
            yield self._discovery_request(url, "feed")
        for url in self.source.sitemaps:
            yield self._discovery_request(url, "sitemap")
        for url in self.source.pages:
            yield self._discovery_request(url, "section")

    def release_articles(self) -> None:
        """Request the articles held back during discovery (``spider_idle`` handler).

        Raises:
            DontCloseSpider: articles were released, the crawl goes on.
        """
        if not self._pending:
            return
        released, self._pending = self._pending, []
        self.logger.info("Discovery done: requesting %d articles", len(released))
        for request in released:
            self.crawler.engine.crawl(request)
        raise DontCloseSpider

    def parse_feed(self, response: Response) -> Iterator[_Output]:
        """Archive a feed and request its entries' articles."""
        self.policy.add_site(response.url)
        found = feed_links(response.body, url=response.url, content_type=_content_type(response))
        if found.problem:
            self.logger.warning("Skipping feed %s: %s", response.url, found.problem)
        elif found.warning:
            self.logger.info("Feed %s read leniently: %s", response.url, found.warning)
        yield self._discovery_record(response, problem=found.problem)
        yield from self._articles(found.links, found_on=response.url)

    def parse_sitemap(self, response: Response) -> Iterator[_Output]:
        """Archive a sitemap; follow a sitemap index, request a urlset's articles."""
        self.policy.add_site(response.url)
        found = sitemap_links(response.body, max_size=self.settings.getint("DOWNLOAD_MAXSIZE"))
        if found.problem:
            self.logger.warning("Skipping sitemap %s: %s", response.url, found.problem)
        yield self._discovery_record(response, problem=found.problem)
        if found.type == "urlset":
            newest = newest_lastmod(link.lastmod for link in found.links)
            yield from self._articles(found.links, found_on=response.url, newest_lastmod=newest)
        elif found.type == "sitemapindex":
            depth = response.meta.get(SITEMAP_DEPTH_META, 0) + 1
            for link in found.links:
                yield self._nested_sitemap(link.url, depth=depth, found_on=response.url)

    def parse_section(self, response: Response) -> Iterator[_Output]:
        """Archive a section page and request the article links on it."""
        self.policy.add_site(response.url)
        if not isinstance(response, TextResponse):
            problem = "not an HTML page; a section page must list article links"
            self.logger.warning("Skipping section page %s: %s", response.url, problem)
            yield self._fetched(response, problem=problem)
            return
        links = section_links(response, exclude=self.source.start_urls)
        yield self._fetched(response)
        yield from self._articles((Link(url=url) for url in links), found_on=response.url)

    def parse_article(self, response: Response) -> Iterator[_Output]:
        """Archive an article; only log a response that is not an HTML page or is empty."""
        problem = article_body_problem(response.body, _content_type(response))
        if problem is None:
            yield self._fetched(response)
            return
        self.logger.info("Not archiving %s: %s", response.url, problem.reason)
        yield self._response_event(
            response, problem.outcome, problem.reason, status=response.status
        )

    def on_error(self, failure: Failure) -> Iterator[_Item]:
        """Record a request that produced no usable response.

        An HTTP error status is archived like any response (``http_error``);
        anything else is logged with the outcome :func:`~crawler.failures.failure_outcome`
        names (``robots``, ``seen``, ``redirects``, ``timeout``, ``too_large``, ``error``).
        """
        request: Request = failure.request  # type: ignore[attr-defined]  # set by Scrapy
        if failure.check(HttpError):
            response: Response = failure.value.response  # type: ignore[union-attr]
            yield self._fetched(response, request=request)
            return
        error = failure.value
        assert error is not None  # a Failure always wraps an exception
        outcome, reason = failure_outcome(error, request, self.settings)
        if outcome not in {"robots", "seen"}:
            self.logger.warning("Failed %s: %s", request.url, reason)
        yield self._request_event(request, outcome, reason)

    def _articles(
        self, links: Iterable[Link], *, found_on: str, newest_lastmod: str | None = None
    ) -> Iterator[_Output]:
        for link in links:
            decision = self.policy.consider(
                link.url,
                published=link.published,
                lastmod=link.lastmod,
                newest_lastmod=newest_lastmod,
            )
            if decision is None:
                continue  # already considered in this crawl
            if decision.skip is not None:
                yield self._event(
                    decision.url, "article", decision.skip, decision.reason, found_on=found_on
                )
                continue
            self._pending.append(
                Request(
                    decision.url,
                    callback=self.parse_article,
                    errback=self.on_error,
                    meta={KIND_META: "article", FOUND_ON_META: found_on, KEY_META: decision.url},
                )
            )

    def _discovery_request(
        self, url: str, kind: Kind, *, found_on: str | None = None, depth: int = 0
    ) -> Request:
        callbacks: dict[str, Callable[[Response], Iterator[_Output]]] = {
            "feed": self.parse_feed,
            "sitemap": self.parse_sitemap,
            "section": self.parse_section,
        }
        return Request(
            url,
            callback=callbacks[kind],
            errback=self.on_error,
            headers=_REVALIDATE if kind in CACHED_KINDS else None,
            meta={KIND_META: kind, FOUND_ON_META: found_on, SITEMAP_DEPTH_META: depth},
        )

    def _nested_sitemap(self, url: str, *, depth: int, found_on: str) -> _Output:
        if depth > _MAX_SITEMAP_DEPTH:
            reason = f"sitemap index nested deeper than {_MAX_SITEMAP_DEPTH} levels"
            return self._event(url, "sitemap", "filtered", reason, found_on=found_on)
        if not self.policy.is_onsite(url):
            reason = "sitemap is not on one of the source's sites"
            return self._event(url, "sitemap", "offsite", reason, found_on=found_on)
        return self._discovery_request(url, "sitemap", found_on=found_on, depth=depth)

    def _discovery_record(self, response: Response, *, problem: str | None) -> _Item:
        """Return the record of a feed or sitemap: archived, or only logged when from the cache."""
        if "cached" not in response.flags:
            return self._fetched(response, problem=problem)
        outcome, reason, status = _cached_copy_outcome(response.meta.get(REVALIDATED_META))
        if problem:
            reason += f"; {problem}"
        return self._response_event(response, outcome, reason, status=status)

    def _fetched(
        self, response: Response, *, request: Request | None = None, problem: str | None = None
    ) -> FetchedResponse:
        request = request or response.request
        assert request is not None  # Scrapy sets it on every response it delivers
        meta = request.meta
        current = header_pairs(response.headers)
        received = meta.get(WIRE_HEADERS_META) or current
        return FetchedResponse(
            source=self.source.name,
            kind=meta[KIND_META],
            url=response.url,
            requested_url=requested_url(request, response.url),
            status=response.status,
            headers=received,
            body=response.body,
            decoded=_content_encoding(received) != _content_encoding(current),
            protocol=response.protocol or "HTTP/1.1",
            fetched_at=meta.get(FETCHED_AT_META) or datetime.now(UTC),
            published=self._published(request),
            found_on=meta.get(FOUND_ON_META),
            problem=problem,
            attempts=attempts(request),
        )

    def _event(
        self, url: str, kind: Kind, outcome: Outcome, reason: str, *, found_on: str
    ) -> FetchEvent:
        """Return the fetch-log line of a discovered URL that was not requested."""
        return FetchEvent(
            source=self.source.name,
            kind=kind,
            url=url,
            outcome=outcome,
            reason=reason,
            time=datetime.now(UTC),
            published=self.policy.published(url) if kind == "article" else None,
            found_on=found_on,
        )

    def _response_event(
        self, response: Response, outcome: Outcome, reason: str, *, status: int | None
    ) -> FetchEvent:
        """Return the fetch-log line of a response that is not archived."""
        assert response.request is not None  # Scrapy sets it on every response it delivers
        return self._request_event(
            response.request, outcome, reason, url=response.url, status=status
        )

    def _request_event(
        self,
        request: Request,
        outcome: Outcome,
        reason: str,
        *,
        url: str | None = None,
        status: int | None = None,
    ) -> FetchEvent:
        return request_event(
            request,
            source=self.source.name,
            outcome=outcome,
            reason=reason,
            url=url,
            status=status,
            published=self._published(request),
        )

    def _published(self, request: Request) -> str | None:
        """Return the publication hint of an article request (``None`` for other kinds)."""
        if request.meta[KIND_META] != "article":
            return None
        return self.policy.published(request.meta[KEY_META])


def _cached_copy_outcome(revalidated: int | str | None) -> tuple[Outcome, str, int | None]:
    """Return the outcome, reason and status of a feed or sitemap read from the HTTP cache.

    Args:
        revalidated: what the network answered the revalidation (see
            :data:`~crawler.meta.REVALIDATED_META`): a status, an exception's text,
            or ``None`` when the cached copy was used without asking.
    """
    unchanged = "links read from the copy cached by an earlier crawl"
    if revalidated == 304:
        return "not_modified", f"HTTP 304 Not Modified; {unchanged}", 304
    if isinstance(revalidated, int):
        return "http_error", f"HTTP {revalidated}; {unchanged}", revalidated
    if revalidated:
        return "error", f"{revalidated}; {unchanged}", None
    return "not_modified", f"still fresh; {unchanged}", None


def _content_type(response: Response) -> str | None:
    content_type = response.headers.get("Content-Type")
    return content_type.decode("latin-1") if content_type else None


def _content_encoding(headers: Iterable[tuple[str, str]]) -> tuple[str, ...]:
    return tuple(value for name, value in headers if name.lower() == "content-encoding")
