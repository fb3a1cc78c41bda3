"""Timestamps from headers and records: ISO 8601 in, timezone-aware UTC out."""

from __future__ import annotations

from datetime import UTC, datetime

__all__ = ["as_utc", "parse_timestamp"]


def parse_timestamp(value: str) -> datetime:
    """Parse an ISO 8601 date or time (``Z`` allowed) to an aware UTC datetime.

    A value without a time zone is taken to be UTC.

    Raises:
        ValueError: ``value`` is not an ISO 8601 date or time, or is out of range.

    Example:
        >>> parse_timestamp("2025-11-21T08:15:00+01:00").isoformat()
        '2025-11-21T07:15:00+00:00'
    """
    try:
        return as_utc(datetime.fromisoformat(value.strip().replace("Z", "+00:00")))
    except (ValueError, OverflowError):
        raise ValueError(f"not an ISO 8601 date: {value!r}") from None


def as_utc(value: datetime) -> datetime:
    """Convert to UTC; a naive value is taken to be UTC already.

    Raises:
        OverflowError: the conversion leaves the range of datetime.
    """
    return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)
