"""SQLAlchemy 2 models: articles, their signatures, story groups, runs and rejections."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, ClassVar

from sqlalchemy import JSON, ForeignKey, Index, LargeBinary, MetaData, String, Text, false
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

from storage.types import UTCDateTime

__all__ = [
    "LANGUAGE_LENGTH",
    "SOURCE_LENGTH",
    "URL_LENGTH",
    "Article",
    "ArticleSignature",
    "Base",
    "GroupCorrection",
    "Rejection",
    "Run",
    "SourceBoilerplate",
    "StoryGroup",
]

# Named constraints from day one, so that migrations can refer to them by name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


# Column sizes that scraped values must fit (callers check them before inserting).
URL_LENGTH = 2048
SOURCE_LENGTH = 200
LANGUAGE_LENGTH = 16


def _now() -> datetime:
    return datetime.now(UTC)


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime, dict[str, Any]: JSON}


class Run(Base):
    """One pass of the pipeline (``run``, ``ingest`` or ``demo``) and its statistics."""

    __tablename__ = "runs"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(20), default="running")
    started_at: Mapped[datetime] = mapped_column(default=_now)
    finished_at: Mapped[datetime | None]
    stats: Mapped[dict[str, Any]] = mapped_column(default=dict)


class StoryGroup(Base):
    """Copies of one story. The id never changes once given."""

    __tablename__ = "story_groups"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=_now)
    updated_at: Mapped[datetime] = mapped_column(default=_now)
    size: Mapped[int] = mapped_column(default=0)
    title: Mapped[str | None] = mapped_column(Text)
    # The origin is derived from the members (earliest published) and refreshed with
    # them; a plain column rather than a foreign key avoids a table cycle.
    origin_article_id: Mapped[int | None]
    agency: Mapped[str | None] = mapped_column(String(40))
    first_published: Mapped[datetime | None]
    last_published: Mapped[datetime | None]
    # Set when the group was merged into another (by a night or a person): its
    # articles moved there, and the id keeps pointing to where they went.
    merged_into: Mapped[int | None] = mapped_column(index=True)

    __table_args__ = (Index("ix_story_groups_size_last", "size", "last_published"),)


class Article(Base):
    """A stored article: extracted text and metadata, and its place in a group."""

    __tablename__ = "articles"

    id: Mapped[int] = mapped_column(primary_key=True)
    url: Mapped[str] = mapped_column(String(URL_LENGTH), unique=True)
    fetched_url: Mapped[str] = mapped_column(String(URL_LENGTH))
    # Where the crawl was sent before a redirect; with url and fetched_url, the seen set.
    requested_url: Mapped[str | None] = mapped_column(String(URL_LENGTH))
    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH), index=True)
    title: Mapped[str | None] = mapped_column(Text)
    author: Mapped[str | None] = mapped_column(Text)
    published: Mapped[datetime | None] = mapped_column(index=True)
    fetched: Mapped[datetime]
    language: Mapped[str | None] = mapped_column(String(LANGUAGE_LENGTH))
    text: Mapped[str] = mapped_column(Text)
    agency: Mapped[str | None] = mapped_column(String(40))
    agency_evidence: Mapped[str | None] = mapped_column(Text)
    group_id: Mapped[int | None] = mapped_column(
        ForeignKey("story_groups.id", ondelete="SET NULL"), index=True
    )
    similarity: Mapped[float | None]
    # What this copy changed against its group's origin (dedupe's CopyChanges).
    changes: Mapped[dict[str, Any] | None]
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    stored_at: Mapped[datetime] = mapped_column(default=_now)

    # The crawler's seen set is one source's recent pages: an index range, not a scan.
    __table_args__ = (Index("ix_articles_source_fetched", "source", "fetched"),)


class ArticleSignature(Base):
    """An article's MinHash signature (bytes in dedupe's format) and shingle counts."""

    __tablename__ = "article_signatures"

    article_id: Mapped[int] = mapped_column(
        ForeignKey("articles.id", ondelete="CASCADE"), primary_key=True
    )
    signature: Mapped[bytes] = mapped_column(LargeBinary)
    shingles: Mapped[int]
    words: Mapped[int]
    # The settings the signature was made with (dedupe's signature_scheme); one
    # made with other settings is re-signed from the text before it is compared.
    scheme: Mapped[str] = mapped_column(String(60), default="v1", server_default="v1")
    # Publication time (or fetch time when undated): what the matching window is cut on.
    window_at: Mapped[datetime] = mapped_column(index=True)


class GroupCorrection(Base):
    """A person's decision about groups, which later nights respect.

    ``split``: ``article_ids`` left ``group_id`` for the new group ``other_group_id``;
    ``move``: ``article_ids`` moved from ``group_id`` to ``other_group_id``;
    ``merge``: ``other_group_id`` was merged into ``group_id``. A split or a move
    keeps the two groups apart from then on (no night merges them); a later merge
    of the two by a person lifts that.
    """

    __tablename__ = "group_corrections"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(String(20))
    group_id: Mapped[int]
    other_group_id: Mapped[int | None]
    article_ids: Mapped[list[int]] = mapped_column(JSON, default=list)
    note: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=_now)


class Rejection(Base):
    """A fetched page that was not stored as an article, and why."""

    __tablename__ = "rejections"

    id: Mapped[int] = mapped_column(primary_key=True)
    run_id: Mapped[int | None] = mapped_column(ForeignKey("runs.id", ondelete="SET NULL"))
    url: Mapped[str] = mapped_column(String(URL_LENGTH))
    source: Mapped[str | None] = mapped_column(String(SOURCE_LENGTH))
    reason: Mapped[str] = mapped_column(Text)
    recorded_at: Mapped[datetime] = mapped_column(default=_now)
    # Whether fetching the URL again would only give the same answer (a PDF, a page
    # with no article, 410 Gone); such URLs join the crawler's seen set. A 404, a 503
    # or a timeout is not lasting: the next night tries again.
    lasting: Mapped[bool] = mapped_column(default=False, server_default=false())

    __table_args__ = (Index("ix_rejections_source_recorded_at", "source", "recorded_at"),)


class SourceBoilerplate(Base):
    """A text block learned to be a source's chrome (a key from extract's boilerplate)."""

    __tablename__ = "source_boilerplate"

    source: Mapped[str] = mapped_column(String(SOURCE_LENGTH), primary_key=True)
    block_key: Mapped[str] = mapped_column(String(32), primary_key=True)
    learned_at: Mapped[datetime] = mapped_column(default=_now)
