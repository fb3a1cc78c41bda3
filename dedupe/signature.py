"""MinHash signatures: computing them in bulk and moving them to and from bytes.

A signature is the MinHash of an article's shingle set plus the size of that set;
the size turns the MinHash's Jaccard estimate into a containment estimate.
Signatures cross into storage as bytes in one explicit format (little-endian
unsigned 32-bit hash values, datasketch's ``affine32`` scheme), so that they mean
the same thing on every machine.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from datasketch import LeanMinHash, MinHash

from dedupe.config import DedupeConfig
from dedupe.errors import SignatureFormatError
from dedupe.normalize import normalize_text, tokens
from dedupe.shingle import word_shingles

__all__ = [
    "Signature",
    "estimate_containment",
    "estimate_jaccard",
    "from_bytes",
    "sign_texts",
    "to_bytes",
]

_SCHEME = "affine32"  # datasketch 2.0's default; fixed here because it is stored.
_BYTE_ORDER = "<u4"  # little-endian uint32, whatever the machine's own order.


@dataclass(frozen=True)
class Signature:
    """An article's MinHash hash values and its shingle count."""

    hashvalues: np.ndarray
    shingles: int
    words: int

    def lean(self, seed: int) -> LeanMinHash:
        """Return the datasketch ``LeanMinHash`` for the LSH index."""
        return LeanMinHash(seed=seed, hashvalues=self.hashvalues, scheme=_SCHEME)


def sign_texts(texts: Iterable[str], config: DedupeConfig) -> list[Signature]:
    """Compute the signatures of ``texts`` in one pass, text by text.

    Args:
        texts: article texts as extracted (normalisation happens here).
        config: shingle size, number of permutations and seed.

    Returns:
        One :class:`Signature` per text, in order.
    """
    # One MinHash holds the permutations; each text's is a copy of it (what
    # MinHash.bulk does), hashed with update_batch, not shingle by shingle. Texts
    # are shingled one at a time: a night's shingle sets together would take
    # gigabytes, while a signature is 1 KB.
    empty = MinHash(num_perm=config.num_perm, seed=config.seed, scheme=_SCHEME)
    signatures = []
    for text in texts:
        words = tokens(normalize_text(text))
        shingles = word_shingles(words, config.shingle_size)
        minhash = empty.copy()
        # MinHash keeps minima, so the order of a set's shingles does not matter.
        minhash.update_batch(shingles)
        signatures.append(
            Signature(
                hashvalues=minhash.hashvalues.astype(np.uint32),
                shingles=len(shingles),
                words=len(words),
            )
        )
    return signatures


def to_bytes(signature: Signature) -> bytes:
    """Serialise the hash values (the counts are stored in their own columns)."""
    return np.asarray(signature.hashvalues, dtype=_BYTE_ORDER).tobytes()


def from_bytes(data: bytes, *, shingles: int, words: int, num_perm: int) -> Signature:
    """Rebuild a :class:`Signature` stored by :func:`to_bytes`.

    Raises:
        SignatureFormatError: the byte count does not match ``num_perm`` (the
            signatures were made with another setting: re-sign the articles).
    """
    if len(data) != 4 * num_perm:
        raise SignatureFormatError(
            f"stored signature has {len(data) // 4} hash values but num_perm is {num_perm}; "
            "re-sign the stored articles or restore the num_perm they were made with"
        )
    values = np.frombuffer(data, dtype=_BYTE_ORDER).astype(np.uint32)
    return Signature(hashvalues=values, shingles=shingles, words=words)


def estimate_jaccard(a: Signature, b: Signature) -> float:
    """Estimate the Jaccard similarity of two shingle sets from their MinHashes."""
    return float(np.count_nonzero(a.hashvalues == b.hashvalues)) / len(a.hashvalues)


def estimate_containment(a: Signature, b: Signature, jaccard: float | None = None) -> float:
    """Estimate how much of the smaller set lies in the larger one.

    With Jaccard ``J`` and set sizes ``|A|``, ``|B|``, the intersection is
    ``J (|A| + |B|) / (1 + J)``; dividing by ``min(|A|, |B|)`` gives the share of
    the shorter text found in the longer, which stays high when a copy is cut.
    """
    j = estimate_jaccard(a, b) if jaccard is None else jaccard
    smaller = min(a.shingles, b.shingles)
    if smaller == 0:
        return 0.0
    inter = j * (a.shingles + b.shingles) / (1.0 + j)
    return min(1.0, inter / smaller)
