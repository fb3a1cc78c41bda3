"""Exponential backoff between the retries of a failed request.

Scrapy's ``RetryMiddleware`` re-schedules a request that failed with a status
of ``RETRY_HTTP_CODES`` or a network error (a timeout, a reset) at once; a site
that answered 503 because it is overloaded is then asked again straight away.
:class:`RetryBackoffMiddleware` makes each retry wait first: the ``n``-th retry
of a request waits ``min(RETRY_BACKOFF_BASE * 2 ** (n - 1), RETRY_BACKOFF_MAX)``
seconds (2, 4, 8... by default). Retries themselves (how many, on what) stay
Scrapy's: ``RETRY_TIMES``, ``RETRY_HTTP_CODES``, ``RETRY_EXCEPTIONS``.

The wait happens in the downloader before the request reaches its host's slot,
so other requests to the same site go on meanwhile; a waiting retry does count
towards ``CONCURRENT_REQUESTS``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from scrapy.exceptions import NotConfigured
from scrapy.utils.asyncio import sleep

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

__all__ = ["RetryBackoffMiddleware", "backoff_delay"]

# Scrapy's RetryMiddleware counts the retries of a request under this meta key.
_RETRY_TIMES = "retry_times"


def backoff_delay(retry: int, *, base: float, cap: float) -> float:
    """Return how long the ``retry``-th retry of a request waits, in seconds.

    Args:
        retry: 1 for the first retry, 2 for the second...; 0 for a first attempt.
        base: the first retry's wait.
        cap: the longest wait.

    Returns:
        ``min(base * 2 ** (retry - 1), cap)``, and 0 for a first attempt.

    Example:
        >>> [backoff_delay(n, base=2.0, cap=5.0) for n in range(4)]
        [0.0, 2.0, 4.0, 5.0]
    """
    if retry <= 0:
        return 0.0
    return float(min(base * 2 ** (retry - 1), cap))


class RetryBackoffMiddleware:
    """Downloader middleware delaying each retried request exponentially.

    Args:
        base: the first retry's wait, in seconds (``RETRY_BACKOFF_BASE``).
        cap: the longest wait, in seconds (``RETRY_BACKOFF_MAX``).

    Raises:
        ValueError: ``base`` or ``cap`` is negative.
    """

    def __init__(self, *, base: float, cap: float) -> None:
        if base < 0 or cap < 0:
            raise ValueError(
                f"RETRY_BACKOFF_BASE and RETRY_BACKOFF_MAX must be >= 0 seconds, got {base} "
                f"and {cap}; set them to 0 to retry without waiting"
            )
        self.base = base
        self.cap = cap

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the middleware from ``RETRY_BACKOFF_BASE`` and ``RETRY_BACKOFF_MAX``.

        Raises:
            NotConfigured: retries are off (``RETRY_ENABLED = False``).
        """
        settings = crawler.settings
        if not settings.getbool("RETRY_ENABLED"):
            raise NotConfigured("RETRY_ENABLED is off: there are no retries to space out")
        return cls(
            base=settings.getfloat("RETRY_BACKOFF_BASE"),
            cap=settings.getfloat("RETRY_BACKOFF_MAX"),
        )

    async def process_request(self, request: Request) -> None:
        """Wait before a retried request is downloaded; first attempts pass at once."""
        delay = backoff_delay(request.meta.get(_RETRY_TIMES, 0), base=self.base, cap=self.cap)
        if delay:
            await sleep(delay)
