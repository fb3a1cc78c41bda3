"""Conditional requests for feeds and sitemaps across nights, through Scrapy's HTTP cache.

A feed or sitemap rarely changes between two nights; asking with the validators
of last night's copy (``If-None-Match``, ``If-Modified-Since``) costs the site a
``304 Not Modified`` instead of the whole document. Scrapy's own
``HttpCacheMiddleware`` with ``RFC2616Policy`` does this when the crawl is given a
persistent cache folder (:func:`crawler.run.crawl_command`'s ``cache_dir``).

:class:`DiscoveryCacheMiddleware` narrows it to what should be cached:

- only feeds and sitemaps: never articles (each is fetched once and archived),
  section pages (they change all day) or robots.txt (it must be current);
- it notes in ``request.meta`` what the network answered when a cached copy was
  revalidated (:data:`~crawler.meta.REVALIDATED_META`): ``304``, or an error
  status or exception after which Scrapy used the cached copy instead, so the
  spider can log a ``not_modified`` or a failure and still read the links.

The spider sends feed and sitemap requests with ``Cache-Control: max-age=0``, so
a cached copy is always revalidated, never trusted as fresh on a heuristic.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.downloadermiddlewares.httpcache import HttpCacheMiddleware

from crawler.meta import KIND_META, REVALIDATED_META

if TYPE_CHECKING:
    from scrapy import Request, Spider
    from scrapy.http import Response

__all__ = ["CACHED_KINDS", "DiscoveryCacheMiddleware"]

# What the cache holds: the documents read every night, never the articles they list.
CACHED_KINDS = frozenset({"feed", "sitemap"})

# Set by Scrapy's middleware while a cached copy is being revalidated.
_CACHED_RESPONSE = "cached_response"


class DiscoveryCacheMiddleware(HttpCacheMiddleware):
    """Scrapy's HTTP cache, for feeds and sitemaps only, recording each revalidation.

    Replaces ``HttpCacheMiddleware`` at its priority (900) in ``crawler.settings``;
    like it, it is off unless ``HTTPCACHE_ENABLED`` is set.
    """

    def process_request(
        self, request: Request, spider: Spider | None = None
    ) -> Request | Response | None:
        """Leave other kinds uncached; look feeds and sitemaps up in the cache."""
        request.meta.pop(REVALIDATED_META, None)  # a redirect copies the meta of its source
        if request.meta.get(KIND_META) not in CACHED_KINDS:
            request.meta["dont_cache"] = True
        return super().process_request(request)

    def process_response(
        self, request: Request, response: Response, spider: Spider | None = None
    ) -> Request | Response:
        """Note the network's answer to a revalidation, then let the cache decide."""
        if _CACHED_RESPONSE in request.meta:
            request.meta[REVALIDATED_META] = response.status
        return super().process_response(request, response)

    def process_exception(
        self, request: Request, exception: Exception, spider: Spider | None = None
    ) -> Request | Response | None:
        """Note a failed revalidation, then let the cache fall back on its copy."""
        if _CACHED_RESPONSE in request.meta:
            request.meta[REVALIDATED_META] = f"{type(exception).__name__}: {exception}"
        return super().process_exception(request, exception)
