"""Typed items the ``wire`` spider yields; the item pipelines archive and log them.

The spider does no I/O: every response becomes a :class:`FetchedResponse`
(archived to WARC and logged), every URL it decided not to fetch or could not
fetch becomes a :class:`FetchEvent` (logged only).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Literal

__all__ = ["FetchEvent", "FetchedResponse", "Kind", "Outcome"]

# What a URL was fetched as: the discovery documents, or an article.
Kind = Literal["article", "feed", "sitemap", "section"]

# What happened to one attempted URL; one fetch-log line each.
Outcome = Literal[
    "fetched",  # a response with status < 400 was archived
    "http_error",  # a response with status >= 400 was archived (after retries)
    "robots",  # robots.txt disallows the URL for our user agent
    "offsite",  # the URL is not on one of the source's sites
    "seen",  # the URL is in the seen file: already stored by an earlier run
    "filtered",  # not an article by the source's allow/deny rules, or a duplicate request
    "capped",  # max_articles was reached
    "error",  # no usable response: network error, timeout, too large, malformed feed/sitemap
]


@dataclass(frozen=True, kw_only=True)
class FetchedResponse:
    """One HTTP response, as received (after redirects and retries).

    Attributes:
        source: the source's name.
        kind: what the URL was fetched as.
        url: the final URL, after redirects.
        requested_url: the URL that was requested, before redirects.
        status: HTTP status code.
        headers: response headers as received on the wire, in order, one pair per value.
        body: the payload (decoded from any Content-Encoding).
        decoded: whether ``body`` was decoded from a Content-Encoding of ``headers``.
        protocol: HTTP version, e.g. ``"HTTP/1.1"``.
        fetched_at: when the response arrived (timezone-aware).
        published: publication time hint (ISO 8601) from a feed or news sitemap.
        found_on: the feed, sitemap or page the URL was discovered on.
        problem: why a 2xx response could not be used (e.g. a malformed feed).
    """

    source: str
    kind: Kind
    url: str
    requested_url: str
    status: int
    headers: tuple[tuple[str, str], ...]
    body: bytes
    decoded: bool = False
    protocol: str = "HTTP/1.1"
    fetched_at: datetime
    published: str | None = None
    found_on: str | None = None
    problem: str | None = None

    @property
    def redirected(self) -> bool:
        """Whether the final URL differs from the requested one."""
        return self.url != self.requested_url

    def to_event(self) -> FetchEvent:
        """Return the fetch-log event for this response."""
        outcome: Outcome
        if self.status >= 400:
            outcome, reason = "http_error", f"HTTP {self.status}"
        elif self.problem:
            outcome, reason = "error", self.problem
        else:
            outcome, reason = "fetched", f"HTTP {self.status}"
        if self.redirected:
            reason += f" after redirect to {self.url}"
        return FetchEvent(
            source=self.source,
            kind=self.kind,
            url=self.requested_url,
            final_url=self.url if self.redirected else None,
            status=self.status,
            outcome=outcome,
            reason=reason,
            time=self.fetched_at,
            published=self.published,
            found_on=self.found_on,
        )


@dataclass(frozen=True, kw_only=True)
class FetchEvent:
    """What happened to one attempted URL: one line of the fetch log.

    Attributes:
        source: the source's name.
        kind: what the URL was (to be) fetched as.
        url: the URL as requested (articles: normalised).
        outcome: what happened, see :data:`Outcome`.
        reason: human-readable detail, e.g. the HTTP status or the exception.
        time: when it happened (timezone-aware).
        status: HTTP status code, ``None`` when there was no response.
        final_url: the URL after redirects, when it differs from ``url``.
        published: publication time hint (ISO 8601), when known.
        found_on: the feed, sitemap or page the URL was discovered on.
    """

    source: str
    kind: Kind
    url: str
    outcome: Outcome
    reason: str
    time: datetime
    status: int | None = None
    final_url: str | None = None
    published: str | None = None
    found_on: str | None = None

    def to_json(self) -> dict[str, object]:
        """Return the fetch-log record (JSON-ready)."""
        return {
            "url": self.url,
            "source": self.source,
            "kind": self.kind,
            "status": self.status,
            "outcome": self.outcome,
            "reason": self.reason,
            "time": self.time.isoformat(timespec="milliseconds"),
            "final_url": self.final_url,
            "published": self.published,
            "found_on": self.found_on,
        }
