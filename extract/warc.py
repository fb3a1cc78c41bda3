"""WARC files to raw pages and articles: the archive side of the extraction stage.

This module owns reading WARC files (ours and foreign ones such as Common Crawl News)
with warcio: :func:`iter_raw_pages` yields each ``response`` record as a
:class:`RawPage`, and :func:`extract_warc` turns those that are article candidates into
:class:`~extract.article.Article` records, or into :class:`Rejected` records that say
why not. One bad page never stops a file; a corrupt file stops at the damage, after
everything before it was yielded, with a :class:`~extract.errors.WarcReadError`.
Pages can be parsed and extracted by a pool of worker processes (``workers=``, see
:func:`all_cores`); the learning of each source's boilerplate and the order of the
results are the same either way.

Our crawler adds these headers to each response record:

- ``WARC-Wiredupe-Source``: the source's name.
- ``WARC-Wiredupe-Kind``: ``article``, ``feed``, ``sitemap`` or ``section``.
- ``WARC-Wiredupe-Published``: the publication time the feed or sitemap gave (ISO 8601).
- ``WARC-Wiredupe-Requested-URI``: the URL requested, when a redirect led elsewhere.
"""

from __future__ import annotations

import multiprocessing
import os
import zlib
from collections import defaultdict, deque
from collections.abc import Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO, cast
from urllib.parse import urlsplit

import fsspec
from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.recordloader import ArcWarcRecord

from extract.article import Article, ParsedPage, article_from_page, parse_page, without_boilerplate
from extract.boilerplate import BoilerplateMemory, PageChrome, page_chrome, repeated_blocks
from extract.dates import parse_timestamp
from extract.errors import ExtractError, NoArticleText, WarcReadError

__all__ = [
    "KIND_HEADER",
    "PageResult",
    "RawPage",
    "Rejected",
    "all_cores",
    "check_whole",
    "extract_warc",
    "finish_extraction",
    "is_candidate",
    "iter_raw_pages",
    "process_page",
    "warc_records",
]

_SOURCE = "WARC-Wiredupe-Source"
KIND_HEADER = "WARC-Wiredupe-Kind"
_PUBLISHED = "WARC-Wiredupe-Published"
_REQUESTED = "WARC-Wiredupe-Requested-URI"
_HTML_TYPES = ("text/html", "application/xhtml+xml")
# Errors warcio and zlib raise on a truncated or corrupt file (a cut gzip member, a
# record whose length runs past the end, garbage where a header should be). Not
# OSError: a file system's error (a network blip reading s3://) is no damage, and
# is raised as it is, for the caller to try again.
_READ_ERRORS = (ArchiveLoadFailed, EOFError, zlib.error, ValueError)
# Pages sent to a worker at a time: enough to make the cost of pickling and of a
# round trip small beside parsing (a few ms per page), few enough to keep workers
# evenly busy at the end of a file.
_BATCH_PAGES = 16
# Batches in flight per worker: one being worked on, one waiting, so that a worker
# never idles while the reader is busy, and at most this many batches of raw pages
# are held in memory.
_BATCHES_PER_WORKER = 2
# Bytes read at a time when the rest of a record is checked (no body is held whole).
_CHUNK = 1 << 16


@dataclass(frozen=True, kw_only=True)
class RawPage:
    """One archived HTTP response.

    Attributes:
        url: The URL the response came from (``WARC-Target-URI``).
        source: The source's name: our header, else the caller's default, else the
            host without ``www.``.
        kind: ``article``, ``feed``, ``sitemap`` or ``section`` from our crawler; None
            for foreign files.
        status: The HTTP status code (0 if the record has no HTTP status line).
        headers: HTTP response headers, names lower-cased, repeats joined by ``", "``.
        body: The body, with transfer and content encoding (chunked, gzip) removed.
        fetched: ``WARC-Date``, in UTC.
        published_hint: ``WARC-Wiredupe-Published``, in UTC, if present and valid.
        requested_url: ``WARC-Wiredupe-Requested-URI``, if present.
    """

    url: str
    source: str
    kind: str | None
    status: int
    headers: Mapping[str, str]
    body: bytes
    fetched: datetime
    published_hint: datetime | None
    requested_url: str | None


