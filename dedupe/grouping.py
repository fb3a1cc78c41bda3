"""Assigning a night's new articles to story groups.

LSH proposes candidates; each is verified with the signatures' estimated
Jaccard similarity and containment (see
:class:`~dedupe.config.DedupeConfig`). There is no chaining: a new article joins
the one group it matches best, or opens a group of its own. Two groups merge only
on strong evidence: a new article matches both, *and* the two articles it matched
verify as copies of each other directly (so one generic paragraph in the new
article cannot glue two stories together), and no person has kept the two apart.

Articles are placed in a fixed order (publication time, then fetch time, then id),
so the same night gives the same groups whatever order the articles arrived in.
A night is placed batch by batch through one :class:`Placer`, which keeps the
night's own articles in an in-memory index; the articles of earlier nights come
from a :class:`~dedupe.index.CandidateIndex` (in memory or in Redis) and are
looked up by id.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from datasketch import MinHashLSH

from dedupe.config import DedupeConfig
from dedupe.index import CandidateIndex
from dedupe.signature import (
    Signature,
    estimate_containment,
    estimate_jaccard,
    lean_minhash,
    sign_texts,
)

__all__ = [
    "GroupMember",
    "GroupSummary",
    "GroupingResult",
    "Match",
    "NewArticle",
    "NewGroup",
    "Placer",
    "SignedArticle",
    "WindowArticle",
    "assign_groups",
    "placement_order",
    "sign_articles",
    "summarize_group",
    "verify",
    "window_index",
]


@dataclass(frozen=True)
class NewArticle:
    """A stored article that has no group yet."""

    article_id: int
    text: str
    published: datetime | None
    fetched: datetime

    @property
    def at(self) -> datetime:
        """The time the matching window is measured from: published, else fetched."""
        return self.published or self.fetched


@dataclass(frozen=True)
class SignedArticle:
    """A new article ready to be placed: its id, window time and signature."""

    article_id: int
    at: datetime
    signature: Signature


@dataclass(frozen=True)
class WindowArticle:
    """A grouped article of an earlier night, as the matching needs it."""

    article_id: int
    group_id: int
    signature: Signature
    at: datetime


@dataclass(frozen=True, order=True)
class NewGroup:
    """A group this night opens; ``key`` is local to one :class:`Placer`."""

    key: int


GroupRef = int | NewGroup


@dataclass(frozen=True)
class Match:
    """The verified match that placed an article: the article it matched and how well."""

    article_id: int
    jaccard: float
    containment: float


@dataclass
class GroupingResult:
    """What one :meth:`Placer.place` call (or :func:`assign_groups`) decided."""

    # article id -> an existing group id, or a NewGroup to create.
    assignments: dict[int, GroupRef] = field(default_factory=dict)
    # article id -> its signature, to be stored for later nights.
    signatures: dict[int, Signature] = field(default_factory=dict)
    # article id -> the verified match, for articles that joined a group.
    matches: dict[int, Match] = field(default_factory=dict)
    # (absorbed group, surviving group), in the order the merges happened.
    merges: list[tuple[GroupRef, GroupRef]] = field(default_factory=list)

    @property
    def new_groups(self) -> list[NewGroup]:
        """The groups this batch opens (and that no merge absorbed), in key order."""
        return sorted({g for g in self.assignments.values() if isinstance(g, NewGroup)})


def verify(a: Signature, b: Signature, config: DedupeConfig) -> Match | None:
    """Return how well ``a`` and ``b`` match when they verify as copies, else ``None``.

    Both must have at least ``min_words`` words, an estimated Jaccard similarity
    of at least ``min_jaccard`` and a containment of at least ``min_containment``.
    The returned :class:`Match` has ``article_id`` 0; callers fill it in.
    """
    if min(a.words, b.words) < config.min_words:
        return None
    jaccard = estimate_jaccard(a, b)
    if jaccard < config.min_jaccard:
        return None
    containment = estimate_containment(a, b, jaccard)
    if containment < config.min_containment:
        return None
    return Match(0, round(jaccard, 4), round(containment, 4))


def placement_order(
    published: datetime | None, fetched: datetime, article_id: int
) -> tuple[datetime, datetime, int]:
    """The order articles are placed in: publication time (else fetch time), fetch time, id."""
    return (published or fetched, fetched, article_id)


def window_index(config: DedupeConfig, url: str | None = None) -> CandidateIndex:
    """Return the LSH index of earlier nights' articles for ``config`` (see ``CandidateIndex``)."""
    return CandidateIndex(
        num_perm=config.index_perm,
        params=(config.lsh_bands, config.lsh_rows),
        seed=config.seed,
        url=url,
    )


