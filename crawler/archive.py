"""The raw-response archive: every fetched response as a WARC ``response`` record.

One file per crawl, ``{out_dir}/{source}.warc.gz`` (see :func:`crawler.run.crawl_outputs`),
written with warcio, one gzip member per record so that a killed crawl leaves a
readable archive of everything fetched before the kill.

Each record has ``WARC-Target-URI`` = the final URL after redirects, ``WARC-Date``
= the fetch time, the real HTTP status line and headers, and these extra headers:

- ``WARC-Wiredupe-Source``: the source's name;
- ``WARC-Wiredupe-Kind``: ``article``, ``feed``, ``sitemap`` or ``section``;
- ``WARC-Wiredupe-Published``: publication time hint (ISO 8601), when known;
- ``WARC-Wiredupe-Requested-URI``: the URL requested, when redirected.

The payload is stored decoded (as Scrapy hands it over). Headers that no longer
describe it are kept under an ``X-Crawler-`` prefix, the convention of Common
Crawl: ``Content-Encoding`` when the body was decoded, ``Transfer-Encoding``
(always de-chunked), and a ``Content-Length`` that differs from the stored
payload (then followed by the true one).
"""

from __future__ import annotations

from datetime import UTC
from http import HTTPStatus
from io import BytesIO
from pathlib import Path
from typing import TYPE_CHECKING, BinaryIO, Self

from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.warcwriter import WARCWriter

from crawler.errors import CrawlSetupError
from crawler.items import FetchedResponse
from crawler.outputs import outputs_from_settings

if TYPE_CHECKING:
    from scrapy.crawler import Crawler
    from warcio.recordloader import ArcWarcRecord

__all__ = [
    "KIND_HEADER",
    "PUBLISHED_HEADER",
    "REQUESTED_URI_HEADER",
    "SOURCE_HEADER",
    "WarcArchivePipeline",
    "warc_response_record",
]

SOURCE_HEADER = "WARC-Wiredupe-Source"
KIND_HEADER = "WARC-Wiredupe-Kind"
PUBLISHED_HEADER = "WARC-Wiredupe-Published"
REQUESTED_URI_HEADER = "WARC-Wiredupe-Requested-URI"


def warc_response_record(writer: WARCWriter, item: FetchedResponse) -> ArcWarcRecord:
    """Build the WARC ``response`` record of one fetched response.

    Args:
        writer: the writer the record is for (it assigns ids and digests).
        item: the response.

    Returns:
        The record, ready for ``writer.write_record``.
    """
    warc_headers = {
        "WARC-Date": datetime_to_iso_date(item.fetched_at.astimezone(UTC).replace(tzinfo=None)),
        SOURCE_HEADER: item.source,
        KIND_HEADER: item.kind,
    }
    if item.published:
        warc_headers[PUBLISHED_HEADER] = item.published
    if item.redirected:
        warc_headers[REQUESTED_URI_HEADER] = item.requested_url
    http_headers = StatusAndHeaders(
        f"{item.status} {_reason_phrase(item.status)}",
        _archived_headers(item),
        protocol=item.protocol,
    )
    return writer.create_warc_record(
        item.url,
        "response",
        payload=BytesIO(item.body),
        length=len(item.body),
        warc_headers_dict=warc_headers,
        http_headers=http_headers,
    )


class WarcArchivePipeline:
    """Item pipeline writing every :class:`FetchedResponse` to the crawl's WARC file.

    Args:
        path: the WARC file to write (replaced if it exists).
        source: the source's name, recorded in the ``warcinfo`` record.
        software: the crawler's user agent, recorded in the ``warcinfo`` record.
    """

    def __init__(self, *, path: Path, source: str, software: str) -> None:
        self._path = path
        self._source = source
        self._software = software
        self._file: BinaryIO | None = None
        self._writer: WARCWriter | None = None

    @classmethod
    def from_crawler(cls, crawler: Crawler) -> Self:
        """Build the pipeline from the ``WIREDUPE_OUT_DIR`` and ``WIREDUPE_SOURCE`` settings.

        Raises:
            CrawlSetupError: a setting is missing (the ``wire`` spider sets both).
        """
        outputs, source = outputs_from_settings(crawler.settings, component=cls.__name__)
        return cls(
            path=outputs.warc,
            source=source,
            software=crawler.settings.get("USER_AGENT", ""),
        )

    def open_spider(self) -> None:
        """Create the WARC file and write its ``warcinfo`` record."""
        self._path.parent.mkdir(parents=True, exist_ok=True)
        self._file = self._path.open("wb")
        self._writer = WARCWriter(self._file, gzip=True)
        info = {
            "software": self._software,
            "format": "WARC File Format 1.0",
            "wiredupe-source": self._source,
        }
        self._writer.write_record(self._writer.create_warcinfo_record(self._path.name, info))
        self._file.flush()

    def process_item(self, item: object) -> object:
        """Archive ``item`` when it is a :class:`FetchedResponse`; pass every item on."""
        if isinstance(item, FetchedResponse):
            if self._writer is None or self._file is None:
                raise CrawlSetupError(
                    f"WarcArchivePipeline got {item.url!r} before open_spider(); "
                    "it must be enabled through ITEM_PIPELINES, not called directly"
                )
            self._writer.write_record(warc_response_record(self._writer, item))
            self._file.flush()  # a killed crawl keeps every record written so far
        return item

    def close_spider(self) -> None:
        """Close the WARC file."""
        if self._file is not None:
            self._file.close()
        self._file = None
        self._writer = None


def _archived_headers(item: FetchedResponse) -> list[tuple[str, str]]:
    headers: list[tuple[str, str]] = []
    length = str(len(item.body))
    wrong_length = False
    for name, value in item.headers:
        lower = name.lower()
        stale = (
            lower == "transfer-encoding"
            or (lower == "content-encoding" and item.decoded)
            or (lower == "content-length" and value.strip() != length)
        )
        wrong_length = wrong_length or (stale and lower == "content-length")
        headers.append((f"X-Crawler-{name}" if stale else name, value))
    if wrong_length:
        headers.append(("Content-Length", length))
    return headers


def _reason_phrase(status: int) -> str:
    try:
        return HTTPStatus(status).phrase
    except ValueError:
        return "Unknown"