@dataclass(frozen=True, kw_only=True)
class Rejected:
    """A response that yielded no article, and why.

    Attributes:
        url: the page's URL.
        source: the source's name.
        reason: why it holds no article.
        status: the HTTP status when that is the reason (an error page), else None:
            the page was fetched and is no article.
    """

    url: str
    source: str
    reason: str
    status: int | None = None


def iter_raw_pages(
    path: Path | str,
    *,
    default_source: str | None = None,
    start: int = 0,
    end: int | None = None,
) -> Iterator[RawPage]:
    """Yield the response records of a WARC file (gzip-compressed or not).

    Args:
        path: The WARC file: a local path, or a URL that fsspec opens
            (``s3://bucket/run/spacewar.warc.gz``; the protocol's package, such as
            s3fs, must be installed).
        default_source: Source name for records without ``WARC-Wiredupe-Source``;
            when None, the URL's host without ``www.`` is used.
        start: Byte offset of the first record to read (a record's start, as
            :func:`extract.batches.warc_batches` gives).
        end: Stop at the first record starting at or after this offset; None reads
            to the end of the file (and reports bytes after the last record).

    Yields:
        One :class:`RawPage` per ``response`` record, in file order; request,
        metadata, revisit and warcinfo records are skipped.

    Raises:
        WarcReadError: If the file cannot be opened, or is corrupt or truncated; the
            records before the damage have been yielded by then.
        OSError: reading failed for a reason of the file system, not of the file
            (worth trying again).
    """
    for record, offset in warc_records(path, start=start, end=end):
        if record.rec_type == "response":
            try:
                page = _raw_page(record, default_source)
            except _READ_ERRORS as exc:
                raise WarcReadError(path, offset, _describe(exc)) from exc
            check_whole(path, record, offset)
            yield page


def check_whole(path: Path | str, record: ArcWarcRecord, offset: int) -> None:
    """Read what is left of a record's block, and raise if it is shorter than declared.

    warcio ends quietly at a gzip member cut short, and hands over the part of the
    body it found: a page cut in half would pass for a whole one.

    Args:
        path: the file, for the error's message.
        record: the record being read (what its reader has consumed is not read again).
        offset: the record's offset, for the error's message.

    Raises:
        WarcReadError: the record is truncated, or its data is corrupt.
    """
    stream = record.raw_stream
    try:
        while stream.read(_CHUNK):
            pass
    except _READ_ERRORS as exc:
        raise WarcReadError(path, offset, _describe(exc)) from exc
    # The block is read through a LimitReader of its Content-Length: what is left of
    # the limit once the data ran out is what the record lacks.
    missing = getattr(stream, "limit", 0)
    if missing > 0:
        raise WarcReadError(
            path, offset, f"record cut short: the last {missing} bytes of its block are missing"
        )


def warc_records(
    path: Path | str, *, start: int = 0, end: int | None = None
) -> Iterator[tuple[ArcWarcRecord, int]]:
    """Yield each record of a WARC file with its offset, checked; the body left unread.

    A record's body can be read until the next one is asked for. See
    :func:`iter_raw_pages` for the arguments and the errors.
    """
    try:
        stream = _open_archive(path)
    except OSError as exc:
        raise WarcReadError(path, start, exc.strerror or str(exc)) from exc
    with stream:
        size = stream.seek(0, os.SEEK_END)
        stream.seek(start)
        records = ArchiveIterator(stream)
        offset = start
        # Records follow each other: one starts where the one before it ends (warcio
        # knows a record's own offset only once it has been read to its end).
        while end is None or offset < end:
            try:
                record = next(records, None)
                if record is None:
                    break
                _check_record(record)
            except _READ_ERRORS as exc:
                raise WarcReadError(path, offset, _describe(exc)) from exc
            yield record, offset
            try:
                offset = records.get_record_offset() + records.get_record_length()
            except _READ_ERRORS as exc:
                raise WarcReadError(path, offset, _describe(exc)) from exc
        if end is not None:
            return
        # warcio ends quietly at a gzip member cut short; bytes left over after the
        # last complete record are that damage.
        if offset < size:
            stream.seek(offset)
            if stream.read().strip(b"\r\n\x00"):
                raise WarcReadError(
                    path,
                    offset,
                    f"{size - offset} bytes after the last complete record are not a "
                    "complete record (truncated or corrupt)",
                )


