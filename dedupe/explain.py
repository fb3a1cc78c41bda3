"""What a syndicated copy changed against its story group's origin.

Both texts are normalised (:func:`~dedupe.normalize.normalize_text`), so
datelines, agency credits, inserted "ADVERTISEMENT" / "Read more:" lines, case,
quote and dash styles never count as changes. The two word sequences are then
aligned with paragraph breaks ignored, so a copy that splits or merges
paragraphs still keeps them. For the alignment each distinct word is coded as
one character, so a word sequence is a string and finding an n-gram or comparing
two stretches of words is one string operation (C speed, not a Python loop):

1. Runs: a run of equal words starts at a 4-word n-gram found in both texts
   and is extended as far as the words agree (comparing slices of doubling
   length, so a long identical run costs a few steps). After a run, the next
   one is looked for close by: a few words on in both texts (a copy edit),
   then up to 100 words on in one of them (a paragraph put in or left out).
   Only when that fails (a moved paragraph, a long cut) is the copy's next
   n-gram looked up in the whole origin, preferring the occurrence after the
   previous run: by searching the origin's text a few times, then in a map of
   all the origin's n-grams; most copies never need the map.
2. Gaps: between consecutive runs, the few words an edit left unmatched (an
   edit hides its neighbours from every n-gram) are aligned by a longest
   common subsequence (its table computed a row at a time on bit vectors).
   Where the origin's side is long (cut text), the copy's few words are
   aligned with its two ends, keeping only runs of two words or more, or
   matched where they occur whole (a short paragraph).
3. Attribution: matched words are counted back into paragraphs, and each gap's
   unmatched words are counted as edits (see :class:`CopyChanges`).

The cost is linear in the texts' lengths, with a cap on the word-by-word work
per call; normalising the two texts is most of it.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from bisect import bisect_left, bisect_right
from collections.abc import Callable, Iterable, Iterator
from dataclasses import asdict, dataclass
from itertools import accumulate, chain, compress, count, repeat
from operator import ne

from dedupe.normalize import is_word_char, normalize_text, tokens

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
_TEXT_SEARCHES = 100
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
    """A normalised text's words, one character per word, and its paragraph boundaries.

    Each distinct word of an origin has its own character (see :class:`_Origin`);
    a copy's words that are not in the origin are all ``_NEW``, which the origin
    never has, so they match nothing in it.
    """

    codes: str
    # Start of each paragraph in ``codes``, then len(codes): paragraph p is
    # codes[starts[p]:starts[p + 1]]. Only lines with words are paragraphs.
    starts: list[int]

    @property
    def paragraphs(self) -> int:
        return len(self.starts) - 1

    def paragraph_of(self, position: int) -> int:
        return bisect_right(self.starts, position) - 1


# Unmatched stretches of both texts between two consecutive runs, in copy order:
# (a_start, a_end, b_start, b_end). A plain tuple: there is one per edit, and a
# tuple is built several times faster than a named tuple or a dataclass.
_Gap = tuple[int, int, int, int]


# ASCII characters that are not word characters, except the paragraph break.
_ASCII_BLANKS = "".join(c for c in map(chr, range(128)) if c != "\n" and not is_word_char(c))
# Blanks them in a str, and in UTF-8 bytes (where ASCII bytes are ASCII characters).
_ASCII_TO_SPACE = str.maketrans(dict.fromkeys(_ASCII_BLANKS, " "))
_BYTES_TO_SPACE = bytes.maketrans(_ASCII_BLANKS.encode(), b" " * len(_ASCII_BLANKS))
_ASCII_BYTES = bytes(range(128))


def _blank_non_words(text: str) -> str:
    """Return ``text`` with every character that is not a word character or a line break as a space.

    Splitting the result on white space gives the words :func:`tokens` gives
    (runs of word characters), a line at a time, without a regex. A non-ASCII
    text is blanked as UTF-8 bytes, where only ASCII characters have ASCII
    bytes, after its few distinct non-ASCII non-word characters (a degree sign,
    a euro sign, a soft hyphen) are replaced.
    """
    if text.isascii():
        return text.translate(_ASCII_TO_SPACE)
    # "surrogatepass": a stray surrogate is not a word character, and is replaced.
    raw = text.encode("utf-8", "surrogatepass")
    others = raw.translate(None, _ASCII_BYTES).decode("utf-8", "surrogatepass")
    blanked = False
    for char in set(others):
        if not is_word_char(char):
            text, blanked = text.replace(char, " "), True
    if blanked:
        raw = text.encode("utf-8")
    return raw.translate(_BYTES_TO_SPACE).decode("utf-8")


def _lines(text: str, normalize: Callable[[str], str] = normalize_text) -> list[str]:
    """Return the lines of ``text`` after normalisation, every non-word character a space.

    ``line.split()`` gives a line's words as :func:`tokens` splits them.
    """
    return _blank_non_words(normalize(text)).split("\n")


# The character of an origin word without one of its own (see _Origin) and of a
# copy word that is not in the origin.
_NONE, _NEW = "\x00", "\x01"
# The first characters for an origin's words, made once: most texts need no more.
_FIRST_END = 8192
_FIRST_CHARS = tuple(map(chr, range(2, _FIRST_END)))


def _code_chars() -> Iterator[str]:
    """Yield the characters for an origin's words, in order.

    All but ``_NONE``, ``_NEW`` and the surrogates, which text codecs refuse.
    """
    rest = chain(range(_FIRST_END, 0xD800), range(0xE000, sys.maxunicode + 1))
    return chain(_FIRST_CHARS, map(chr, rest))


class _Origin:
    """An origin's title forms and words, worked out once for all its copies."""

    def __init__(
        self, title: str | None, text: str, normalize: Callable[[str], str] = normalize_text
    ) -> None:
        self.forms = _title_forms(title)
        self._normalize = normalize
        lines = _lines(text, normalize)
        line_words = [line.split() for line in lines]
        words = list(chain.from_iterable(line_words))
        # One character per distinct word: that of its last place, written last.
        # (Should a text have more words than there are characters, over a million,
        # the words only further on are not told apart.)
        self._codes = dict(zip(words, _code_chars(), strict=False))
        codes = "".join(map(self._codes.get, words, repeat(_NONE)))
        ends = list(accumulate(map(len, line_words)))
        # Each line's characters, so that a copy's line that is one of the
        # origin's (about half are) is coded without splitting it into words.
        self._lines = {
            line: codes[end - len(its_words) : end]
            for line, its_words, end in zip(lines, line_words, ends, strict=True)
        }
        self.words = _Words(codes, [0, *sorted(set(ends) - {0})])

    def code(self, text: str) -> _Words:
        """Return a copy's words, coded with the origin's characters."""
        known, code = self._lines, self._codes.get
        parts = []
        for line in _lines(text, self._normalize):
            codes = known.get(line)
            if codes is None:
                codes = "".join(map(code, line.split(), repeat(_NEW)))
            if codes:
                parts.append(codes)
        return _Words("".join(parts), [0, *accumulate(map(len, parts))])


