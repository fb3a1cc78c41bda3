"""Whether an article response is an HTML page worth archiving.

Feeds and section pages link PDFs, photos and empty placeholders as if they
were articles. Such responses are logged (``not_html``, ``empty``) but never
archived as articles, so extraction only ever sees HTML. The check trusts the
body over the header: a PDF or an image is recognised by its first bytes
(its "magic number") whatever ``Content-Type`` says, and a declared non-HTML
type is believed otherwise; a missing or generic type (``text/plain``,
``application/octet-stream``) is accepted when the body starts like HTML.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = ["BodyProblem", "article_body_problem"]

# First bytes of the non-HTML files most often linked as if they were articles.
_MAGIC = (
    (b"%PDF-", "a PDF document"),
    (b"\x89PNG\r\n\x1a\n", "a PNG image"),
    (b"\xff\xd8\xff", "a JPEG image"),
    (b"GIF87a", "a GIF image"),
    (b"GIF89a", "a GIF image"),
    (b"PK\x03\x04", "a ZIP archive (or an office document)"),
    (b"\x1f\x8b\x08", "a gzip file"),
    (b"ID3", "an MP3 file"),
)
_RIFF_KINDS = {b"WEBP": "a WebP image", b"WAVE": "a WAV file", b"AVI ": "an AVI video"}
_HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
# Types servers send when they do not know better; the body decides.
_GENERIC_TYPES = frozenset({"", "text/plain", "application/octet-stream", "binary/octet-stream"})
# How far into the body to look for the start of an HTML document.
_SNIFF_BYTES = 1024
_HTML_STARTS = (b"<!doctype html", b"<html", b"<head", b"<body", b"<meta", b"<title", b"<!--")


@dataclass(frozen=True, kw_only=True)
class BodyProblem:
    """Why an article response is not archived.

    Attributes:
        outcome: the fetch-log outcome.
        reason: what was found, for the fetch log.
    """

    outcome: Literal["not_html", "empty"]
    reason: str


def article_body_problem(body: bytes, content_type: str | None) -> BodyProblem | None:
    """Return why an article response is not an HTML page, or ``None`` when it is one.

    Args:
        body: the response body (decoded from any Content-Encoding).
        content_type: the ``Content-Type`` header, when there was one.

    Returns:
        ``empty`` for a body of only whitespace, ``not_html`` for a recognised
        binary file or a declared non-HTML type, else ``None``.

    Example:
        >>> article_body_problem(b"%PDF-1.7 ...", "text/html").reason
        'the body is a PDF document (starts with %PDF-), not HTML'
    """
    if not body.strip():
        return BodyProblem(outcome="empty", reason=f"empty body ({len(body)} bytes)")
    sniffed = _sniffed_kind(body)
    if sniffed is not None:
        kind, magic = sniffed
        return BodyProblem(
            outcome="not_html",
            reason=f"the body is {kind} (starts with {magic}), not HTML",
        )
    media_type = (content_type or "").split(";", 1)[0].strip().lower()
    if media_type in _HTML_TYPES:
        return None
    if media_type in _GENERIC_TYPES and _looks_like_html(body):
        return None
    shown = media_type or "no Content-Type"
    return BodyProblem(outcome="not_html", reason=f"{shown}, not an HTML page")


def _sniffed_kind(body: bytes) -> tuple[str, str] | None:
    for magic, kind in _MAGIC:
        if body.startswith(magic):
            text = magic.decode("latin-1")
            shown = text if text.isascii() and text.isprintable() else magic.hex(" ")
            return kind, shown
    if body.startswith(b"RIFF") and body[8:12] in _RIFF_KINDS:
        return _RIFF_KINDS[body[8:12]], "RIFF"
    return None


def _looks_like_html(body: bytes) -> bool:
    head = body[:_SNIFF_BYTES].lstrip(b"\xef\xbb\xbf \t\r\n").lower()
    return head.startswith(_HTML_STARTS) or b"<html" in head
