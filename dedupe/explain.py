"""What a syndicated copy changed against its story group's origin.

Both texts are normalised (:func:`~dedupe.normalize.normalize_text`), so
datelines, agency credits, inserted "ADVERTISEMENT" / "Read more:" lines, case,
quote and dash styles never count as changes. The two word sequences are then
aligned with paragraph breaks ignored, so a copy that splits or merges
paragraphs still keeps them:

1. Runs: a run of equal words starts at a 4-word n-gram found in both texts
   and is extended as far as the words agree (comparing slices of doubling
   length, so a long identical run costs a few steps). After a run, the next
   one is looked for close by: a few words on in both texts (a copy edit),
   then up to 100 words on in one of them (a paragraph put in or left out).
   Only when that fails (a moved paragraph, a long cut) is the copy's next
   n-gram looked up in a map of all the origin's n-grams, preferring the
   occurrence after the previous run; most copies never need the map.
2. Gaps: between consecutive runs, the few words an edit left unmatched (an
   edit hides its neighbours from every n-gram) are aligned by a longest
   common subsequence. Where the origin's side is long (cut text), the copy's
   few words are aligned with its two ends, keeping only runs of two words or
   more, or matched where they occur whole (a short paragraph).
3. Attribution: matched words are counted back into paragraphs, and each gap's
   unmatched words are counted as edits (see :class:`CopyChanges`).

The cost is linear in the texts' lengths, with a cap on the word-by-word work
per call; normalising the two texts is most of it.
"""

from __future__ import annotations

import re
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Iterable, Sequence
from dataclasses import asdict, dataclass
from itertools import compress, count
from operator import ne
from typing import NamedTuple

from dedupe.normalize import normalize_text, tokens

__all__ = ["CopyChanges", "explain_copies", "explain_copy"]

# Words per anchor n-gram: 4 words rarely repeat by chance inside one story or
# between two unrelated ones ("according to the" does, "according to the ministry"
# seldom), and an edit every few words still leaves anchors between the edits.
_ANCHOR = 4
# An origin paragraph with less than this share of its words found in the copy
# is cut, otherwise it is kept (every word found, nothing inserted) or edited.
# Under 30% what is left is a stray phrase or a sentence reused elsewhere, not
# the paragraph.
_EDITED_MIN = 0.3
# A copy paragraph with less than this share of its words from the origin is the
# outlet's own (added); the same cut-off as above, seen from the copy's side.
_ADDED_MAX = 0.3
# Gaps between runs are aligned word by word when both sides have at most this
# many words. A copy edit leaves a gap of the edited words plus up to three
# neighbours that share no n-gram with the origin; a sentence edited every few
# words leaves some 30. Longer gaps are cut or added text, where a word-level
# alignment would mostly find chance matches of "the" and "said". (On real
# paragraphs replaced by another article's, 1 of 276 was misread as edited.)
_GAP_WORDS = 32
# After a run ends, the next one is first looked for within this many words of
# both texts (a copy edit replaces, drops or puts in a few words) before the
# whole origin is searched.
_NEARBY = 8
# Then the origin's next n-gram is looked for this many words on in the copy (a
# paragraph put in) and the copy's next n-gram as far on in the origin (one left
# out): two or three paragraphs of wire copy.
_REACH = 100
# Whether words skipped that way are new is checked by searching the origin's
# text at most this many times per call; then the n-gram index is built.
_TEXT_SEARCHES = 32
# Cap on the word-by-word alignment work (table cells) of one call, so that a
# pathological pair (ten words replaced in every twenty, over 20,000 words)
# stays fast; an ordinary copy with a few dozen edits uses a few hundred.
_GAP_CELLS = 20_000
# Cap on the origin words searched for short copy pieces next to cut text, for
# the same reason.
_GAP_SEARCH = 50_000
# Trailing " - The Outlet" / " | Outlet" segments of a title that may be ignored
# have at most this many words; a longer one is part of the headline.
_SUFFIX_WORDS = 5

# Separates a title from an outlet segment: a spaced hyphen, dash or bar.
_TITLE_SEPARATOR = re.compile(r"\s+(?:[-\u2010-\u2015\u2212]+|\|)\s+")
# Flips 0 <-> 1 in a bytearray of matched flags, giving the unmatched ones.
_FLIP = bytes.maketrans(b"\x00\x01", b"\x01\x00")


