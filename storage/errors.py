"""Typed errors of the storage package; the CLI and flows turn them into one line."""

from __future__ import annotations

__all__ = ["DatabaseUnavailable", "StorageError", "UnknownGroup", "redact_url"]


def redact_url(url: str) -> str:
    """Return ``url`` with any password replaced by ``***``, for messages and logs."""
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import ArgumentError

    try:
        return make_url(url).render_as_string(hide_password=True)
    except ArgumentError:
        return url


class StorageError(Exception):
    """Base class of every error raised by :mod:`storage`."""


class DatabaseUnavailable(StorageError):
    """The database URL is malformed, or the database cannot be reached."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = redact_url(url)
        super().__init__(
            f"cannot open database {self.url}: {reason} "
            "(check --db or WIREDUPE_DATABASE_URL, and that the server is running)"
        )


class UnknownGroup(StorageError, LookupError):
    """No story group has the requested id."""

    def __init__(self, group_id: int) -> None:
        self.group_id = group_id
        super().__init__(f"no story group with id {group_id} (list them with: wiredupe groups)")


class UnknownArticle(StorageError, LookupError):
    """No stored article has the requested URL."""

    def __init__(self, url: str) -> None:
        self.url = url
        super().__init__(f"no stored article has the URL {url!r}")