def _run_length(a: str, i: int, b: str, j: int, known: int) -> int:
    """Return how many words ``a[i:]`` and ``b[j:]`` share, the first ``known`` being equal.

    Stretches of growing length are compared; in the first that differs, the
    first difference is the lowest set bit of the two stretches' code points
    xor-ed as one integer each.
    """
    limit = min(len(a) - i, len(b) - j)
    length, step = known, 64
    while length < limit:
        end = min(length + step, limit)
        x, y = a[i + length : i + end], b[j + length : j + end]
        if x != y:
            diff = int.from_bytes(x.encode("utf-32-le"), "little") ^ int.from_bytes(
                y.encode("utf-32-le"), "little"
            )
            return length + ((diff & -diff).bit_length() - 1) // 32
        length, step = end, step * 4
    return length


class _NGramIndex:
    """Where each n-gram of the origin occurs, built when text searches run out.

    Most copies follow the origin closely enough that every run is found next
    to the previous one, and the origin is never searched.
    """

    def __init__(self, text: str) -> None:
        self._text = text  # the origin, one character per word
        self._first: dict[str, int] | None = None
        self._searches = 0
        # Every position of the n-grams that occur more than once.
        self._repeated: dict[str, list[int]] = {}

    def _search_text(self) -> bool:
        """Return whether to search the text rather than the index (a few times per call).

        A search costs a pass over the text in C; building the index costs as
        much as a few dozen of them.
        """
        if self._first is None and self._searches < _TEXT_SEARCHES:
            self._searches += 1
            return True
        return False

    def _build(self) -> dict[str, int]:
        text, k = self._text, _ANCHOR
        grams = [text[p : p + k] for p in range(len(text) - k + 1)]
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

    def contains(self, gram: str) -> bool:
        """Return whether ``gram`` occurs in the origin."""
        if self._search_text():
            return gram in self._text
        first = self._first if self._first is not None else self._build()
        return gram in first

    def find(self, gram: str, after: int) -> int | None:
        """Return where ``gram`` occurs, preferring the first place at or after ``after``."""
        if self._search_text():
            found = self._text.find(gram, after)
            if found < 0 and after > 0:
                # Else the first place, which is before ``after``.
                found = self._text.find(gram, 0, after + len(gram) - 1)
            return found if found >= 0 else None
        first = self._first if self._first is not None else self._build()
        position = first.get(gram)
        if position is None or position >= after or gram not in self._repeated:
            return position
        positions = self._repeated[gram]
        x = bisect_left(positions, after)
        return positions[x] if x < len(positions) else position