@dataclass(frozen=True)
class CopyChanges:
    """What a copy changed against its origin, counted on normalised text.

    Origin paragraphs are kept, edited or cut (these three add up to the origin's
    paragraphs); copy paragraphs that are not from the origin are added.
    Paragraphs are counted by the origin's line breaks, so a copy that splits or
    merges paragraphs still keeps them. Lines without words are not paragraphs.

    Attributes:
        headline_changed: the copy's title has other words than the origin's,
            ignoring case, punctuation and a trailing " - Outlet" / " | Outlet"
            segment of up to five words; False when either title is missing.
        paragraphs_kept: origin paragraphs found whole in the copy, no word
            changed.
        paragraphs_edited: origin paragraphs with at least 30% of their words
            in the copy, but some words changed, removed or inserted.
        paragraphs_cut: origin paragraphs with less than 30% of their words in
            the copy.
        paragraphs_added: copy paragraphs with less than 30% of their words from
            the origin: the outlet's own lines.
        kept_share: share of the origin's words found in the copy, 0..1,
            rounded to 3 decimals.
        words_changed: word edits inside kept and edited text: for each place
            where the two texts disagree, the larger of the origin words
            replaced or removed and the copy words put in, so "$1 trillion" ->
            "$1tn" counts 2 and "on Friday" -> "Friday" counts 1. Cut and added
            paragraphs are not counted here.
    """

    headline_changed: bool
    paragraphs_kept: int
    paragraphs_edited: int
    paragraphs_cut: int
    paragraphs_added: int
    kept_share: float
    words_changed: int

    def as_dict(self) -> dict[str, object]:
        """Return the fields as a JSON-ready dict, in declaration order."""
        return asdict(self)

    def summary(self) -> str:
        """Return one short human line.

        "Kept" in the line counts kept and edited paragraphs together, since
        both were found in the copy; the edited ones are named in brackets.

        Example:
            >>> CopyChanges(True, 4, 2, 4, 1, 0.645, 7).summary()
            'new headline; 6 of 10 paragraphs kept (2 edited), 4 cut, 1 added; 64% of the origin'
        """
        found = self.paragraphs_kept + self.paragraphs_edited
        total = found + self.paragraphs_cut
        parts = ["new headline"] if self.headline_changed else []
        counts = f"{found} of {total} paragraph{'' if total == 1 else 's'} kept"
        if self.paragraphs_edited:
            counts += f" ({self.paragraphs_edited} edited)"
        if self.paragraphs_cut:
            counts += f", {self.paragraphs_cut} cut"
        if self.paragraphs_added:
            counts += f", {self.paragraphs_added} added"
        parts.append(counts)
        # Rounded down, so a copy that lost a word never reads "100%".
        parts.append(f"{round(self.kept_share * 1000) // 10}% of the origin")
        return "; ".join(parts)


@dataclass(frozen=True)
class _Words:
    """A normalised text as one word sequence and its paragraph boundaries."""

    words: list[str]
    # Start of each paragraph in ``words``, then len(words): paragraph p is
    # words[starts[p]:starts[p + 1]]. Only lines with words are paragraphs.
    starts: list[int]

    @property
    def paragraphs(self) -> int:
        return len(self.starts) - 1

    def paragraph_of(self, position: int) -> int:
        return bisect_right(self.starts, position) - 1


class _Gap(NamedTuple):
    """Unmatched stretches of both texts between two consecutive runs, in copy order.

    A named tuple rather than a frozen dataclass: there is one per edit, and a
    tuple is built several times faster.
    """

    a_start: int
    a_end: int
    b_start: int
    b_end: int


def _words(text: str) -> _Words:
    """Return the words of ``text`` after normalisation, as :func:`tokens` splits them."""
    normalized = normalize_text(text)
    words: list[str] = []
    starts = [0]
    lines = [tokens(line) for line in normalized.split("\n")]
    for line_words in lines:
        if line_words:
            words += line_words
            starts.append(len(words))
    return _Words(words, starts)


def _run_length(a: Sequence[str], i: int, b: Sequence[str], j: int, known: int) -> int:
    """Return how many words ``a[i:]`` and ``b[j:]`` share, the first ``known`` being equal."""
    limit = min(len(a) - i, len(b) - j)
    length, step = known, 8
    while length < limit:
        end = min(length + step, limit)
        if a[i + length : i + end] == b[j + length : j + end]:
            length, step = end, step * 2
        elif end - length > 8:
            step = (end - length) // 2
        else:
            while a[i + length] == b[j + length]:
                length += 1
            break
    return length


