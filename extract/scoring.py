r"""Extraction quality measure: word 4-shingle precision and recall against a true text.

This module owns the measure the extraction bar is stated in (the article-extraction
benchmark's): a text is tokenised into ``\w+`` words (Unicode, case kept), turned into
a multiset of overlapping 4-token shingles, and an extracted text is compared with the
true text of the same page by multiset intersection::

    tp = |pred ∩ true|   fp = |pred − true|   fn = |true − pred|
    precision = tp / (tp + fp)     recall = tp / (tp + fn)

Pages are macro-averaged (each page counts once, however long), F1 is the harmonic
mean of the *mean* precision and the *mean* recall, and a page whose precision is
below :data:`LEAK_PRECISION` counts as a boilerplate leak.

Short texts: a text with fewer than four tokens (but at least one) is a single shingle
made of all its tokens, so a two-word truth is matched only by exactly those two words;
an empty text has no shingles. A ratio whose denominator is zero is 1.0 ("nothing
wrong"): an empty extraction has precision 1 and recall 0 (it missed everything but
leaked nothing, so it is not a leak), an extraction of a page whose truth is empty has
recall 1 and precision 0, and two empty texts score 1/1. With this convention,
trafilatura's defaults on the labelled real pages reproduce the published figures
(P 0.922, R 0.964, F1 0.943).

Example:
    >>> s = score_page("The quick brown fox jumps", "The quick brown fox jumps")
    >>> (s.precision, s.recall)
    (1.0, 1.0)
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass

__all__ = [
    "LEAK_PRECISION",
    "SHINGLE_SIZE",
    "PageScore",
    "Summary",
    "score_page",
    "shingles",
    "summarize",
]

# The benchmark's shingle length: long enough that common function-word runs rarely
# match by chance, short enough that one changed word costs only four shingles.
SHINGLE_SIZE = 4
# Precision under 0.9 means at least a tenth of the returned text is not article
# text: the benchmark's definition of a boilerplate leak.
LEAK_PRECISION = 0.9

_TOKEN_RE = re.compile(r"\w+", re.UNICODE)


@dataclass(frozen=True, kw_only=True)
class PageScore:
    """Shingle counts and the resulting precision and recall of one page."""

    tp: int
    fp: int
    fn: int
    precision: float
    recall: float

    @property
    def leak(self) -> bool:
        """Whether the extracted text is more than a tenth boilerplate."""
        return self.precision < LEAK_PRECISION


@dataclass(frozen=True, kw_only=True)
class Summary:
    """Macro-averaged scores over a set of pages."""

    pages: int
    precision: float
    recall: float
    f1: float
    leak_share: float


def shingles(text: str, size: int = SHINGLE_SIZE) -> Counter[tuple[str, ...]]:
    """Return the multiset of word shingles of ``text``.

    Args:
        text: Any text; words are maximal runs of Unicode word characters.
        size: Shingle length in tokens.

    Returns:
        A counter of token tuples. A text with fewer than ``size`` tokens (but at
        least one) yields a single shorter shingle; an empty text yields none.
    """
    tokens = _TOKEN_RE.findall(text)
    if not tokens:
        return Counter()
    if len(tokens) < size:
        return Counter([tuple(tokens)])
    return Counter(tuple(tokens[i : i + size]) for i in range(len(tokens) - size + 1))


def score_page(predicted: str, truth: str) -> PageScore:
    """Compare one extracted text with the true text of the same page.

    Args:
        predicted: The extracted text (empty when the extractor returned nothing).
        truth: The true article text.

    Returns:
        The page's counts, precision and recall (see the module docstring for the
        empty and short cases).
    """
    pred = shingles(predicted)
    true = shingles(truth)
    tp = sum((pred & true).values())
    fp = sum((pred - true).values())
    fn = sum((true - pred).values())
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = tp / (tp + fn) if tp + fn else 1.0
    return PageScore(tp=tp, fp=fp, fn=fn, precision=precision, recall=recall)


def summarize(scores: Iterable[PageScore]) -> Summary:
    """Macro-average page scores.

    Args:
        scores: One score per page.

    Returns:
        Mean precision, mean recall, the F1 of those two means and the share of
        leaking pages.

    Raises:
        ValueError: If ``scores`` is empty (an average over no pages is undefined).
    """
    items = list(scores)
    if not items:
        raise ValueError("summarize() needs at least one page score; got none")
    precision = sum(s.precision for s in items) / len(items)
    recall = sum(s.recall for s in items) / len(items)
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    leak_share = sum(s.leak for s in items) / len(items)
    return Summary(
        pages=len(items), precision=precision, recall=recall, f1=f1, leak_share=leak_share
    )
