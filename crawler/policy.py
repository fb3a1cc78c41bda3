"""Which discovered article URLs a crawl fetches: one decision per distinct URL.

The rules, in the order they are checked, each giving the fetch-log outcome:

1. ``offsite``: the URL's site (host and port, see :func:`crawler.urls.url_origin`)
   is not one of the source's sites: those of its configured feeds, sitemaps and
   pages, and of the URLs those redirected to;
2. ``filtered``: the URL matches a ``deny`` regex, or ``allow`` regexes are given
   and it matches none (``re.search`` over the full normalised URL);
3. ``filtered``: a plain sitemap gave it a ``<lastmod>`` older than the recent
   window (``WIREDUPE_LASTMOD_DAYS`` days); entries without a lastmod are kept.
   The window ends at the sitemap's newest ``<lastmod>``, or now if that is
   earlier: on a live site the two agree, while a sitemap that stopped being
   updated (or a frozen copy, like the bundled demo web) still yields its last
   week instead of nothing;
4. ``seen``: the URL is in the seen file (already stored by an earlier run);
5. ``capped``: ``max_articles`` article requests were already scheduled.

A URL is considered once per crawl, under its normalised form (see
:func:`crawler.urls.normalize_url`); later sightings only add a publication hint.
The first sighting decides, so an article that an old sitemap entry filtered
is not fetched even if a feed lists it later in the same crawl.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from crawler.items import Outcome
from crawler.sources import Source
from crawler.urls import normalize_url, url_origin

__all__ = ["ArticlePolicy", "Decision", "newest_lastmod"]


@dataclass(frozen=True, kw_only=True)
class Decision:
    """The verdict on one newly discovered article URL.

    Attributes:
        url: the normalised URL, under which it is fetched and logged.
        skip: the fetch-log outcome when the URL is not fetched, ``None`` to fetch it.
        reason: why it is skipped (empty when fetched).
    """

    url: str
    skip: Outcome | None = None
    reason: str = ""


class ArticlePolicy:
    """The per-crawl state of article discovery: what was seen, what was scheduled.

    One instance per crawl; it is not shared and holds no I/O.

    Args:
        source: the source being crawled.
        seen: normalised URLs already stored, never fetched again.
        lastmod_days: the recent window of sitemap ``<lastmod>`` dates, in days;
            ``None`` or 0 to keep every entry.
        now: the latest end of that window (the crawl's start).
    """

    def __init__(
        self,
        source: Source,
        *,
        seen: frozenset[str] = frozenset(),
        lastmod_days: float | None = None,
        now: datetime | None = None,
    ) -> None:
        self._source = source
        self._seen = seen
        self._lastmod_days = lastmod_days or None
        self._now = now or datetime.now(UTC)
        self._allow = tuple(re.compile(pattern) for pattern in source.allow)
        self._deny = tuple(re.compile(pattern) for pattern in source.deny)
        self._origins = {url_origin(url) for url in source.start_urls}
        self._hints: dict[str, str | None] = {}
        self._scheduled = 0

    @property
    def scheduled(self) -> int:
        """How many article requests were scheduled so far."""
        return self._scheduled

    def add_site(self, url: str) -> None:
        """Count the origin of ``url`` as one of the source's sites.

        Called with the final URL of each feed, sitemap and section page, so that
        a discovery URL redirected to another host keeps its articles on-site.

        Args:
            url: a URL on the site to add.
        """
        self._origins.add(url_origin(url))

    def is_onsite(self, url: str) -> bool:
        """Return whether ``url`` is on one of the source's sites.

        Args:
            url: an absolute URL.

        Returns:
            ``True`` when its host and port (:func:`~crawler.urls.url_origin`) are one
            of the source's sites.
        """
        return url_origin(url) in self._origins

    def is_seen(self, url: str) -> bool:
        """Return whether ``url`` (normalised) was stored by an earlier run.

        Args:
            url: an absolute URL, e.g. where an article request was redirected to.

        Returns:
            ``True`` when it is in the seen file.
        """
        return normalize_url(url) in self._seen

    def consider(
        self,
        url: str,
        *,
        published: str | None = None,
        lastmod: str | None = None,
        newest_lastmod: str | None = None,
    ) -> Decision | None:
        """Decide about a discovered article URL.

        Args:
            url: the absolute URL as found.
            published: publication time hint from the discovery document.
            lastmod: a plain sitemap's ``<lastmod>`` (ISO 8601), when given.
            newest_lastmod: the newest ``<lastmod>`` of that sitemap.

        Returns:
            The decision, or ``None`` when the URL (normalised) was already considered
            in this crawl; its hint is kept if it had none.
        """
        key = normalize_url(url)
        if key in self._hints:
            if published and not self._hints[key]:
                self._hints[key] = published
            return None
        self._hints[key] = published
        skip, reason = self._rule(key, lastmod, newest_lastmod)
        if skip is None:
            self._scheduled += 1
        return Decision(url=key, skip=skip, reason=reason)

    def published(self, key: str) -> str | None:
        """Return the best publication hint known for a normalised article URL.

        Args:
            key: the URL of a :class:`Decision`.

        Returns:
            The first hint any discovery document gave, or ``None``.
        """
        return self._hints.get(key)

    def _rule(
        self, key: str, lastmod: str | None, newest_lastmod: str | None
    ) -> tuple[Outcome | None, str]:
        if not self.is_onsite(key):
            host, port = url_origin(key)
            where = f"{host}:{port}" if port else host
            return "offsite", f"{where} is not one of the source's sites"
        for pattern in self._deny:
            if pattern.search(key):
                return "filtered", f"matches deny pattern {pattern.pattern!r}"
        if self._allow and not any(pattern.search(key) for pattern in self._allow):
            patterns = ", ".join(repr(pattern.pattern) for pattern in self._allow)
            return "filtered", f"matches none of the allow patterns {patterns}"
        oldest = self._window_start(newest_lastmod)
        if lastmod and oldest and _instant(lastmod) < oldest:
            return "filtered", (
                f"sitemap lastmod {lastmod} is older than the {self._lastmod_days:g}-day window "
                f"(since {oldest.isoformat(timespec='seconds')}, WIREDUPE_LASTMOD_DAYS)"
            )
        if key in self._seen:
            return "seen", "already stored (listed in seen_file)"
        cap = self._source.max_articles
        if cap is not None and self._scheduled >= cap:
            return "capped", f"max_articles = {cap} reached"
        return None, ""

    def _window_start(self, newest_lastmod: str | None) -> datetime | None:
        if self._lastmod_days is None:
            return None
        end = min(self._now, _instant(newest_lastmod)) if newest_lastmod else self._now
        return end - timedelta(days=self._lastmod_days)


def newest_lastmod(lastmods: Iterable[str | None]) -> str | None:
    """Return the newest of a sitemap's ``<lastmod>`` values (ISO 8601).

    Args:
        lastmods: the entries' lastmods, ``None`` for an entry without one.

    Returns:
        The newest, or ``None`` when no entry has one.
    """
    dated = [lastmod for lastmod in lastmods if lastmod]
    return max(dated, key=_instant) if dated else None


def _instant(lastmod: str) -> datetime:
    """Return an ISO 8601 ``lastmod`` as an aware instant; a bare date as the end of its day."""
    when = datetime.fromisoformat(lastmod)
    if len(lastmod) == 10:  # a bare date covers its whole day: compare with its end
        when += timedelta(days=1)
    if when.tzinfo is None:  # a date, or a time without offset: taken as UTC
        when = when.replace(tzinfo=UTC)
    return when