class _NGramIndex:
    """Where each n-gram of the origin occurs, built on first use.

    Most copies follow the origin closely enough that every run is found next
    to the previous one, and the index is never built.
    """

    def __init__(self, words: list[str]) -> None:
        self._words = words
        self._first: dict[tuple[str, ...], int] | None = None
        self._text: str | None = None  # the words space-delimited, for one-off lookups
        self._searches = 0
        # Every position of the n-grams that occur more than once.
        self._repeated: dict[tuple[str, ...], list[int]] = {}

    def _build(self) -> dict[tuple[str, ...], int]:
        words, k = self._words, _ANCHOR
        grams = list(zip(*(words[s:] for s in range(k)), strict=False))
        # zip over the reversed lists writes each n-gram's first position last.
        first = dict(zip(reversed(grams), range(len(grams) - 1, -1, -1), strict=True))
        if len(first) < len(grams):
            # Positions that are not their n-gram's first, found without a Python loop.
            later = compress(count(), map(ne, map(first.__getitem__, grams), count()))
            repeated = self._repeated
            for position in later:
                gram = grams[position]
                positions = repeated.get(gram)
                if positions is None:
                    repeated[gram] = [first[gram], position]
                else:
                    positions.append(position)
        self._first = first
        return first

    def contains(self, gram: Sequence[str]) -> bool:
        """Return whether ``gram`` occurs in the origin.

        The first few lookups search the origin's text instead of building the
        index, which costs as much as a few dozen of them.
        """
        if self._first is None and self._searches < _TEXT_SEARCHES:
            self._searches += 1
            if self._text is None:
                self._text = " " + " ".join(self._words) + " "
            # Words have no spaces, so a word sequence is a space-delimited substring.
            return " " + " ".join(gram) + " " in self._text
        first = self._first if self._first is not None else self._build()
        return tuple(gram) in first

    def find(self, gram: tuple[str, ...], after: int) -> int | None:
        """Return where ``gram`` occurs, preferring the first place at or after ``after``."""
        first = self._first if self._first is not None else self._build()
        position = first.get(gram)
        if position is None or position >= after or gram not in self._repeated:
            return position
        positions = self._repeated[gram]
        x = bisect_left(positions, after)
        return positions[x] if x < len(positions) else position


def _nearby_anchor(a: list[str], b: list[str], i: int, j: int) -> tuple[int, int] | None:
    """Return the first anchor within a few words after ``a[i]`` and ``b[j]``, if any.

    This is where a copy edit leaves the texts: a word replaced, dropped or put
    in. Copy positions are tried in order, each against the origin window.
    """
    k = _ANCHOR
    window = a[i : i + _NEARBY + k - 1]
    starts = window[:_NEARBY]
    for dj in range(min(_NEARBY, len(b) - j - k + 1)):
        word = b[j + dj]
        di = -1
        for _ in range(starts.count(word)):
            di = starts.index(word, di + 1)
            if window[di : di + k] == b[j + dj : j + dj + k]:
                return i + di, j + dj
    return None


def _skip_anchor(x: list[str], i: int, y: list[str], j: int) -> int | None:
    """Return the first ``p`` within reach after ``j`` where ``y[p:]`` starts with ``x[i:i+4]``.

    This is where a copy that put in (or left out) a paragraph continues: the
    other text's next n-gram a little further on.
    """
    k = _ANCHOR
    probe = x[i : i + k]
    if len(probe) < k:
        return None
    window = y[j : j + _REACH + k - 1]
    p = -1
    for _ in range(window.count(probe[0])):
        p = window.index(probe[0], p + 1)
        if window[p : p + k] == probe:
            return j + p
    return None


