"""URL identity within a crawl: normalisation, site origin, and the list of URLs already stored.

One article must be fetched once per crawl however it was found: from a feed,
a sitemap or a section page, with or without tracking parameters. Every
article URL is therefore reduced to one normal form before it is scheduled,
and the same form is what the ``seen`` file is compared against.
"""

from __future__ import annotations

from pathlib import Path
from urllib.parse import parse_qsl, urlsplit

from scrapy.utils.url import strip_url
from w3lib.url import canonicalize_url, url_query_cleaner

from crawler.errors import SpiderArgumentError

__all__ = ["load_seen_urls", "normalize_url", "url_origin"]

# Query parameters that identify a campaign, a click or a referrer, never the article.
# Every parameter starting with `utm_` (Google Analytics campaigns) is removed too.
_TRACKING_PARAMS = frozenset(
    {
        "fbclid",  # Facebook click id
        "gclid",  # Google Ads click id
        "dclid",  # Google Display click id
        "gbraid",  # Google Ads (iOS) click id
        "wbraid",  # Google Ads (web-to-app) click id
        "msclkid",  # Microsoft Ads click id
        "yclid",  # Yandex click id
        "igshid",  # Instagram share id
        "mc_cid",  # Mailchimp campaign id
        "mc_eid",  # Mailchimp subscriber id
        "_ga",  # Google Analytics cross-domain linker
        "ref",  # referrer tag ("?ref=rss", "?ref=homepage")
        "ref_src",  # Twitter/X referrer
        "cmpid",  # common newsroom campaign id
        "ito",  # common newsroom internal-traffic origin
    }
)
_DEFAULT_PORTS = {"http": 80, "https": 443}


def normalize_url(url: str) -> str:
    """Return the one form of ``url`` under which an article is fetched and remembered.

    The host is lower-cased, the fragment, a default port and tracking parameters
    (``utm_*``, ``fbclid``, ``gclid``, ``mc_cid``, ``mc_eid``, ``ref``, ...) are
    removed, the remaining query arguments are sorted and percent-encoding is
    made uniform (w3lib's ``canonicalize_url`` and ``strip_url``). The function
    is idempotent.

    Args:
        url: an absolute URL.

    Returns:
        The normalised URL.

    Example:
        >>> normalize_url("HTTPS://News.Example.com:443/a/b.html?utm_source=rss&id=2#top")
        'https://news.example.com/a/b.html?id=2'
    """
    url = url.strip()
    names = {name for name, _ in parse_qsl(urlsplit(url).query, keep_blank_values=True)}
    tracking = sorted(name for name in names if _is_tracking(name))
    if tracking:
        url = url_query_cleaner(url, tracking, remove=True, unique=False, keep_fragments=True)
    return strip_url(canonicalize_url(url), strip_credentials=False, strip_default_port=True)


def url_origin(url: str) -> tuple[str, int]:
    """Return the site identity of ``url``: lower-case host and port.

    A non-default port is part of the identity (two servers on one host are two
    sites); the scheme is not: a site's ``http://`` and ``https://`` URLs are one
    site, as an https feed linking its articles over http shows. Default ports
    (80 for http, 443 for https) count as port 0.

    Args:
        url: an absolute URL.

    Returns:
        ``(host, port)``.
    """
    parts = urlsplit(url)
    scheme = parts.scheme.lower()
    try:
        port = parts.port
    except ValueError:  # a port that is not a number: no site can match it
        port = -1
    if port is None or _DEFAULT_PORTS.get(scheme) == port:
        port = 0
    return (parts.hostname or "").lower(), port


def load_seen_urls(path: Path) -> frozenset[str]:
    """Read the URLs already stored, one per line, normalised with :func:`normalize_url`.

    Blank lines and lines starting with ``#`` are ignored.

    Args:
        path: the seen file written by the caller.

    Returns:
        The normalised URLs.

    Raises:
        SpiderArgumentError: the file does not exist or cannot be read.
    """
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as exc:
        raise SpiderArgumentError(
            f"cannot read seen_file {str(path)!r} ({exc.strerror or exc}); pass the path of an "
            "existing file with one URL per line, or leave the argument out"
        ) from exc
    lines = (line.strip() for line in text.splitlines())
    return frozenset(normalize_url(line) for line in lines if line and not line.startswith("#"))


def _is_tracking(name: str) -> bool:
    lowered = name.lower()
    return lowered.startswith("utm_") or lowered in _TRACKING_PARAMS
