"""Canonical article URLs: the identity of an article across crawls.

A canonical URL has a lower-cased scheme and host, no default port, no fragment, its
query parameters sorted and without tracking parameters (``utm_*``, ``fbclid``,
``gclid``, ``mc_cid``, ``mc_eid``, ``ref``, ...). The crawler keeps its own copy of this
logic because packages do not import each other; the two must agree.
"""

from __future__ import annotations

from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit, urlunsplit

from courlan import normalize_url
from courlan.urlutils import is_external

from extract.errors import InvalidUrl
from extract.settings import EXTRA_TRACKING_PARAMS

__all__ = ["canonical_url", "choose_canonical"]


def canonical_url(url: str) -> str:
    """Return the canonical form of an absolute http(s) URL.

    Args:
        url: An absolute URL.

    Returns:
        The URL with host lower-cased, fragment and tracking parameters removed.

    Raises:
        InvalidUrl: If the URL is not absolute http(s) or has an invalid port.

    Example:
        >>> canonical_url("HTTPS://WWW.Example.com/a?utm_source=x&id=3#top")
        'https://www.example.com/a?id=3'
    """
    parts = urlsplit(url.strip())
    if parts.scheme.lower() not in ("http", "https") or not parts.hostname:
        raise InvalidUrl(url, "not an absolute http(s) URL")
    try:
        normalized = normalize_url(parts, strict=False)
    except ValueError as exc:
        raise InvalidUrl(url, str(exc) or "cannot be parsed") from exc
    scheme, netloc, path, query, _fragment = urlsplit(normalized)
    kept = [
        (key, value)
        for key, value in parse_qsl(query, keep_blank_values=True)
        if not EXTRA_TRACKING_PARAMS.match(key)
    ]
    return urlunsplit((scheme, netloc, path or "/", urlencode(kept, doseq=True), ""))


def choose_canonical(canonical_href: str | None, fetched_url: str) -> str:
    """Pick an article's canonical URL from its page's ``rel=canonical`` link.

    The link is trusted only when it stays on the fetched page's site (same registered
    domain: ``m.example.com`` and ``www.example.com`` agree); a syndicated copy often
    points to the original outlet, and taking that URL would merge two articles.

    Args:
        canonical_href: The ``href`` of ``<link rel="canonical">``, possibly relative.
        fetched_url: The URL the page was fetched from.

    Returns:
        The canonical form of the link if it is on the same site, else of
        ``fetched_url``.

    Raises:
        InvalidUrl: If ``fetched_url`` itself is not a valid absolute URL.
    """
    fetched = canonical_url(fetched_url)
    if not canonical_href or not canonical_href.strip():
        return fetched
    try:
        candidate = canonical_url(urljoin(fetched_url, canonical_href.strip()))
    except InvalidUrl:
        return fetched
    if is_external(candidate, fetched, ignore_suffix=False):
        return fetched
    return candidate
