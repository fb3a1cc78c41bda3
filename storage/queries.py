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
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, NamedTuple, cast

from sqlalchemy import Select, Table, bindparam, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, defer

from storage.errors import UnknownGroup
from storage.models import (
    LANGUAGE_LENGTH,
    SOURCE_LENGTH,
    URL_LENGTH,
    Article,
    ArticleSignature,
    Rejection,
    Run,
    SourceBoilerplate,
    StoryGroup,
)

__all__ = [
    "ArticleText",
    "GroupUpdate",
    "MemberRow",
    "StoredSignature",
    "add_boilerplate",
    "add_signatures",
    "articles_by_source",
    "boilerplate",
    "count_articles",
    "create_groups",
    "export_articles",
    "finish_run",
    "get_group",
    "group_members",
    "insert_articles",
    "list_groups",
    "list_runs",
    "record_rejections",
    "set_groups",
    "start_run",
    "stored_urls",
    "ungrouped_articles",
    "update_groups",
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

# Characters no text column can hold: NUL (PostgreSQL refuses it) and lone
# surrogates (not encodable as UTF-8); both occur in scraped input.
_UNSTORABLE = re.compile("[\x00\ud800-\udfff]")


def _storable(row: Mapping[str, Any], fields: Iterable[str]) -> dict[str, Any]:
    """Return the ``fields`` of ``row`` with unstorable characters removed from strings."""
    return {k: _UNSTORABLE.sub("", v) if isinstance(v := row.get(k), str) else v for k in fields}


def insert_articles(session: Session, rows: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """Insert articles whose URL is not stored yet; return the new ids by URL.

    An article already stored (same canonical URL) is left as it is, so a run
    repeated after a crash stores nothing twice. Strings are cleaned of
    characters no column can hold; a ``language`` longer than its column is cut.
    URLs and source names must fit their columns (:data:`~storage.models.URL_LENGTH`,
    :data:`~storage.models.SOURCE_LENGTH`): they are identities, not to be cut.
    """
    if not rows:
        return {}
    values = [_storable(row, _ARTICLE_FIELDS) for row in rows]
    for value in values:
        if value.get("language"):
            value["language"] = value["language"][:LANGUAGE_LENGTH]
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = (
        insert(Article)
        .on_conflict_do_nothing(index_elements=["url"])
        .returning(Article.url, Article.id, sort_by_parameter_order=True)
    )
    stored_at = _now()
    # One multi-row INSERT per batch ("insertmanyvalues"): RETURNING reports only
    # the rows really inserted, on SQLite and PostgreSQL alike.
    result = session.execute(stmt, [{**v, "stored_at": stored_at} for v in values])
    return {url: article_id for url, article_id in result}


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


class ArticleText(NamedTuple):
    """What dedupe needs of an article that has no group yet."""

    id: int
    text: str
    published: datetime | None
    fetched: datetime


def ungrouped_articles(session: Session) -> list[ArticleText]:
    """Return the stored articles that have no group (new, or left by a crash).

    On PostgreSQL the rows stay locked until the transaction ends, and rows
    another transaction is grouping are skipped, so two concurrent passes never
    place one article twice. (SQLite runs one writing transaction at a time.)
    """
    rows = session.execute(
        select(Article.id, Article.text, Article.published, Article.fetched)
        .where(Article.group_id.is_(None))
        .order_by(Article.id)
        .with_for_update(skip_locked=True, of=Article)
    )
    return [ArticleText._make(row) for row in rows]


class StoredSignature(NamedTuple):
    """A grouped article's stored signature."""

    article_id: int
    group_id: int
    signature: bytes
    shingles: int
    words: int


def window_signatures(session: Session, since: datetime) -> list[StoredSignature]:
    """Return the signatures of grouped articles published (or fetched) since ``since``."""
    rows = session.execute(
        select(
            ArticleSignature.article_id,
            Article.group_id,
            ArticleSignature.signature,
            ArticleSignature.shingles,
            ArticleSignature.words,
        )
        .join(Article, Article.id == ArticleSignature.article_id)
        .where(ArticleSignature.window_at >= since, Article.group_id.is_not(None))
        .order_by(ArticleSignature.article_id)
    )
    return [StoredSignature._make(row) for row in rows]


def create_groups(session: Session, count: int) -> list[int]:
    """Create ``count`` empty groups and return their ids, in creation order."""
    now = _now()
    groups = [StoryGroup(created_at=now, updated_at=now, size=0) for _ in range(count)]
    session.add_all(groups)
    session.flush()
    return [g.id for g in groups]


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


def add_signatures(session: Session, rows: Iterable[Mapping[str, Any]]) -> None:
    """Store signatures.

    Args:
        session: an open session.
        rows: mappings with ``article_id``, ``signature`` (bytes), ``shingles``,
            ``words`` and ``window_at``.
    """
    session.add_all(ArticleSignature(**dict(row)) for row in rows)


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


def group_members(session: Session, group_ids: Iterable[int]) -> list[MemberRow]:
    """Return every article of the given groups with its signature."""
    ids = sorted(set(group_ids))
    if not ids:
        return []
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
        )
        .outerjoin(ArticleSignature, ArticleSignature.article_id == Article.id)
        .where(Article.group_id.in_(ids))
        .order_by(Article.id)
    )
    return [MemberRow._make(row) for row in rows]


