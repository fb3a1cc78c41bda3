"""The dedupe stage's glue: stored articles into story groups, and people's corrections.

A night is placed in batches, in publication order, by one :class:`dedupe.Placer`.
Each batch is one transaction: its articles are locked, signed, matched against
the index of earlier nights (in memory, rebuilt from the stored signatures, or
in Redis, kept between nights) and against the night's earlier articles, and
stored with their groups and signatures. A crash loses at most the batch in
flight: its articles stay ungrouped and the next pass places them.

One pass at a time changes a database's groups: a pass, and each correction,
holds :func:`storage.grouping_lock` from its first read to its last index
write (a per-batch lock would not do: the placer's memory of the night, the
index and its update after each commit outlive a batch). A pass that finds the
lock taken waits, then places what is left; and a pass places, before it lets
go, the articles stored while it ran (by another process).
"""

from __future__ import annotations

import logging
import os
from collections import defaultdict
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime, timedelta

import numpy as np
import numpy.typing as npt
from sqlalchemy.orm import Session, sessionmaker

import storage
from dedupe import (
    CandidateIndex,
    DedupeConfig,
    GroupMember,
    NewArticle,
    NewGroup,
    Placer,
    Signature,
    SignedArticle,
    WindowArticle,
    explain_copies,
    from_bytes,
    majority_agency,
    normalize_text,
    placement_order,
    sign_articles,
    sign_texts,
    summarize_group,
    to_bytes,
    window_index,
)
from flows.errors import ConfigError, CorrectionError
from flows.stages import fewer_collections

__all__ = [
    "GroupCounts",
    "group_new_articles",
    "merge_groups",
    "move_articles",
    "open_index",
    "refresh_groups",
    "split_group",
]

# Articles placed per transaction: large enough to amortise the queries of a
# batch, small enough that a crash redoes little. The environment variable
# WIREDUPE_GROUP_BATCH overrides it (the concurrency tests use small batches,
# so that two processes' passes interleave).
BATCH = 5000
_BATCH_VARIABLE = "WIREDUPE_GROUP_BATCH"

_log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GroupCounts:
    """What one dedupe pass did."""

    articles: int
    new_groups: int
    grown_groups: int
    merged_groups: int = 0


def _batch_size() -> int:
    """Return the articles placed per transaction: ``WIREDUPE_GROUP_BATCH``, or :data:`BATCH`.

    Raises:
        ConfigError: the variable is set to anything but a positive whole number.
    """
    value = os.environ.get(_BATCH_VARIABLE, "").strip()
    if not value:
        return BATCH
    if not value.isdecimal() or int(value) < 1:
        message = f"expected a positive integer, got {value!r}"
        raise ConfigError("environment (WIREDUPE_*)", _BATCH_VARIABLE, message)
    return int(value)


@contextmanager
def open_index(config: DedupeConfig, url: str) -> Iterator[CandidateIndex]:
    """Open the LSH index of earlier nights' signatures at ``url`` ("memory" or redis://).

    Raises:
        dedupe.IndexUnavailable: Redis cannot be reached.
    """
    index = window_index(config, url)
    try:
        yield index
    finally:
        index.close()


def _signature(row: storage.StoredSignature | storage.MemberRow, config: DedupeConfig) -> Signature:
    """Rebuild a stored signature (the caller checked its scheme)."""
    assert row.signature is not None
    return Signature(
        hashvalues=from_bytes(row.signature, config.num_perm),
        shingles=row.shingles or 0,
        words=row.words or 0,
    )


def _signature_rows(
    signed: Iterable[tuple[int, datetime, Signature]], config: DedupeConfig
) -> list[dict[str, object]]:
    return [
        {
            "article_id": article_id,
            "signature": to_bytes(sig.hashvalues),
            "shingles": sig.shingles,
            "words": sig.words,
            "window_at": at,
            "scheme": config.signature_scheme,
        }
        for article_id, at, sig in signed
    ]


def _resign_stale(session: Session, since: datetime, config: DedupeConfig) -> list[int]:
    """Re-sign the window's signatures made under other settings; return their ids."""
    stale = storage.stale_signature_ids(session, since, config.signature_scheme)
    if not stale:
        return []
    texts = list(storage.article_texts(session, stale).values())
    signatures = sign_texts((t.text for t in texts), config)
    storage.add_signatures(
        session,
        _signature_rows(
            ((t.id, t.published or t.fetched, s) for t, s in zip(texts, signatures, strict=True)),
            config,
        ),
    )
    return [t.id for t in texts]


