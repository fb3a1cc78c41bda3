"""Typed items the ``wire`` spider yields; the item pipelines archive and log them.

The spider does no I/O: every response becomes a :class:`FetchedResponse`
(archived to WARC and logged), every URL it decided not to fetch or could not
fetch becomes a :class:`FetchEvent` (logged only).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Literal, get_args

__all__ = [
    "ERROR_OUTCOMES",
    "LASTING_OUTCOMES",
    "SKIP_OUTCOMES",
    "FetchEvent",
    "FetchedResponse",
    "Kind",
    "Outcome",
]

# What a URL was fetched as: the discovery documents, or an article.
Kind = Literal["article", "feed", "sitemap", "section"]

# What happened to one attempted URL; one fetch-log line each.
Outcome = Literal[
    "fetched",  # a response with status < 400 was archived
    "not_modified",  # a feed or sitemap answered 304: read from the cache, not archived again
    "http_error",  # a response with status >= 400 was archived (after retries)
    "robots",  # robots.txt disallows the URL for our user agent
    "offsite",  # the URL is not on one of the source's sites
    "seen",  # the URL (or where it redirects) is in the seen file: stored by an earlier run
    "filtered",  # allow/deny rules, a sitemap lastmod outside the window, or a duplicate request
    "capped",  # max_articles was reached
    "not_html",  # an article response that is not an HTML page (PDF, image...): not archived
    "empty",  # an article response with an empty body: not archived
    "too_large",  # the response was over DOWNLOAD_MAXSIZE: download cancelled
    "timeout",  # no response within DOWNLOAD_TIMEOUT, after retries
    "redirects",  # a redirect loop, or more than REDIRECT_MAX_TIMES redirects
    "error",  # anything else: network error, malformed or refused feed/sitemap
]

# Outcomes of URLs deliberately not fetched.
SKIP_OUTCOMES: tuple[Outcome, ...] = ("robots", "offsite", "seen", "filtered", "capped")
# Outcomes of URLs that were fetched (or tried) without a usable result.
ERROR_OUTCOMES: tuple[Outcome, ...] = (
    "http_error",
    "not_html",
    "empty",
    "too_large",
    "timeout",
    "redirects",
    "error",
)

# Errors that fetching the URL again would only repeat: it is no page (a PDF, an
# image, nothing), too large, or redirects in circles. See FetchEvent.lasting.
LASTING_OUTCOMES: tuple[Outcome, ...] = ("not_html", "empty", "too_large", "redirects")
_GONE = 410


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
        attempts: how many times the URL was requested (1 + retries).
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
    attempts: int = 1

    @property
    def redirected(self) -> bool:
        """Whether the final URL differs from the requested one."""
        return self.url != self.requested_url

    def to_event(self) -> FetchEvent:
        """Return the fetch-log event for this response."""
        outcome: Outcome
        if self.status >= 400:
            outcome, reason = "http_error", f"HTTP {self.status}"
            if self.attempts > 1:
                reason += f", gave up after {self.attempts} attempts"
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

    @property
    def lasting(self) -> bool:
        """Whether fetching the URL again would only give the same answer.

        True for :data:`LASTING_OUTCOMES` and for ``410 Gone``; a 404, a 5xx or a
        timeout may be a page tomorrow.
        """
        return self.outcome in LASTING_OUTCOMES or (
            self.outcome == "http_error" and self.status == _GONE
        )

    @classmethod
    def from_json(cls, record: Mapping[str, Any]) -> FetchEvent:
        """Read back a fetch-log record written by :meth:`to_json`.

        Raises:
            ValueError: a field is missing or holds what :meth:`to_json` never writes.
        """
        try:
            kind, outcome = record["kind"], record["outcome"]
            if kind not in get_args(Kind) or outcome not in get_args(Outcome):
                raise ValueError(f"unknown kind {kind!r} or outcome {outcome!r}")
            return cls(
                source=str(record["source"]),
                kind=kind,
                url=str(record["url"]),
                outcome=outcome,
                reason=str(record["reason"]),
                time=datetime.fromisoformat(record["time"]),
                status=record.get("status"),
                final_url=record.get("final_url"),
                published=record.get("published"),
                found_on=record.get("found_on"),
            )
        except (KeyError, TypeError) as exc:
            raise ValueError(f"not a fetch-log record ({type(exc).__name__}: {exc})") from None

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
