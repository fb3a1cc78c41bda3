"""Word shingles as 32-bit hashes: the sets whose overlap measures how much two texts share.

Each word is hashed once (CRC-32 of its UTF-8 bytes, the same on every machine);
a shingle's hash mixes its words' hashes with fixed odd multipliers, for all the
shingles of a text at once in numpy. This is what makes signing fast: no shingle
string is ever built.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence

import numpy as np

__all__ = ["WordHasher", "shingle_hashes"]

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


class WordHasher:
    """Hashes words to stable 32-bit values, remembering the words it has seen.

    One hasher serves one batch of texts: news vocabulary repeats, so most words
    are hashed once per batch. It is an object, not a module-level cache, so that
    nothing is kept between batches.
    """

    def __init__(self) -> None:
        self._seen: dict[str, int] = {}

    def __call__(self, words: Sequence[str]) -> np.ndarray:
        """Return the hashes of ``words`` as a ``uint64`` array."""
        seen = self._seen
        values = list(map(seen.get, words))
        if None in values:
            # New words: hash each once (a set difference, not a loop over the text).
            for word in set(words).difference(seen):
                seen[word] = zlib.crc32(word.encode("utf-8"))
            values = list(map(seen.__getitem__, words))
        return np.array(values, dtype=np.uint64)


def shingle_hashes(hashed: np.ndarray, size: int) -> np.ndarray:
    """Return the distinct 32-bit hashes of the ``size``-word shingles of a text.

    Args:
        hashed: the text's word hashes, in order (from a :class:`WordHasher`).
        size: words per shingle.

    A text shorter than ``size`` words yields one shingle of all its words, so
    that short texts still have a signature; an empty text yields none.

    Example:
        >>> h = shingle_hashes(WordHasher()(["a", "b", "c", "d"]), 3)
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
    # The high half of the mix is the best-mixed; distinct values form the set.
    return np.unique((mixed >> np.uint64(32)).astype(np.uint32))
