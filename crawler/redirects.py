"""Never download an article twice because it moved: a redirect into the seen set stops.

The seen file lists the URLs an earlier run stored, which for a redirected
article is where it ended up, not the URL a feed still links to. The policy
(:mod:`crawler.policy`) can only compare the linked URL; this downloader
middleware compares each redirect target of an article request, and drops the
request before it is downloaded when the target was already stored.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Self

from crawler.errors import CrawlSetupError
from crawler.failures import AlreadyStored, redirect_chain
from crawler.meta import KIND_META
from crawler.policy import ArticlePolicy

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.crawler import Crawler

__all__ = ["SeenRedirectMiddleware"]


class SeenRedirectMiddleware:
    """Drop an article request redirected to a URL of the seen file (outcome ``seen``).

    Reads the seen set from the ``wire`` spider's :class:`~crawler.policy.ArticlePolicy`.
    """

    def __init__(self, crawler: Crawler) -> None:
        self.crawler = crawler

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the middleware (it reads the spider's policy on each request)."""
        return cls(crawler)

    def process_request(self, request: Request) -> None:
        """Raise :class:`~crawler.failures.AlreadyStored` for a redirect into the seen set.

        Raises:
            AlreadyStored: the request is an article redirected to a stored URL.
            CrawlSetupError: the spider is not the ``wire`` spider (it has no policy).
        """
        if request.meta.get(KIND_META) != "article" or not request.meta.get("redirect_urls"):
            return
        policy = getattr(self.crawler.spider, "policy", None)
        if not isinstance(policy, ArticlePolicy):
            raise CrawlSetupError(
                "SeenRedirectMiddleware needs the 'wire' spider's ArticlePolicy as its "
                "'policy' attribute; remove the middleware from DOWNLOADER_MIDDLEWARES "
                "for other spiders"
            )
        if policy.is_seen(request.url):
            raise AlreadyStored(
                f"already stored: redirected to {request.url}, listed in seen_file "
                f"({redirect_chain(request)})"
            )
