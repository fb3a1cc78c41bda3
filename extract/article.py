"""One raw HTML response to one article record: text, title, author, date, language, URL.

This module owns the article record (:class:`Article`) and the step that makes it
(:func:`extract_article`): decode the bytes (:mod:`extract.encoding`), parse once,
read the metadata trafilatura does not give (canonical link, language), run
trafilatura with the options of :mod:`extract.settings`, tidy the text and reject
pages that carry no article.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, replace
from datetime import datetime

import trafilatura
from lxml.html import HtmlElement
from trafilatura.settings import Document

from extract.boilerplate import PageChrome, strip_chrome
from extract.dates import as_utc
from extract.encoding import decode_html
from extract.errors import NoArticleText
from extract.scoring import shingles
from extract.settings import (
    DATE_FORMAT,
    INSERTED_LINE,
    MIN_SPACE_SHARE,
    MIN_TEXT_CHARS,
    MIN_TEXT_WORDS,
    PROSE_LINE_CHARS_UNSPACED,
    PROSE_LINE_WORDS,
    TABLE_CONTAINMENT,
    TRAFILATURA_OPTIONS,
)
from extract.urls import canonical_url, choose_canonical

__all__ = [
    "Article",
    "ParsedPage",
    "article_from_page",
    "extract_article",
    "parse_page",
    "without_boilerplate",
]

_WORD_RE = re.compile(r"\w+")
_SENTENCE_END_RE = re.compile(r"[.!?…。！？:;]['\"”’»)\]）」』]*$")
_TABLE = re.compile(r"<table[\s>]", re.IGNORECASE)
_LANG_RE = re.compile(r"^([A-Za-z]{2,3})(?:[-_].*)?$")


@dataclass(frozen=True, kw_only=True)
class Article:
    """An extracted article.

    Attributes:
        url: Canonical URL: the page's ``rel=canonical`` if on the same site, else the
            fetched URL; tracking parameters and fragment removed, host lower-cased.
        fetched_url: The URL the page was fetched from.
        source: Source name from the crawl, or the host for foreign WARC files.
        title: The headline, if found.
        author: The byline's names (``"; "``-separated), if found.
        published: Publication time in UTC: page metadata first, else the crawl's hint.
        fetched: When the page was fetched, in UTC.
        language: Primary language subtag, lower-cased (``"en"``), if declared.
        text: The article text, one paragraph or heading per line.
    """

    url: str
    fetched_url: str
    source: str
    title: str | None
    author: str | None
    published: datetime | None
    fetched: datetime
    language: str | None
    text: str
    # The URL first requested when the fetch was redirected (from the crawl).
    requested_url: str | None = None


@dataclass(frozen=True)
class ParsedPage:
    """A page decoded and parsed once, for extraction and for boilerplate learning."""

    url: str
    html: str
    tree: HtmlElement


def parse_page(body: bytes, *, url: str, content_type: str | None = None) -> ParsedPage:
    """Decode and parse an HTML body.

    Raises:
        NoArticleText: the body is empty or does not parse as HTML.
        UndecodablePage: the body cannot be decoded to text.
        InvalidUrl: ``url`` is not an absolute http(s) URL.
    """
    canonical_url(url)  # an invalid URL fails before any work
    if not body.strip():
        raise NoArticleText(url, "empty response body")
    html = decode_html(body, url=url, content_type=content_type)
    tree = trafilatura.load_html(html)
    if tree is None:
        raise NoArticleText(url, "the body does not parse as HTML")
    return ParsedPage(url=url, html=html, tree=tree)


def extract_article(
    body: bytes,
    *,
    url: str,
    source: str,
    fetched: datetime,
    published_hint: datetime | None = None,
    content_type: str | None = None,
    content_language: str | None = None,
) -> Article:
    """Extract the article of one HTML page (:func:`parse_page`, then :func:`article_from_page`).

    Args:
        body: The response body (after transfer and content decoding).
        url: The URL the page was fetched from.
        source: The source's name.
        fetched: When it was fetched (naive values are taken as UTC).
        published_hint: A publication time from the crawl (feed or sitemap entry),
            used when the page itself has none.
        content_type: The HTTP ``Content-Type`` header; its charset wins.
        content_language: The HTTP ``Content-Language`` header, the last resort for
            the language.

    Returns:
        The article.

    Raises:
        NoArticleText: If the page is empty or its text is below the minimum length
            of :mod:`extract.settings` (navigation, video and gallery pages).
        UndecodablePage: If the body cannot be decoded to text.
        InvalidUrl: If ``url`` is not an absolute http(s) URL.
    """
    page = parse_page(body, url=url, content_type=content_type)
    return article_from_page(
        page,
        source=source,
        fetched=fetched,
        published_hint=published_hint,
        content_language=content_language,
    )


def article_from_page(
    page: ParsedPage,
    *,
    source: str,
    fetched: datetime,
    published_hint: datetime | None = None,
    content_language: str | None = None,
) -> Article:
    """Extract the article of a parsed page; arguments as for :func:`extract_article`.

    Raises:
        NoArticleText: the page's text is below the minimum length of
            :mod:`extract.settings` (navigation, video and gallery pages).
    """
    url, tree = page.url, page.tree
    canonical = choose_canonical(_first(tree, "//link[@rel='canonical']/@href"), url)
    language = _language(tree, content_language)
    # trafilatura reads the tree without changing it, so both passes share it.
    document = _bare_extraction(tree, url, include_tables=False)
    if _TABLE.search(page.html):
        document = _table_aware(document, _bare_extraction(tree, url))
    if document is None:
        raise NoArticleText(url, "trafilatura found no main content")
    title = _clean_line(document.title)
    text = _tidy_text(document.text or "", title)
    reason = _too_short(text)
    if reason:
        raise NoArticleText(url, reason)
    hint_utc = as_utc(published_hint) if published_hint else None
    return Article(
        url=canonical,
        fetched_url=url,
        source=source,
        title=title,
        author=_clean_line(document.author),
        published=_published(document.date, hint_utc),
        fetched=as_utc(fetched),
        language=language,
        text=text,
    )


def without_boilerplate(
    article: Article, repeated: frozenset[str], page: PageChrome | None = None
) -> Article:
    """Return ``article`` with its source's boilerplate lines removed.

    Args:
        article: the article as extracted.
        repeated: the source's boilerplate blocks and sections.
        page: the sections of the article's page, so that the lines inside its
            learned chrome sections go too (see :mod:`extract.boilerplate`).

    Raises:
        NoArticleText: what is left is too short to be an article (the page's only
            "text" was the site's chrome, e.g. a gallery page and its footer).
    """
    text = strip_chrome(article.text, repeated, page)
    if text == article.text:
        return article
    reason = _too_short(text)
    if reason:
        raise NoArticleText(article.fetched_url, f"only the site's boilerplate: {reason}")
    return replace(article, text=text)


def _bare_extraction(
    tree: HtmlElement | None, url: str, *, include_tables: bool = True
) -> Document | None:
    if tree is None:
        return None
    document = trafilatura.bare_extraction(
        tree,
        url=url,
        with_metadata=True,
        date_extraction_params={
            "original_date": True,
            "extensive_search": True,
            "outputformat": DATE_FORMAT,
        },
        include_tables=include_tables,
        **TRAFILATURA_OPTIONS,
    )
    # None: no main content; a dict is only returned for as_dict=True.
    return document if isinstance(document, Document) else None


def _table_aware(plain: Document | None, with_tables: Document | None) -> Document | None:
    """Choose between the extractions without and with tables (see TABLE_CONTAINMENT)."""
    if with_tables is None or not (with_tables.text or "").strip():
        return plain
    if plain is None or not (plain.text or "").strip():
        return with_tables
    own = shingles(plain.text or "")
    if not own:
        return with_tables
    wider = shingles(with_tables.text or "")
    shared = sum((own & wider).values()) / sum(own.values())
    return plain if shared >= TABLE_CONTAINMENT else with_tables


def _first(tree: HtmlElement, xpath: str) -> str | None:
    """Return the first non-empty string an XPath yields, stripped."""
    for value in tree.xpath(xpath):
        value = str(value).strip()
        if value:
            return value
    return None


def _language(tree: HtmlElement, content_language: str | None) -> str | None:
    """Primary language subtag from ``<html lang>``, og:locale, then Content-Language."""
    candidates = (
        _first(tree, "/html/@lang"),
        _first(tree, "/html/@xml:lang"),
        _first(tree, "//meta[@property='og:locale']/@content"),
        _first(
            tree,
            "//meta[translate(@http-equiv, 'CONTENTLAGU', 'contentlagu')"
            "='content-language']/@content",
        ),
        content_language.split(",")[0] if content_language else None,
    )
    for candidate in candidates:
        match = _LANG_RE.match(candidate.strip()) if candidate else None
        if match:
            return match.group(1).lower()
    return None


def _clean_line(value: str | None) -> str | None:
    """Collapse whitespace; empty becomes None."""
    if value is None:
        return None
    return " ".join(value.split()) or None


def _tidy_text(text: str, title: str | None) -> str:
    """One stripped, non-empty line per paragraph; a leading copy of the title dropped.

    The headline is stored in ``title``; trafilatura keeps the page's ``<h1>`` when it
    sits inside the article container, and as body text it would only repeat. Lines
    inserted by the publisher (:data:`~extract.settings.INSERTED_LINE`) are dropped.
    """
    lines = [
        line
        for line in (_clean_line(raw) for raw in text.split("\n"))
        if line and not INSERTED_LINE.match(line)
    ]
    if lines and title and _words(lines[0]) == _words(title):
        lines = lines[1:]
    return "\n".join(lines)


def _words(text: str) -> list[str]:
    return _WORD_RE.findall(text.casefold())


def _too_short(text: str) -> str | None:
    """Why ``text`` is too short to be an article, or None if it is long enough.

    Only prose lines count (:data:`~extract.settings.PROSE_LINE_WORDS`), so that a
    list of headline links is not mistaken for an article.
    """
    prose = "\n".join(line for line in text.split("\n") if _is_prose(line))
    chars = len(prose) - sum(1 for ch in prose if ch.isspace())
    if chars < MIN_TEXT_CHARS:
        return (
            f"text has {chars} characters of prose, fewer than the minimum of "
            f"{MIN_TEXT_CHARS} (a navigation, video or gallery page)"
        )
    words = len(_WORD_RE.findall(prose))
    spaced = prose.count(" ") >= MIN_SPACE_SHARE * len(prose)
    if spaced and words < MIN_TEXT_WORDS:
        return f"text has {words} words of prose, fewer than the minimum of {MIN_TEXT_WORDS}"
    return None


def _is_prose(line: str) -> bool:
    if _SENTENCE_END_RE.search(line) or len(_WORD_RE.findall(line)) >= PROSE_LINE_WORDS:
        return True
    unspaced = line.count(" ") < MIN_SPACE_SHARE * len(line)
    return unspaced and len(line) >= PROSE_LINE_CHARS_UNSPACED


def _published(page_date: str | None, hint: datetime | None) -> datetime | None:
    """The publication time: the page's own date first, else the crawl's hint.

    htmldate returns a full timestamp with offset when the page has one
    (``article:published_time``, JSON-LD); when it found only a day, that day is kept
    unless the hint falls on the same day, in which case the hint's time is more
    precise.
    """
    if not page_date:
        return hint
    try:
        parsed = datetime.fromisoformat(page_date)
    except ValueError:
        return hint
    if parsed.tzinfo is None and hint is not None and hint.date() == parsed.date():
        return hint
    return as_utc(parsed)
