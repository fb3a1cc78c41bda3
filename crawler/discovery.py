"""Finding article links in the three kinds of discovery documents.

Plain functions over response bodies, no Scrapy engine involved:

- feeds (RSS 2.0, Atom, RDF) with ``feedparser``; item dates become publication hints;
- sitemaps, sitemap indexes and Google news sitemaps with Scrapy's ``Sitemap``
  (an lxml parser that never resolves entities), plus a second pass of the same
  safety for ``news:publication_date``, which ``Sitemap`` drops;
- section pages with Scrapy's ``LinkExtractor``, leaving out navigation chrome
  and paths that are obviously not articles.

Scraped documents are untrusted: nothing here resolves external entities or
touches the network or the file system. A feed or sitemap that declares
entities in its DTD (``<!ENTITY``: the "billion laughs" expansion bomb, or an
external entity such as ``file:///etc/passwd``) is refused before any parser
sees it: no news feed needs them, and refusing is safer than trusting each
parser's expansion limits (feedparser's lenient fallback parser would read
such a feed's items).
"""

from __future__ import annotations

import calendar
import codecs
import io
import re
import time
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, Literal
from urllib.parse import urljoin, urlsplit

import feedparser
import lxml.etree
from scrapy.http import TextResponse
from scrapy.linkextractors import LinkExtractor
from scrapy.utils.gz import gunzip
from scrapy.utils.sitemap import Sitemap

__all__ = [
    "FeedLinks",
    "Link",
    "SitemapLinks",
    "entity_problem",
    "feed_links",
    "iso_hint",
    "section_links",
    "sitemap_links",
]

# Links inside navigation chrome are menus, not articles.
_CONTENT_LINKS_XPATH = "//a[not(ancestor::nav or ancestor::header or ancestor::footer)]"

# Paths of index and service pages that section pages link to next to their articles.
_NON_ARTICLE_PATTERNS = (
    # taxonomy and people pages
    r"/(?:tags?|topics?|authors?|category|categories|people|profiles?|contributors?)(?:/|$)",
    # service pages
    r"/(?:about|about-us|contact|contact-us|privacy|privacy-policy|terms|terms-of-use|cookies"
    r"|subscribe|subscriptions|newsletters?|login|signin|sign-in|register|account|search"
    r"|archives?|feeds?|rss|sitemap|advertise|careers|jobs|help|faq)(?:/|\.html?|$)",
    # pagination of the section itself
    r"/page/\d+/?$",
    # machine-readable documents
    r"\.(?:xml|rss|atom|json|ics)(?:$|\?)",
)

_GZIP_MAGIC = b"\x1f\x8b\x08"

# An entity declaration inside a DOCTYPE's internal subset (before the root element).
_ENTITY_DECLARATION = re.compile(rb"<!DOCTYPE[^>\[]*\[[^\]]*?<!ENTITY", re.IGNORECASE)
# How much of a document may precede the root element: the XML declaration, comments, the DTD.
_PROLOG_BYTES = 64 * 1024


@dataclass(frozen=True, kw_only=True)
class Link:
    """An article link found in a discovery document.

    Attributes:
        url: absolute URL, as found (not yet normalised).
        published: publication time hint (ISO 8601), when the document gave one.
        lastmod: a plain sitemap's ``<lastmod>`` (ISO 8601), when it gave one.
    """

    url: str
    published: str | None = None
    lastmod: str | None = None


@dataclass(frozen=True, kw_only=True)
class FeedLinks:
    """What a feed yielded.

    Attributes:
        links: the entries' links, in feed order.
        problem: why the feed could not be used at all, or ``None``.
        warning: what was wrong with a feed that was still read (leniently), or ``None``.
    """

    links: tuple[Link, ...] = ()
    problem: str | None = None
    warning: str | None = None


@dataclass(frozen=True, kw_only=True)
class SitemapLinks:
    """What a sitemap yielded.

    Attributes:
        type: ``"sitemapindex"`` (links are sitemaps) or ``"urlset"`` (links are pages).
        links: the ``<loc>`` entries, in document order.
        problem: why the document could not be used, or ``None``.
    """

    type: Literal["sitemapindex", "urlset"] | None = None
    links: tuple[Link, ...] = ()
    problem: str | None = None


