"""Word shingles: the sets whose overlap measures how much two texts share."""

from __future__ import annotations

from collections.abc import Sequence

__all__ = ["word_shingles"]


def word_shingles(words: Sequence[str], size: int) -> set[bytes]:
    """Return the set of ``size``-word shingles of ``words``, UTF-8 encoded.

    A text shorter than ``size`` words yields one shingle of all its words, so
    that short texts still have a signature.

    Example:
        >>> sorted(word_shingles(["a", "b", "c", "d"], 3))
        [b'a b c', b'b c d']
    """
    if size < 1:
        raise ValueError(f"shingle size must be at least 1, got {size}")
    if not words:
        return set()
    if len(words) <= size:
        return {" ".join(words).encode()}
    return {" ".join(words[i : i + size]).encode() for i in range(len(words) - size + 1)}