def _fill_index(
    session: Session,
    index: CandidateIndex,
    since: datetime,
    config: DedupeConfig,
    resigned: Sequence[int] = (),
) -> None:
    """Make ``index`` hold exactly the window's grouped articles.

    A memory index is filled from the stored signatures. A Redis index is
    reconciled with the database, which is the truth: articles older than the
    window age out, articles re-signed tonight are replaced, articles it lacks
    (a new index, a crash between a commit and the index update) are added, and
    articles it holds that the database does not (deleted since) are removed.
    """
    if not index.persistent:
        batch: list[tuple[int, npt.NDArray[np.uint32], float]] = []
        for row in storage.window_signatures(session, since):
            if row.scheme != config.signature_scheme:
                continue
            values = _signature(row, config).index_values(config)
            batch.append((row.article_id, values, row.window_at.timestamp()))
            if len(batch) >= 10_000:
                index.insert_many(batch)
                batch = []
        index.insert_many(batch)
        return
    index.remove_older_than(since.timestamp())
    index.remove_many(resigned)
    wanted = storage.window_ids(session, since, config.signature_scheme)
    held = index.keys()
    index.remove_many(held - wanted.keys())
    missing = wanted.keys() - held
    rows = storage.signatures_by_id(session, missing)
    index.insert_many(
        [
            (r.article_id, _signature(r, config).index_values(config), r.window_at.timestamp())
            for r in rows
        ]
    )


def group_new_articles(
    sessions: sessionmaker[Session],
    config: DedupeConfig,
    *,
    index_url: str = "memory",
    on_batch: Callable[[int, int], None] | None = None,
    on_wait: Callable[[], None] | None = None,
) -> GroupCounts:
    """Place every stored article that has no group yet.

    New articles are matched against the grouped articles of the window (from
    ``config.window_days`` before the oldest new article) and against each other.
    The pass holds the database's grouping lock throughout; when it is done with
    the articles it found, it looks again, and places those stored meanwhile.

    Args:
        sessions: the database.
        config: dedupe settings.
        index_url: where the index of earlier nights lives: ``"memory"`` (rebuilt
            from the stored signatures) or a ``redis://`` URL (kept between nights).
        on_batch: called with (articles placed so far, articles to place) after
            each batch, for progress.
        on_wait: called when another pass holds the lock, before waiting for it
            (by default, a warning is logged).

    Raises:
        ConfigError: ``WIREDUPE_GROUP_BATCH`` is not a positive integer.
        dedupe.IndexUnavailable: Redis cannot be reached.
    """
    batch = _batch_size()
    counts = _Counts()
    with storage.grouping_lock(sessions, on_wait=on_wait or _log_wait), fewer_collections():
        while True:
            with sessions() as session:
                pending = storage.pending_articles(session)
            before = counts.placed
            if pending:
                _place_pending(sessions, pending, config, index_url, batch, counts, on_batch)
            if counts.placed == before:
                # None left, or none of them could be read (their rows locked by
                # a transaction outside grouping): those the next pass places.
                break
    return GroupCounts(
        articles=counts.placed,
        new_groups=len(counts.created),
        grown_groups=len(counts.touched - counts.created),
        merged_groups=counts.merged,
    )


def _log_wait() -> None:
    _log.warning("another grouping pass is running on this database; waiting for it to end")


def _place_pending(
    sessions: sessionmaker[Session],
    pending: list[storage.PendingArticle],
    config: DedupeConfig,
    index_url: str,
    batch: int,
    counts: _Counts,
    on_batch: Callable[[int, int], None] | None,
) -> None:
    """Place ``pending`` as one night: one index, one placer, batch by batch."""
    pending.sort(key=lambda p: placement_order(p.published, p.fetched, p.id))
    oldest = pending[0].published or pending[0].fetched
    since = oldest - timedelta(days=config.window_days)
    # Progress counts the articles of the pass's earlier rounds too.
    done = counts.placed
    with open_index(config, index_url) as index:
        with sessions.begin() as session:
            resigned = _resign_stale(session, since, config)
            _fill_index(session, index, since, config, resigned)
            placer = Placer(config, storage.kept_apart(session))
        for start in range(0, len(pending), batch):
            ids = [p.id for p in pending[start : start + batch]]
            with sessions.begin() as session:
                signed = _place_batch(session, ids, placer, index, config, counts)
            if index.persistent:
                # After the commit: a crash in between leaves the index short, and the
                # next pass's reconciliation adds what it lacks.
                index.insert_many(
                    [
                        (s.article_id, s.signature.index_values(config), s.at.timestamp())
                        for s in signed
                    ]
                )
            if on_batch is not None:
                on_batch(done + min(start + batch, len(pending)), done + len(pending))


