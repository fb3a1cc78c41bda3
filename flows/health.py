"""Source health: what the morning reader of a run must notice about each source.

A source is flagged when its crawl failed, when it stored nothing, or when the
share of its pages that held no article (a changed page template) or of its
requests that failed (a block, an outage) jumped against its own recent nights.
Plain functions over the per-source records of :func:`flows.report.source_records`.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from statistics import median
from typing import Any

__all__ = [
    "EMPTY_RATE",
    "ERROR_RATE",
    "JUMP",
    "MIN_NIGHTS",
    "MIN_PAGES",
    "RECENT_NIGHTS",
    "rate",
    "source_health",
]

# Earlier nights a source's rates are compared with (the median of them) ...
RECENT_NIGHTS = 7
# ... of which at least this many must have a rate: one odd night is no "usual".
MIN_NIGHTS = 3
# A rate over fewer pages (or requests) than this says nothing, tonight or on an
# earlier night: one empty page in five is noise, not a broken template.
MIN_PAGES = 20
# A rate is flagged when it is this much above the source's usual rate, and at
# least twice it: from 5 % to 30 % is news, from 40 % to 55 % is a busy night.
JUMP = 0.2

EMPTY_RATE = "empty_rate"
ERROR_RATE = "error_rate"


def rate(part: int, whole: int) -> float | None:
    """``part / whole`` rounded to three places; ``None`` under ``MIN_PAGES`` pages."""
    return round(part / whole, 3) if whole >= MIN_PAGES else None


def source_health(
    record: Mapping[str, Any], history: Sequence[Mapping[str, Any]] = ()
) -> list[str]:
    """Return what is wrong with one source tonight, one line per problem.

    Args:
        record: the source's record of tonight's run.
        history: its records of earlier nights, newest first (at most
            ``RECENT_NIGHTS`` are used; nights whose crawl failed are left out).

    Returns:
        The problems, worst first; an empty list for a night like its usual ones.
    """
    if record.get("failed"):
        # Nothing else is known of a crawl that failed (it stored nothing, or little).
        return [f"crawl failed: {record['failed']}"]
    problems = []
    if not record.get("stored"):
        problems.append("stored nothing" + _why_nothing(record))
    usual_nights = [r for r in history if not r.get("failed")][:RECENT_NIGHTS]
    for key, what, hint in (
        (EMPTY_RATE, "no article in", "a changed page template?"),
        (ERROR_RATE, "errors on", "blocked, or the site is down?"),
    ):
        now = record.get(key)
        usual = _usual(r.get(key) for r in usual_nights)
        if now is not None and usual is not None and now >= usual + JUMP and now >= 2 * usual:
            unit = "pages" if key == EMPTY_RATE else "requests"
            problems.append(f"{what} {now:.0%} of {unit} (usually {usual:.0%}): {hint}")
    return problems


def _usual(rates: Iterable[float | None]) -> float | None:
    known = [r for r in rates if r is not None]
    return median(known) if len(known) >= MIN_NIGHTS else None


def _why_nothing(record: Mapping[str, Any]) -> str:
    fetched, errors = record.get("fetched", 0), sum(record.get("errors", {}).values())
    if not fetched and not errors and record.get("not_modified"):
        return " (its feeds and sitemaps were unchanged since the last night)"
    if not record.get("discovered"):
        return " (no article link found in its feeds, sitemaps and pages)"
    seen = record.get("skipped", {}).get("seen", 0)
    return (
        f" ({record['discovered']} article links found, {seen} of them known from earlier "
        f"nights, {fetched} pages fetched, {errors} errors)"
    )