def _nearby_anchor(a: str, b: str, i: int, j: int) -> tuple[int, int] | None:
    """Return the first anchor within a few words after ``a[i]`` and ``b[j]``, if any.

    This is where a copy edit leaves the texts: a word replaced, dropped or put
    in. Copy positions are tried in order, each against the origin window.
    """
    k = _ANCHOR
    window_end = i + _NEARBY + k - 1
    for p in range(j, min(j + _NEARBY, len(b) - k + 1)):
        found = a.find(b[p : p + k], i, window_end)
        if found >= 0:
            return found, p
    return None


def _skip_anchor(x: str, i: int, y: str, j: int) -> int | None:
    """Return the first ``p`` within reach after ``j`` where ``y[p:]`` starts with ``x[i:i+4]``.

    This is where a copy that put in (or left out) a paragraph continues: the
    other text's next n-gram a little further on.
    """
    k = _ANCHOR
    probe = x[i : i + k]
    if len(probe) < k:
        return None
    found = y.find(probe, j, j + _REACH + k - 1)
    return found if found >= 0 else None


def _anchor_runs(a: str, b: str) -> list[tuple[int, int, int]]:
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
                grams = (b[p : p + k] for p in range(j, put_in - k + 1, k))
                if not any(_NEW not in gram and index.contains(gram) for gram in grams):
                    found = i, put_in
            elif left_out is not None:
                # Skipped origin words are still found if the copy has them later.
                found = left_out, j
        if found is None:
            j_next = j
            while j_next <= len(b) - k:
                # An n-gram with a word the origin lacks is not looked up.
                new = b.rfind(_NEW, j_next, j_next + k)
                if new >= 0:
                    j_next = new + 1
                    continue
                i_next = index.find(b[j_next : j_next + k], i)
                if i_next is not None:
                    found = i_next, j_next
                    break
                j_next += 1
            else:
                break
        i, j = found
        length = _run_length(a, i, b, j, k)
        runs.append((i, j, length))
        i, j = i + length, j + length
    return runs


def _lcs_pairs(x: str, y: str) -> list[tuple[int, int]]:
    """Return index pairs of one longest common subsequence of ``x`` and ``y``.

    Of the longest ones, the one the textbook table gives, walked from the start:
    a pair where the words are equal, else a step in ``x`` unless a step in
    ``y`` keeps a longer common subsequence ahead. The table's rows are computed
    as bit vectors (Allison and Dix; Hyyrö), a few integer operations a row.
    """
    n, m = len(x), len(y)
    if n == 1:  # one word replaced by several, or the reverse: the common shapes
        return [(0, y.index(x))] if x in y else []
    if m == 1:
        return [(x.index(y), 0)] if y in x else []
    # Bit q stands for y[m - 1 - q], so that rows[p] describes x[n - p:] against
    # the suffixes of y: the length of the longest common subsequence of x[i:]
    # and y[j:] is the number of zero bits among the lowest m - j of rows[n - i].
    masks: dict[str, int] = {}
    bit = 1 << m
    for word in y:
        bit >>= 1
        masks[word] = masks.get(word, 0) | bit
    full = (1 << m) - 1
    row = full
    rows = [row]
    for word in reversed(x):
        matched = row & masks.get(word, 0)
        row = ((row + matched) | (row - matched)) & full
        rows.append(row)
    pairs: list[tuple[int, int]] = []
    i = j = 0
    while i < n and j < m:
        if x[i] == y[j]:
            pairs.append((i, j))
            i, j = i + 1, j + 1
            continue
        rest = m - j  # words of y from j on
        # Common subsequence ahead after a step in x, and after a step in y.
        after_x = rest - (rows[n - i - 1] & ((1 << rest) - 1)).bit_count()
        after_y = rest - 1 - (rows[n - i] & ((1 << (rest - 1)) - 1)).bit_count()
        if after_x >= after_y:
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

    def __init__(self, a: str, b: str, copy: _Words, a_hit: bytearray, b_hit: bytearray) -> None:
        self._a, self._b, self._copy = a, b, copy
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
        return _lcs_pairs(self._a[a0:a1], self._b[b0:b1])

    def fill(self, gap: _Gap) -> None:
        """Match what can be matched of ``gap``'s words."""
        a, b, a_hit, b_hit = self._a, self._b, self._a_hit, self._b_hit
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
        at = a0
        for start, end in pieces:
            i = self._a.find(self._b[start:end], at, a1)
            if i >= 0:
                self._a_hit[i : i + end - start] = b_hit[start:end] = b"\x01" * (end - start)
                at = i + 1