@dataclass
class _Counts:
    """What the batches of one pass did, summed."""

    placed: int = 0
    merged: int = 0
    created: set[int] = field(default_factory=set)
    touched: set[int] = field(default_factory=set)


def _place_batch(
    session: Session,
    ids: Sequence[int],
    placer: Placer,
    index: CandidateIndex,
    config: DedupeConfig,
    counts: _Counts,
) -> list[SignedArticle]:
    """Place the articles ``ids`` (in placement order) and store the result; return them signed."""
    texts = storage.article_texts(session, ids, ungrouped=True)
    # Normalised once, for signing and for explaining the copies among them.
    normalized = {t.id: normalize_text(t.text) for t in texts.values()}
    signed = sign_articles(
        (NewArticle(t.id, t.text, t.published, t.fetched) for t in texts.values()),
        config,
        normalized,
    )
    past = index.query_many([s.signature.index_values(config) for s in signed])
    wanted = {key for keys in past for key in keys if not placer.knows(key)}
    window = {
        row.article_id: WindowArticle(
            row.article_id, row.group_id, _signature(row, config), row.window_at
        )
        for row in storage.signatures_by_id(session, wanted)
        if row.scheme == config.signature_scheme
    }
    result = placer.place(signed, past, window)
    created = dict(
        zip(result.new_groups, storage.create_groups(session, len(result.new_groups)), strict=True)
    )
    placer.bind(created)
    # An absorbed group of this batch was never created; an existing one moves its
    # articles to where the merges finally led.
    merges = [
        (a, root)
        for a, _ in result.merges
        if isinstance(a, int) and isinstance(root := placer.group_of(a), int)
    ]
    storage.merge_groups(session, merges)
    assignments = {
        article_id: created[g] if isinstance(g, NewGroup) else g
        for article_id, g in result.assignments.items()
    }
    storage.set_groups(session, assignments)
    storage.add_signatures(
        session, _signature_rows(((s.article_id, s.at, s.signature) for s in signed), config)
    )
    # (storage.merge_groups emptied the absorbed groups.)
    touched = set(assignments.values()) | {b for _, b in merges}
    refresh_groups(session, touched, config, texts, normalized)
    counts.placed += len(texts)
    counts.merged += len(merges)
    counts.created |= set(created.values())
    counts.touched |= touched
    return signed


def refresh_groups(
    session: Session,
    group_ids: Iterable[int],
    config: DedupeConfig,
    texts: Mapping[int, storage.ArticleText] | None = None,
    normalized: Mapping[int, str] | None = None,
) -> None:
    """Recompute origin, similarities, agency and each copy's changes for ``group_ids``.

    ``texts``, the texts already read (a batch's new articles), are not read again;
    nor are those in ``normalized`` (by article id) normalised again.

    A copy's changes against the origin are recomputed only when none are
    stored or they were found against another origin, so a group that grows by
    one costs one comparison. A group left with no article is marked empty.
    """
    group_ids = set(group_ids)
    members: dict[int, list[storage.MemberRow]] = defaultdict(list)
    for row in storage.group_members(session, group_ids):
        members[row.group_id].append(row)
    storage.clear_groups(session, group_ids - members.keys())
    scheme = config.signature_scheme
    plans = []
    needed: set[int] = set()
    for group_id in sorted(members):
        rows = members[group_id]
        summary = summarize_group(
            [
                GroupMember(
                    article_id=r.article_id,
                    published=r.published,
                    fetched=r.fetched,
                    signature=(
                        _signature(r, config)
                        if r.signature is not None and r.scheme == scheme
                        else None
                    ),
                )
                for r in rows
            ]
        )
        origin = summary.origin_id
        explain = [
            r.article_id
            for r in rows
            if r.article_id != origin
            and (r.changes is None or r.changes.get("origin_id") != origin)
        ]
        if explain:
            needed |= {origin, *explain}
        plans.append((group_id, rows, summary, explain))
    known = dict(texts or {})
    known.update(storage.article_texts(session, needed - known.keys()))
    updates = []
    normalize = _normalizer({known[a].text: n for a, n in (normalized or {}).items()})
    for group_id, rows, summary, explain in plans:
        origin = summary.origin_id
        changes: dict[int, dict[str, object] | None] = {origin: None}
        if explain:
            o = known[origin]
            copies = [(known[a].title, known[a].text) for a in explain]
            for article_id, found in zip(
                explain, explain_copies(o.title, o.text, copies, normalize=normalize), strict=True
            ):
                # The summary line is stored too: readers of the database (the web
                # pages) show it without dedupe.
                changes[article_id] = {
                    **found.as_dict(),
                    "summary": found.summary(),
                    "origin_id": origin,
                }
        origin_agency = next(r.agency for r in rows if r.article_id == origin)
        agency = majority_agency((r.agency for r in rows), prefer=origin_agency)
        updates.append(storage.GroupUpdate(group_id, origin, summary.similarity, agency, changes))
    storage.update_groups(session, updates)


