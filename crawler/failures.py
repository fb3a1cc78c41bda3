"""Naming why a request produced no usable response: one fetch-log outcome and reason each.

Scrapy reports a failed request to the spider's errback as an exception; this
module turns it into the outcome the fetch log records (see
:data:`crawler.items.Outcome`) and a reason that says what limit was hit and how
many attempts were made, so that an operator can tell a dead site from a slow one.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from twisted.internet.error import TimeoutError as TwistedTimeoutError

from crawler.items import Outcome

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.settings import BaseSettings

__all__ = ["AlreadyStored", "attempts", "failure_outcome", "redirect_chain"]

# Scrapy's own messages, the only thing that tells these IgnoreRequest cases apart.
_ROBOTS_MESSAGE = "robots.txt"
_MAX_REDIRECTS_MESSAGE = "max redirections reached"
_MAX_SIZE_MESSAGE = "larger than download max size"


class AlreadyStored(IgnoreRequest):
    """An article request was redirected to a URL that an earlier run already stored."""


def attempts(request: Request) -> int:
    """Return how many times ``request``'s URL was requested: 1 plus its retries."""
    return int(request.meta.get("retry_times", 0)) + 1


def redirect_chain(request: Request) -> str:
    """Return the URLs a request went through, as ``A → B → C``."""
    return " → ".join([*request.meta.get("redirect_urls", []), request.url])


def failure_outcome(
    error: BaseException, request: Request, settings: BaseSettings
) -> tuple[Outcome, str]:
    """Return the fetch-log outcome and reason of a request that failed with ``error``.

    Args:
        error: the exception Scrapy delivered to the errback (not an ``HttpError``:
            a response with an error status is archived, not classified here).
        request: the failed request (after redirects and retries).
        settings: the crawl's settings, for the limits the reason quotes.

    Returns:
        ``robots``, ``seen``, ``redirects``, ``timeout``, ``too_large`` or ``error``,
        and the reason.
    """
    tries = attempts(request)
    after = f"; gave up after {tries} attempts" if tries > 1 else ""
    if isinstance(error, AlreadyStored):
        return "seen", str(error)
    if isinstance(error, IgnoreRequest) and _ROBOTS_MESSAGE in str(error):
        return "robots", str(error)
    if isinstance(error, IgnoreRequest) and _MAX_REDIRECTS_MESSAGE in str(error):
        limit = settings.getint("REDIRECT_MAX_TIMES")
        return (
            "redirects",
            f"more than REDIRECT_MAX_TIMES={limit} redirects: {redirect_chain(request)}",
        )
    if isinstance(error, DownloadTimeoutError | TwistedTimeoutError):
        timeout = request.meta.get("download_timeout", settings.getfloat("DOWNLOAD_TIMEOUT"))
        return "timeout", f"no response within DOWNLOAD_TIMEOUT={timeout:g} s{after}"
    if isinstance(error, DownloadCancelledError) and _MAX_SIZE_MESSAGE in str(error):
        limit = request.meta.get("download_maxsize", settings.getint("DOWNLOAD_MAXSIZE"))
        return "too_large", f"over DOWNLOAD_MAXSIZE={limit} bytes, download cancelled ({error})"
    return "error", f"{type(error).__name__}: {error}{after}"
