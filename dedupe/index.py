"""The LSH candidate index, through datasketch's ``MinHashLSH``.

The index only proposes candidates; :mod:`dedupe.grouping` verifies each with the
estimated similarity. The in-memory backend is rebuilt each night from the
signatures stored in the database; a Redis backend (datasketch's storage) is a
drop-in through ``storage_config``.
"""

from __future__ import annotations

from typing import Any

from datasketch import MinHashLSH

from dedupe.config import DedupeConfig
from dedupe.signature import Signature

__all__ = ["CandidateIndex"]


class CandidateIndex:
    """Finds stored articles whose signatures may be similar to a new one.

    Args:
        config: LSH threshold, number of permutations and seed.
        storage_config: datasketch storage configuration; ``None`` for memory.
    """

    def __init__(self, config: DedupeConfig, storage_config: dict[str, Any] | None = None) -> None:
        self._seed = config.seed
        self._lsh = MinHashLSH(
            threshold=config.lsh_threshold,
            num_perm=config.num_perm,
            storage_config=storage_config,
        )

    def add(self, article_id: int, signature: Signature) -> None:
        """Insert an article's signature."""
        self._lsh.insert(article_id, signature.lean(self._seed), check_duplication=False)

    def candidates(self, signature: Signature) -> list[int]:
        """Return the articles whose signatures share at least one LSH band with ``signature``."""
        return [int(key) for key in self._lsh.query(signature.lean(self._seed))]