def _anchor_runs(a: list[str], b: list[str]) -> list[tuple[int, int, int]]:
    """Return maximal runs ``(i, j, length)`` with ``a[i:i+length] == b[j:j+length]``.

    Runs are found in copy order; each copy word is in at most one run. After a
    run, the next one is looked for close by first: a few words on in both texts
    (a copy edit), then further on in one of them (a paragraph put in or left
    out), and only then anywhere in the origin.
    """
    k = _ANCHOR
    index = _NGramIndex(a)
    runs: list[tuple[int, int, int]] = []
    i = j = 0  # where both texts continue after the last run
    while j <= len(b) - k:
        found = _nearby_anchor(a, b, i, j)
        if found is None:
            put_in, left_out = _skip_anchor(a, i, b, j), _skip_anchor(b, j, a, i)
            if put_in is not None and (left_out is None or put_in - j <= left_out - i):
                # Skipped copy words are never looked at again: skip them only when
                # they are new (no origin run of 2k-1 words), not a paragraph moved
                # up from further on or a phrase the origin repeats.
                if not any(index.contains(b[p : p + k]) for p in range(j, put_in - k + 1, k)):
                    found = i, put_in
            elif left_out is not None:
                # Skipped origin words are still found if the copy has them later.
                found = left_out, j
        if found is None:
            for j_next in range(j, len(b) - k + 1):
                i_next = index.find(tuple(b[j_next : j_next + k]), i)
                if i_next is not None:
                    found = i_next, j_next
                    break
            else:
                break
        i, j = found
        length = _run_length(a, i, b, j, k)
        runs.append((i, j, length))
        i, j = i + length, j + length
    return runs


def _lcs_pairs(x: Sequence[str], y: Sequence[str]) -> list[tuple[int, int]]:
    """Return index pairs of one longest common subsequence of ``x`` and ``y``."""
    n, m = len(x), len(y)
    if n == 1:  # one word replaced by several, or the reverse: the common shapes
        return [(0, y.index(x[0]))] if x[0] in y else []
    if m == 1:
        return [(x.index(y[0]), 0)] if y[0] in x else []
    # table[i][j]: length of the longest common subsequence of x[i:] and y[j:].
    table = [[0] * (m + 1) for _ in range(n + 1)]
    for i in range(n - 1, -1, -1):
        row, below, word = table[i], table[i + 1], x[i]
        for j in range(m - 1, -1, -1):
            row[j] = below[j + 1] + 1 if word == y[j] else max(below[j], row[j + 1])
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if x[i] == y[j]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
        elif table[i + 1][j] >= table[i][j + 1]:
            i += 1
        else:
            j += 1
    return pairs


def _segments(pairs: list[tuple[int, int]], least: int) -> list[tuple[int, int]]:
    """Return the ``pairs`` in runs of ``least`` consecutive pairs, and those in line with one.

    A shorter run counts when it sits at the same offset in both texts as a long
    one (a word between two replaced words); a chance match seldom does.
    """
    runs: list[list[tuple[int, int]]] = []
    for x, y in pairs:
        if runs and (x - 1, y - 1) == runs[-1][-1]:
            runs[-1].append((x, y))
        else:
            runs.append([(x, y)])
    offsets = {run[0][0] - run[0][1] for run in runs if len(run) >= least}
    return [pair for run in runs if run[0][0] - run[0][1] in offsets for pair in run]


