"""The ``request.meta`` keys through which the spider, middleware and pipelines talk.

Each key is prefixed ``wiredupe_`` so that it never collides with Scrapy's own.
"""

from __future__ import annotations

__all__ = [
    "FETCHED_AT_META",
    "FOUND_ON_META",
    "KEY_META",
    "KIND_META",
    "REVALIDATED_META",
    "SITEMAP_DEPTH_META",
    "WIRE_HEADERS_META",
]

# Set by the spider on every request it yields.
KIND_META = "wiredupe_kind"  # "article", "feed", "sitemap" or "section"
FOUND_ON_META = "wiredupe_found_on"  # URL of the document that listed this one, or None
KEY_META = "wiredupe_key"  # articles: the normalised URL the request was made for
SITEMAP_DEPTH_META = "wiredupe_sitemap_depth"  # sitemaps: nesting level below a configured one

# Set by WireCaptureMiddleware on each final response's request.
WIRE_HEADERS_META = "wiredupe_wire_headers"  # headers as received, before decoding
FETCHED_AT_META = "wiredupe_fetched_at"  # arrival time (timezone-aware datetime)

# Set by DiscoveryCacheMiddleware when a cached feed or sitemap was revalidated: the
# status the network answered (304: unchanged), or the exception text when it failed.
REVALIDATED_META = "wiredupe_revalidated"
