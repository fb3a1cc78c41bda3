"""The one configuration object of the dedupe stage, validated in one place."""

from __future__ import annotations

from dataclasses import dataclass

from dedupe.errors import DedupeConfigError

__all__ = ["DedupeConfig"]

# Bump when the way texts become signatures changes (normalisation, shingle hashing):
# stored signatures of another version are re-signed from their text.
SIGNATURE_VERSION = 3


@dataclass(frozen=True, kw_only=True)
class DedupeConfig:
    """How articles are shingled, signed, indexed and verified.

    An article's MinHash signature covers its whole normalised text. The LSH index
    is built on the first ``lsh_bands * lsh_rows`` hash values and only proposes
    candidates; each is verified with the whole signature's estimated Jaccard
    similarity and containment. The defaults were chosen by measurement
    (``benchmarks/grouping.py``; README, "How grouping works").
    """

    # Word 3-shingles: the widest gap between edited copies and same-event rewrites
    # on the seeds (5-shingles drop the copy pair 000/004 from 0.32 to 0.21 Jaccard).
    shingle_size: int = 3
    # 128 permutations put the standard error of a Jaccard estimate near 0.03 at
    # 0.12, well inside the gap between rewrites (<= 0.07) and cut copies (~0.3).
    num_perm: int = 128
    # LSH: 32 bands of 2 rows find a pair at Jaccard 0.29 (seeds 000/004, an edited
    # and cut AFP copy) 94 % of the time and at 0.4 99.7 %, one at 0.05 8 % (then
    # verification rejects it). Each band is one index entry per article, so more
    # bands cost memory: about 10 KB per article in datasketch's memory storage.
    lsh_bands: int = 32
    lsh_rows: int = 2
    # A candidate is a copy when the smaller article's shingles are mostly in the
    # larger one (a copy cut to half its length is still a copy) ...
    min_containment: float = 0.4
    # ... and the two share a real part of their text, so that a three-line brief
    # inside a long article cannot join it on containment alone.
    min_jaccard: float = 0.12
    # Fixed seed: signatures are stored and compared across nights and machines.
    seed: int = 1
    # A new article is matched only with articles published within this many days
    # of it; a wire story's copies appear within days, not months.
    window_days: int = 30
    # Texts shorter than this (in words, after normalisation) are too short to
    # tell copies from coincidences; they get a group of their own.
    min_words: int = 25

    def __post_init__(self) -> None:
        _check_int(self, "shingle_size", 1, 10)
        _check_int(self, "num_perm", 16, 1024)
        _check_int(self, "lsh_bands", 1, 256)
        _check_int(self, "lsh_rows", 1, 32)
        if self.lsh_bands * self.lsh_rows > self.num_perm:
            raise DedupeConfigError(
                "lsh_bands",
                self.lsh_bands,
                f"at most num_perm / lsh_rows = {self.num_perm // self.lsh_rows}",
            )
        _check_unit(self, "min_containment")
        _check_unit(self, "min_jaccard")
        _check_int(self, "seed", 0, 2**31 - 1)
        _check_int(self, "window_days", 1, 3650)
        _check_int(self, "min_words", 1, 10_000)

    @property
    def index_perm(self) -> int:
        """How many of a signature's hash values the LSH index uses (bands times rows)."""
        return self.lsh_bands * self.lsh_rows

    @property
    def signature_scheme(self) -> str:
        """A name for every setting that shapes a stored signature.

        Stored with each signature: one made under another scheme is re-signed
        from its text before it is compared.
        """
        return f"v{SIGNATURE_VERSION}-w{self.shingle_size}-p{self.num_perm}-s{self.seed}"


def _check_int(cfg: DedupeConfig, name: str, low: int, high: int) -> None:
    value = getattr(cfg, name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise DedupeConfigError(name, value, f"a whole number from {low} to {high}")


def _check_unit(cfg: DedupeConfig, name: str) -> None:
    value = getattr(cfg, name)
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0.0 < value <= 1.0:
        raise DedupeConfigError(name, value, "a number in (0, 1]")
