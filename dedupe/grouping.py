"""Assigning a night's new articles to story groups.

LSH proposes candidates; each is verified with the estimated similarity
(Jaccard and containment, see :class:`~dedupe.config.DedupeConfig`). There is no
chaining: a new article joins the one group it matches best, or opens a group of
its own. Articles are processed in a fixed order (publication time, then fetch
time, then id), so the same night gives the same groups whatever order the
articles arrived in.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime

from dedupe.config import DedupeConfig
from dedupe.index import CandidateIndex
from dedupe.signature import Signature, estimate_containment, estimate_jaccard, sign_texts

__all__ = [
    "GroupMember",
    "GroupSummary",
    "GroupingResult",
    "NewArticle",
    "NewGroup",
    "WindowArticle",
    "assign_groups",
    "summarize_group",
]


@dataclass(frozen=True)
class NewArticle:
    """A stored article that has no group yet."""

    article_id: int
    text: str
    published: datetime | None
    fetched: datetime


@dataclass(frozen=True)
class WindowArticle:
    """A grouped article inside the matching window."""

    article_id: int
    group_id: int
    signature: Signature


@dataclass(frozen=True, order=True)
class NewGroup:
    """A group this night opens; ``key`` is local to one :func:`assign_groups` call."""

    key: int


@dataclass
class GroupingResult:
    """What :func:`assign_groups` decided."""

    # article id -> an existing group id, or a NewGroup to create.
    assignments: dict[int, int | NewGroup] = field(default_factory=dict)
    # article id -> its signature, to be stored for later nights.
    signatures: dict[int, Signature] = field(default_factory=dict)
    # article id -> (matched article id, containment) for articles that joined a group.
    matches: dict[int, tuple[int, float]] = field(default_factory=dict)

    @property
    def new_groups(self) -> int:
        """How many groups this night opens."""
        return len({g for g in self.assignments.values() if isinstance(g, NewGroup)})


def _order_key(article: NewArticle) -> tuple[datetime, datetime, int]:
    return (article.published or article.fetched, article.fetched, article.article_id)


def _is_copy(a: Signature, b: Signature, config: DedupeConfig) -> float | None:
    """Return the containment when ``a`` and ``b`` verify as copies, else None."""
    if min(a.words, b.words) < config.min_words:
        return None
    jaccard = estimate_jaccard(a, b)
    if jaccard < config.min_jaccard:
        return None
    containment = estimate_containment(a, b, jaccard)
    return containment if containment >= config.min_containment else None


def assign_groups(
    new: Sequence[NewArticle],
    window: Sequence[WindowArticle],
    config: DedupeConfig,
    index: CandidateIndex | None = None,
) -> GroupingResult:
    """Assign each new article to an existing group, or to a new one.

    Args:
        new: articles to place; their texts are signed here in bulk.
        window: grouped articles they may join (recent ones, with signatures).
        config: shingling, LSH and verification settings.
        index: a prepared index already holding ``window``; when ``None``, an
            in-memory index is built from ``window``.

    Returns:
        The assignments, the new signatures and the verified match of each copy.
    """
    result = GroupingResult()
    groups: dict[int, int | NewGroup] = {}
    signatures: dict[int, Signature] = {}
    if index is None:
        index = CandidateIndex(config)
        for item in window:
            index.add(item.article_id, item.signature)
    for item in window:
        groups[item.article_id] = item.group_id
        signatures[item.article_id] = item.signature

    ordered = sorted(new, key=_order_key)
    new_signatures = sign_texts([a.text for a in ordered], config)
    next_key = 0
    for article, signature in zip(ordered, new_signatures, strict=True):
        best: tuple[float, int] | None = None  # (containment, matched article id)
        if signature.words >= config.min_words:
            for key in index.candidates(signature):
                other = signatures.get(key)
                if other is None:
                    continue
                containment = _is_copy(signature, other, config)
                if containment is None:
                    continue
                # Best match wins; ties go to the earlier article id, for determinism.
                if best is None or (containment, -key) > (best[0], -best[1]):
                    best = (containment, key)
        if best is None:
            group: int | NewGroup = NewGroup(next_key)
            next_key += 1
        else:
            group = groups[best[1]]
            result.matches[article.article_id] = (best[1], best[0])
        result.assignments[article.article_id] = group
        result.signatures[article.article_id] = signature
        groups[article.article_id] = group
        signatures[article.article_id] = signature
        index.add(article.article_id, signature)
    return result


@dataclass(frozen=True)
class GroupMember:
    """One article of a group, as needed to describe the group."""

    article_id: int
    published: datetime | None
    fetched: datetime
    signature: Signature | None


@dataclass(frozen=True)
class GroupSummary:
    """A group's origin and each member's similarity to it."""

    origin_id: int
    similarity: dict[int, float]


def summarize_group(members: Sequence[GroupMember]) -> GroupSummary:
    """Find a group's origin (earliest published, ties by fetch time) and similarities.

    A member's similarity to the origin is the estimated containment: the share
    of the shorter text's shingles found in the other. Articles published with
    no date count after every dated one.

    Raises:
        ValueError: ``members`` is empty.
    """
    if not members:
        raise ValueError("a group needs at least one member")

    def key(m: GroupMember) -> tuple[int, datetime, datetime, int]:
        return (m.published is None, m.published or m.fetched, m.fetched, m.article_id)

    origin = min(members, key=key)
    similarity: dict[int, float] = {}
    for member in members:
        if member.article_id == origin.article_id:
            similarity[member.article_id] = 1.0
        elif member.signature is not None and origin.signature is not None:
            similarity[member.article_id] = round(
                estimate_containment(member.signature, origin.signature), 3
            )
    return GroupSummary(origin_id=origin.article_id, similarity=similarity)