@dataclass(frozen=True)
class GroupUpdate:
    """A group's derived fields, as computed by dedupe."""

    group_id: int
    origin_id: int
    similarity: Mapping[int, float]
    agency: str | None


def update_groups(session: Session, updates: Sequence[GroupUpdate]) -> None:
    """Write origins, similarities and agencies; recount sizes and date ranges."""
    if not updates:
        return
    articles, groups = _ARTICLES, _GROUPS
    similarities = [
        {"article_id": article_id, "value": value}
        for u in updates
        for article_id, value in u.similarity.items()
    ]
    if similarities:
        session.execute(
            update(articles)
            .where(articles.c.id == bindparam("article_id"))
            .values(similarity=bindparam("value")),
            similarities,
        )
    ids = [u.group_id for u in updates]
    # min() and max() keep the column's type: the dates come back aware, in UTC.
    derived = {
        group_id: (size, first, last)
        for group_id, size, first, last in session.execute(
            select(
                Article.group_id,
                func.count(Article.id),
                func.min(Article.published),
                func.max(Article.published),
            )
            .where(Article.group_id.in_(ids))
            .group_by(Article.group_id)
        )
    }
    origins = [u.origin_id for u in updates]
    titles: dict[int, str | None] = {
        article_id: title
        for article_id, title in session.execute(
            select(Article.id, Article.title).where(Article.id.in_(origins))
        )
    }
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
    rows = [
        {"source": source, "block_key": key, "learned_at": learned_at}
        for source, keys in blocks.items()
        for key in sorted(set(keys))
    ]
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    session.execute(insert(SourceBoilerplate).on_conflict_do_nothing(), rows)
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
    *,
    since: datetime | None,
    min_size: int,
    search: str | None,
) -> Select[Any]:
    query = select(StoryGroup).where(StoryGroup.size >= min_size)
    if since is not None:
        query = query.where(
            func.coalesce(StoryGroup.last_published, StoryGroup.updated_at) >= since
        )
    if search:
        matching = select(Article.group_id).where(
            or_(
                Article.title.icontains(search, autoescape=True),
                Article.text.icontains(search, autoescape=True),
            )
        )
        query = query.where(StoryGroup.id.in_(matching))
    return query


def list_groups(
    session: Session,
    *,
    since: datetime | None = None,
    min_size: int = 1,
    search: str | None = None,
    limit: int = 50,
    offset: int = 0,
) -> list[dict[str, Any]]:
    """Return story groups, largest and newest first, as group records.

    Args:
        session: an open session.
        since: only groups with an article published at or after this time.
        min_size: only groups with at least this many articles.
        search: only groups with an article whose title or text contains this
            (case-insensitive substring).
        limit: at most this many groups.
        offset: skip this many groups first (pagination).
    """
    query = (
        _groups_query(since=since, min_size=min_size, search=search)
        .order_by(
            StoryGroup.size.desc(),
            StoryGroup.last_published.desc().nulls_last(),
            StoryGroup.id.desc(),
        )
        .limit(limit)
        .offset(offset)
    )
    return _group_records(session, list(session.scalars(query)))


def get_group(session: Session, group_id: int) -> dict[str, Any]:
    """Return one group record with its articles.

    Raises:
        UnknownGroup: no group has this id.
    """
    group = session.get(StoryGroup, group_id)
    if group is None:
        raise UnknownGroup(group_id)
    (record,) = _group_records(session, [group])
    return record


def export_articles(session: Session, *, with_text: bool = True) -> Iterator[dict[str, Any]]:
    """Yield one record per stored article, with its ``group_id``, in id order."""
    query = (
        select(Article, StoryGroup)
        .outerjoin(StoryGroup, StoryGroup.id == Article.group_id)
        .order_by(Article.id)
        .execution_options(yield_per=1000)
    )
    if not with_text:
        query = query.options(defer(Article.text))
    for article, group in session.execute(query):
        yield _article_record(article, group, with_text=with_text)