class _GapFiller:
    """Matches the words left between runs, within a budget per call."""

    def __init__(self, origin: _Words, copy: _Words, a_hit: bytearray, b_hit: bytearray) -> None:
        self._origin, self._copy = origin, copy
        self._a_hit, self._b_hit = a_hit, b_hit
        self._cells = _GAP_CELLS
        self._searched = _GAP_SEARCH

    def _mark(self, pairs: list[tuple[int, int]], a0: int, b0: int) -> None:
        for x, y in pairs:
            self._a_hit[a0 + x] = self._b_hit[b0 + y] = 1

    def _lcs(self, a0: int, a1: int, b0: int, b1: int) -> list[tuple[int, int]]:
        size = (a1 - a0) * (b1 - b0)
        if size > self._cells:
            return []
        self._cells -= size
        return _lcs_pairs(self._origin.words[a0:a1], self._copy.words[b0:b1])

    def fill(self, gap: _Gap) -> None:
        """Match what can be matched of ``gap``'s words."""
        a, b, a_hit, b_hit = self._origin.words, self._copy.words, self._a_hit, self._b_hit
        a0, a1, b0, b1 = gap
        while a0 < a1 and b0 < b1 and a[a0] == b[b0]:
            a_hit[a0] = b_hit[b0] = 1
            a0, b0 = a0 + 1, b0 + 1
        while a0 < a1 and b0 < b1 and a[a1 - 1] == b[b1 - 1]:
            a_hit[a1 - 1] = b_hit[b1 - 1] = 1
            a1, b1 = a1 - 1, b1 - 1
        if a0 == a1 or b0 == b1 or b1 - b0 > _GAP_WORDS:
            return
        if a1 - a0 <= _GAP_WORDS:
            # Words an edit left between two runs: aligned word by word.
            if (a1 - a0) * (b1 - b0) > 1:
                self._mark(self._lcs(a0, a1, b0, b1), a0, b0)
            return
        # A few copy words next to cut text. They may end the paragraph before the
        # cut or start the one after it, so they are aligned with both ends of the
        # origin's side, or are a short paragraph found whole in between. Only runs
        # of two words or more count, so the stray "of the" of an added line does not.
        window = b1 - b0 + _NEARBY
        head = _segments(self._lcs(a0, min(a1, a0 + window), b0, b1), 2)
        self._mark(head, a0, b0)
        if head:
            a0, b0 = a0 + head[-1][0] + 1, b0 + head[-1][1] + 1
        if b0 < b1 and a0 < a1:
            tail_start = max(a0, a1 - window)
            self._mark(_segments(self._lcs(tail_start, a1, b0, b1), 2), tail_start, b0)
        self._find_pieces(a0, a1, b0, b1)

    def _find_pieces(self, a0: int, a1: int, b0: int, b1: int) -> None:
        """Match copy paragraphs (or their parts in the gap) found whole in ``a[a0:a1]``."""
        copy, b_hit = self._copy, self._b_hit
        pieces = [
            (start, end)
            for p in range(copy.paragraph_of(b0), copy.paragraph_of(b1 - 1) + 1)
            for start, end in [(max(b0, copy.starts[p]), min(b1, copy.starts[p + 1]))]
            if end - start >= 2 and not any(b_hit[start:end])
        ]
        if not pieces or a1 - a0 > self._searched:
            return
        self._searched -= a1 - a0
        # Words have no spaces, so a word sequence is a space-delimited substring.
        haystack = " " + " ".join(self._origin.words[a0:a1]) + " "
        at = 0
        for start, end in pieces:
            found = haystack.find(" " + " ".join(copy.words[start:end]) + " ", at)
            if found >= 0:
                i = a0 + haystack.count(" ", 0, found)
                self._a_hit[i : i + end - start] = b_hit[start:end] = b"\x01" * (end - start)
                at = found + 1


def _align(origin: _Words, copy: _Words) -> tuple[bytearray, bytearray, list[_Gap]]:
    """Return matched flags of both texts' words and the gaps between matched runs."""
    a, b = origin.words, copy.words
    a_hit, b_hit = bytearray(len(a)), bytearray(len(b))
    gaps: list[_Gap] = []
    a_end = b_end = 0
    for i, j, length in [*_anchor_runs(a, b), (len(a), len(b), 0)]:
        # A run that goes back in the origin (a moved paragraph) leaves no origin gap.
        gaps.append(_Gap(a_end, max(i, a_end), b_end, j))
        a_hit[i : i + length] = b_hit[j : j + length] = b"\x01" * length
        a_end, b_end = i + length, j + length
    filler = _GapFiller(origin, copy, a_hit, b_hit)
    for gap in gaps:
        filler.fill(gap)
    return a_hit, b_hit, gaps


def _title_forms(title: str | None) -> set[tuple[str, ...]]:
    """Return a title's words, with and without trailing outlet segments."""
    if not title:
        return set()
    # Case and compatibility forms folded; quotes and other punctuation are not
    # words, so the rest of normalize_text (built for article bodies) is not needed.
    text = unicodedata.normalize("NFKC", title).casefold()
    forms = {tuple(tokens(text))}
    for _ in range(2):  # "Headline - Section - Outlet"
        separators = list(_TITLE_SEPARATOR.finditer(text))
        if not separators or len(tokens(text[separators[-1].end() :])) > _SUFFIX_WORDS:
            break
        text = text[: separators[-1].start()]
        forms.add(tuple(tokens(text)))
    forms.discard(())
    return forms