def _open_archive(path: Path | str) -> BinaryIO:
    """Open a WARC file for reading: a local path, or any URL that fsspec opens.

    Raises:
        OSError: the file cannot be opened (missing, no permission, no such bucket).
    """
    if isinstance(path, Path) or "://" not in path:
        return Path(path).open("rb")
    try:
        opened = fsspec.open(path, "rb").open()
    except (ImportError, ValueError) as exc:  # an unknown protocol or its missing package
        raise OSError(str(exc)) from exc
    return cast(BinaryIO, opened)


def all_cores() -> int:
    """Return the number of CPUs this process may use (for ``extract_warc(workers=…)``)."""
    counter = getattr(os, "process_cpu_count", None)  # Python 3.13+
    if counter is not None:
        return int(counter() or 1)
    if hasattr(os, "sched_getaffinity"):
        return len(os.sched_getaffinity(0)) or 1
    return os.cpu_count() or 1


@dataclass(frozen=True)
class ExtractionPool:
    """Worker processes that parse and extract pages, shared by every file of a night.

    Made by :func:`extraction_pool`; starting processes costs a fraction of a
    second, so one pool serves many :func:`extract_warc` calls.
    """

    executor: ProcessPoolExecutor
    workers: int


@contextmanager
def extraction_pool(workers: int) -> Iterator[ExtractionPool | None]:
    """Start ``workers`` extraction processes for the block; ``None`` when ``workers`` is 1.

    Args:
        workers: how many processes (:func:`all_cores` for one per CPU); 1 works in
            the calling process.

    Yields:
        The pool to pass to :func:`extract_warc`, or ``None`` (in process).

    Raises:
        ValueError: If ``workers`` is below 1.
    """
    if workers < 1:
        raise ValueError(f"workers must be at least 1, got {workers}; use all_cores()")
    if workers == 1:
        yield None
        return
    # forkserver (spawn where it is missing): forking a process that runs threads
    # (Prefect's, an HTTP client's) can deadlock the child.
    method = "forkserver" if "forkserver" in multiprocessing.get_all_start_methods() else "spawn"
    with ProcessPoolExecutor(workers, mp_context=multiprocessing.get_context(method)) as executor:
        yield ExtractionPool(executor, workers)


def extract_warc(
    path: Path,
    *,
    default_source: str | None = None,
    memory: BoilerplateMemory | None = None,
    pool: ExtractionPool | None = None,
) -> Iterator[Article | Rejected]:
    """Extract the articles of a WARC file.

    With our crawler's headers, only records of kind ``article`` are candidates (feeds,
    sitemaps and section pages are skipped silently). In foreign files every response
    is a candidate. A candidate is rejected when its status is not 200, its content
    type is not HTML, or extraction finds no article text or cannot decode it.

    Args:
        path: The WARC file.
        default_source: Source name for records without ``WARC-Wiredupe-Source``;
            when None, the URL's host without ``www.`` is used.
        memory: each source's boilerplate from earlier nights; what this file
            teaches is added to it (read ``memory.added`` afterwards to store it).
        pool: processes that parse and extract pages (:func:`extraction_pool`);
            ``None`` works in this process. The results are the same, in the same
            order.

    Yields:
        An :class:`~extract.article.Article` or a :class:`Rejected` per candidate,
        in file order.

    Each source's boilerplate (text blocks and sections on most of its pages in this
    file, see :mod:`extract.boilerplate`) is removed from its articles, so the file
    is read whole before the first article is yielded; a page left with only
    boilerplate is rejected.

    Raises:
        WarcReadError: If the file is corrupt or truncated, after everything before
            the damage has been yielded.
    """
    candidates = (
        page
        for page in iter_raw_pages(path, default_source=default_source)
        if is_candidate("response", page.kind)
    )
    results: list[PageResult] = []
    damage: WarcReadError | None = None
    try:
        results.extend(_processed(candidates, pool))
    except WarcReadError as exc:
        damage = exc  # what was read before the damage is still extracted
    yield from finish_extraction(results, memory)
    if damage is not None:
        raise damage


