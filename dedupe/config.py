"""The one configuration object of the dedupe stage, validated in one place."""

from __future__ import annotations

from dataclasses import dataclass

from dedupe.errors import DedupeConfigError

__all__ = ["DedupeConfig"]


@dataclass(frozen=True, kw_only=True)
class DedupeConfig:
    """How articles are shingled, signed, indexed and verified.

    The defaults were chosen by measurement (see ``benchmarks/grouping.py`` and the
    README's "How grouping works"): on the seed pair 000/004 (the same AFP dispatch,
    edited and cut) word 3-shingles give Jaccard 0.32 and containment 0.61, while
    same-event rewrites stay at or below 0.07 Jaccard and 0.14 containment.
    """

    # Word 3-shingles: the widest gap between edited copies and same-event rewrites
    # on the seeds (5-shingles drop the copy pair to 0.21 Jaccard).
    shingle_size: int = 3
    # 256 permutations keep the estimate's standard error near 0.02 at Jaccard 0.1,
    # so a rewrite (about 0.07) is not mistaken for a cut copy (about 0.3).
    num_perm: int = 256
    # The LSH threshold is a recall knob only: candidates are verified below.
    # 0.15 keeps the seed pair (0.32) far above the LSH's S-curve midpoint.
    lsh_threshold: float = 0.15
    # A candidate is a copy when the smaller article's shingles are mostly in the
    # larger one (a copy cut to half its length is still a copy) ...
    min_containment: float = 0.4
    # ... and the two share a real part of their text, so that a three-line brief
    # inside a long article cannot join it on containment alone.
    min_jaccard: float = 0.12
    # Fixed seed: signatures are stored and compared across nights and machines.
    seed: int = 1
    # Articles older than this (days before the newest article of the night) leave
    # the candidate index; a wire story's copies appear within days, not months.
    window_days: int = 30
    # Texts shorter than this (in words, after normalisation) are too short to
    # tell copies from coincidences; they get a group of their own.
    min_words: int = 25

    def __post_init__(self) -> None:
        _check_int(self, "shingle_size", 1, 10)
        _check_int(self, "num_perm", 16, 1024)
        _check_unit(self, "lsh_threshold")
        _check_unit(self, "min_containment")
        _check_unit(self, "min_jaccard")
        _check_int(self, "seed", 0, 2**31 - 1)
        _check_int(self, "window_days", 1, 3650)
        _check_int(self, "min_words", 1, 10_000)


def _check_int(cfg: DedupeConfig, name: str, low: int, high: int) -> None:
    value = getattr(cfg, name)
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise DedupeConfigError(name, value, f"a whole number from {low} to {high}")


def _check_unit(cfg: DedupeConfig, name: str) -> None:
    value = getattr(cfg, name)
    if not isinstance(value, int | float) or isinstance(value, bool) or not 0.0 < value <= 1.0:
        raise DedupeConfigError(name, value, "a number in (0, 1]")
