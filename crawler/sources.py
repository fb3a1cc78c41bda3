r"""The ``sources.toml`` schema: one :class:`Source` per ``[[sources]]`` table, and its loader.

Only the ``[[sources]]`` array is this module's concern. Other top-level tables
(``[crawl]``, ``[dedupe]``, ``[schedule]``, ``[database]``, ...) belong to the
application's configuration, which validates them; they are ignored here.

Example::

    [[sources]]
    name = "spacewar"                        # unique, [a-z0-9_-]+
    feeds = ["https://example.com/rss.xml"]  # RSS 2.0, Atom or RDF
    sitemaps = ["https://example.com/sitemap-news.xml"]
    pages = ["https://example.com/news/"]    # section pages, followed one level
    allow = ['/\d{4}/\d{2}/']                # an article URL must match one (re.search)
    deny = ['/video/']                       # an article URL matching one is skipped
    max_articles = 500                       # cap on article requests per run
"""

from __future__ import annotations

import difflib
import re
import tomllib
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from crawler.errors import SourcesError

__all__ = ["Source", "get_source", "load_sources", "parse_sources"]

_NAME_RE = re.compile(r"[a-z0-9_-]+")
_URL_FIELDS = ("feeds", "sitemaps", "pages")
_REGEX_FIELDS = ("allow", "deny")
_FIELDS = ("name", *_URL_FIELDS, *_REGEX_FIELDS, "max_articles")
_EXAMPLE_URL = "https://example.com/rss.xml"

# Builds the error for one field of the source being parsed: (field, problem) -> error.
_Fail = Callable[[str, str], SourcesError]


@dataclass(frozen=True, kw_only=True)
class Source:
    """One news source: where to discover its articles, and which to take.

    Attributes:
        name: unique identifier, ``[a-z0-9_-]+``; names the output files of a crawl.
        feeds: RSS 2.0, Atom or RDF feed URLs.
        sitemaps: sitemap, sitemap index or Google news sitemap URLs.
        pages: section pages; the article links on them are followed one level.
        allow: regexes; when any are given, an article URL must match one (``re.search``).
        deny: regexes; an article URL matching any of them is skipped.
        max_articles: cap on article requests per run; ``None`` for no cap.
    """

    name: str
    feeds: tuple[str, ...] = ()
    sitemaps: tuple[str, ...] = ()
    pages: tuple[str, ...] = ()
    allow: tuple[str, ...] = ()
    deny: tuple[str, ...] = ()
    max_articles: int | None = None

    @property
    def start_urls(self) -> tuple[str, ...]:
        """Every discovery URL of the source: feeds, then sitemaps, then pages."""
        return (*self.feeds, *self.sitemaps, *self.pages)


def load_sources(path: Path) -> tuple[Source, ...]:
    """Read and validate the ``[[sources]]`` of a ``sources.toml`` file.

    Args:
        path: the TOML file.

    Returns:
        The sources, in file order.

    Raises:
        SourcesError: the file is missing or unreadable, is not valid TOML (the
            message gives line and column), or a source breaks the schema (the
            message names the file, the source and the field).
    """
    origin = str(path)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SourcesError(
            "file not found; pass the path of an existing sources.toml", origin=origin
        ) from None
    except (OSError, UnicodeDecodeError) as exc:
        raise SourcesError(
            f"cannot read the file ({exc}); check its permissions and that it is UTF-8 text",
            origin=origin,
        ) from exc
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        # tomllib's message ends with "(at line L, column C)".
        raise SourcesError(
            f"not valid TOML: {exc}; fix the syntax at that position", origin=origin
        ) from exc
    return parse_sources(data, origin=origin)


def parse_sources(data: Mapping[str, Any], *, origin: str) -> tuple[Source, ...]:
    """Validate the ``[[sources]]`` array of an already parsed TOML document.

    Args:
        data: the whole parsed document; top-level tables other than ``sources``
            are ignored (the application's configuration validates them).
        origin: where ``data`` came from (a file name), quoted in error messages.

    Returns:
        The sources, in document order.

    Raises:
        SourcesError: naming ``origin``, the source (name, or ``#index`` counted from 1)
            and the field at fault.
    """
    raw = data.get("sources")
    if raw is None:
        raise SourcesError(
            'no [[sources]] table; add at least one, e.g. [[sources]] name = "example" '
            f'feeds = ["{_EXAMPLE_URL}"]',
            origin=origin,
        )
    if not isinstance(raw, list) or not raw:
        raise SourcesError(
            f"'sources' must be an array of tables written [[sources]], got {_describe(raw)}",
            origin=origin,
        )
    sources: list[Source] = []
    first_index: dict[str, int] = {}
    for index, table in enumerate(raw, start=1):
        source = _parse_source(table, index=index, origin=origin)
        if source.name in first_index:
            raise SourcesError(
                f"duplicate name {source.name!r}, already used by source "
                f"#{first_index[source.name]}; give each source a unique name",
                origin=origin,
                source=_label(index, source.name),
                field="name",
            )
        first_index[source.name] = index
        sources.append(source)
    return tuple(sources)


