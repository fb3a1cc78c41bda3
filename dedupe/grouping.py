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
from datetime import UTC, datetime, timedelta

import numpy as np

from dedupe.config import DedupeConfig
from dedupe.index import CandidateIndex, band_keys
from dedupe.signature import (
    Signature,
    estimate_containment,
    estimate_jaccard,
    sign_normalized,
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
    """Return the LSH index of earlier nights' articles for ``config`` (see ``CandidateIndex``).

    A Redis index without a chosen ``?basename=`` is named after the LSH settings
    and the signature scheme, so that other settings never share an index.
    """
    return CandidateIndex(
        num_perm=config.index_perm,
        params=(config.lsh_bands, config.lsh_rows),
        seed=config.seed,
        url=url,
        signatures=config.signature_scheme,
    )


def _order_key(article: NewArticle) -> tuple[datetime, datetime, int]:
    return placement_order(article.published, article.fetched, article.article_id)


def sign_articles(
    new: Iterable[NewArticle],
    config: DedupeConfig,
    normalized: Mapping[int, str] | None = None,
) -> list[SignedArticle]:
    """Sign ``new`` and return them in placement order (published, fetched, id).

    ``normalized``, when given, holds each article's text as
    :func:`~dedupe.normalize.normalize_text` returned it, by article id (the
    caller keeps it, to explain copies without normalising them again).
    """
    ordered = sorted(new, key=_order_key)
    if normalized is None:
        signatures = sign_texts((a.text for a in ordered), config)
    else:
        signatures = sign_normalized((normalized[a.article_id] for a in ordered), config)
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
        self._kept_apart = {frozenset(pair) for pair in kept_apart if pair[0] != pair[1]}
        # The night's own articles by LSH bucket: for each band, bucket -> ids.
        # The bands and buckets are datasketch's (MinHashLSH.hashranges, and
        # band_keys); the tables are plain dicts because the night's index is
        # only added to and looked up, never aged or removed from, where
        # datasketch's storage classes cost four times as much per article. Most
        # buckets hold one article: its id alone, not a list (a list per bucket
        # would be a third of the memory of an ingest, and work for the collector).
        rows = config.lsh_rows
        self._hashranges = [(band * rows, (band + 1) * rows) for band in range(config.lsh_bands)]
        self._tonight: list[dict[bytes, int | list[int]]] = [{} for _ in self._hashranges]
        # article id -> (signature, group); window times live in the screen.
        self._known: dict[int, tuple[Signature, GroupRef]] = {}
        # The signatures of the night's and the window's articles, stacked, to
        # screen each article's candidates at once.
        self._seen = _Screen(config)
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
        for item in window.values():
            self._seen.add(item.article_id, item.signature, item.at)
        # Each article's bucket in each band, computed for the whole batch at once.
        matrix = np.array([a.signature.index_values(cfg) for a in batch], dtype=np.uint32)
        bands = band_keys(matrix.reshape(len(batch), cfg.index_perm), self._hashranges)
        buckets = zip(*bands, strict=True)
        for article, past_ids, its_buckets in zip(batch, past, buckets, strict=True):
            sig = article.signature
            # group -> (containment, jaccard, -member id) of its best verified member.
            best: dict[GroupRef, tuple[float, float, int]] = {}
            if sig.words >= cfg.min_words:
                placed: set[int] = set()
                for table, bucket in zip(self._tonight, its_buckets, strict=True):
                    members = table.get(bucket)
                    if isinstance(members, int):
                        placed.add(members)
                    elif members:
                        placed.update(members)
                keys = sorted(placed.union(past_ids))
                for key in self._seen.screen(keys, sig, article.at):
                    found = self._lookup(key, window)
                    if found is None:
                        continue
                    other, group = found
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
            self._known[article.article_id] = (sig, group)
            self._seen.add(article.article_id, sig, article.at)
            for table, bucket in zip(self._tonight, its_buckets, strict=True):
                members = table.get(bucket)
                if members is None:
                    table[bucket] = article.article_id
                elif isinstance(members, int):
                    table[bucket] = [members, article.article_id]
                else:
                    members.append(article.article_id)
        # Merges made later in the batch may have absorbed groups assigned earlier.
        result.assignments = {a: self.group_of(g) for a, g in result.assignments.items()}
        return result

    def _lookup(
        self, key: int, window: Mapping[int, WindowArticle]
    ) -> tuple[Signature, GroupRef] | None:
        if key in self._known:
            return self._known[key]
        item = window.get(key)
        if item is None:
            return None
        return item.signature, item.group_id

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


class _Screen:
    """The signatures a :class:`Placer` has seen, stacked to screen candidates together.

    LSH at a low threshold proposes many candidates that share a few shingles by
    chance (tens per article in a night of 100,000); comparing their hash values
    one numpy row at a time would cost more than everything else in placing an
    article. The screen applies the cheap necessary conditions of :func:`verify`
    (words, estimated Jaccard) and the window to all candidates in one step;
    the few that pass are verified as before.
    """

    def __init__(self, config: DedupeConfig) -> None:
        self._config = config
        self._window = timedelta(days=config.window_days) // _MICROSECOND
        self._row: dict[int, int] = {}
        self._values = np.empty((1024, config.num_perm), dtype=np.uint32)
        self._words = np.empty(1024, dtype=np.int64)
        self._at = np.empty(1024, dtype=np.int64)  # microseconds since the epoch

    def add(self, article_id: int, signature: Signature, at: datetime) -> None:
        """Remember an article's signature and window time (the first time it is seen)."""
        if article_id in self._row:
            return
        row = len(self._row)
        if row == len(self._words):
            self._values = np.concatenate([self._values, np.empty_like(self._values)])
            self._words = np.concatenate([self._words, np.empty_like(self._words)])
            self._at = np.concatenate([self._at, np.empty_like(self._at)])
        self._values[row] = signature.hashvalues
        self._words[row] = signature.words
        self._at[row] = _microseconds(at)
        self._row[article_id] = row

    def screen(self, keys: Sequence[int], signature: Signature, at: datetime) -> list[int]:
        """Return the ``keys`` that may verify against ``signature``, in the given order.

        Unknown keys are dropped, as are articles outside the window of ``at``,
        with fewer than ``min_words`` words, or an estimated Jaccard similarity
        under ``min_jaccard`` (computed exactly as :func:`estimate_jaccard` does).
        """
        known = [(key, row) for key in keys if (row := self._row.get(key)) is not None]
        if not known:
            return []
        rows = np.fromiter((row for _, row in known), dtype=np.int64, count=len(known))
        cfg = self._config
        jaccard = np.count_nonzero(self._values[rows] == signature.hashvalues, axis=1) / len(
            signature.hashvalues
        )
        when = _microseconds(at)
        keep = (
            (jaccard >= cfg.min_jaccard)
            & (self._words[rows] >= cfg.min_words)
            & (np.abs(self._at[rows] - when) <= self._window)
        )
        return [key for (key, _), ok in zip(known, keep.tolist(), strict=True) if ok]


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)
_MICROSECOND = timedelta(microseconds=1)


def _microseconds(at: datetime) -> int:
    """``at`` as whole microseconds since the epoch (naive times are UTC), exactly."""
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    return (at - _EPOCH) // _MICROSECOND


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