def explain_copy(
    origin_title: str | None, origin_text: str, copy_title: str | None, copy_text: str
) -> CopyChanges:
    r"""Compare a copy with its story group's origin.

    Args:
        origin_title: the origin's title, or None when unknown.
        origin_text: the origin's text, one paragraph per line.
        copy_title: the copy's title, or None when unknown.
        copy_text: the copy's text, one paragraph per line.

    Returns:
        The changes, counted on normalised text: datelines, agency credits,
        inserted "ADVERTISEMENT" / "Read more:" lines, case, quotes and dashes
        are not changes. Empty texts give zero counts (and a kept share of 1.0
        when both are empty, 0.0 when only the copy has words).

    Example:
        >>> origin = "PARIS (AFP) - Markets fell on Friday.\nOil rose."
        >>> explain_copy("Markets fall", origin, "Markets fall - The Outlet",
        ...              "Markets fell Friday.\nADVERTISEMENT\nOur own line.").summary()
        '1 of 2 paragraphs kept (1 edited), 1 cut, 1 added; 50% of the origin'
    """
    return _explain(_title_forms(origin_title), _words(origin_text), copy_title, copy_text)


def explain_copies(
    origin_title: str | None, origin_text: str, copies: Iterable[tuple[str | None, str]]
) -> list[CopyChanges]:
    """Compare every copy of a story group with its origin, normalising the origin once.

    Args:
        origin_title: the origin's title, or None when unknown.
        origin_text: the origin's text, one paragraph per line.
        copies: ``(title, text)`` of each copy.

    Returns:
        What :func:`explain_copy` returns for each copy, in order.
    """
    forms, origin = _title_forms(origin_title), _words(origin_text)
    return [_explain(forms, origin, title, text) for title, text in copies]


def _explain(
    origin_forms: set[tuple[str, ...]], origin: _Words, copy_title: str | None, copy_text: str
) -> CopyChanges:
    copy_forms, copy = _title_forms(copy_title), _words(copy_text)
    # A new headline: both titles known, and no form of one is a form of the other.
    headline_changed = bool(origin_forms and copy_forms) and origin_forms.isdisjoint(copy_forms)
    a, b = origin.words, copy.words
    if a == b:
        return CopyChanges(headline_changed, origin.paragraphs, 0, 0, 0, 1.0, 0)
    a_hit, b_hit, gaps = _align(origin, copy)

    a_spans = list(zip(origin.starts, origin.starts[1:], strict=False))
    b_spans = list(zip(copy.starts, copy.starts[1:], strict=False))
    cut = [a_hit.count(1, start, end) < _EDITED_MIN * (end - start) for start, end in a_spans]
    added = [b_hit.count(1, start, end) < _ADDED_MAX * (end - start) for start, end in b_spans]
    # Unmatched words that may count as edits: those in paragraphs that are
    # neither cut (origin) nor added (copy).
    a_open, b_open = a_hit.translate(_FLIP), b_hit.translate(_FLIP)
    for (start, end), is_cut in zip(a_spans, cut, strict=True):
        if is_cut:
            a_open[start:end] = bytes(end - start)
    for (start, end), is_added in zip(b_spans, added, strict=True):
        if is_added:
            b_open[start:end] = bytes(end - start)
    # A paragraph that is not cut is edited when a word of it is missing, or
    # (below) when the copy put words into it.
    edited = [a_open.count(1, start, end) > 0 for start, end in a_spans]

    words_changed = 0
    for gap in gaps:
        removed = a_open.count(1, gap.a_start, gap.a_end)
        inserted = b_open.count(1, gap.b_start, gap.b_end)
        if not (removed or inserted):
            continue
        words_changed += max(removed, inserted)
        a_open[gap.a_start : gap.a_end] = bytes(gap.a_end - gap.a_start)
        if inserted and a:
            # Words put in edit the origin paragraph they sit in within the copy:
            # the one before the gap, or the one after it for words in a copy
            # paragraph that starts in the gap.
            for q in range(copy.paragraph_of(gap.b_start), copy.paragraph_of(gap.b_end - 1) + 1):
                start, end = copy.starts[q], copy.starts[q + 1]
                if b_open.count(1, max(start, gap.b_start), min(end, gap.b_end)):
                    position = gap.a_end if start >= gap.b_start else gap.a_start - 1
                    p = origin.paragraph_of(min(max(position, 0), len(a) - 1))
                    edited[p] = not cut[p]

    n_cut, n_edited = sum(cut), sum(edited)
    # Without origin words the copy has words here (equal texts returned above).
    kept_share = round(a_hit.count(1) / len(a), 3) if a else 0.0
    return CopyChanges(
        headline_changed=headline_changed,
        paragraphs_kept=origin.paragraphs - n_cut - n_edited,
        paragraphs_edited=n_edited,
        paragraphs_cut=n_cut,
        paragraphs_added=sum(added),
        kept_share=kept_share,
        words_changed=words_changed,
    )