def _normalizer(done: Mapping[str, str]) -> Callable[[str], str]:
    """Return ``normalize_text``, answering from ``done`` (text -> normalised) when it can."""

    def normalize(text: str) -> str:
        found = done.get(text)
        return normalize_text(text) if found is None else found

    return normalize


def _existing_group(session: Session, group_id: int) -> int:
    """Return ``group_id`` if it is a live group (not merged away)."""
    live = storage.resolve_group(session, group_id)
    if live != group_id:
        raise CorrectionError(f"group {group_id} was merged into group {live}; use {live}")
    return live


def split_group(
    sessions: sessionmaker[Session],
    group_id: int,
    article_ids: Sequence[int],
    config: DedupeConfig,
    note: str | None = None,
) -> int:
    """Move ``article_ids`` out of ``group_id`` into a new group; return its id.

    The two groups are kept apart from then on: no night merges them again.

    Raises:
        storage.UnknownGroup: no group has this id.
        CorrectionError: an article is not in the group, or all of them would leave.
    """
    with storage.grouping_lock(sessions, on_wait=_log_wait), sessions.begin() as session:
        _existing_group(session, group_id)
        members = set(storage.group_article_ids(session, group_id))
        chosen = sorted(set(article_ids))
        outside = [a for a in chosen if a not in members]
        if outside:
            raise CorrectionError(
                f"article {outside[0]} is not in group {group_id} "
                f"(see its articles with: wiredupe group {group_id})"
            )
        if not chosen or len(chosen) == len(members):
            raise CorrectionError(
                f"a split must leave at least one article in group {group_id} and move at least one"
            )
        (new_id,) = storage.create_groups(session, 1)
        storage.move_articles(session, chosen, new_id)
        storage.record_correction(session, "split", group_id, new_id, chosen, note)
        refresh_groups(session, {group_id, new_id}, config)
    return new_id


def move_articles(
    sessions: sessionmaker[Session],
    article_ids: Sequence[int],
    group_id: int,
    config: DedupeConfig,
    note: str | None = None,
) -> list[int]:
    """Move ``article_ids`` into ``group_id``; return the groups they left.

    Each group an article left is kept apart from ``group_id`` from then on.

    Raises:
        storage.UnknownGroup: no group has this id.
        CorrectionError: an article does not exist or is not grouped yet.
    """
    with storage.grouping_lock(sessions, on_wait=_log_wait), sessions.begin() as session:
        _existing_group(session, group_id)
        current = storage.article_groups(session, article_ids)
        for article_id in article_ids:
            if article_id not in current:
                raise CorrectionError(f"no article with id {article_id}")
            if current[article_id] is None:
                raise CorrectionError(
                    f"article {article_id} has no group yet; the next run places it"
                )
        moving = sorted(a for a in set(article_ids) if current[a] != group_id)
        left = sorted({g for a in moving if (g := current[a]) is not None})
        storage.move_articles(session, moving, group_id)
        for old in left:
            ids = [a for a in moving if current[a] == old]
            storage.record_correction(session, "move", old, group_id, ids, note)
        refresh_groups(session, {group_id, *left}, config)
    return left


def merge_groups(
    sessions: sessionmaker[Session],
    group_id: int,
    others: Sequence[int],
    config: DedupeConfig,
    note: str | None = None,
) -> None:
    """Merge the groups ``others`` into ``group_id``, which keeps its id.

    A merged group's id leads to ``group_id`` from then on.

    Raises:
        storage.UnknownGroup: a group does not exist.
        CorrectionError: a group was merged away already, or is ``group_id`` itself.
    """
    with storage.grouping_lock(sessions, on_wait=_log_wait), sessions.begin() as session:
        _existing_group(session, group_id)
        for other in others:
            if other == group_id:
                raise CorrectionError(f"cannot merge group {group_id} into itself")
            _existing_group(session, other)
        for other in sorted(set(others)):
            moved = storage.group_article_ids(session, other)
            storage.merge_groups(session, [(other, group_id)])
            storage.record_correction(session, "merge", group_id, other, moved, note)
        refresh_groups(session, {group_id}, config)
