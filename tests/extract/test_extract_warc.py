import gzip
from datetime import UTC, datetime
from io import BytesIO
from pathlib import Path

import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from extract import Article, WarcReadError
from extract.warc import Rejected, all_cores, extract_warc, extraction_pool, iter_raw_pages

PARAGRAPHS = "".join(
    f"<p>Paragraph {i}: the council voted on Tuesday to extend the tram line to the harbour, "
    f"a project first proposed in {1990 + i} and delayed by funding disputes ever since.</p>"
    for i in range(4)
)


def html(title: str) -> bytes:
    return (
        f"<html lang='en'><head><title>{title}</title></head>"
        f"<body><article><h1>{title}</h1>{PARAGRAPHS}</article></body></html>"
    ).encode()


def record_bytes(
    url: str,
    body: bytes,
    *,
    status: str = "200 OK",
    content_type: str = "text/html; charset=utf-8",
    wiredupe: dict[str, str] | None = None,
    gzipped: bool = True,
) -> bytes:
    out = BytesIO()
    writer = WARCWriter(out, gzip=gzipped)
    http = StatusAndHeaders(
        status,
        [("Content-Type", content_type), ("Content-Length", str(len(body)))],
        protocol="HTTP/1.1",
    )
    warc_headers = {"WARC-Date": "2025-11-21T10:00:00Z"}
    warc_headers.update(wiredupe or {})
    record = writer.create_warc_record(
        url,
        "response",
        payload=BytesIO(body),
        length=len(body),
        http_headers=http,
        warc_headers_dict=warc_headers,
    )
    writer.write_record(record)
    return out.getvalue()


def ours(kind: str, **extra: str) -> dict[str, str]:
    return {"WARC-Wiredupe-Source": "harbour-news", "WARC-Wiredupe-Kind": kind, **extra}


@pytest.fixture
def crawl_warc(tmp_path: Path) -> Path:
    path = tmp_path / "crawl.warc.gz"
    path.write_bytes(
        record_bytes(
            "https://www.harbour.example/news/tram?utm_source=rss",
            html("Tram line to reach the harbour"),
            wiredupe=ours(
                "article",
                **{
                    "WARC-Wiredupe-Published": "2025-11-21T08:15:00+01:00",
                    "WARC-Wiredupe-Requested-URI": "https://harbour.example/n/123",
                },
            ),
        )
        + record_bytes(
            "https://www.harbour.example/rss.xml",
            b"<rss><channel><title>x</title></channel></rss>",
            content_type="application/rss+xml",
            wiredupe=ours("feed"),
        )
        + record_bytes(
            "https://www.harbour.example/news/gone",
            b"<html>Not found</html>",
            status="404 Not Found",
            wiredupe=ours("article"),
        )
        + record_bytes(
            "https://www.harbour.example/report.pdf",
            b"%PDF-1.7\n%binary",
            content_type="application/pdf",
            wiredupe=ours("article"),
        )
        + record_bytes(
            "https://www.harbour.example/video/1",
            html("Watch: the tram in pictures").replace(PARAGRAPHS.encode(), b""),
            wiredupe=ours("article"),
        )
    )
    return path


def test_iter_raw_pages_reads_our_headers(crawl_warc):
    pages = list(iter_raw_pages(crawl_warc))
    assert [p.kind for p in pages] == ["article", "feed", "article", "article", "article"]
    first = pages[0]
    assert first.source == "harbour-news"
    assert first.status == 200
    assert first.headers["content-type"] == "text/html; charset=utf-8"
    assert first.fetched == datetime(2025, 11, 21, 10, 0, tzinfo=UTC)
    assert first.published_hint == datetime(2025, 11, 21, 7, 15, tzinfo=UTC)
    assert first.requested_url == "https://harbour.example/n/123"
    assert first.body.startswith(b"<html")


