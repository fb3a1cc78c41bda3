"""The stages' glue: extracted articles into storage, stored articles through dedupe.

Plain functions over identifiers and paths, shared by the Prefect flow
(:mod:`flows.pipeline`) and by ``wiredupe ingest`` (:mod:`flows.ingest`).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from itertools import islice
from pathlib import Path
from typing import Any, TypeVar

from sqlalchemy.orm import Session, sessionmaker

import storage
from crawler.fetchlog import read_fetch_log
from dedupe import (
    DedupeConfig,
    GroupMember,
    NewArticle,
    NewGroup,
    Signature,
    WindowArticle,
    assign_groups,
    detect_agency,
    from_bytes,
    majority_agency,
    summarize_group,
    to_bytes,
)
from extract import (
    Article,
    BoilerplateMemory,
    ExtractionPool,
    Rejected,
    all_cores,
    extraction_pool,
)

__all__ = [
    "GroupCounts",
    "StoreCounts",
    "article_row",
    "boilerplate_memory",
    "extraction_processes",
    "group_new_articles",
    "lasting_failures",
    "open_store",
    "store_extracted",
    "unstorable",
    "write_seen_file",
]

_T = TypeVar("_T")
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
    """One extraction pool for all the archives of a run: ``workers`` (0: one per core)."""
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
    # Archives that could not be read to the end (what came before the damage is stored).
    damaged: list[str] = field(default_factory=list)

    def add(self, kind: str, source: str, n: int = 1) -> None:
        """Count ``n`` outcomes of ``kind`` for ``source``."""
        table: dict[str, int] = getattr(self, kind)
        table[source] = table.get(source, 0) + n

    def total(self, kind: str) -> int:
        """Sum one kind over all sources."""
        return sum(getattr(self, kind).values())


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
        rejected = [o for o in batch if isinstance(o, Rejected)]
        for outcome in batch:
            if isinstance(outcome, Article):
                reason = unstorable(outcome)
                if reason is None:
                    articles.append(outcome)
                else:
                    rejected.append(
                        Rejected(url=outcome.fetched_url, source=outcome.source, reason=reason)
                    )
        # The same URL twice in one batch (a page and its redirect) is stored once.
        unique = list({a.url: a for a in articles}.values())
        with sessions.begin() as session:
            new_ids = storage.insert_articles(session, [article_row(a, run_id) for a in unique])
            storage.record_rejections(session, run_id, [_rejection_row(r) for r in rejected])
        for a in unique:
            counts.add("stored" if a.url in new_ids else "already_stored", a.source)
        for r in rejected:
            counts.add("rejected", r.source)
    return counts


@dataclass(frozen=True)
class GroupCounts:
    """What one dedupe pass did."""

    articles: int
    new_groups: int
    grown_groups: int


def group_new_articles(sessions: sessionmaker[Session], config: DedupeConfig) -> GroupCounts:
    """Place every stored article that has no group yet, in one transaction.

    New articles are matched against the grouped articles of the window (from
    ``config.window_days`` before the oldest new article). A crash before the
    commit leaves the articles ungrouped, and the next pass places them.
    """
    with sessions.begin() as session:
        pending = storage.ungrouped_articles(session)
        if not pending:
            return GroupCounts(articles=0, new_groups=0, grown_groups=0)
        oldest = min(a.published or a.fetched for a in pending)
        since = oldest - timedelta(days=config.window_days)
        window = [
            WindowArticle(
                article_id=s.article_id,
                group_id=s.group_id,
                signature=_signature(s.signature, s.shingles, s.words, config),
            )
            for s in storage.window_signatures(session, since)
        ]
        result = assign_groups(
            [NewArticle(a.id, a.text, a.published, a.fetched) for a in pending], window, config
        )
        new_keys = sorted({g for g in result.assignments.values() if isinstance(g, NewGroup)})
        created = dict(zip(new_keys, storage.create_groups(session, len(new_keys)), strict=True))
        assignments = {
            article_id: created[g] if isinstance(g, NewGroup) else g
            for article_id, g in result.assignments.items()
        }
        storage.set_groups(session, assignments)
        when = {a.id: a.published or a.fetched for a in pending}
        storage.add_signatures(
            session,
            [
                {
                    "article_id": article_id,
                    "signature": to_bytes(sig),
                    "shingles": sig.shingles,
                    "words": sig.words,
                    "window_at": when[article_id],
                }
                for article_id, sig in result.signatures.items()
            ],
        )
        touched = set(assignments.values())
        _refresh_groups(session, touched, config)
    grown = len(touched - set(created.values()))
    return GroupCounts(articles=len(pending), new_groups=len(created), grown_groups=grown)


def _signature(data: bytes, shingles: int, words: int, config: DedupeConfig) -> Signature:
    """Rebuild a stored signature with the configured number of permutations."""
    return from_bytes(data, shingles=shingles, words=words, num_perm=config.num_perm)


def _refresh_groups(session: Session, group_ids: set[int], config: DedupeConfig) -> None:
    """Recompute origin, similarities and agency of the touched groups."""
    members: dict[int, list[storage.MemberRow]] = {}
    for row in storage.group_members(session, group_ids):
        members.setdefault(row.group_id, []).append(row)
    updates = []
    for group_id in sorted(members):
        rows = members[group_id]
        summary = summarize_group(
            [
                GroupMember(
                    article_id=r.article_id,
                    published=r.published,
                    fetched=r.fetched,
                    signature=(
                        _signature(r.signature, r.shingles or 0, r.words or 0, config)
                        if r.signature is not None
                        else None
                    ),
                )
                for r in rows
            ]
        )
        origin_agency = next(r.agency for r in rows if r.article_id == summary.origin_id)
        agency = majority_agency((r.agency for r in rows), prefer=origin_agency)
        updates.append(storage.GroupUpdate(group_id, summary.origin_id, summary.similarity, agency))
    storage.update_groups(session, updates)


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
