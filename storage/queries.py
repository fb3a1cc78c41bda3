"""Queries: functions that take a ``Session``; the caller owns the transaction.

Write path (a night): :func:`insert_articles`, :func:`record_rejections`,
:func:`ungrouped_articles`, :func:`window_signatures`, :func:`create_groups`,
:func:`set_groups`, :func:`add_signatures`, :func:`group_members`,
:func:`update_groups`. Read path (CLI, API, export): :func:`list_groups`,
:func:`get_group`, :func:`export_articles`, :func:`list_runs`.

Every value that comes from a page is bound as a parameter, never formatted
into SQL.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import (
    Select,
    Table,
    and_,
    bindparam,
    delete,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, defer

from storage.errors import UnknownArticle, UnknownGroup
from storage.models import (
    LANGUAGE_LENGTH,
    SOURCE_LENGTH,
    URL_LENGTH,
    Article,
    ArticleSignature,
    GroupCorrection,
    Rejection,
    Run,
    SourceBoilerplate,
    StoryGroup,
)
from storage.search import matches

__all__ = [
    "ArticleText",
    "GroupUpdate",
    "MemberRow",
    "PendingArticle",
    "StoredSignature",
    "add_boilerplate",
    "add_signatures",
    "article_groups",
    "article_texts",
    "articles_by_source",
    "boilerplate",
    "clear_groups",
    "count_articles",
    "create_groups",
    "export_articles",
    "find_article",
    "finish_run",
    "get_group",
    "group_article_ids",
    "group_members",
    "insert_articles",
    "kept_apart",
    "list_groups",
    "list_runs",
    "merge_groups",
    "move_articles",
    "night_group_counts",
    "night_groups",
    "pending_articles",
    "record_correction",
    "record_rejections",
    "records_by_source",
    "resolve_group",
    "search_articles",
    "set_groups",
    "signatures_by_id",
    "source_stats",
    "stale_signature_ids",
    "start_run",
    "stored_urls",
    "update_groups",
    "window_ids",
    "window_signatures",
]

# Columns an inserted article row may carry.
_ARTICLE_FIELDS = (
    "url",
    "fetched_url",
    "requested_url",
    "source",
    "title",
    "author",
    "published",
    "fetched",
    "language",
    "text",
    "agency",
    "agency_evidence",
    "run_id",
)


def _now() -> datetime:
    return datetime.now(UTC)


# --- write path ------------------------------------------------------------------------


# The tables behind the models, for executemany UPDATEs keyed by bound ids
# (the ORM's bulk UPDATE would need whole primary-key rows).
_ARTICLES = cast(Table, Article.__table__)
_GROUPS = cast(Table, StoryGroup.__table__)
_SIGNATURES = cast(Table, ArticleSignature.__table__)

# Characters no text column can hold: NUL (PostgreSQL refuses it) and lone
# surrogates (not encodable as UTF-8); both occur in scraped input.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _clean(value: str) -> str:
    """Return ``value`` without the characters no text column can hold.

    Most values hold none, and the checks below find that without a regular
    expression (whose scan of an article's text costs ten times as much):
    ``isascii`` is a flag CPython keeps on every string, UTF-8 encoding fails
    on lone surrogates only, and a NUL is found in the encoded bytes by memchr.
    """
    if value.isascii():
        return value.replace("\x00", "") if "\x00" in value else value
    try:
        if b"\x00" not in value.encode("utf-8"):
            return value
    except UnicodeEncodeError:
        pass
    return _UNSTORABLE.sub("", value)


def _storable(row: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """Return the ``fields`` of ``row`` with unstorable characters removed from strings."""
    return {k: _clean(v) if isinstance(v := row.get(k), str) else v for k in fields}


def insert_articles(session: Session, rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Insert articles whose URL is not stored yet; return the new ids by URL.

    An article already stored (same canonical URL) is left as it is, so a run
    repeated after a crash, or two runs at once, store nothing twice. Strings
    are cleaned of characters no column can hold; a ``language`` longer than its
    column is cut.
    URLs and source names must fit their columns (:data:`~storage.models.URL_LENGTH`,
    :data:`~storage.models.SOURCE_LENGTH`): they are identities, not to be cut.
    """
    if not rows:
        return {}
    stored_at = _now()
    values = []
    for row in rows:
        value = _storable(row, _ARTICLE_FIELDS)
        if value["language"]:
            value["language"] = value["language"][:LANGUAGE_LENGTH]
        value["stored_at"] = stored_at
        values.append(value)
    dialect = session.get_bind().dialect.name
    if dialect == "postgresql":
        _in_url_order(session, values)
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    # The Core table, not the ORM entity: a plain executemany skips the ORM's
    # bulk-insert bookkeeping (a third of the cost of a night's inserts).
    stmt = (
        upsert(_ARTICLES)
        .on_conflict_do_nothing(index_elements=["url"])
        .returning(_ARTICLES.c.url, _ARTICLES.c.id)
    )
    # Multi-row INSERTs ("insertmanyvalues", up to 1,000 rows each): RETURNING
    # reports only the rows really inserted, on SQLite and PostgreSQL alike. Each
    # comes with its URL, so the order of the returned rows does not matter; asking
    # for parameter order would make SQLite insert (and round-trip) row by row.
    result = session.execute(stmt, values)
    return {url: article_id for url, article_id in result}


def _in_url_order(session: Session, values: list[dict[str, Any]]) -> None:
    """Sort ``values`` by URL, with ids drawn in their first order (PostgreSQL).

    Two transactions storing overlapping rows in different orders can each wait
    for a URL the other inserted first: a deadlock on the unique index, which
    PostgreSQL breaks by aborting one of them. In URL order they wait for each
    other in one direction only. The ids are drawn first, in the rows' own order,
    so that they still follow the order the articles came in (as on SQLite, where
    one transaction writes at a time and nothing needs sorting). An id drawn for
    a row already stored is skipped, as PostgreSQL skips one for any row that
    conflicts.
    """
    sequence = func.pg_get_serial_sequence(_ARTICLES.name, "id")
    ids = session.scalars(
        select(func.nextval(sequence)).select_from(func.generate_series(1, len(values)))
    ).all()
    for value, article_id in zip(values, sorted(ids), strict=True):
        value["id"] = article_id
    values.sort(key=lambda value: value["url"])


def record_rejections(
    session: Session, run_id: int | None, rows: Iterable[Mapping[str, Any]]
) -> int:
    """Record pages that were fetched but not stored as articles; return the count.

    Each row has ``url``, ``source``, ``reason`` and optionally ``lasting`` (see
    :class:`~storage.models.Rejection`).
    """
    items = []
    for row in rows:
        r = _storable(row, ("url", "source", "reason"))
        # A rejection is a record of a failure: a URL too long to store is cut, not lost.
        items.append(
            Rejection(
                run_id=run_id,
                url=r["url"][:URL_LENGTH],
                source=(r.get("source") or "")[:SOURCE_LENGTH] or None,
                reason=r["reason"],
                lasting=bool(row.get("lasting", False)),
            )
        )
    session.add_all(items)
    return len(items)


class PendingArticle(NamedTuple):
    """An article that has no group yet: its id and times, to order a night by."""

    id: int
    published: datetime | None
    fetched: datetime


def pending_articles(session: Session) -> list[PendingArticle]:
    """Return the stored articles that have no group (new, or left by a crash)."""
    rows = session.execute(
        select(Article.id, Article.published, Article.fetched)
        .where(Article.group_id.is_(None))
        .order_by(Article.id)
    )
    return [PendingArticle._make(row) for row in rows]


class ArticleText(NamedTuple):
    """An article's title, text and times: what dedupe signs and explains."""

    id: int
    title: str | None
    text: str
    published: datetime | None
    fetched: datetime


# Bound parameters per IN list: SQLite allows 32,766, PostgreSQL 65,535.
_IN_CHUNK = 10_000


def _chunks(ids: Iterable[int]) -> Iterator[list[int]]:
    ordered = sorted(set(ids))
    for start in range(0, len(ordered), _IN_CHUNK):
        yield ordered[start : start + _IN_CHUNK]


def article_texts(
    session: Session, ids: Iterable[int], *, ungrouped: bool = False
) -> dict[int, ArticleText]:
    """Return the texts of the articles ``ids``, by id.

    With ``ungrouped``, only those that still have no group, locked: on
    PostgreSQL the rows stay locked until the transaction ends, and rows another
    transaction is grouping are skipped, so two concurrent passes never place one
    article twice. (SQLite runs one writing transaction at a time.)
    """
    found: dict[int, ArticleText] = {}
    columns = (Article.id, Article.title, Article.text, Article.published, Article.fetched)
    for chunk in _chunks(ids):
        query = select(*columns).where(Article.id.in_(chunk))
        if ungrouped:
            query = query.where(Article.group_id.is_(None)).with_for_update(
                skip_locked=True, of=Article
            )
        found.update((row.id, ArticleText._make(row)) for row in session.execute(query))
    return found


class StoredSignature(NamedTuple):
    """A grouped article's stored signature (bytes in dedupe's format)."""

    article_id: int
    group_id: int
    signature: bytes
    shingles: int
    words: int
    window_at: datetime
    scheme: str


def _grouped_signatures(*columns: Any) -> Select[Any]:
    """Select ``columns`` of the stored signatures of grouped articles."""
    return (
        select(*columns)
        .join(Article, Article.id == ArticleSignature.article_id)
        .where(Article.group_id.is_not(None))
    )


# What a StoredSignature holds, in its order.
_STORED_SIGNATURE = (
    ArticleSignature.article_id,
    Article.group_id,
    ArticleSignature.signature,
    ArticleSignature.shingles,
    ArticleSignature.words,
    ArticleSignature.window_at,
    ArticleSignature.scheme,
)


def window_signatures(session: Session, since: datetime) -> Iterator[StoredSignature]:
    """Yield the signatures of grouped articles published (or fetched) since ``since``."""
    query = (
        _grouped_signatures(*_STORED_SIGNATURE)
        .where(ArticleSignature.window_at >= since)
        .order_by(ArticleSignature.article_id)
        .execution_options(yield_per=5000)
    )
    for row in session.execute(query):
        yield StoredSignature._make(row)


def window_ids(session: Session, since: datetime, scheme: str) -> dict[int, datetime]:
    """Return the grouped articles signed under ``scheme`` since ``since``, with their times.

    This is what an index of earlier nights must hold; it reads two small
    columns, not the signatures.
    """
    query = (
        _grouped_signatures(ArticleSignature.article_id, ArticleSignature.window_at)
        .where(ArticleSignature.window_at >= since, ArticleSignature.scheme == scheme)
        .execution_options(yield_per=20000)
    )
    return {article_id: at for article_id, at in session.execute(query)}


def signatures_by_id(session: Session, ids: Iterable[int]) -> list[StoredSignature]:
    """Return the stored signatures of the grouped articles ``ids``."""
    found: list[StoredSignature] = []
    for chunk in _chunks(ids):
        query = _grouped_signatures(*_STORED_SIGNATURE).where(
            ArticleSignature.article_id.in_(chunk)
        )
        found.extend(StoredSignature._make(row) for row in session.execute(query))
    return found


def stale_signature_ids(session: Session, since: datetime, scheme: str) -> list[int]:
    """Return the grouped articles in the window whose signature is not under ``scheme``."""
    query = _grouped_signatures(ArticleSignature.article_id).where(
        ArticleSignature.window_at >= since, ArticleSignature.scheme != scheme
    )
    return list(session.scalars(query))


def create_groups(session: Session, count: int) -> list[int]:
    """Create ``count`` empty groups and return their ids, in creation order."""
    if count <= 0:
        return []
    now = _now()
    # One executemany INSERT ... RETURNING (multi-row on SQLite and PostgreSQL),
    # not ORM objects. The rows are all alike, so sorting the returned ids gives
    # the creation order whatever order the database returns them in.
    result = session.execute(
        insert(_GROUPS).returning(_GROUPS.c.id),
        [{"created_at": now, "updated_at": now, "size": 0} for _ in range(count)],
    )
    return sorted(result.scalars())


def set_groups(session: Session, assignments: Mapping[int, int]) -> None:
    """Put each article (key) that has no group yet into its group (value)."""
    if not assignments:
        return
    stmt = (
        update(_ARTICLES)
        .where(_ARTICLES.c.id == bindparam("article_id"), _ARTICLES.c.group_id.is_(None))
        .values(group_id=bindparam("new_group_id"))
    )
    session.execute(stmt, [{"article_id": a, "new_group_id": g} for a, g in assignments.items()])


def add_signatures(session: Session, rows: Sequence[Mapping[str, Any]]) -> None:
    """Store signatures, replacing any stored for the same articles.

    Args:
        session: an open session.
        rows: mappings with ``article_id``, ``signature`` (bytes),
            ``shingles``, ``words``, ``window_at`` and ``scheme``.
    """
    if not rows:
        return
    for chunk in _chunks(row["article_id"] for row in rows):
        session.execute(delete(ArticleSignature).where(ArticleSignature.article_id.in_(chunk)))
    # One executemany INSERT: a night's signatures are tens of thousands of rows.
    session.execute(insert(_SIGNATURES), [dict(row) for row in rows])


class MemberRow(NamedTuple):
    """One article of a group, with its signature (``None`` if never signed)."""

    article_id: int
    group_id: int
    published: datetime | None
    fetched: datetime
    agency: str | None
    signature: bytes | None
    shingles: int | None
    words: int | None
    scheme: str | None
    # What this copy changed against its origin, as stored (with that origin's id).
    changes: dict[str, Any] | None


def group_members(session: Session, group_ids: Iterable[int]) -> list[MemberRow]:
    """Return every article of the given groups with its signature."""
    members: list[MemberRow] = []
    for chunk in _chunks(group_ids):
        rows = session.execute(
            select(
                Article.id,
                Article.group_id,
                Article.published,
                Article.fetched,
                Article.agency,
                ArticleSignature.signature,
                ArticleSignature.shingles,
                ArticleSignature.words,
                ArticleSignature.scheme,
                Article.changes,
            )
            .outerjoin(ArticleSignature, ArticleSignature.article_id == Article.id)
            .where(Article.group_id.in_(chunk))
            .order_by(Article.id)
        )
        members.extend(MemberRow._make(row) for row in rows)
    return members


@dataclass(frozen=True)
class GroupUpdate:
    """A group's derived fields, as computed by dedupe."""

    group_id: int
    origin_id: int
    similarity: Mapping[int, float]
    agency: str | None
    # article id -> what it changed against the origin (only those recomputed).
    changes: Mapping[int, Mapping[str, Any] | None] = field(default_factory=dict)


def _set_per_article(session: Session, values: Mapping[str, Mapping[int, Any]]) -> None:
    """Set columns of articles: ``values`` maps a column to {article id: value}.

    Articles given the same columns share one executemany UPDATE, so an article
    whose similarity and changes are both set is written once, not twice (on
    SQLite an UPDATE rewrites the whole row, text included).
    """
    # One parameter row per article: "article_id", then "v_<column>" for each column
    # set (a bound parameter may not take a column's own name in a SET clause).
    params: dict[int, dict[str, Any]] = {}
    for column, by_article in values.items():
        key = f"v_{column}"
        for article_id, value in by_article.items():
            row = params.get(article_id)
            if row is None:
                params[article_id] = {"article_id": article_id, key: value}
            else:
                row[key] = value
    by_columns: dict[tuple[str, ...], list[dict[str, Any]]] = defaultdict(list)
    for row in params.values():
        by_columns[tuple(row)].append(row)
    for keys, rows in by_columns.items():
        columns = [key.removeprefix("v_") for key in keys[1:]]
        session.execute(
            update(_ARTICLES)
            .where(_ARTICLES.c.id == bindparam("article_id"))
            .values({c: bindparam(f"v_{c}", type_=_ARTICLES.c[c].type) for c in columns}),
            rows,
        )


def update_groups(session: Session, updates: Sequence[GroupUpdate]) -> None:
    """Write origins, similarities, changes and agencies; recount sizes and date ranges."""
    if not updates:
        return
    groups = _GROUPS
    _set_per_article(
        session,
        {
            "similarity": {a: v for u in updates for a, v in u.similarity.items()},
            "changes": {
                a: dict(v) if v is not None else None for u in updates for a, v in u.changes.items()
            },
        },
    )
    ids = [u.group_id for u in updates]
    # min() and max() keep the column's type: the dates come back aware, in UTC.
    derived: dict[int, tuple[int, datetime | None, datetime | None]] = {}
    for chunk in _chunks(ids):
        derived.update(
            (cast(int, group_id), (size, first, last))
            for group_id, size, first, last in session.execute(
                select(
                    Article.group_id,
                    func.count(Article.id),
                    func.min(Article.published),
                    func.max(Article.published),
                )
                .where(Article.group_id.in_(chunk))
                .group_by(Article.group_id)
            )
        )
    titles: dict[int, str | None] = {}
    for chunk in _chunks(u.origin_id for u in updates):
        # Not update(result): a Result has keys(), so dict.update would index it.
        query = select(Article.id, Article.title).where(Article.id.in_(chunk))
        titles.update((article_id, title) for article_id, title in session.execute(query))
    now = _now()
    rows = []
    for u in updates:
        size, first, last = derived.get(u.group_id, (0, None, None))
        rows.append(
            {
                "gid": u.group_id,
                "size": size,
                "origin_article_id": u.origin_id,
                "agency": u.agency,
                "title": titles.get(u.origin_id),
                "first_published": first,
                "last_published": last,
                "updated_at": now,
            }
        )
    session.execute(
        update(groups)
        .where(groups.c.id == bindparam("gid"))
        .values(
            {
                name: bindparam(name)
                for name in (
                    "size",
                    "origin_article_id",
                    "agency",
                    "title",
                    "first_published",
                    "last_published",
                    "updated_at",
                )
            }
        ),
        rows,
    )


def _emptied() -> dict[str, Any]:
    """The values of a group left with no article."""
    return {
        "size": 0,
        "origin_article_id": None,
        "title": None,
        "agency": None,
        "first_published": None,
        "last_published": None,
        "updated_at": _now(),
    }


def clear_groups(session: Session, group_ids: Iterable[int]) -> None:
    """Mark groups that lost all their articles (to a move or a split) as empty."""
    for chunk in _chunks(group_ids):
        session.execute(update(StoryGroup).where(StoryGroup.id.in_(chunk)).values(_emptied()))


def merge_groups(session: Session, merges: Sequence[tuple[int, int]]) -> None:
    """Move the articles of each absorbed group (first) into the surviving one (second).

    The absorbed group keeps its row, empty (as :func:`clear_groups` leaves one),
    with ``merged_into`` pointing to the survivor, so its id still leads to its
    articles.
    """
    for absorbed, into in merges:
        session.execute(update(Article).where(Article.group_id == absorbed).values(group_id=into))
        session.execute(
            update(StoryGroup)
            .where(StoryGroup.id == absorbed)
            .values({**_emptied(), "merged_into": into})
        )
        # Groups merged into the absorbed one earlier now point to the survivor.
        session.execute(
            update(StoryGroup).where(StoryGroup.merged_into == absorbed).values(merged_into=into)
        )


def move_articles(session: Session, article_ids: Iterable[int], group_id: int) -> None:
    """Put the articles ``article_ids`` into the group ``group_id``."""
    for chunk in _chunks(article_ids):
        session.execute(update(Article).where(Article.id.in_(chunk)).values(group_id=group_id))


def record_correction(
    session: Session,
    kind: str,
    group_id: int,
    other_group_id: int | None,
    article_ids: Sequence[int] = (),
    note: str | None = None,
) -> None:
    """Record a person's decision (see :class:`~storage.models.GroupCorrection`)."""
    session.add(
        GroupCorrection(
            kind=kind,
            group_id=group_id,
            other_group_id=other_group_id,
            article_ids=list(article_ids),
            note=note,
            created_at=_now(),
        )
    )
    session.flush()


def kept_apart(session: Session) -> list[tuple[int, int]]:
    """Return the pairs of groups people have kept apart (split or moved between).

    Corrections are replayed in order: a split or a move keeps its two groups
    apart, a later merge of the two by a person lifts that. Each group is then
    followed through later merges (by a night or a person) to the group its
    articles are in now, so a decision outlives the ids it was made on.
    """
    pairs: set[frozenset[int]] = set()
    query = select(GroupCorrection).order_by(GroupCorrection.id)
    for c in session.scalars(query):
        if c.other_group_id is None:
            continue
        pair = frozenset((c.group_id, c.other_group_id))
        if c.kind in ("split", "move"):
            pairs.add(pair)
        elif c.kind == "merge":
            pairs.discard(pair)
    if not pairs:
        return []
    query_merged = select(StoryGroup.id, StoryGroup.merged_into).where(
        StoryGroup.merged_into.is_not(None)
    )
    merged: dict[int, int] = {
        group_id: into for group_id, into in session.execute(query_merged) if into is not None
    }

    def live(group_id: int) -> int:
        seen = {group_id}
        while (group_id := merged.get(group_id, group_id)) not in seen:
            seen.add(group_id)
        return group_id

    resolved = {frozenset(live(g) for g in pair) for pair in pairs}
    return sorted((min(p), max(p)) for p in resolved if len(p) == 2)


def group_article_ids(session: Session, group_id: int) -> list[int]:
    """Return the ids of the articles of ``group_id``."""
    return list(
        session.scalars(select(Article.id).where(Article.group_id == group_id).order_by(Article.id))
    )


def article_groups(session: Session, article_ids: Iterable[int]) -> dict[int, int | None]:
    """Return the group of each of ``article_ids`` that exists."""
    found: dict[int, int | None] = {}
    for chunk in _chunks(article_ids):
        query = select(Article.id, Article.group_id).where(Article.id.in_(chunk))
        found.update((article_id, group) for article_id, group in session.execute(query))
    return found


def _live_group(session: Session, group_id: int) -> StoryGroup:
    """Return the group ``group_id`` is now, following merges.

    Raises:
        UnknownGroup: no group has this id.
    """
    seen: set[int] = set()
    current = group_id
    while (group := session.get(StoryGroup, current)) is not None:
        if group.merged_into is None or group.merged_into in seen:
            return group
        seen.add(current)
        current = group.merged_into
    raise UnknownGroup(group_id)


def resolve_group(session: Session, group_id: int) -> int:
    """Return the id of the group ``group_id`` is now, following merges.

    Raises:
        UnknownGroup: no group has this id.
    """
    return _live_group(session, group_id).id


def boilerplate(session: Session, sources: Iterable[str] | None) -> dict[str, set[str]]:
    """Return the learned boilerplate block keys of each of ``sources`` (``None``: all)."""
    query = select(SourceBoilerplate.source, SourceBoilerplate.block_key)
    found: dict[str, set[str]] = {}
    if sources is not None:
        names = sorted(set(sources))
        found = {name: set() for name in names}
        query = query.where(SourceBoilerplate.source.in_(names))
    for source, key in session.execute(query):
        found.setdefault(source, set()).add(key)
    return found


def add_boilerplate(session: Session, blocks: Mapping[str, Iterable[str]]) -> int:
    """Store newly learned boilerplate block keys (already known ones are ignored)."""
    learned_at = _now()
    # In one order (source, then key): two processes learning the same blocks then
    # wait for each other's rows in one direction, never deadlock (PostgreSQL).
    rows = [
        {"source": source, "block_key": key, "learned_at": learned_at}
        for source, keys in sorted(blocks.items())
        for key in sorted(set(keys))
    ]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    upsert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(upsert(SourceBoilerplate).on_conflict_do_nothing(), rows)
    return len(rows)


# --- runs ------------------------------------------------------------------------------


def start_run(session: Session, kind: str) -> int:
    """Record the start of a run and return its id."""
    run = Run(kind=kind, status="running", started_at=_now(), stats={})
    session.add(run)
    session.flush()
    return run.id


def finish_run(session: Session, run_id: int, status: str, stats: Mapping[str, Any]) -> None:
    """Record a run's end, its final status and its statistics."""
    session.execute(
        update(Run)
        .where(Run.id == run_id)
        .values(status=status, finished_at=_now(), stats=dict(stats))
    )


def list_runs(
    session: Session, limit: int = 20, *, kind: str | None = None
) -> list[dict[str, Any]]:
    """Return the most recent runs (of ``kind``, when given), newest first."""
    query = select(Run).order_by(Run.id.desc()).limit(limit)
    if kind is not None:
        query = query.where(Run.kind == kind)
    runs = session.scalars(query)
    return [
        {
            "id": r.id,
            "kind": r.kind,
            "status": r.status,
            "started_at": _iso(r.started_at),
            "finished_at": _iso(r.finished_at),
            "stats": r.stats,
        }
        for r in runs
    ]


def records_by_source(
    runs: Iterable[Mapping[str, Any]], before: int | None = None
) -> dict[str, list[dict[str, Any]]]:
    """Each source's records in ``runs`` (of the runs before run ``before``, when given).

    Args:
        runs: runs as :func:`list_runs` returns them, newest first; a run without
            per-source records (``stats["by_source"]``, see the flows' run
            summaries; one that failed before crawling has none) adds nothing.
        before: a run id; only earlier runs count.

    Returns:
        Source name to its records, newest first.
    """
    found: dict[str, list[dict[str, Any]]] = {}
    for run in runs:
        if before is None or run["id"] < before:
            for record in (run.get("stats") or {}).get("by_source", ()):
                found.setdefault(record["source"], []).append(record)
    return found


def source_stats(session: Session, *, per_source: int = 1) -> dict[str, list[dict[str, Any]]]:
    """Each source's records of its latest ``per_source`` nightly runs, newest first.

    Each record (a run's figures for the source) gets ``total``: the articles the
    source has stored in all.
    """
    runs = list_runs(session, limit=max(100, 10 * per_source), kind="run")
    totals = articles_by_source(session)
    return {
        name: [{**r, "total": totals.get(name, 0)} for r in records[:per_source]]
        for name, records in records_by_source(runs).items()
    }


# --- read path -------------------------------------------------------------------------


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def stored_urls(
    session: Session, *, source: str | None = None, since: datetime | None = None
) -> Iterator[str]:
    """Yield every URL a stored or rejected page is known by: canonical, fetched, requested.

    This is the crawler's seen set: a feed may list an article under any of them,
    and a page rejected for good (a gallery, a PDF: ``lasting``) is not worth fetching
    every night.

    Args:
        session: an open session.
        source: only this source's pages (a crawl covers one source).
        since: only pages fetched (rejected) at or after this time; bounding the set
            by time keeps a night's cost independent of the size of the store.
    """
    query = select(Article.url, Article.fetched_url, Article.requested_url)
    rejected = select(Rejection.url).where(Rejection.lasting.is_(True))
    if source is not None:
        query = query.where(Article.source == source)
        rejected = rejected.where(Rejection.source == source)
    if since is not None:
        query = query.where(Article.fetched >= since)
        rejected = rejected.where(Rejection.recorded_at >= since)
    for url, fetched, requested in session.execute(query.execution_options(yield_per=5000)):
        yield url
        if fetched != url:
            yield fetched
        if requested and requested not in (url, fetched):
            yield requested
    yield from session.scalars(rejected.distinct().execution_options(yield_per=5000))


def count_articles(session: Session) -> int:
    """Return how many articles are stored."""
    return session.scalar(select(func.count(Article.id))) or 0


def articles_by_source(session: Session) -> dict[str, int]:
    """Return how many articles each source has stored."""
    query = select(Article.source, func.count(Article.id)).group_by(Article.source)
    return {source: n for source, n in session.execute(query)}


def search_articles(
    session: Session, query: str, *, limit: int = 50, offset: int = 0
) -> list[dict[str, Any]]:
    """Return the articles matching a full-text ``query``, newest first, without text.

    The query is words, "phrases" and prefix* words, all required (see
    :mod:`storage.search`); the records are those of :func:`export_articles`.
    """
    dialect = session.get_bind().dialect.name
    found = session.scalars(
        select(Article)
        .where(matches(Article.id, dialect, query))
        .options(defer(Article.text))
        .order_by(Article.published.desc().nulls_last(), Article.id.desc())
        .limit(limit)
        .offset(offset)
    ).all()
    # The page's groups in a second query: joining them in the first would join
    # every matching article before the page is cut (82 against 100 ms for a
    # common word at 100,000 articles, benchmarks/queries.py).
    group_ids = {a.group_id for a in found if a.group_id is not None}
    groups = {
        g.id: g for g in session.scalars(select(StoryGroup).where(StoryGroup.id.in_(group_ids)))
    }
    return [_article_record(a, groups.get(a.group_id or 0), with_text=False) for a in found]


def find_article(session: Session, url: str) -> dict[str, Any]:
    """Return the exported record (with text) of the article at ``url``.

    ``url`` may be the article's canonical URL, the URL it was fetched at, or
    the one first asked for (before redirects).

    Raises:
        UnknownArticle: no stored article has this URL.
    """
    # The canonical URL first: it has an index (the other two do not, and a
    # lookup by them reads the table: about 80 ms at 100,000 articles).
    article = session.scalars(select(Article).where(Article.url == url)).first()
    if article is None:
        article = session.scalars(
            select(Article)
            .where(or_(Article.fetched_url == url, Article.requested_url == url))
            .order_by(Article.id)
            .limit(1)
        ).first()
    if article is None:
        raise UnknownArticle(url)
    group = session.get(StoryGroup, article.group_id) if article.group_id else None
    return _article_record(article, group, with_text=True)


def _article_record(
    article: Article, group: StoryGroup | None, *, with_text: bool
) -> dict[str, Any]:
    record: dict[str, Any] = {
        "id": article.id,
        "url": article.url,
        "source": article.source,
        "title": article.title,
        "author": article.author,
        "published": _iso(article.published),
        "fetched": _iso(article.fetched),
        "language": article.language,
        "group_id": article.group_id,
        "is_origin": group is not None and group.origin_article_id == article.id,
        # The agency of the story this copy carries (the group's), and the
        # agency this copy credits itself, if any, with the words that say so.
        "agency": (group.agency if group is not None else None) or article.agency,
        "credited_agency": article.agency,
        "agency_evidence": article.agency_evidence,
        "similarity": article.similarity,
        "changes": article.changes,
    }
    if with_text:
        record["text"] = article.text
    return record


def _group_record(group: StoryGroup, members: Sequence[Article]) -> dict[str, Any]:
    origin = next((m for m in members if m.id == group.origin_article_id), None)
    ordered = sorted(
        members, key=lambda m: (m.published is None, m.published or m.fetched, m.fetched, m.id)
    )
    return {
        "id": group.id,
        "size": group.size,
        "title": group.title,
        "first_published": _iso(group.first_published),
        "last_published": _iso(group.last_published),
        "origin": {"url": origin.url, "source": origin.source} if origin else None,
        "agency": group.agency,
        "sources": sorted({m.source for m in members}),
        "articles": [_article_record(m, group, with_text=False) for m in ordered],
    }


def _group_records(session: Session, groups: Sequence[StoryGroup]) -> list[dict[str, Any]]:
    """Return the records of ``groups``, their members loaded in one query."""
    members: dict[int, list[Article]] = defaultdict(list)
    if groups:
        # A group record lists its articles without their text: not worth loading.
        query = (
            select(Article)
            .where(Article.group_id.in_([g.id for g in groups]))
            .options(defer(Article.text))
        )
        for article in session.scalars(query):
            members[article.group_id or 0].append(article)
    return [_group_record(g, members[g.id]) for g in groups]


def _groups_query(
    dialect: str,
    *,
    since: datetime | None,
    until: datetime | None,
    min_size: int,
    search: str | None,
    source: str | None,
    agency: str | None,
) -> Select[Any]:
    query = select(StoryGroup).where(StoryGroup.size >= min_size)
    if since is not None:
        query = query.where(
            func.coalesce(StoryGroup.last_published, StoryGroup.updated_at) >= since
        )
    if until is not None:
        query = query.where(
            func.coalesce(StoryGroup.first_published, StoryGroup.created_at) <= until
        )
    if search is not None:
        matching = select(Article.group_id).where(matches(Article.id, dialect, search))
        query = query.where(StoryGroup.id.in_(matching))
    if source:
        query = query.where(
            StoryGroup.id.in_(select(Article.group_id).where(Article.source == source))
        )
    if agency:
        query = query.where(func.lower(StoryGroup.agency) == agency.lower())
    return query


def list_groups(
    session: Session,
    *,
    since: datetime | None = None,
    until: datetime | None = None,
    min_size: int = 1,
    search: str | None = None,
    source: str | None = None,
    agency: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Return story groups, largest and newest first, as group records.

    Args:
        session: an open session.
        since: only groups with an article published at or after this time.
        until: only groups with an article published at or before this time
            (with ``since``: groups that ran within the period).
        min_size: only groups with at least this many articles.
        search: only groups with an article whose title or text matches this
            full-text query (words, "phrases", prefix*; see :mod:`storage.search`).
        source: only groups with an article of this source.
        agency: only groups of this agency (case-insensitive: ``afp`` is ``AFP``).
        limit: at most this many groups.
        offset: skip this many groups first (pagination).
    """
    query = (
        _groups_query(
            session.get_bind().dialect.name,
            since=since,
            until=until,
            min_size=min_size,
            search=search,
            source=source,
            agency=agency,
        )
        .order_by(
            StoryGroup.size.desc(),
            StoryGroup.last_published.desc().nulls_last(),
            StoryGroup.id.desc(),
        )
        .limit(limit)
        .offset(offset)
    )
    return _group_records(session, list(session.scalars(query)))


def _run_started(run_id: int) -> Any:
    return select(Run.started_at).where(Run.id == run_id).scalar_subquery()


def night_group_counts(session: Session, run_id: int) -> dict[str, dict[str, int]]:
    """Per source, what run ``run_id`` did to the story groups.

    ``new_groups``: live groups opened during the run whose origin is one of the
    run's articles of that source. ``new_copies``: the run's articles of that
    source that joined a group opened before the run.
    """
    started = _run_started(run_id)
    counts: dict[str, dict[str, int]] = defaultdict(lambda: {"new_groups": 0, "new_copies": 0})
    opened = (
        select(Article.source, func.count())
        .join(StoryGroup, StoryGroup.origin_article_id == Article.id)
        .where(
            Article.run_id == run_id,
            StoryGroup.created_at >= started,
            StoryGroup.merged_into.is_(None),
            StoryGroup.size > 0,
        )
        .group_by(Article.source)
    )
    for source, n in session.execute(opened):
        counts[source]["new_groups"] = n
    joined = (
        select(Article.source, func.count())
        .join(StoryGroup, StoryGroup.id == Article.group_id)
        .where(Article.run_id == run_id, StoryGroup.created_at < started)
        .group_by(Article.source)
    )
    for source, n in session.execute(joined):
        counts[source]["new_copies"] = n
    return dict(counts)


def night_groups(session: Session, run_id: int, limit: int = 10) -> dict[str, list[dict[str, Any]]]:
    """The largest groups run ``run_id`` opened (``new``) and added to (``growing``).

    A new group of one article is no story group yet, and is left out. Each is a
    group record (see :func:`list_groups`) with ``outlets``, its number of
    distinct sources, and ``added``, how many of its articles the run stored.
    """
    started = _run_started(run_id)
    added = (
        select(Article.group_id, func.count().label("added"))
        .where(Article.run_id == run_id, Article.group_id.is_not(None))
        .group_by(Article.group_id)
        .subquery()
    )
    found: dict[str, list[dict[str, Any]]] = {}
    for kind, when in (
        ("new", and_(StoryGroup.created_at >= started, StoryGroup.size > 1)),
        ("growing", StoryGroup.created_at < started),
    ):
        rows = session.execute(
            select(StoryGroup, added.c.added)
            .join(added, added.c.group_id == StoryGroup.id)
            .where(when)
            .order_by(StoryGroup.size.desc(), added.c.added.desc(), StoryGroup.id)
            .limit(limit)
        ).all()
        records = _group_records(session, [group for group, _ in rows])
        found[kind] = [
            {**record, "outlets": len(record["sources"]), "added": n}
            for record, (_, n) in zip(records, rows, strict=True)
        ]
    return found


def get_group(session: Session, group_id: int) -> dict[str, Any]:
    """Return one group record with its articles.

    A group merged into another leads to that one: the record's ``id`` is then
    the surviving group's, and ``merged_from`` lists the ids merged into it.

    Raises:
        UnknownGroup: no group has this id.
    """
    group = _live_group(session, group_id)
    (record,) = _group_records(session, [group])
    record["merged_from"] = list(
        session.scalars(
            select(StoryGroup.id).where(StoryGroup.merged_into == group.id).order_by(StoryGroup.id)
        )
    )
    return record


def export_articles(
    session: Session,
    *,
    with_text: bool = True,
    since: datetime | None = None,
    until: datetime | None = None,
    source: str | None = None,
    agency: str | None = None,
    min_size: int = 1,
    search: str | None = None,
) -> Iterator[dict[str, Any]]:
    """Yield one record per stored article, with its ``group_id``, in id order.

    The records are streamed (``yield_per``): memory stays flat however many
    articles are stored. The filters are those of :func:`list_groups`, asked of
    each article; every value is bound as a parameter.

    Args:
        session: an open session.
        with_text: include each article's ``text``.
        since: only articles published at or after this time; an undated article
            counts at the time it was fetched (as the matching window does).
        until: only articles published (undated: fetched) at or before this time.
        source: only articles of this source.
        agency: only articles whose record's ``agency`` is this one, whatever its
            case: their group's agency or, when the group has none, the agency the
            article credits itself.
        min_size: only articles of a group of at least this many articles; an
            article not grouped yet counts as a group of one.
        search: only articles whose title or text matches this full-text query
            (words, "phrases", prefix*; see :mod:`storage.search`).
    """
    query = (
        select(Article, StoryGroup)
        .outerjoin(StoryGroup, StoryGroup.id == Article.group_id)
        .order_by(Article.id)
        .execution_options(yield_per=1000)
    )
    when = func.coalesce(Article.published, Article.fetched)
    if since is not None:
        query = query.where(when >= since)
    if until is not None:
        query = query.where(when <= until)
    if source:
        query = query.where(Article.source == source)
    if agency:
        query = query.where(
            func.lower(func.coalesce(StoryGroup.agency, Article.agency)) == agency.lower()
        )
    if min_size > 1:
        query = query.where(StoryGroup.size >= min_size)
    if search is not None:
        query = query.where(matches(Article.id, session.get_bind().dialect.name, search))
    if not with_text:
        query = query.options(defer(Article.text))
    for article, group in session.execute(query):
        yield _article_record(article, group, with_text=with_text)
