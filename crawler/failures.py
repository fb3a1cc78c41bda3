"""Naming why a request produced no usable response: one fetch-log outcome and reason each.

Scrapy reports a failed request to the spider's errback as an exception; this
module turns it into the outcome the fetch log records (see
:data:`crawler.items.Outcome`) and a reason that says what limit was hit and how
many attempts were made, so that an operator can tell a dead site from a slow one.
:func:`request_event` makes the fetch-log line of such a request (and of any
other request that ends without an archived response), from what Scrapy and the
spider left in its ``meta``.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import TYPE_CHECKING, cast

from scrapy.exceptions import DownloadCancelledError, DownloadTimeoutError, IgnoreRequest
from twisted.internet.error import TimeoutError as TwistedTimeoutError

from crawler.items import FetchEvent, Kind, Outcome
from crawler.meta import FOUND_ON_META, KIND_META

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.settings import BaseSettings

__all__ = [
    "AlreadyStored",
    "attempts",
    "failure_outcome",
    "redirect_chain",
    "request_event",
    "requested_url",
]

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


def requested_url(request: Request, url: str) -> str:
    """Return the URL first requested, before any redirect.

    Args:
        request: the request (after redirects).
        url: the URL it reached (``request.url``, or its response's URL).

    Returns:
        The first of Scrapy's ``redirect_urls``, or ``url`` when there was no redirect.
    """
    return (request.meta.get("redirect_urls") or [url])[0]


def request_event(
    request: Request,
    *,
    source: str,
    outcome: Outcome,
    reason: str,
    url: str | None = None,
    status: int | None = None,
    published: str | None = None,
) -> FetchEvent:
    """Return the fetch-log line of a request that ended without an archived response.

    Args:
        request: one of the spider's requests (after redirects); its ``meta`` gives
            the kind and where it was found.
        source: the source's name.
        outcome: what happened.
        reason: the detail for the log.
        url: the URL reached, when it differs from ``request.url`` (a response's URL).
        status: the HTTP status, when there was a response.
        published: publication time hint, when known.

    Returns:
        The event, logged under the URL first requested; ``final_url`` is where
        redirects led, when that differs.
    """
    reached = url or request.url
    requested = requested_url(request, reached)
    return FetchEvent(
        source=source,
        kind=cast(Kind, request.meta[KIND_META]),
        url=requested,
        outcome=outcome,
        reason=reason,
        time=datetime.now(UTC),
        status=status,
        final_url=reached if reached != requested else None,
        published=published,
        found_on=request.meta.get(FOUND_ON_META),
    )


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
