"""Typed exceptions of the crawler package.

Each message names the offending value and says how to fix it. Only the CLI and
the flows turn these into exit codes, log lines and run states.
"""

from __future__ import annotations

__all__ = ["CrawlSetupError", "CrawlerError", "SourcesError", "SpiderArgumentError"]


class CrawlerError(Exception):
    """Base class of every error raised by the crawler package."""


class SourcesError(CrawlerError):
    """``sources.toml`` is missing, not valid TOML, or breaks the schema.

    Attributes:
        origin: the file (or other origin) the sources came from.
        source: the source's name, or ``#index`` when it has no usable name; ``None``
            when the error is about the whole file.
        field: the offending field, or ``None`` when the error is not about one field.
    """

    def __init__(
        self,
        problem: str,
        *,
        origin: str,
        source: str | None = None,
        field: str | None = None,
    ) -> None:
        self.origin = origin
        self.source = source
        self.field = field
        where = origin
        if source is not None:
            where += f": source {source}"
        if field is not None:
            where += f", field {field!r}"
        super().__init__(f"{where}: {problem}")


class SpiderArgumentError(CrawlerError):
    """The ``wire`` spider was started with a missing or unusable ``-a`` argument."""


class CrawlSetupError(CrawlerError):
    """A crawler component is missing a setting it needs (a wiring mistake, not bad data)."""