def _order_key(article: NewArticle) -> tuple[datetime, datetime, int]:
    return placement_order(article.published, article.fetched, article.article_id)


def sign_articles(new: Iterable[NewArticle], config: DedupeConfig) -> list[SignedArticle]:
    """Sign ``new`` and return them in placement order (published, fetched, id)."""
    ordered = sorted(new, key=_order_key)
    signatures = sign_texts((a.text for a in ordered), config)
    return [SignedArticle(a.article_id, a.at, s) for a, s in zip(ordered, signatures, strict=True)]


class Placer:
    """Places one night's articles into groups, batch after batch, in order.

    Args:
        config: verification settings and the matching window.
        kept_apart: pairs of group ids a person split or moved articles between;
            they are never merged automatically.
    """

    def __init__(self, config: DedupeConfig, kept_apart: Iterable[tuple[int, int]] = ()) -> None:
        self._config = config
        self._window = timedelta(days=config.window_days)
        self._kept_apart = {frozenset(pair) for pair in kept_apart if pair[0] != pair[1]}
        # The night's own articles: an in-memory LSH index of them, and their
        # signatures, times and groups.
        # datasketch's MinHashLSH itself: one insert and one query per article, no
        # aging, nothing kept after the night (CandidateIndex's batching and
        # ledger are for the index of earlier nights).
        self._tonight = MinHashLSH(
            num_perm=config.index_perm, params=(config.lsh_bands, config.lsh_rows)
        )
        # article id -> (signature, window time, group)
        self._known: dict[int, tuple[Signature, datetime, GroupRef]] = {}
        self._parent: dict[GroupRef, GroupRef] = {}  # merged group -> the group it joined
        self._next_key = 0

    def group_of(self, group: GroupRef) -> GroupRef:
        """Return the group ``group`` now belongs to, after merges."""
        while group in self._parent:
            group = self._parent[group]
        return group

    def knows(self, article_id: int) -> bool:
        """Whether ``article_id`` was placed by this placer (no lookup needed)."""
        return article_id in self._known

    def bind(self, created: Mapping[NewGroup, int]) -> None:
        """Record the ids the database gave to new groups of the last batch."""
        for new, group_id in created.items():
            self._parent[new] = group_id

    def place(
        self,
        batch: Sequence[SignedArticle],
        past: Sequence[Iterable[int]],
        window: Mapping[int, WindowArticle],
    ) -> GroupingResult:
        """Place ``batch`` (in placement order, after every earlier batch).

        Args:
            batch: signed new articles, ordered as :func:`sign_articles` orders them.
            past: for each article of ``batch``, the candidate ids the index of
                earlier nights proposed.
            window: the earlier nights' articles among those candidates, by id
                (ids missing here, or grouped under no group, are skipped).

        Returns:
            Each article's group; ``NewGroup`` values must be created and then
            passed to :meth:`bind` before the next batch.
        """
        result = GroupingResult()
        cfg = self._config
        for article, past_ids in zip(batch, past, strict=True):
            sig = article.signature
            # group -> (containment, jaccard, -member id) of its best verified member.
            best: dict[GroupRef, tuple[float, float, int]] = {}
            lean = lean_minhash(sig.index_values(cfg), cfg.seed)
            if sig.words >= cfg.min_words:
                tonight_ids = self._tonight.query(lean)
                for key in sorted(set(past_ids).union(tonight_ids)):
                    found = self._lookup(key, window)
                    if found is None:
                        continue
                    other, at, group = found
                    if abs(article.at - at) > self._window:
                        continue
                    match = verify(sig, other, cfg)
                    if match is None:
                        continue
                    score = (match.containment, match.jaccard, -key)
                    group = self.group_of(group)
                    if group not in best or score > best[group]:
                        best[group] = score
            if best:
                ranked = sorted(best.items(), key=lambda item: item[1], reverse=True)
                group, (containment, jaccard, neg_key) = ranked[0]
                result.matches[article.article_id] = Match(-neg_key, jaccard, containment)
                for other_group, (_, _, other_key) in ranked[1:]:
                    group = self._maybe_merge(
                        group, -neg_key, other_group, -other_key, window, result
                    )
            else:
                group = NewGroup(self._next_key)
                self._next_key += 1
            result.assignments[article.article_id] = group
            result.signatures[article.article_id] = sig
            self._known[article.article_id] = (sig, article.at, group)
            self._tonight.insert(article.article_id, lean, check_duplication=False)
        # Merges made later in the batch may have absorbed groups assigned earlier.
        result.assignments = {a: self.group_of(g) for a, g in result.assignments.items()}
        return result

    def _lookup(
        self, key: int, window: Mapping[int, WindowArticle]
    ) -> tuple[Signature, datetime, GroupRef] | None:
        if key in self._known:
            return self._known[key]
        item = window.get(key)
        if item is None:
            return None
        return item.signature, item.at, item.group_id

    def _maybe_merge(
        self,
        group: GroupRef,
        member: int,
        other_group: GroupRef,
        other_member: int,
        window: Mapping[int, WindowArticle],
        result: GroupingResult,
    ) -> GroupRef:
        """Merge ``other_group`` with ``group`` when their matched members verify directly.

        Returns the surviving group: an existing group before a new one, the
        older (smaller id or key) of two of a kind.
        """
        group, other_group = self.group_of(group), self.group_of(other_group)
        if group == other_group or self._kept_apart_between(group, other_group):
            return group
        a, b = self._lookup(member, window), self._lookup(other_member, window)
        if a is None or b is None or verify(a[0], b[0], self._config) is None:
            return group
        keep, absorbed = sorted((group, other_group), key=_survival_key)
        self._parent[absorbed] = keep
        result.merges.append((absorbed, keep))
        return keep

    def _kept_apart_between(self, a: GroupRef, b: GroupRef) -> bool:
        if not self._kept_apart:
            return False
        for pair in self._kept_apart:
            x, y = tuple(pair)
            roots = {self.group_of(x), self.group_of(y)}
            if roots == {a, b}:
                return True
        return False


def _survival_key(group: GroupRef) -> tuple[int, int]:
    return (1, group.key) if isinstance(group, NewGroup) else (0, group)


def assign_groups(
    new: Sequence[NewArticle],
    window: Sequence[WindowArticle],
    config: DedupeConfig,
    kept_apart: Iterable[tuple[int, int]] = (),
) -> GroupingResult:
    """Place ``new`` against ``window`` in one batch, with an in-memory index.

    The flows place a night batch by batch with a :class:`Placer` and a stored
    index; this is the same placement for callers that hold everything in memory
    (tests, benchmarks).
    """
    index = window_index(config)
    index.insert_many(
        [(w.article_id, w.signature.index_values(config), w.at.timestamp()) for w in window]
    )
    signed = sign_articles(new, config)
    past = index.query_many([s.signature.index_values(config) for s in signed])
    placer = Placer(config, kept_apart)
    return placer.place(signed, past, {w.article_id: w for w in window})


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
