"""Per-source boilerplate: text blocks that recur across many of one source's pages.

A site repeats its chrome on every page: footers, disclaimers, "Related Links"
lists, newsletter boxes. trafilatura usually leaves them out, but not always (a
gallery page whose only prose is the copyright footer, a teaser inside the
article's container). A block of text found on most of a source's pages in one
crawl is that source's boilerplate, and a line of extracted text equal to such a
block is removed. An article's own paragraphs are on one page only.

Some chrome changes from page to page but keeps its frame: a "Related stories"
list whose headlines differ on every page, reader comments under a fixed heading.
Such a *section* is known by its element and its heading (the first text in it,
from a heading, bold or label element, digits masked so "3 comments" and
"12 comments" are one heading); a section found on most of a source's pages is
chrome, and the lines of extracted text that come from inside it on a page are
removed with it, unless they make up half of the article (then the "section" is the
article's own container, which starts with the same share bar on every page).

Blocks and sections are kept as short hashes of their normalised text (sections
with a ``s:`` prefix), so that what a source taught on one night can be stored and
applied on the next (when a night brings too few pages to learn from).
"""

from __future__ import annotations

import hashlib
import math
import re
from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Final

from lxml.html import HtmlElement

from extract.settings import (
    BOILERPLATE_BLOCK_CHARS,
    BOILERPLATE_MIN_PAGES,
    BOILERPLATE_MIN_SHARE,
    SECTION_HEADING_CHARS,
    SECTION_MAX_SHARE,
)

__all__ = [
    "SECTION_PREFIX",
    "BoilerplateMemory",
    "PageChrome",
    "block_key",
    "page_chrome",
    "repeated_blocks",
    "strip_chrome",
]

# Section keys are stored beside block keys; the prefix tells them apart.
SECTION_PREFIX: Final = "s:"

_LIST_MARK = re.compile(r"^[-•*]\s+")
_DIGITS = re.compile(r"\d+")
_BLOCK_TAGS = frozenset(
    {
        "p", "div", "td", "th", "li", "dd", "dt", "blockquote", "section", "aside",
        "footer", "header", "article", "nav", "span", "h1", "h2", "h3", "h4", "h5", "h6",
    }
)  # fmt: skip
# Elements that can frame a section of chrome (a box, a list, a form).
_SECTION_TAGS = frozenset(
    {"div", "section", "aside", "ul", "ol", "footer", "nav", "form", "header", "dl", "table"}
)
# Elements whose text can head a section: a title, not a paragraph or a link.
_HEADING_TAGS = frozenset(
    {"h1", "h2", "h3", "h4", "h5", "h6", "b", "strong", "header", "legend", "caption", "dt",
     "label"}
)  # fmt: skip


def block_key(text: str) -> str:
    """Return the key of a block: a hash of its whitespace-folded, case-folded text.

    A leading list mark (``- ``, as trafilatura writes list items) is not part of it.
    """
    return _folded_key(_fold_space(text))


def _folded_key(folded: str) -> str:
    """:func:`block_key` of a text already passed through :func:`_fold_space`."""
    unmarked = _LIST_MARK.sub("", folded).casefold()
    return hashlib.blake2b(unmarked.encode("utf-8"), digest_size=8).hexdigest()


def _fold_space(text: str) -> str:
    r"""Collapse runs of whitespace to one space and strip.

    The same as a ``\s+`` substitution, several times faster on long container texts.
    """
    return " ".join(text.split())


@dataclass(frozen=True)
class PageChrome:
    """What one page can teach about its source's chrome, and where its lines sit.

    Attributes:
        blocks: the keys of the page's block elements (within the configured size
            range).
        sections: each section key of the page (``s:``-prefixed) to the block keys of
            the text inside that section.
    """

    blocks: frozenset[str]
    sections: Mapping[str, frozenset[str]]

    def keys(self) -> frozenset[str]:
        """Every block and section key of the page (what repeated_blocks counts)."""
        return self.blocks | frozenset(self.sections)


def page_chrome(tree: HtmlElement) -> PageChrome:
    """Return the block keys and the sections of a parsed page."""
    low, high = BOILERPLATE_BLOCK_CHARS
    keys = set()
    inner: dict[HtmlElement, str] = {}
    for element in tree.iter():
        if not isinstance(element.tag, str):
            continue
        text = _fold_space(element.text_content())
        if not text or len(text) > high:
            continue
        key = _folded_key(text)
        inner[element] = key
        if element.tag in _BLOCK_TAGS and len(text) >= low:
            keys.add(key)
    sections: dict[str, frozenset[str]] = {}
    repeats: set[str] = set()
    for element in inner:
        if element.tag not in _SECTION_TAGS:
            continue
        heading = _heading(element)
        if heading is None:
            continue
        key = _section_key(element, heading)
        if key in sections:
            repeats.add(key)
        sections[key] = frozenset(inner[d] for d in element.iterdescendants() if d in inner)
    # A frame found twice on one page is a unit of layout (a group of paragraphs under
    # a hidden "Article content" heading), not a box of chrome, which a page has once.
    return PageChrome(
        blocks=frozenset(keys),
        sections={key: lines for key, lines in sections.items() if key not in repeats},
    )


def _heading(section: HtmlElement) -> str | None:
    """The section's heading: its first text, if a heading-like element holds it."""
    for element in section.iter():
        if not isinstance(element.tag, str):
            continue
        text = _fold_space(element.text or "")
        if text:
            low, high = SECTION_HEADING_CHARS
            if element.tag not in _HEADING_TAGS or not low <= len(text) <= high:
                return None
            return _DIGITS.sub("#", text.casefold())
        if element is not section and element.tail and element.tail.strip():
            return None
    return None


def _section_key(section: HtmlElement, heading: str) -> str:
    frame = f"{section.tag}|{section.get('id', '')}|{section.get('class', '')}|{heading}"
    return SECTION_PREFIX + block_key(frame)


def repeated_blocks(pages: Sequence[frozenset[str]]) -> frozenset[str]:
    """Return the block keys found on at least the configured share of ``pages``.

    Args:
        pages: the block and section keys of each of one source's pages
            (:meth:`PageChrome.keys`).

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


def strip_chrome(text: str, boilerplate: frozenset[str], page: PageChrome | None) -> str:
    """Remove the lines that are ``boilerplate`` blocks, then those of the page's chrome sections.

    A learned section's lines are removed only when they are less than
    :data:`~extract.settings.SECTION_MAX_SHARE` of the text left after the blocks
    (each section measured on its own): more, and the section holds the article itself.

    Args:
        text: the article text, one block per line.
        boilerplate: the source's block and section keys.
        page: the sections of the text's page; None removes the blocks only.

    Returns:
        ``text`` without those lines.
    """
    if not boilerplate:
        return text
    lines = text.split("\n")
    keys = [block_key(line) for line in lines]
    kept = [i for i, key in enumerate(keys) if key not in boilerplate]
    if page is not None:
        limit = SECTION_MAX_SHARE * sum(len(lines[i]) for i in kept)
        chrome: set[int] = set()
        for section, inside in page.sections.items():
            if section not in boilerplate:
                continue
            found = {i for i in kept if keys[i] in inside}
            if sum(len(lines[i]) for i in found) < limit:
                chrome |= found
        kept = [i for i in kept if i not in chrome]
    return "\n".join(lines[i] for i in kept)


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
