"""Downloader middleware that records each response as it came off the wire.

Scrapy's HttpCompressionMiddleware decodes gzip/deflate/br bodies and drops the
``Content-Encoding`` header; the archive must still show the headers the server
sent. This middleware sits between the redirect and compression middlewares, so
it sees final responses (after redirects) before they are decoded, and stores
their header list and arrival time in ``request.meta`` for the spider.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING

from crawler.meta import FETCHED_AT_META, WIRE_HEADERS_META

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.http.headers import Headers

__all__ = ["WireCaptureMiddleware", "header_pairs"]


class WireCaptureMiddleware:
    """Store the received headers and the arrival time of each response in its request's meta.

    Enabled in ``crawler.settings`` at priority 595: after ``RedirectMiddleware``
    (600) has followed redirects, before ``HttpCompressionMiddleware`` (590)
    decodes the body.
    """

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> WireCaptureMiddleware:
        """Build the middleware (it needs no settings)."""
        return cls()

    def process_response(self, request: Request, response: Response) -> Response:
        """Record ``response``'s headers and arrival time, and pass it on unchanged."""
        request.meta[WIRE_HEADERS_META] = header_pairs(response.headers)
        request.meta[FETCHED_AT_META] = datetime.now(UTC)
        return response


def header_pairs(headers: Headers) -> tuple[tuple[str, str], ...]:
    """Return Scrapy ``Headers`` as ``(name, value)`` text pairs, one per value, in order.

    Args:
        headers: response headers (bytes names and values).

    Returns:
        The pairs, decoded as ISO-8859-1 (HTTP's header encoding, lossless for any byte).
    """
    return tuple(
        (name.decode("latin-1"), value.decode("latin-1"))
        for name, values in headers.items()
        for value in values
    )
