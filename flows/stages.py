"""The stages' glue: extracted articles into storage, seen sets and lasting failures.

Plain functions over identifiers and paths, shared by the Prefect flow
(:mod:`flows.pipeline`) and by ``wiredupe ingest`` (:mod:`flows.ingest`).
"""

from __future__ import annotations

import gc
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

import storage
from crawler.fetchlog import read_fetch_log
from dedupe import detect_agency
from extract import (
    Article,
    BoilerplateMemory,
    ExtractionPool,
    Rejected,
    all_cores,
    extraction_pool,
)

__all__ = [
    "StoreCounts",
    "article_row",
    "boilerplate_memory",
    "extraction_processes",
    "fewer_collections",
    "lasting_failures",
    "open_store",
    "store_extracted",
    "unstorable",
    "write_seen_file",
]

_T = TypeVar("_T")
# The garbage collector's youngest generation is collected after this many new
# container objects (CPython's default is 700); see fewer_collections.
_GC_YOUNG = 10_000
# Articles per transaction: large enough to amortise a commit, small enough that a
# crash loses little work (a batch is all or nothing, and re-running redoes it).
_BATCH = 500


def _batches(items: Iterable[_T], size: int) -> Iterator[list[_T]]:
    iterator = iter(items)
    while batch := list(islice(iterator, size)):
        yield batch


@contextmanager
def open_store(url: str) -> Iterator[sessionmaker[Session]]:
    """Open the database at ``url``, migrate it to the newest schema, yield sessions.

    The engine's connections are closed when the block ends.

    Raises:
        storage.DatabaseUnavailable: the URL is malformed or the server is down.
    """
    engine = storage.make_engine(url)
    try:
        storage.upgrade(engine)
        yield storage.make_session_factory(engine)
    finally:
        engine.dispose()


@contextmanager
def boilerplate_memory(
    sessions: sessionmaker[Session], sources: Iterable[str] | None
) -> Iterator[BoilerplateMemory]:
    """Yield the boilerplate ``sources`` (None: all) taught before; store what the block adds.

    What the block learned is stored when it ends normally, not when it raises.
    """
    with sessions() as session:
        memory = BoilerplateMemory(known=storage.boilerplate(session, sources))
    yield memory
    with sessions.begin() as session:
        storage.add_boilerplate(session, memory.added)


@contextmanager
def extraction_processes(workers: int) -> Iterator[ExtractionPool | None]:
    """One extraction pool for all the files of an ingest: ``workers`` (0: one per core)."""
    with extraction_pool(workers or all_cores()) as pool:
        yield pool


def unstorable(article: Article) -> str | None:
    """Why ``article`` cannot be stored as it is (a URL or source too long), or None."""
    for name, value in (("URL", article.url), ("fetched URL", article.fetched_url)):
        if len(value) > storage.URL_LENGTH:
            return f"{name} is {len(value)} characters long, over the limit of {storage.URL_LENGTH}"
    if len(article.source) > storage.SOURCE_LENGTH:
        return f"source name is over {storage.SOURCE_LENGTH} characters"
    return None


def article_row(article: Article, run_id: int | None) -> dict[str, Any]:
    """Turn an extracted article into a storage row, with the agency it credits.

    The caller has checked :func:`unstorable` first.
    """
    credit = detect_agency(article.text, article.title, article.author)
    requested = article.requested_url
    return {
        "url": article.url,
        "fetched_url": article.fetched_url,
        # Only a hint for the crawler's seen set: dropped when it cannot be stored.
        "requested_url": requested if requested and len(requested) <= storage.URL_LENGTH else None,
        "source": article.source,
        "title": article.title,
        "author": article.author,
        "published": article.published,
        "fetched": article.fetched,
        "language": article.language,
        "text": article.text,
        "agency": credit.agency if credit else None,
        "agency_evidence": credit.evidence if credit else None,
        "run_id": run_id,
    }


@dataclass
class StoreCounts:
    """What storing one stream of extraction outcomes did, per source."""

    stored: dict[str, int] = field(default_factory=dict)
    already_stored: dict[str, int] = field(default_factory=dict)
    rejected: dict[str, int] = field(default_factory=dict)
    # Of the rejected: pages fetched whole (status 200) that held no article.
    empty: dict[str, int] = field(default_factory=dict)
    # Archives that could not be read to the end (what came before the damage is stored).
    damaged: list[str] = field(default_factory=list)

    def add(self, kind: str, source: str, n: int = 1) -> None:
        """Count ``n`` outcomes of ``kind`` for ``source``."""
        table: dict[str, int] = getattr(self, kind)
        table[source] = table.get(source, 0) + n

    def total(self, kind: str) -> int:
        """Sum one kind over all sources."""
        return sum(getattr(self, kind).values())

    def merge(self, other: StoreCounts) -> None:
        """Add the counts of ``other`` (another source's, another file's) to these."""
        for kind in ("stored", "already_stored", "rejected", "empty"):
            for source, n in getattr(other, kind).items():
                self.add(kind, source, n)
        self.damaged.extend(other.damaged)

    def summary(self) -> str:
        """One line for a log: the articles stored, already stored, and the pages rejected."""
        return (
            f"stored {self.total('stored')} new articles, {self.total('already_stored')} "
            f"already stored, {self.total('rejected')} pages rejected"
        )