# One page's outcome, and its chrome when it is HTML (what the boilerplate is learned from).
PageResult = tuple[Article | Rejected, PageChrome | None]


def is_candidate(rec_type: str, kind: str | None) -> bool:
    """Whether a record may hold an article: a response of kind article, or of a foreign file."""
    return rec_type == "response" and (kind is None or kind == "article")


def finish_extraction(
    results: Iterable[PageResult], memory: BoilerplateMemory | None = None
) -> Iterator[Article | Rejected]:
    """Learn each source's boilerplate from ``results``, then strip it from their articles.

    Args:
        results: the pages' outcomes and chrome, in file order: all of a file's, or
            all its batches' (see :mod:`extract.batches`), so that a block is judged
            against every page of the source.
        memory: each source's boilerplate from earlier nights; what ``results``
            teach is added to it (read ``memory.added`` afterwards to store it).

    Yields:
        An article (its boilerplate removed) or a rejection per result, in order; a
        page left with only boilerplate is rejected.
    """
    outcomes = list(results)
    learned: dict[str, list[frozenset[str]]] = defaultdict(list)
    for outcome, chrome in outcomes:
        if chrome is not None:
            # Every HTML page of the source teaches its chrome, article or not.
            learned[outcome.source].append(chrome.keys())
    memory = memory if memory is not None else BoilerplateMemory()
    for source, sets in learned.items():
        memory.learn(source, repeated_blocks(sets))
    # Once per source, not per article: a source's stored keys grow night after night.
    boilerplate: dict[str, frozenset[str]] = {}
    for outcome, chrome in outcomes:
        if isinstance(outcome, Article):
            if outcome.source not in boilerplate:
                boilerplate[outcome.source] = memory.blocks(outcome.source)
            try:
                outcome = without_boilerplate(outcome, boilerplate[outcome.source], chrome)
            except NoArticleText as exc:
                outcome = Rejected(url=outcome.fetched_url, source=outcome.source, reason=str(exc))
        yield outcome


def _processed(pages: Iterator[RawPage], pool: ExtractionPool | None) -> Iterator[PageResult]:
    """Each page's outcome and chrome, in order; in this process or in ``pool``.

    A :class:`WarcReadError` from ``pages`` is raised after the outcomes of every page
    read before it.
    """
    if pool is None:
        yield from map(process_page, pages)
        return
    pending: deque[Future[list[PageResult]]] = deque()
    damage: WarcReadError | None = None
    try:
        for batch in _batches(pages, _BATCH_PAGES):
            pending.append(pool.executor.submit(_process_batch, batch))
            while len(pending) >= pool.workers * _BATCHES_PER_WORKER:
                yield from pending.popleft().result()
    except WarcReadError as exc:
        damage = exc
    while pending:
        yield from pending.popleft().result()
    if damage is not None:
        raise damage


def _batches(pages: Iterator[RawPage], size: int) -> Iterator[list[RawPage]]:
    """Group ``pages``; on a WarcReadError, the pages read before it come first."""
    batch: list[RawPage] = []
    try:
        for page in pages:
            batch.append(page)
            if len(batch) == size:
                yield batch
                batch = []
    except WarcReadError:
        if batch:
            yield batch
        raise
    if batch:
        yield batch


