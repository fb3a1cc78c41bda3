r"""Word shingles as 32-bit hashes: the sets whose overlap measures how much two texts share.

A text's words are found and hashed in numpy, on its code points: a word is a
run of word characters (what ``\w`` matches: letters, digits and ``_``, in any
script), and its hash is a polynomial of its code points modulo 2**64, taken
for all words at once from prefix sums, then mixed (MurmurHash3's finaliser).
A shingle's hash mixes its words' hashes with fixed odd multipliers. No word or
shingle string is ever built, and the values are the same on every machine.
"""

from __future__ import annotations

import threading

import numpy as np

from dedupe.normalize import is_word_char

__all__ = ["shingle_hashes", "word_hashes"]

# Fixed odd 64-bit multipliers (from splitmix64), one per word position in a shingle.
_MULTIPLIERS = np.array(
    [
        0x9E3779B97F4A7C15,
        0xBF58476D1CE4E5B9,
        0x94D049BB133111EB,
        0xD6E8FEB86659FD93,
        0xA0761D6478BD642F,
        0xE7037ED1A0B428DB,
        0x8EBC6AF09C88C6E3,
        0x589965CC75374CC3,
        0x1D8E4E27C47D124F,
        0xC2B2AE3D27D4EB4F,
    ],
    dtype=np.uint64,
)
MAX_SHINGLE_SIZE = len(_MULTIPLIERS)

# Word characters among the ASCII code points; index 128 stands for every other
# code point, which is looked up one distinct character at a time.
_ASCII_WORD = np.array([is_word_char(chr(c)) for c in range(128)] + [False], dtype=bool)

# The polynomial's base (odd, so it has an inverse modulo 2**64) and that inverse.
_BASE = 0x100000001B3
_INVERSE = pow(_BASE, -1, 1 << 64)
_FMIX = (np.uint64(33), np.uint64(0xFF51AFD7ED558CCD), np.uint64(0xC4CEB9FE1A85EC53))


class _Powers:
    """Powers of the base and of its inverse modulo 2**64, grown as longer texts come."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._tables = self._compute(1 << 16)

    @staticmethod
    def _compute(n: int) -> tuple[np.ndarray, np.ndarray]:
        tables = []
        for base in (_BASE, _INVERSE):
            powers = np.empty(n, dtype=np.uint64)
            powers[0] = 1
            # uint64 products wrap around: powers modulo 2**64.
            np.cumprod(np.full(n - 1, base, dtype=np.uint64), out=powers[1:])
            tables.append(powers)
        return tables[0], tables[1]

    def upto(self, n: int) -> tuple[np.ndarray, np.ndarray]:
        """Return (base**i, inverse**i) for i in 0..n-1 at least."""
        tables = self._tables
        if len(tables[0]) < n:
            with self._lock:
                if len(self._tables[0]) < n:
                    self._tables = self._compute(max(n, 2 * len(self._tables[0])))
                tables = self._tables
        return tables


_POWERS = _Powers()


def _word_mask(points: np.ndarray) -> np.ndarray:
    r"""Which code points are word characters (``\w``)."""
    word = _ASCII_WORD.take(points, mode="clip")  # code points past 127: index 128
    high = np.flatnonzero(points >= 128)
    if len(high) > _FEW:
        # Many characters outside ASCII (another script): ask about each distinct one.
        distinct, where = np.unique(points[high], return_inverse=True)
        word[high] = np.array([is_word_char(chr(p)) for p in distinct.tolist()], dtype=bool)[where]
    elif len(high):
        # A few accents or symbols in a Latin text: cheaper one by one.
        word[high] = [is_word_char(chr(p)) for p in points[high].tolist()]
    return word


# Up to this many non-ASCII characters, they are looked up one by one.
_FEW = 64


def word_hashes(text: str) -> np.ndarray:
    r"""Return the 64-bit hashes of the words of ``text``, in order.

    The words are those of :func:`dedupe.normalize.tokens` (runs of ``\w``),
    so ``len(word_hashes(t)) == len(tokens(t))``, and equal words get equal hashes.
    """
    # "surrogatepass": a lone surrogate (JSON can carry one) is a non-word character.
    points = np.frombuffer(text.encode("utf-32-le", "surrogatepass"), dtype=np.uint32)
    n = len(points)
    bounds = np.zeros(n + 2, dtype=bool)
    bounds[1:-1] = _word_mask(points)
    edges = np.flatnonzero(bounds[1:] != bounds[:-1])
    starts, ends = edges[0::2], edges[1::2]
    powers, inverse = _POWERS.upto(n + 1)
    # prefix[i] = sum of point[j] * inverse**j for j < i, so a word [s, e) hashes to
    # (prefix[e] - prefix[s]) * base**s = sum of point[j] * inverse**(j - s).
    prefix = np.zeros(n + 1, dtype=np.uint64)
    np.cumsum(points * inverse[:n], out=prefix[1:])
    hashed = (prefix[ends] - prefix[starts]) * powers[starts]
    shift, m1, m2 = _FMIX
    hashed ^= hashed >> shift
    hashed *= m1
    hashed ^= hashed >> shift
    hashed *= m2
    hashed ^= hashed >> shift
    return hashed


def shingle_hashes(hashed: np.ndarray, size: int) -> np.ndarray:
    """Return the distinct 32-bit hashes of the ``size``-word shingles of a text.

    Args:
        hashed: the text's word hashes, in order (from :func:`word_hashes`).
        size: words per shingle.

    A text shorter than ``size`` words yields one shingle of all its words, so
    that short texts still have a signature; an empty text yields none.

    Example:
        >>> h = shingle_hashes(word_hashes("a b c d"), 3)
        >>> len(h), h.dtype.name
        (2, 'uint32')
    """
    if not 1 <= size <= MAX_SHINGLE_SIZE:
        raise ValueError(f"shingle size must be 1 to {MAX_SHINGLE_SIZE}, got {size}")
    if not len(hashed):
        return np.empty(0, dtype=np.uint32)
    width = min(size, len(hashed))
    count = len(hashed) - width + 1
    mixed = np.zeros(count, dtype=np.uint64)
    for i in range(width):
        # uint64 arithmetic wraps around: multiplication and addition modulo 2**64.
        mixed += hashed[i : i + count] * _MULTIPLIERS[i]
    # The high half of the mix is the best-mixed; distinct values form the set
    # (sorted, then each value unlike its predecessor: np.unique is ten times
    # slower on arrays of this size).
    values = np.sort((mixed >> np.uint64(32)).astype(np.uint32))
    first = np.empty(len(values), dtype=bool)
    first[0] = True
    np.not_equal(values[1:], values[:-1], out=first[1:])
    return values[first]
