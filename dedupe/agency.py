"""Which news agency a copy credits, with the words that say so.

Agencies are named in datelines ("PARIS (AFP) -"), bylines ("by AFP Staff
Writers"), and credit lines ("© Reuters", "With inputs from PTI"). Only the
head and the tail of a text are searched: an agency named in the middle of a
story is usually its subject, not its source.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = ["AGENCY_NAMES", "AgencyCredit", "detect_agency", "majority_agency"]

# Canonical name -> spellings found in credits.
_NAMES: dict[str, tuple[str, ...]] = {
    "AFP": ("AFP", "Agence France-Presse", "Agence France Presse"),
    "AP": ("AP", "Associated Press"),
    "Reuters": ("Reuters",),
    "dpa": ("dpa", "Deutsche Presse-Agentur"),
    "PTI": ("PTI", "Press Trust of India"),
    "ANI": ("ANI", "Asian News International"),
    "IANS": ("IANS", "Indo-Asian News Service"),
    "UPI": ("UPI", "United Press International"),
    "Xinhua": ("Xinhua",),
    "Bloomberg": ("Bloomberg",),
}
_LOOKUP = {
    spelling.casefold(): name for name, spellings in _NAMES.items() for spelling in spellings
}
# Every spelling as one regex alternation, longest first so "AP" never wins over
# "Associated Press"; normalize.py removes credits with the same names.
AGENCY_NAMES = "|".join(
    sorted((re.escape(s) for ss in _NAMES.values() for s in ss), key=len, reverse=True)
)

# Case matters for the short names ("AP" must not match "ap"), so the patterns
# are case-sensitive except where the credit wording varies.
_PATTERNS = (
    re.compile(r"\((" + AGENCY_NAMES + r")\)"),  # dateline: "PARIS (AFP) -"
    re.compile(r"(?i:\bby\s+(?:the\s+)?)(" + AGENCY_NAMES + r")(?i:\s+staff(?:\s+writers?)?)?\b"),
    re.compile(r"(?:©|\(c\)|(?i:copyright))\s*(?:\d{4}\s*)?(" + AGENCY_NAMES + r")\b"),
    re.compile(r"(?i:with (?:inputs?|reporting) from\s+)(" + AGENCY_NAMES + r")\b"),
    re.compile(r"^\s*-?\s*(" + AGENCY_NAMES + r")\s*$", re.MULTILINE),  # a credit alone on its line
)
_SPELLINGS = tuple(spelling for spellings in _NAMES.values() for spelling in spellings)
# In a byline, any agency named as a word is the credit ("AFP Staff Writers",
# "Jane Doe, Associated Press").
_BYLINE = re.compile(r"\b(" + AGENCY_NAMES + r")\b")
_HEAD_LINES = 3
_TAIL_LINES = 2


@dataclass(frozen=True)
class AgencyCredit:
    """An agency named as a copy's source, and the text that names it."""

    agency: str
    evidence: str


def detect_agency(
    text: str, title: str | None = None, byline: str | None = None
) -> AgencyCredit | None:
    """Return the agency credited in ``byline``, ``text`` (head and tail) or ``title``.

    Example:
        >>> detect_agency("PARIS (AFP) - Markets fell on Friday.")
        AgencyCredit(agency='AFP', evidence='PARIS (AFP) - Markets fell on Friday.')
    """
    if byline:
        match = _BYLINE.search(byline)
        name = _LOOKUP.get(match.group(1).casefold()) if match else None
        if name:
            return AgencyCredit(agency=name, evidence=f"byline: {byline[:200]}")
    places = _edge_lines(text) + ([title] if title else [])
    for line in places:
        # Every pattern names an agency as spelt: most lines name none, and a
        # substring search per spelling is cheaper than the patterns.
        if not any(spelling in line for spelling in _SPELLINGS):
            continue
        for pattern in _PATTERNS:
            match = pattern.search(line)
            if match:
                name = _LOOKUP.get(match.group(1).casefold())
                if name:
                    return AgencyCredit(agency=name, evidence=line[:200])
    return None


def _edge_lines(text: str) -> list[str]:
    """Return the first and the last non-empty lines of ``text``, stripped.

    The same as ``nonempty[:_HEAD_LINES] + nonempty[-_TAIL_LINES:]`` over all the
    stripped non-empty lines (overlapping in a short text), without going over
    every line of a long one.
    """
    lines = text.splitlines()
    head: list[str] = []
    for line in lines:
        if stripped := line.strip():
            head.append(stripped)
            if len(head) == _HEAD_LINES:
                break
    tail: list[str] = []
    for line in reversed(lines):
        if stripped := line.strip():
            tail.append(stripped)
            if len(tail) == _TAIL_LINES:
                break
    return head + tail[::-1]


def majority_agency(agencies: Iterable[str | None], prefer: str | None = None) -> str | None:
    """Return the agency most copies credit; ``prefer`` (the origin's) breaks ties."""
    counts = Counter(a for a in agencies if a)
    if not counts:
        return None
    best = max(counts.values())
    tied = sorted(name for name, n in counts.items() if n == best)
    return prefer if prefer in tied else tied[0]