def test_extract_warc_with_our_headers(crawl_warc):
    results = list(extract_warc(crawl_warc))
    assert len(results) == 4, "the feed record is skipped, not rejected"
    article = results[0]
    assert isinstance(article, Article)
    assert article.url == "https://www.harbour.example/news/tram"
    assert article.source == "harbour-news"
    assert article.published == datetime(2025, 11, 21, 7, 15, tzinfo=UTC)
    assert article.text.startswith("Paragraph 0: the council voted")
    rejected = results[1:]
    assert all(isinstance(r, Rejected) for r in rejected)
    assert "404" in rejected[0].reason
    assert "application/pdf" in rejected[1].reason
    assert "no article text" in rejected[2].reason
    assert {r.source for r in rejected} == {"harbour-news"}


def test_foreign_warc_uses_host_or_default_source(tmp_path):
    path = tmp_path / "CC-NEWS-20251121.warc"
    path.write_bytes(
        record_bytes("https://www.harbour.example/a", html("Tram A"), gzipped=False)
        + record_bytes("https://www.harbour.example/b", b"x", status="301 Moved", gzipped=False)
    )
    results = list(extract_warc(path))
    assert isinstance(results[0], Article)
    assert results[0].source == "harbour.example"
    assert isinstance(results[1], Rejected)
    assert "301" in results[1].reason
    assert {r.source for r in extract_warc(path, default_source="cc-news")} == {"cc-news"}


def test_truncated_gzip_member_keeps_earlier_records(tmp_path):
    good = record_bytes("https://www.harbour.example/a", html("Tram A"))
    second = record_bytes("https://www.harbour.example/b", html("Tram B"))
    bad = record_bytes("https://www.harbour.example/c", html("Tram C"))
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(good + second + bad[: len(bad) // 2])
    seen = []
    with pytest.raises(WarcReadError) as excinfo:
        seen.extend(extract_warc(path))
    assert [a.url for a in seen] == [
        "https://www.harbour.example/a",
        "https://www.harbour.example/b",
    ]
    assert excinfo.value.path == path
    assert excinfo.value.offset == len(good) + len(second)
    assert str(path) in str(excinfo.value)


def test_garbage_file_raises_typed_error(tmp_path):
    path = tmp_path / "not.warc.gz"
    path.write_bytes(gzip.compress(b"this is not a WARC file\r\n\r\n"))
    with pytest.raises(WarcReadError, match="at byte 0"):
        list(iter_raw_pages(path))


def test_missing_file_raises_typed_error(tmp_path):
    with pytest.raises(WarcReadError, match=r"missing\.warc"):
        list(iter_raw_pages(tmp_path / "missing.warc"))


def test_a_pool_of_workers_gives_the_same_results_in_the_same_order(crawl_warc, tmp_path):
    # More pages than one batch, so that several batches are in flight at once.
    many = tmp_path / "many.warc.gz"
    many.write_bytes(
        crawl_warc.read_bytes()
        + b"".join(
            record_bytes(f"https://www.harbour.example/news/{n}", html(f"Tram {n}"))
            for n in range(40)
        )
    )
    with extraction_pool(1) as in_process:
        single = list(extract_warc(many, pool=in_process))
    assert len(single) == 44
    with extraction_pool(2) as pool:
        assert list(extract_warc(many, pool=pool)) == single
        # One pool serves file after file.
        assert list(extract_warc(many, pool=pool)) == single
    assert list(extract_warc(many)) == single


def test_a_pool_keeps_what_came_before_the_damage(tmp_path):
    records = [
        record_bytes(f"https://www.harbour.example/{n}", html(f"Tram {n}")) for n in range(20)
    ]
    path = tmp_path / "cut.warc.gz"
    path.write_bytes(b"".join(records[:-1]) + records[-1][: len(records[-1]) // 2])
    seen = []
    with extraction_pool(2) as pool, pytest.raises(WarcReadError) as excinfo:
        seen.extend(extract_warc(path, pool=pool))
    assert [a.url for a in seen] == [f"https://www.harbour.example/{n}" for n in range(19)]
    assert excinfo.value.offset == sum(map(len, records[:-1]))


def test_workers_must_be_positive():
    with pytest.raises(ValueError, match="all_cores"), extraction_pool(0):
        pass
    assert all_cores() >= 1
