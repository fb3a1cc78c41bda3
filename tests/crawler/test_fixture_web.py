"""The fixture web server's trap features: validators and 304, routes, placeholders, hits."""

from __future__ import annotations

import urllib.error
import urllib.request
from datetime import UTC, datetime, timedelta
from email.message import Message

import pytest

from demo.server import DemoWeb


def _get(
    url: str, headers: dict[str, str] | None = None, method: str = "GET"
) -> tuple[int, Message, bytes]:
    request = urllib.request.Request(url, headers=headers or {}, method=method)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        with error:
            return error.code, error.headers, error.read()


def test_files_carry_validators_and_a_matching_conditional_get_gets_304(
    crawl_web: DemoWeb,
) -> None:
    url = crawl_web.url("epsilon", "/rss.xml")
    status, headers, body = _get(url)
    assert status == 200 and body.startswith(b"<?xml")
    etag, last_modified = headers["ETag"], headers["Last-Modified"]
    assert etag.startswith('"') and last_modified.endswith("GMT")
    assert _get(url, {"If-None-Match": etag})[0] == 304
    assert _get(url, {"If-None-Match": f'"other", W/{etag}'})[0] == 304
    assert _get(url, {"If-None-Match": '"other"'})[0] == 200
    assert _get(url, {"If-Modified-Since": last_modified})[0] == 304
    assert _get(url, {"If-Modified-Since": "Mon, 01 Jan 2001 00:00:00 GMT"})[0] == 200
    # If-None-Match wins over If-Modified-Since (RFC 9110).
    both = {"If-None-Match": '"other"', "If-Modified-Since": last_modified}
    assert _get(url, both)[0] == 200
    status, headers, body = _get(url, {"If-None-Match": etag})
    assert (status, body, headers["ETag"]) == (304, b"", etag)


def test_hits_count_each_request_with_its_status_and_condition(crawl_web: DemoWeb) -> None:
    path = "/news/2025/11/epsilon-school.html"
    before = len(crawl_web.hits("epsilon", path))
    _, headers, _ = _get(crawl_web.url("epsilon", path))
    _get(crawl_web.url("epsilon", path + "?utm_source=x"), {"If-None-Match": headers["ETag"]})
    hits = crawl_web.hits("epsilon", path)[before:]
    assert [(hit.status, hit.conditional) for hit in hits] == [(200, False), (304, True)]
    assert hits[0].time <= hits[1].time
    assert all(hit.site == "epsilon" for hit in hits)


def test_route_options_status_headers_padding_and_no_validators(crawl_web: DemoWeb) -> None:
    status, headers, _ = _get(crawl_web.url("delta", "/news/2025/11/delta-busy.html"))
    assert (status, headers["Retry-After"]) == (503, "120")
    status, headers, body = _get(crawl_web.url("delta", "/news/2025/11/delta-huge.html"))
    assert status == 200 and len(body) == int(headers["Content-Length"]) == 300000
    assert body.rstrip().endswith(b"-->") and b"Port handbook" in body
    status, headers, _ = _get(crawl_web.url("delta", "/"), {"If-Modified-Since": "x"})
    assert status == 200 and "ETag" not in headers and "Last-Modified" not in headers
    assert headers["Cache-Control"] == "no-store"
    status, headers, _ = _get(crawl_web.url("delta", "/news/2025/11/delta-chart.html"))
    assert headers["Content-Type"] == "text/html"


@pytest.mark.parametrize("days", [1, 2, 40])
def test_days_ago_placeholders_are_dates_relative_to_today(crawl_web: DemoWeb, days: int) -> None:
    _, _, body = _get(crawl_web.url("delta", "/sitemap.xml"))
    expected = (datetime.now(UTC).date() - timedelta(days=days)).isoformat()
    assert f"<lastmod>{expected}".encode() in body
    assert b"__DAYS_AGO_" not in body