def _align(a: str, b: str, copy: _Words) -> tuple[bytearray, bytearray, list[_Gap]]:
    """Return matched flags of both texts' words and the gaps between matched runs."""
    a_hit, b_hit = bytearray(len(a)), bytearray(len(b))
    gaps: list[_Gap] = []
    a_end = b_end = 0
    for i, j, length in [*_anchor_runs(a, b), (len(a), len(b), 0)]:
        # A run that goes back in the origin (a moved paragraph) leaves no origin gap.
        gaps.append((a_end, max(i, a_end), b_end, j))
        a_hit[i : i + length] = b_hit[j : j + length] = b"\x01" * length
        a_end, b_end = i + length, j + length
    filler = _GapFiller(a, b, copy, a_hit, b_hit)
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
    return _explain(_Origin(origin_title, origin_text), copy_title, copy_text)


def explain_copies(
    origin_title: str | None,
    origin_text: str,
    copies: Iterable[tuple[str | None, str]],
    *,
    normalize: Callable[[str], str] = normalize_text,
) -> list[CopyChanges]:
    """Compare every copy of a story group with its origin, normalising the origin once.

    Args:
        origin_title: the origin's title, or None when unknown.
        origin_text: the origin's text, one paragraph per line.
        copies: ``(title, text)`` of each copy.
        normalize: :func:`~dedupe.normalize.normalize_text`, or a function that
            returns what it returns (texts normalised already, when signing them).

    Returns:
        What :func:`explain_copy` returns for each copy, in order.
    """
    origin = _Origin(origin_title, origin_text, normalize)
    return [_explain(origin, title, text) for title, text in copies]


def _explain(source: _Origin, copy_title: str | None, copy_text: str) -> CopyChanges:
    copy_forms, origin, copy = _title_forms(copy_title), source.words, source.code(copy_text)
    # A new headline: both titles known, and no form of one is a form of the other.
    headline_changed = bool(source.forms and copy_forms) and source.forms.isdisjoint(copy_forms)
    # Equal codes are equal words: the origin has no "\x01".
    a, b = origin.codes, copy.codes
    if a == b:
        return CopyChanges(headline_changed, origin.paragraphs, 0, 0, 0, 1.0, 0)
    a_hit, b_hit, gaps = _align(a, b, copy)

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
    for a_start, a_end, b_start, b_end in gaps:
        removed = a_open.count(1, a_start, a_end)
        inserted = b_open.count(1, b_start, b_end)
        if not (removed or inserted):
            continue
        words_changed += max(removed, inserted)
        a_open[a_start:a_end] = bytes(a_end - a_start)
        if inserted and a:
            # Words put in edit the origin paragraph they sit in within the copy:
            # the one before the gap, or the one after it for words in a copy
            # paragraph that starts in the gap.
            for q in range(copy.paragraph_of(b_start), copy.paragraph_of(b_end - 1) + 1):
                start, end = copy.starts[q], copy.starts[q + 1]
                if b_open.count(1, max(start, b_start), min(end, b_end)):
                    position = a_end if start >= b_start else a_start - 1
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