def get_source(sources: Iterable[Source], name: str, *, origin: str) -> Source:
    """Return the source called ``name``.

    Args:
        sources: the loaded sources.
        name: the wanted source's name.
        origin: where the sources came from, quoted in the error message.

    Returns:
        The matching source.

    Raises:
        SourcesError: no source has that name (the message lists the known names).
    """
    by_name = {source.name: source for source in sources}
    if name in by_name:
        return by_name[name]
    hint = _did_you_mean(name, by_name)
    raise SourcesError(
        f"no source named {name!r}{hint}; known sources: {', '.join(sorted(by_name))}",
        origin=origin,
    )


def _parse_source(table: object, *, index: int, origin: str) -> Source:
    if not isinstance(table, dict):
        raise SourcesError(
            f"each entry of 'sources' must be a table written [[sources]], got {_describe(table)}",
            origin=origin,
            source=_label(index, None),
        )
    name = _parse_name(table, index=index, origin=origin)
    label = _label(index, name)

    def fail(field: str, problem: str) -> SourcesError:
        return SourcesError(problem, origin=origin, source=label, field=field)

    for key in table:
        if key not in _FIELDS:
            raise fail(
                key,
                f"unknown field{_did_you_mean(key, _FIELDS)}; "
                f"the fields of a source are {', '.join(_FIELDS)}",
            )
    urls = {field: _parse_urls(table.get(field, []), field, fail) for field in _URL_FIELDS}
    if not any(urls.values()):
        raise fail(
            "feeds",
            "the source has no feeds, sitemaps or pages; give at least one URL to "
            f'discover articles from, e.g. feeds = ["{_EXAMPLE_URL}"]',
        )
    regexes = {field: _parse_regexes(table.get(field, []), field, fail) for field in _REGEX_FIELDS}
    return Source(
        name=name,
        feeds=urls["feeds"],
        sitemaps=urls["sitemaps"],
        pages=urls["pages"],
        allow=regexes["allow"],
        deny=regexes["deny"],
        max_articles=_parse_max_articles(table.get("max_articles"), fail),
    )


def _parse_name(table: Mapping[str, Any], *, index: int, origin: str) -> str:
    name = table.get("name")
    if name is None:
        problem = 'missing; add a unique name such as name = "example"'
    elif not isinstance(name, str) or not _NAME_RE.fullmatch(name):
        suggestion = re.sub(r"[^a-z0-9_-]+", "-", str(name).lower()).strip("-") or "example"
        problem = (
            f"{_describe(name)} is not a valid name; use lower-case letters, digits, '_' "
            f"and '-' only, e.g. name = \"{suggestion}\""
        )
    else:
        return name
    raise SourcesError(problem, origin=origin, source=_label(index, None), field="name")


def _parse_urls(value: object, field: str, fail: _Fail) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise fail(
            field,
            f"expected a list of URLs, got {_describe(value)}; "
            f'write {field} = ["{value if isinstance(value, str) else _EXAMPLE_URL}"]',
        )
    urls: list[str] = []
    for position, url in enumerate(value, start=1):
        if not isinstance(url, str):
            raise fail(field, f"item {position} is {_describe(url)}, not a URL string")
        parts = urlsplit(url.strip())
        if parts.scheme.lower() not in {"http", "https"} or not parts.hostname:
            raise fail(
                field,
                f"item {position} {url!r} is not an absolute http(s) URL; "
                "write it in full, e.g. 'https://example.com/path'",
            )
        urls.append(url.strip())
    return tuple(urls)


def _parse_regexes(value: object, field: str, fail: _Fail) -> tuple[str, ...]:
    if not isinstance(value, list):
        raise fail(
            field,
            f"expected a list of regular expressions, got {_describe(value)}; "
            f"write {field} = ['/news/'] (single quotes keep backslashes literal)",
        )
    patterns: list[str] = []
    for position, pattern in enumerate(value, start=1):
        if not isinstance(pattern, str):
            raise fail(field, f"item {position} is {_describe(pattern)}, not a regex string")
        try:
            re.compile(pattern)
        except re.error as exc:
            raise fail(
                field,
                f"item {position} {pattern!r} is not a valid regular expression ({exc}); "
                "fix it, or escape special characters with a backslash",
            ) from exc
        patterns.append(pattern)
    return tuple(patterns)


def _parse_max_articles(value: object, fail: _Fail) -> int | None:
    if value is None:
        return None
    # bool is an int subclass: `max_articles = true` must not read as 1.
    if isinstance(value, bool) or not isinstance(value, int) or value <= 0:
        raise fail(
            "max_articles",
            f"{_describe(value)} is not a positive integer; write e.g. max_articles = 500, "
            "or leave the field out for no cap",
        )
    return value


def _label(index: int, name: str | None) -> str:
    return f"#{index} ({name!r})" if name else f"#{index}"


def _did_you_mean(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _describe(value: object) -> str:
    if isinstance(value, str):
        return repr(value)
    if isinstance(value, bool):
        return f"the boolean {str(value).lower()}"
    if isinstance(value, int | float):
        return f"the number {value}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return f"a {type(value).__name__}"