def feed_links(body: bytes, *, url: str, content_type: str | None = None) -> FeedLinks:
    """Return the entry links of an RSS 2.0, Atom or RDF feed.

    Relative links are resolved against ``url``. An entry's ``published`` date
    (or, failing that, its ``updated`` date) becomes the link's hint.

    Args:
        body: the feed document as received.
        url: the feed's URL (after redirects), the base of relative links.
        content_type: the response's Content-Type, which may name the encoding.

    Returns:
        The links, and a problem when the document is not a usable feed.
    """
    refused = entity_problem(body)
    if refused:
        return FeedLinks(problem=f"refused feed ({refused})")
    headers = {"content-location": url}
    if content_type:
        headers["content-type"] = content_type
    # A stream, never bytes or str: feedparser treats a string as a URL or file name to open.
    parsed = feedparser.parse(io.BytesIO(body), response_headers=headers)
    error = parsed.get("bozo_exception")
    detail = f"{type(error).__name__}: {error}" if error else None
    if not parsed.entries and (parsed.bozo or not parsed.version):
        reason = "no RSS, Atom or RDF entries" + (f"; {detail}" if detail else "")
        return FeedLinks(problem=f"malformed feed ({reason})")
    links: list[Link] = []
    for entry in parsed.entries:
        href = _entry_href(entry)
        if href:
            links.append(Link(url=urljoin(url, href), published=_entry_published(entry)))
    return FeedLinks(links=tuple(links), warning=detail if parsed.bozo else None)


def sitemap_links(body: bytes, *, max_size: int = 0) -> SitemapLinks:
    """Return the ``<loc>`` entries of a sitemap, sitemap index or news sitemap.

    A gzip-compressed body (``.xml.gz``) is decompressed first. In a news
    sitemap, ``news:publication_date`` becomes the link's hint; an entry's
    ``<lastmod>`` is kept apart (it says when the page changed, not when the
    story was published).

    Args:
        body: the document as received.
        max_size: largest decompressed size accepted, in bytes; 0 for no limit.

    Returns:
        The links and the sitemap type, or a problem when the document is not a sitemap.
    """
    if body[:3] == _GZIP_MAGIC:
        try:
            body = gunzip(body, max_size=max_size)
        except (OSError, EOFError, ValueError) as exc:
            # scrapy raises a ValueError subclass when max_size is exceeded
            return SitemapLinks(problem=f"malformed sitemap (gzip: {exc})")
    refused = entity_problem(body)
    if refused:
        return SitemapLinks(problem=f"refused sitemap ({refused})")
    try:
        sitemap = Sitemap(body)
        entries = [entry for entry in sitemap if entry.get("loc")]
    except StopIteration:
        return SitemapLinks(problem="malformed sitemap (no XML element found)")
    except lxml.etree.LxmlError as exc:
        return SitemapLinks(problem=f"malformed sitemap ({type(exc).__name__}: {exc})")
    kind: Literal["sitemapindex", "urlset"]
    if sitemap.type == "sitemapindex":
        kind = "sitemapindex"
    elif sitemap.type == "urlset":
        kind = "urlset"
    else:
        return SitemapLinks(
            problem=f"malformed sitemap (root element <{sitemap.type}>, "
            "expected <urlset> or <sitemapindex>)"
        )
    dates = _news_publication_dates(body) if kind == "urlset" else {}
    links = tuple(
        Link(
            url=entry["loc"],
            published=iso_hint(dates.get(entry["loc"])),
            lastmod=iso_hint(entry.get("lastmod")),
        )
        for entry in entries
    )
    return SitemapLinks(type=kind, links=links)


