"""Typed errors of the dedupe package."""

from __future__ import annotations

__all__ = ["DedupeConfigError", "DedupeError", "SignatureFormatError"]


class DedupeError(Exception):
    """Base class of every error raised by :mod:`dedupe`."""


class DedupeConfigError(DedupeError, ValueError):
    """A :class:`~dedupe.config.DedupeConfig` value is out of range.

    The message names the field, the value given and the accepted range.
    """

    def __init__(self, field: str, value: object, expected: str) -> None:
        self.field = field
        self.value = value
        super().__init__(f"dedupe setting {field!r} = {value!r}: expected {expected}")


class SignatureFormatError(DedupeError, ValueError):
    """Stored signature bytes do not match the configured number of permutations."""
