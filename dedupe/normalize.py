"""Text normalisation before shingling.

Copies of one wire story differ in ways that say nothing about the story: quote
and dash styles, case, datelines ("PARIS (AFP) -"), credits ("by AFP Staff
Writers", "© Reuters"), bylines and inserted lines ("ADVERTISEMENT", "Read more:
…"). These are removed here so that shingles only see the story's own words.
"""

from __future__ import annotations

import functools
import re
import unicodedata

from dedupe.agency import AGENCY_NAMES

__all__ = ["is_word_char", "normalize_text", "tokens"]

# Typographic variants folded to one form each.
_FOLD = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"',
        "\u2010": "-", "\u2011": "-", "\u2012": "-", "\u2013": "-", "\u2014": "-",
        "\u2015": "-", "\u2212": "-",
        "\u00a0": " ", "\u202f": " ", "\u2009": " ",
    }
)  # fmt: skip

# str.translate looks up every character of a non-ASCII text, and a regex over
# the foldable characters is not much faster; looking for each foldable character
# (a fast substring search) and replacing the few present is ten times faster.
_FOLD_PAIRS = tuple((chr(c), str(v)) for c, v in _FOLD.items())


def _fold(text: str) -> str:
    for variant, plain in _FOLD_PAIRS:
        if variant in text:
            text = text.replace(variant, plain)
    return text


# Whole lines that publishers insert into copies. Matched on the folded line.
_INSERTED_LINE = re.compile(
    r"^\s*(?:advertisement|advertising|ad|sponsored(?: content)?|story continues below"
    r"|continue reading(?: below)?|scroll to continue(?: with content)?"
    r"|(?:read|see) (?:more|also)\s*:.*|related\s*:.*|also read\s*:.*"
    r"|(?:by|from) (?:the )?(?:" + AGENCY_NAMES + r")(?: staff(?: writers?)?| reporters?)?"
    r"|(?:©|\(c\)|copyright)\s*.*(?:" + AGENCY_NAMES + r").*"
    r"|(?:" + AGENCY_NAMES + r")(?:\s*/\s*[\w ]+)?"
    r"|with (?:agency|wire) (?:reports|inputs)|(?:agencies|wires)"
    r")\s*$",
    re.IGNORECASE,
)

# A dateline at the start of a paragraph: "PARIS (AFP) -", "Taipei (AFP) Nov 21, 2025",
# "NEW DELHI, Nov 21 (Reuters) -", "WASHINGTON (AP) —".
_DATELINE = re.compile(
    r"^\s*[A-Z][\w.'\- ]{1,40}(?:,\s*[\w. ]{1,20})?\s*\((?:" + AGENCY_NAMES + r")\)"
    r"(?:\s*[A-Z][a-z]{2,8}\.?\s+\d{1,2},?\s*\d{4})?\s*(?:-+|:)?\s*",
    re.IGNORECASE,
)
# A bare "(AFP) -" or "(Reuters) -" credit at a paragraph start.
_BARE_CREDIT = re.compile(r"^\s*\((?:" + AGENCY_NAMES + r")\)\s*-*\s*", re.IGNORECASE)

_WORD = re.compile(r"\w+", re.UNICODE)


def normalize_text(text: str) -> str:
    """Return ``text`` folded and stripped of datelines, credits and inserted lines.

    Args:
        text: article text, paragraphs separated by newlines.

    Returns:
        Lower-cased text with one paragraph per line. Lines that are inserted
        by publishers (advertisement markers, "Read more:" links, agency credits)
        are dropped; datelines at the start of a paragraph are removed.

    Example:
        >>> normalize_text("PARIS (AFP) - Markets fell. ADVERTISEMENT")
        'markets fell. advertisement'
    """
    if not text.isascii():
        # normalize() returns a text that its quick check finds in NFKC as it is;
        # asking is_normalized() first would normalise twice the texts it is unsure
        # of (those with combining marks, such as a decomposed umlaut).
        text = unicodedata.normalize("NFKC", text)
        text = _fold(text)
    kept: list[str] = []
    for raw in text.splitlines():
        line = raw.strip()
        if not line or _INSERTED_LINE.match(line):
            continue
        # Datelines and bare credits name the agency in brackets: "PARIS (AFP) -".
        if "(" in line:
            line = _BARE_CREDIT.sub("", _DATELINE.sub("", line, count=1), count=1)
            if not line:
                continue
        kept.append(line)
    return "\n".join(kept).casefold()


def tokens(text: str) -> list[str]:
    """Split normalised text into word tokens (runs of Unicode word characters)."""
    return _WORD.findall(text)


@functools.lru_cache(maxsize=65_536)
def is_word_char(char: str) -> bool:
    r"""Whether :func:`tokens` keeps ``char`` in a word (``\w``: alphanumeric or ``_``)."""
    return _WORD.fullmatch(char) is not None
