"""Typed exceptions of the extraction stage.

Every message names the offending value (a URL or a file) and the reason, so that the
flows and the CLI can turn one into a single readable line without more context.
"""

from __future__ import annotations

from pathlib import Path

__all__ = [
    "ExtractError",
    "InvalidUrl",
    "NoArticleText",
    "UndecodablePage",
    "WarcReadError",
]


class ExtractError(Exception):
    """Base class of the errors raised by :mod:`extract`."""


class NoArticleText(ExtractError):
    """The page holds no article text (empty, a navigation, video or gallery page)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"no article text in {url}: {reason}")


class UndecodablePage(ExtractError):
    """The response body cannot be decoded to text (binary content or wrong encoding)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"cannot decode {url}: {reason}")


class InvalidUrl(ExtractError, ValueError):
    """A URL cannot be canonicalised (no scheme or host, bad port)."""

    def __init__(self, url: str, reason: str) -> None:
        self.url = url
        self.reason = reason
        super().__init__(f"invalid URL {url!r}: {reason}; pass an absolute http(s) URL")


class WarcReadError(ExtractError):
    """A WARC file is corrupt or truncated; records before ``offset`` were read."""

    def __init__(self, path: Path | str, offset: int, reason: str) -> None:
        self.path = path
        self.offset = offset
        self.reason = reason
        super().__init__(
            f"cannot read WARC file {path} at byte {offset}: {reason}; "
            "records before that offset were read, the rest of the file is lost"
        )
