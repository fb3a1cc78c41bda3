"""``wiredupe ingest``: articles from JSON lines or WARC files, then dedupe.

JSON lines: one object per line with ``url`` and ``text`` or ``html`` required;
``title``, ``source``, ``published``, ``fetched``, ``author``, ``language`` optional
(``fetched``, when the page was fetched, defaults to now: an undated article is
matched against articles published within the window of that time). A bad line
is reported with its file and line number and skipped; the rest of the file goes
on. WARC files (``.warc``, ``.warc.gz``) go through the same extraction as crawled
pages, so Common Crawl News files can be ingested as they are.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import storage
from dedupe import DedupeConfig
from extract import (
    Article,
    BoilerplateMemory,
    ExtractionPool,
    InvalidUrl,
    NoArticleText,
    Rejected,
    UndecodablePage,
    WarcReadError,
    canonical_url,
    extract_article,
    extract_warc,
    parse_timestamp,
)
from flows.errors import BadLine, InputError
from flows.grouping import GroupCounts, group_new_articles, open_index
from flows.stages import (
    StoreCounts,
    boilerplate_memory,
    extraction_processes,
    fewer_collections,
    open_store,
    store_extracted,
)

__all__ = ["IngestSummary", "LineError", "ingest_files", "read_jsonl"]

_WARC_SUFFIXES = (".warc", ".warc.gz", ".arc.gz")


@dataclass(frozen=True)
class LineError:
    """A line of an input file that was skipped, and why."""

    path: str
    line: int
    message: str

    def __str__(self) -> str:
        return f"{self.path}:{self.line}: {self.message}; line skipped"


@dataclass
class IngestSummary:
    """What an ingest did."""

    files: int = 0
    bad_lines: int = 0
    stored: StoreCounts = field(default_factory=StoreCounts)
    grouped: GroupCounts | None = None


def _parse_time(value: Any, name: str) -> datetime | None:
    if value in (None, ""):
        return None
    if not isinstance(value, str):
        raise BadLine(f"'{name}' must be an ISO 8601 string, got {type(value).__name__}")
    try:
        return parse_timestamp(value)
    except ValueError:
        raise BadLine(f"'{name}' is not an ISO 8601 date: {value[:60]!r}") from None


def _optional_str(record: dict[str, Any], name: str) -> str | None:
    value = record.get(name)
    if value is None:
        return None
    if not isinstance(value, str):
        raise BadLine(f"'{name}' must be a string, got {type(value).__name__}")
    return value.strip() or None


def _record_to_outcome(record: Any, fetched: datetime) -> Article | Rejected:
    if not isinstance(record, dict):
        raise BadLine(f"expected a JSON object, got {type(record).__name__}")
    url = _optional_str(record, "url")
    if not url or (parts := urlsplit(url)).scheme not in ("http", "https"):
        raise BadLine("'url' is required and must be an http(s) URL")
    text = _optional_str(record, "text")
    html = _optional_str(record, "html")
    if not text and not html:
        raise BadLine("'text' or 'html' is required")
    source = _optional_str(record, "source") or (parts.hostname or "").removeprefix("www.")
    published = _parse_time(record.get("published"), "published")
    fetched = _parse_time(record.get("fetched"), "fetched") or fetched
    try:
        canonical = canonical_url(url)
    except InvalidUrl as exc:
        raise BadLine(str(exc)) from None
    if html and not text:
        try:
            article = extract_article(
                html.encode("utf-8", errors="replace"),
                url=url,
                source=source,
                fetched=fetched,
                published_hint=published,
                content_type="text/html; charset=utf-8",
            )
        except (NoArticleText, UndecodablePage) as exc:
            return Rejected(url=url, source=source, reason=str(exc))
        title = _optional_str(record, "title") or article.title
        return replace(article, title=title)
    return Article(
        url=canonical,
        fetched_url=url,
        source=source,
        title=_optional_str(record, "title"),
        author=_optional_str(record, "author"),
        published=published,
        fetched=fetched,
        language=_optional_str(record, "language"),
        text=text or "",
    )


def read_jsonl(
    path: Path, on_error: Callable[[LineError], None], *, fetched: datetime | None = None
) -> Iterator[Article | Rejected]:
    """Yield the articles of a JSON-lines file; report and skip each bad line.

    Lines are read as bytes and decoded one by one, so that a line that is not
    UTF-8, not JSON, or not a valid record costs that line only.

    Raises:
        InputError: the file cannot be opened.
    """
    fetched = fetched or datetime.now(UTC)
    try:
        fh = path.open("rb")
    except OSError as exc:
        raise InputError(f"cannot read {path}: {exc.strerror or exc}") from None
    with fh:
        for line_no, raw in enumerate(fh, start=1):
            if not raw.strip():
                continue
            try:
                line = raw.decode("utf-8")
            except UnicodeDecodeError as exc:
                on_error(LineError(str(path), line_no, f"not UTF-8 ({exc.reason})"))
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as exc:
                on_error(LineError(str(path), line_no, f"invalid JSON ({exc.msg})"))
                continue
            except RecursionError:
                on_error(LineError(str(path), line_no, "JSON nested too deeply"))
                continue
            try:
                yield _record_to_outcome(record, fetched)
            except BadLine as exc:
                on_error(LineError(str(path), line_no, str(exc)))


def _is_warc(path: Path) -> bool:
    return path.name.endswith(_WARC_SUFFIXES)


def _outcomes(
    path: Path,
    on_error: Callable[[LineError], None],
    memory: BoilerplateMemory,
    pool: ExtractionPool | None,
) -> Iterable[Article | Rejected]:
    if _is_warc(path):
        return extract_warc(path, memory=memory, pool=pool)
    return read_jsonl(path, on_error)


def ingest_files(
    paths: Iterable[Path],
    *,
    db_url: str,
    dedupe: DedupeConfig,
    on_error: Callable[[LineError], None],
    workers: int = 1,
    index_url: str = "memory",
    on_progress: Callable[[str, int, int], None] | None = None,
) -> IngestSummary:
    """Store the articles of every file, then place them in story groups.

    WARC files are extracted by ``workers`` processes (0: one per core); the
    LSH index of earlier articles is at ``index_url`` (see
    :func:`flows.grouping.group_new_articles`). ``on_progress`` is called with a
    stage name, the work done and the work to do.

    Raises:
        InputError: a file is missing (checked before anything is stored).
        storage.DatabaseUnavailable: the database cannot be opened.
        dedupe.IndexUnavailable: the Redis index cannot be reached.
    """
    paths = list(paths)
    for path in paths:
        if not path.is_file():
            raise InputError(f"no such file: {path}")
    # The index is checked before anything is stored: an ingest that cannot group
    # would leave its articles ungrouped until the next pass.
    with open_index(dedupe, index_url):
        pass
    with open_store(db_url) as sessions:
        summary = IngestSummary()

        def count(error: LineError) -> None:
            summary.bad_lines += 1
            on_error(error)

        with sessions.begin() as session:
            run_id = storage.start_run(session, "ingest")
        status = "failed"
        try:
            # Extraction processes only when there is HTML to extract.
            processes = workers if any(map(_is_warc, paths)) else 1
            with (
                boilerplate_memory(sessions, None) as memory,
                extraction_processes(processes) as pool,
                fewer_collections(),
            ):
                for path in paths:
                    try:
                        outcomes = _outcomes(path, count, memory, pool)
                        store_extracted(sessions, outcomes, run_id, summary.stored)
                    except WarcReadError as exc:
                        # What was readable before the damage is stored; the rest is reported.
                        count(LineError(str(path), 0, str(exc)))
                    summary.files += 1
            summary.grouped = group_new_articles(
                sessions,
                dedupe,
                index_url=index_url,
                on_batch=(
                    (lambda done, total: on_progress("grouping", done, total))
                    if on_progress
                    else None
                ),
            )
            status = "completed"
        finally:
            with sessions.begin() as session:
                storage.finish_run(
                    session,
                    run_id,
                    status,
                    {"files": summary.files, "bad_lines": summary.bad_lines},
                )
    return summary
