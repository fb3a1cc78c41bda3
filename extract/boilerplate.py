"""Per-source boilerplate: text blocks that recur across many of one source's pages.

A site repeats its chrome on every page: footers, disclaimers, "Related Links"
lists, newsletter boxes. trafilatura usually leaves them out, but not always (a
gallery page whose only prose is the copyright footer, a teaser inside the
article's container). A block of text found on most of a source's pages in one
crawl is that source's boilerplate, and a line of extracted text equal to such a
block is removed. An article's own paragraphs are on one page only.

Blocks are kept as short hashes of their normalised text, so that what a source
taught on one night can be stored and applied on the next (when a night brings
too few pages to learn from).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field

from lxml.html import HtmlElement

from extract.settings import (
    BOILERPLATE_BLOCK_CHARS,
    BOILERPLATE_MIN_PAGES,
    BOILERPLATE_MIN_SHARE,
)

__all__ = ["BoilerplateMemory", "block_key", "block_keys", "repeated_blocks", "strip_blocks"]

_SPACE = re.compile(r"\s+")
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "td", "th", "li", "dd", "dt", "blockquote", "section", "aside",
        "footer", "header", "article", "nav", "span", "h1", "h2", "h3", "h4", "h5", "h6",
    }
)  # fmt: skip


def block_key(text: str) -> str:
    """Return the key of a block: a hash of its whitespace-folded, case-folded text."""
    folded = _SPACE.sub(" ", text).strip().casefold()
    return hashlib.blake2b(folded.encode("utf-8"), digest_size=8).hexdigest()


def block_keys(tree: HtmlElement) -> frozenset[str]:
    """Return the keys of a page's block elements (within the configured size range)."""
    low, high = BOILERPLATE_BLOCK_CHARS
    keys = set()
    for element in tree.iter(*_BLOCK_TAGS):
        text = _SPACE.sub(" ", element.text_content()).strip()
        if low <= len(text) <= high:
            keys.add(block_key(text))
    return frozenset(keys)


def repeated_blocks(pages: Sequence[frozenset[str]]) -> frozenset[str]:
    """Return the block keys found on at least the configured share of ``pages``.

    Args:
        pages: the block keys of each of one source's pages (:func:`block_keys`).

    Returns:
        The source's boilerplate; empty when there are too few pages to tell chrome
        from content.
    """
    if len(pages) < BOILERPLATE_MIN_PAGES:
        return frozenset()
    counts: Counter[str] = Counter()
    for keys in pages:
        counts.update(keys)
    needed = max(BOILERPLATE_MIN_PAGES, math.ceil(BOILERPLATE_MIN_SHARE * len(pages)))
    return frozenset(key for key, n in counts.items() if n >= needed)


def strip_blocks(text: str, boilerplate: frozenset[str] | set[str]) -> str:
    """Remove the lines of ``text`` whose key is in ``boilerplate``."""
    if not boilerplate:
        return text
    return "\n".join(line for line in text.split("\n") if block_key(line) not in boilerplate)


@dataclass
class BoilerplateMemory:
    """Boilerplate per source: what earlier nights taught, and what this one adds.

    Args:
        known: source name to block keys, as stored after earlier nights.
    """

    known: Mapping[str, Iterable[str]] = field(default_factory=dict)
    added: dict[str, set[str]] = field(default_factory=dict)

    def learn(self, source: str, keys: frozenset[str]) -> None:
        """Record blocks newly found to be ``source``'s boilerplate."""
        new = set(keys) - set(self.known.get(source, ()))
        if new:
            self.added.setdefault(source, set()).update(new)

    def blocks(self, source: str) -> frozenset[str]:
        """Every block known to be ``source``'s boilerplate."""
        return frozenset(self.known.get(source, ())) | frozenset(self.added.get(source, ()))
