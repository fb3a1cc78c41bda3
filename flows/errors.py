"""Typed errors of the flows package (configuration and inputs)."""

from __future__ import annotations

__all__ = [
    "BadLine",
    "ConfigError",
    "CorrectionError",
    "CrawlFailed",
    "InputError",
    "OutputError",
    "RunFailed",
    "WiredupeError",
]


class WiredupeError(Exception):
    """Base class of the errors raised by :mod:`flows`."""


class ConfigError(WiredupeError, ValueError):
    """A configuration value (file, environment variable or flag) is invalid.

    The message names where the value came from and the field.
    """

    def __init__(self, where: str, field: str, message: str) -> None:
        self.where = where
        self.field = field
        super().__init__(f"{where}: {field}: {message}")


class InputError(WiredupeError):
    """An input file cannot be read at all (missing, unreadable, unknown format)."""


class OutputError(WiredupeError):
    """An output file (``wiredupe export --output``) cannot be written."""


class BadLine(WiredupeError, ValueError):
    """One line of an input file is not a valid record; the message says why."""


class CrawlFailed(WiredupeError):
    """One source's crawl failed: its process exited with an error or was stopped."""


class RunFailed(WiredupeError):
    """A run could not do its work at all (no source could be crawled)."""


class CorrectionError(WiredupeError, ValueError):
    """A correction (``wiredupe group split|merge|move``) cannot be applied as asked."""