def _process_batch(pages: Iterable[RawPage]) -> list[PageResult]:
    """Process a batch of pages (run in a worker process)."""
    return [process_page(page) for page in pages]


def process_page(page: RawPage) -> PageResult:
    """Check, parse and extract one candidate page; its chrome if it is HTML.

    Args:
        page: an article candidate (see :func:`is_candidate`).

    Returns:
        The page's outcome (an article, or why not) and its chrome (None when the
        page is no HTML); its boilerplate is not removed yet (see
        :func:`finish_extraction`).
    """
    reason = _rejection(page)
    if reason:
        status = page.status if page.status != 200 else None
        return Rejected(url=page.url, source=page.source, reason=reason, status=status), None
    try:
        parsed = parse_page(page.body, url=page.url, content_type=page.headers.get("content-type"))
    except ExtractError as exc:
        return Rejected(url=page.url, source=page.source, reason=str(exc)), None
    return _extract_page(page, parsed), page_chrome(parsed.tree)


def _extract_page(page: RawPage, parsed: ParsedPage) -> Article | Rejected:
    try:
        article = article_from_page(
            parsed,
            source=page.source,
            fetched=page.fetched,
            published_hint=page.published_hint,
            content_language=page.headers.get("content-language"),
        )
    except ExtractError as exc:
        return Rejected(url=page.url, source=page.source, reason=str(exc))
    return replace(article, requested_url=page.requested_url) if page.requested_url else article


def _raw_page(record: ArcWarcRecord, default_source: str | None) -> RawPage:
    """Build a RawPage from a warcio response record, reading its body."""
    warc = record.rec_headers
    url = warc.get_header("WARC-Target-URI") or ""
    headers: dict[str, str] = {}
    status = 0
    if record.http_headers is not None:
        for name, value in record.http_headers.headers:
            key = name.lower()
            headers[key] = f"{headers[key]}, {value}" if key in headers else value
        try:
            status = int(record.http_headers.get_statuscode() or 0)
        except ValueError:
            status = 0
    body = record.content_stream().read()
    return RawPage(
        url=url,
        source=warc.get_header(_SOURCE) or default_source or _host_source(url),
        kind=warc.get_header(KIND_HEADER),
        status=status,
        headers=headers,
        body=body,
        fetched=_parse_time(warc.get_header("WARC-Date")) or datetime.now(UTC),
        published_hint=_parse_time(warc.get_header(_PUBLISHED)),
        requested_url=warc.get_header(_REQUESTED),
    )


def _check_record(record: ArcWarcRecord) -> None:
    """Raise ValueError unless ``record`` has a WARC version line and a record type."""
    protocol = record.rec_headers.protocol or ""
    if record.format != "warc" or not protocol.upper().startswith("WARC/"):
        raise ValueError(f"not a WARC record (header line {protocol[:40]!r})")
    if not record.rec_headers.get_header("WARC-Type"):
        raise ValueError("WARC record without WARC-Type")


def _rejection(page: RawPage) -> str | None:
    """Why a candidate page cannot hold an article, or None."""
    if page.status != 200:
        return f"HTTP status {page.status}, not 200"
    content_type = page.headers.get("content-type")
    if content_type is None:
        head = page.body[:1024].lstrip().lower()
        if not (head.startswith(b"<!doctype html") or b"<html" in head):
            return "no Content-Type and the body does not look like HTML"
        return None
    media_type = content_type.split(";")[0].strip().lower()
    if media_type not in _HTML_TYPES:
        return f"content type {media_type or content_type!r} is not HTML"
    return None


def _host_source(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.") or "unknown"


def _parse_time(value: str | None) -> datetime | None:
    """Parse a header's ISO 8601 time; None if absent or invalid (a hint, not a fact)."""
    if not value:
        return None
    try:
        return parse_timestamp(value)
    except ValueError:
        return None


def _describe(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    return f"{type(exc).__name__}: {text}" if text != type(exc).__name__ else text
