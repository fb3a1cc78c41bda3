"""robots.txt ``Crawl-delay``, honoured per host and kept as a floor under AutoThrottle.

Scrapy parses ``Crawl-delay`` (``RobotParser.crawl_delay``) but never applies it,
and AutoThrottle would overwrite any delay set on a download slot with one
derived from latency (down to ``DOWNLOAD_DELAY``). Two components fix that,
both through Scrapy's own per-slot settings (``Downloader.per_slot_settings``,
filled from ``DOWNLOAD_SLOTS``), which is where slots take their delay from:

- :class:`RobotsCrawlDelay`, an extension, reads the delay of our user agent
  when a robots.txt is parsed and sets it as the delay of that host's slot
  (existing and future), without random jitter, which would go below it;
- :class:`FlooredAutoThrottle`, AutoThrottle that never lowers a slot's delay
  under the one its per-slot settings give (so ``DOWNLOAD_SLOTS`` delays are
  floors too).
"""

from __future__ import annotations

import logging
from typing import TYPE_CHECKING, Any, Self

from scrapy import signals
from scrapy.exceptions import NotConfigured
from scrapy.extensions.throttle import AutoThrottle

if TYPE_CHECKING:
    from scrapy import Request
    from scrapy.core.downloader import Downloader, Slot
    from scrapy.crawler import Crawler
    from scrapy.http import Response
    from scrapy.robotstxt import RobotParser

__all__ = ["FlooredAutoThrottle", "RobotsCrawlDelay", "slot_delay_floor"]

logger = logging.getLogger(__name__)


def slot_delay_floor(downloader: Downloader, slot: Slot) -> float:
    """Return the delay ``slot``'s per-slot settings ask for, 0 when they set none.

    Args:
        downloader: the crawl's downloader.
        slot: one of its slots.

    Returns:
        Seconds.
    """
    for key, candidate in downloader.slots.items():
        if candidate is slot:
            return float(downloader.per_slot_settings.get(key, {}).get("delay", 0.0))
    return 0.0


class RobotsCrawlDelay:
    """Extension applying robots.txt ``Crawl-delay`` to the host's download slot.

    Args:
        crawler: the running crawler.
        user_agent: the product token matched against robots.txt groups.
    """

    def __init__(self, crawler: Crawler, *, user_agent: str) -> None:
        self.crawler = crawler
        self.user_agent = user_agent

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Listen to ``robots_parsed``, matching ``ROBOTSTXT_USER_AGENT`` (else ``USER_AGENT``).

        Raises:
            NotConfigured: robots.txt is not obeyed (``ROBOTSTXT_OBEY = False``).
        """
        settings = crawler.settings
        if not settings.getbool("ROBOTSTXT_OBEY"):
            raise NotConfigured("ROBOTSTXT_OBEY is off: no robots.txt is read")
        agent = settings.get("ROBOTSTXT_USER_AGENT") or settings.get("USER_AGENT")
        extension = cls(crawler, user_agent=str(agent))
        crawler.signals.connect(extension.robots_parsed, signal=signals.robots_parsed)
        return extension

    def robots_parsed(self, robotparser: RobotParser, request: Request) -> None:
        """Set the host's slot delay to its ``Crawl-delay``, when it has one above the current."""
        delay = robotparser.crawl_delay(self.user_agent)
        if not delay:
            return
        downloader = self.crawler.engine.downloader
        key = downloader.get_slot_key(request)
        slot_settings: dict[str, Any] = downloader.per_slot_settings.setdefault(key, {})
        floor = max(float(delay), float(slot_settings.get("delay", 0.0)))
        slot_settings.update(delay=floor, jitter=0.0)
        slot = downloader.slots.get(key)
        if slot is not None:
            slot.delay = max(slot.delay, floor)
            slot.jitter = 0.0
        logger.info("robots.txt of %s asks for Crawl-delay: %g s; honoured", key, floor)


class FlooredAutoThrottle(AutoThrottle):
    """AutoThrottle that keeps each slot's delay at or above its per-slot setting."""

    def _adjust_delay(self, slot: Slot, latency: float, response: Response) -> None:
        super()._adjust_delay(slot, latency, response)
        slot.delay = max(slot.delay, slot_delay_floor(self.crawler.engine.downloader, slot))
