"""Reading a crawl's outputs back, for the crawler tests."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from warcio.archiveiterator import ArchiveIterator

from crawler import CrawlOutputs


@dataclass(frozen=True, kw_only=True)
class WarcResponse:
    target: str
    warc: dict[str, str]
    status: int
    http: dict[str, str]
    http_pairs: list[tuple[str, str]]
    body: bytes


@dataclass(kw_only=True)
class Crawl:
    name: str
    returncode: int
    stderr: str
    outputs: CrawlOutputs
    responses: list[WarcResponse] = field(default_factory=list)
    log: list[dict[str, object]] = field(default_factory=list)
    stats: dict[str, object] = field(default_factory=dict)

    def targets(self) -> list[str]:
        return [record.target for record in self.responses]

    def response(self, url: str) -> WarcResponse:
        matches = [record for record in self.responses if record.target == url]
        assert len(matches) == 1, f"expected one WARC record for {url}, got {self.targets()}"
        return matches[0]

    def lines(self, url: str) -> list[dict[str, object]]:
        return [line for line in self.log if line["url"] == url]

    def line(self, url: str) -> dict[str, object]:
        lines = self.lines(url)
        assert len(lines) == 1, f"expected one fetch-log line for {url}, got {lines}"
        return lines[0]


def read_warc(path: Path) -> list[WarcResponse]:
    records: list[WarcResponse] = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            if record.rec_type != "response":
                continue
            assert record.http_headers is not None
            records.append(
                WarcResponse(
                    target=record.rec_headers.get_header("WARC-Target-URI"),
                    warc=dict(record.rec_headers.headers),
                    status=int(record.http_headers.get_statuscode()),
                    http={k.lower(): v for k, v in record.http_headers.headers},
                    http_pairs=list(record.http_headers.headers),
                    body=record.content_stream().read(),
                )
            )
    return records