def section_links(response: TextResponse, *, exclude: Iterable[str] = ()) -> tuple[str, ...]:
    """Return the candidate article links of a section page, in document order.

    Links inside ``<nav>``, ``<header>`` and ``<footer>``, links to the site root,
    to the page itself, to ``exclude``, and to tag, author, category, about and
    other service pages are left out. Links to other sites are kept: whether to
    follow them is the caller's decision.

    Args:
        response: the section page.
        exclude: URLs never to return (e.g. the source's feeds and other section pages).

    Returns:
        Absolute http(s) URLs without fragments, each once.
    """
    extractor = LinkExtractor(
        restrict_xpaths=(_CONTENT_LINKS_XPATH,),
        deny=_NON_ARTICLE_PATTERNS,
        canonicalize=False,
        unique=True,
    )
    skip = {_without_fragment(url) for url in (*exclude, response.url)}
    links: list[str] = []
    for link in extractor.extract_links(response):
        url = _without_fragment(link.url)
        parts = urlsplit(url)
        if parts.scheme not in {"http", "https"} or url in skip or url in links:
            continue
        if parts.path in {"", "/"} and not parts.query:
            continue  # the site root is the home page, not an article
        links.append(url)
    return tuple(links)


def entity_problem(body: bytes) -> str | None:
    """Return why an XML document must not be parsed, or ``None`` when it declares no entities.

    Args:
        body: the document as received (UTF-8, UTF-16 with a BOM, or any ASCII-compatible
            encoding).

    Returns:
        A reason naming the attack the declarations allow, or ``None``.

    Example:
        >>> entity_problem(b'<!DOCTYPE r [<!ENTITY x SYSTEM "file:///etc/passwd">]><r>&x;</r>')
        'declares XML entities in its DTD (external entity or expansion bomb); not parsed'
    """
    prolog = body[:_PROLOG_BYTES]
    if prolog.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        prolog = prolog.decode("utf-16", errors="replace").encode("utf-8")
    if _ENTITY_DECLARATION.search(prolog):
        return "declares XML entities in its DTD (external entity or expansion bomb); not parsed"
    return None


def iso_hint(text: str | None) -> str | None:
    """Return a publication time hint in ISO 8601, or ``None`` when it is not a date.

    Args:
        text: a W3C datetime as news sitemaps write it (``2025-11-21``,
            ``2025-11-21T09:15:00+01:00``, ``...Z``).

    Returns:
        The same instant in ISO 8601 (offset kept), or ``None``.
    """
    if not text:
        return None
    text = text.strip()
    try:
        if len(text) == 10:  # a bare date stays a date: midnight would be invented precision
            return date.fromisoformat(text).isoformat()
        return datetime.fromisoformat(text).isoformat()
    except ValueError:
        return None


def _entry_href(entry: Any) -> str | None:
    if entry.get("link"):
        return str(entry["link"])
    for link in entry.get("links", ()):
        if link.get("href") and link.get("rel", "alternate") == "alternate":
            return str(link["href"])
    guid = entry.get("id")
    if isinstance(guid, str) and guid.startswith(("http://", "https://")):
        return guid
    return None


def _entry_published(entry: Any) -> str | None:
    parsed: time.struct_time | None = entry.get("published_parsed") or entry.get("updated_parsed")
    if not parsed:
        return None
    # feedparser normalises every date to UTC.
    return datetime.fromtimestamp(calendar.timegm(parsed), tz=UTC).isoformat()


def _news_publication_dates(body: bytes) -> dict[str, str]:
    # Same safety as scrapy's Sitemap: no entities, no network, comments and PIs dropped.
    dates: dict[str, str] = {}
    events = lxml.etree.iterparse(
        io.BytesIO(body),
        events=("end",),
        tag="{*}url",
        recover=True,
        resolve_entities=False,
        no_network=True,
        remove_comments=True,
        remove_pis=True,
        collect_ids=False,
    )
    try:
        for _, element in events:
            loc = (element.findtext("{*}loc") or "").strip()
            date = (element.findtext("{*}news/{*}publication_date") or "").strip()
            if loc and date:
                dates[loc] = date
            element.clear()
    except lxml.etree.LxmlError:
        pass  # keep the dates read so far; the links themselves came from Sitemap
    return dates


def _without_fragment(url: str) -> str:
    return url.split("#", 1)[0]
