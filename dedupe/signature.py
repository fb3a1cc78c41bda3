"""MinHash signatures: computing them in bulk and moving them to and from bytes.

A signature is the MinHash of an article's shingle set plus the size of that set;
the size turns the MinHash's Jaccard estimate into a containment estimate.
Signatures cross into storage as bytes in one explicit format (little-endian
unsigned 32-bit hash values, datasketch's ``affine32`` scheme), so that they mean
the same thing on every machine.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
from datasketch import MinHash

from dedupe.config import DedupeConfig
from dedupe.errors import SignatureFormatError
from dedupe.normalize import normalize_text
from dedupe.shingle import shingle_hashes, word_hashes

__all__ = [
    "SCHEME",
    "Signature",
    "estimate_containment",
    "estimate_jaccard",
    "from_bytes",
    "sign_normalized",
    "sign_texts",
    "to_bytes",
]

SCHEME = "affine32"  # datasketch 2.0's default; fixed here because it is stored.
_BYTE_ORDER = "<u4"  # little-endian uint32, whatever the machine's own order.


@dataclass(frozen=True)
class Signature:
    """An article's MinHash hash values, and its shingle and word counts."""

    hashvalues: np.ndarray
    shingles: int
    words: int

    def index_values(self, config: DedupeConfig) -> np.ndarray:
        """The hash values the LSH index is built on (the first bands times rows)."""
        return self.hashvalues[: config.index_perm]


def sign_texts(texts: Iterable[str], config: DedupeConfig) -> list[Signature]:
    """Compute the signatures of ``texts``, text by text, each with ``update_batch``.

    Args:
        texts: article texts as extracted (normalisation happens here).
        config: shingle size, number of permutations and seed.

    Returns:
        One :class:`Signature` per text, in order.
    """
    return sign_normalized(map(normalize_text, texts), config)


def sign_normalized(texts: Iterable[str], config: DedupeConfig) -> list[Signature]:
    """:func:`sign_texts` for texts that :func:`~dedupe.normalize.normalize_text` returned."""
    # One MinHash holds the permutations; for each text it is cleared and fed all
    # the text's shingle hashes at once with update_batch (clearing is cheaper
    # than the copy MinHash.bulk makes per text, and each text's hash values are
    # a new array). Shingles arrive hashed (dedupe.shingle): the hash function is
    # the identity (operator.index, a C function, as update_batch calls it once
    # per shingle). Texts are shingled one at a time: a night's shingle sets
    # together would take gigabytes, while a signature is 512 bytes.
    minhash = MinHash(
        num_perm=config.num_perm, seed=config.seed, scheme=SCHEME, hashfunc=operator.index
    )
    signatures = []
    for text in texts:
        words = word_hashes(text)
        shingles = shingle_hashes(words, config.shingle_size)
        minhash.clear()
        # MinHash keeps minima, so the order of a set's shingles does not matter.
        # (A list, not an array: update_batch iterates it in Python.)
        minhash.update_batch(shingles.tolist())
        signatures.append(
            Signature(
                hashvalues=minhash.hashvalues.astype(np.uint32),
                shingles=len(shingles),
                words=len(words),
            )
        )
    return signatures


def to_bytes(values: np.ndarray) -> bytes:
    """Serialise hash values (a signature's ``hashvalues``)."""
    return np.asarray(values, dtype=_BYTE_ORDER).tobytes()


def from_bytes(data: bytes, count: int) -> np.ndarray:
    """Rebuild hash values stored by :func:`to_bytes`.

    Args:
        data: the stored bytes.
        count: how many hash values the configuration makes (``num_perm``).

    Raises:
        SignatureFormatError: the byte count does not match ``count`` (the
            signature was made with other settings: re-sign the article).
    """
    if len(data) != 4 * count:
        raise SignatureFormatError(
            f"stored signature has {len(data) // 4} hash values, the settings make {count}; "
            "re-sign the article or restore the settings it was made with"
        )
    return np.frombuffer(data, dtype=_BYTE_ORDER).astype(np.uint32)


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