def store_extracted(
    sessions: sessionmaker[Session],
    outcomes: Iterable[Article | Rejected],
    run_id: int | None,
    counts: StoreCounts | None = None,
) -> StoreCounts:
    """Store articles (each URL once) and record rejected pages, batch by batch."""
    counts = counts or StoreCounts()
    for batch in _batches(outcomes, _BATCH):
        articles: list[Article] = []
        no_article = [o for o in batch if isinstance(o, Rejected)]
        cannot_store = []
        for outcome in batch:
            if isinstance(outcome, Article):
                reason = unstorable(outcome)
                if reason is None:
                    articles.append(outcome)
                else:
                    cannot_store.append(
                        Rejected(url=outcome.fetched_url, source=outcome.source, reason=reason)
                    )
        rejected = no_article + cannot_store
        # The same URL twice in one batch (a page and its redirect) is stored once.
        unique = list({a.url: a for a in articles}.values())
        with sessions.begin() as session:
            new_ids = storage.insert_articles(session, [article_row(a, run_id) for a in unique])
            storage.record_rejections(session, run_id, [_rejection_row(r) for r in rejected])
        for a in unique:
            counts.add("stored" if a.url in new_ids else "already_stored", a.source)
        for r in rejected:
            counts.add("rejected", r.source)
        for r in no_article:
            if r.status is None:  # fetched whole (not an error page), and no article in it
                counts.add("empty", r.source)
    return counts


def _rejection_row(rejected: Rejected) -> dict[str, Any]:
    """Turn a page that extraction rejected into a storage row.

    It is ``lasting`` (joins the seen set of later nights) when the page was
    fetched and holds no article; an error page is not: a 404 or a 503 may be a
    page tomorrow (a 410's lasting row comes from the fetch log, see
    :func:`lasting_failures`).
    """
    return {
        "url": rejected.url,
        "source": rejected.source,
        "reason": rejected.reason,
        "lasting": rejected.status is None,
    }


def lasting_failures(fetch_log: Path, on_error: Callable[[str], None]) -> list[dict[str, Any]]:
    """Return rejection rows for the article URLs a crawl found not worth fetching again.

    They are the fetch log's :attr:`~crawler.FetchEvent.lasting` article events (a
    PDF, an empty page, too large, a redirect loop, 410 Gone); recorded as
    rejections, they join the seen set of the nights after (see
    :func:`write_seen_file`).

    Args:
        fetch_log: the crawl's fetch log.
        on_error: called with a message for each unreadable line, which is skipped.
    """
    return [
        {"url": event.url, "source": event.source, "reason": event.reason, "lasting": True}
        for event in read_fetch_log(fetch_log, on_error)
        if event.kind == "article" and event.lasting
    ]


def write_seen_file(
    sessions: sessionmaker[Session], path: Path, *, source: str, since: datetime
) -> int:
    """Write the URLs the crawl of ``source`` must not fetch again; return the count.

    They are the source's pages stored or rejected since ``since`` (see
    :func:`storage.stored_urls`), one per line.
    """
    n = 0
    path.parent.mkdir(parents=True, exist_ok=True)
    with sessions() as session, path.open("w", encoding="utf-8") as fh:
        for url in storage.stored_urls(session, source=source, since=since):
            fh.write(url + "\n")
            n += 1
    return n


@contextmanager
def fewer_collections() -> Iterator[None]:
    """Run the garbage collector less often inside the block.

    Storing and grouping keep hundreds of thousands of objects alive (rows,
    signatures, index entries); at CPython's default threshold the collector
    examines them again and again, about a tenth of an ingest's time
    (``benchmarks/throughput.py``). Nothing here makes reference cycles that need
    collecting promptly. The previous thresholds come back afterwards.
    """
    old = gc.get_threshold()
    gc.set_threshold(max(old[0], _GC_YOUNG), *old[1:])
    try:
        yield
    finally:
        gc.set_threshold(*old)
